/**
 * What the gateway hands out: venue-neutral shapes built from ccxt's answers, so that the OMS and
 * the domain never see a ccxt or Binance structure.
 */

export type OrderSide = 'BUY' | 'SELL';
export type ExchangeOrderStatus = 'OPEN' | 'FILLED' | 'CANCELLED' | 'EXPIRED' | 'REJECTED';

export interface ExchangeOrder {
  symbol: string;
  exchangeOrderId: string;
  clientOrderId: string;
  side: OrderSide;
  /** the venue's order type, e.g. LIMIT, MARKET, STOP_LOSS_LIMIT, LIMIT_MAKER */
  type: string;
  status: ExchangeOrderStatus;
  /** OTOCO legs waiting for the working order: not on the book yet */
  pending: boolean;
  price: number | null;
  stopPrice: number | null;
  quantity: number;
  filled: number;
  averagePrice: number | null;
  /** the order list it belongs to, if any */
  orderListId: string | null;
  updatedAt: number;
}

export interface ExchangeFill {
  /** the venue's trade id (stable: the dedupe key of fill events) */
  tradeId: string;
  exchangeOrderId: string;
  symbol: string;
  side: OrderSide;
  price: number;
  quantity: number;
  /** fee converted to quote currency */
  feeQuote: number;
  /** fee as charged */
  fee: number;
  feeAsset: string;
  at: number;
}

export interface ExchangeOrderList {
  symbol: string;
  orderListId: string;
  listClientOrderId: string;
  /** Binance listOrderStatus: EXECUTING | ALL_DONE | REJECT */
  status: string;
  /** the legs: client ids and exchange ids (statuses need fetchOrder) */
  orders: Array<{ clientOrderId: string; exchangeOrderId: string }>;
}

export interface Balance {
  asset: string;
  free: number;
  used: number;
  total: number;
}

/** The two protective legs an OCO (or an OTOCO's pending pair) places: take-profit and stop. */
export interface ProtectionLegs {
  takeProfitPrice: number;
  stopPrice: number;
  /**
   * absent (the default): the stop leg is a STOP_LOSS, a market order once triggered, which a price
   * gap cannot skip; present: a STOP_LOSS_LIMIT resting at this price once triggered (for venues
   * that need a limit; a gap past it leaves the stop unfilled)
   */
  stopLimitPrice?: number;
  listClientOrderId: string;
  takeProfitClientOrderId: string;
  stopClientOrderId: string;
}

export interface OcoRequest extends ProtectionLegs {
  symbol: string;
  /** SELL protects a long */
  side: OrderSide;
  quantity: number;
}

export interface OtocoRequest extends ProtectionLegs {
  symbol: string;
  /** the working (entry) order */
  side: OrderSide;
  entryPrice: number;
  entryQuantity: number;
  entryClientOrderId: string;
  /** the OCO that the entry's fill places */
  protectionQuantity: number;
}
