import type { Fills } from './fills';
import type { Ledger } from './ledger';
import type { MarketBoard } from './marketBoard';
import type { OrderLists } from './orderLists';
import type { OrderStore } from './orderStore';
import type { OrderType, Side, SimState } from './types';

/** A new order as the API layer parsed it (numbers are already numbers). */
export interface NewOrder {
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce?: string;
  quantity?: number;
  quoteOrderQty?: number;
  price?: number;
  stopPrice?: number;
  newClientOrderId?: string;
}

/** One leg of an OCO (above or below) or a pending leg of an OTOCO. */
export interface OcoLeg {
  type: OrderType;
  price?: number;
  stopPrice?: number;
  timeInForce?: string;
  clientOrderId?: string;
}

export interface NewOco {
  symbol: string;
  side: Side;
  quantity: number;
  above: OcoLeg;
  below: OcoLeg;
  listClientOrderId?: string;
}

export interface NewOtoco {
  symbol: string;
  listClientOrderId?: string;
  working: { type: OrderType; side: Side; price: number; quantity: number; timeInForce?: string; clientOrderId?: string };
  pendingSide: Side;
  pendingQuantity: number;
  above: OcoLeg;
  below?: OcoLeg;
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: string;
}

export interface ListRef {
  orderListId?: number;
  listClientOrderId?: string;
}

export interface EngineConfig {
  feeRate: number;
  feeAsset: 'received' | 'quote';
  participation: number;
  log: (line: string) => void;
}

/** The engine's collaborators, handed to the stateless steps (placing an order, matching a candle). */
export interface EngineParts {
  state: SimState;
  board: MarketBoard;
  ledger: Ledger;
  store: OrderStore;
  fills: Fills;
  lists: OrderLists;
}
