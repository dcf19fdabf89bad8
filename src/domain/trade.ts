import type { Direction } from './commands';

/**
 * A trade is the system's own record of one entry and its protection. Its id is stable and
 * venue-neutral (T-<SYMBOL>-<seq>); the exchange order ids it maps to live in `orders`.
 */

export type TradeStatus = 'PENDING' | 'ACTIVE' | 'CLOSED' | 'CANCELLED';
export const OPEN_STATUSES: readonly TradeStatus[] = ['PENDING', 'ACTIVE'];

export type OrderRole = 'ENTRY' | 'STOP' | 'TARGET' | 'OCO';

/** A reference to one exchange order (or order list) that belongs to a trade. */
export interface OrderRef {
  role: OrderRole;
  /** deterministic client id (trade id + leg); the same on every attempt */
  clientOrderId: string;
  /** the venue's id, once known */
  exchangeOrderId?: string;
  /** for TARGET/OCO legs: which take-profit (0-based) */
  targetIndex?: number;
  quantity: number;
  price?: number;
  stopPrice?: number;
  status: 'OPEN' | 'FILLED' | 'CANCELLED' | 'EXPIRED' | 'REJECTED';
  /** for a slice's ENTRY: the OTOCO list it belongs to (its OCO ref), which ends with it */
  listClientOrderId?: string;
}

export type ExitReason = 'STOP' | 'TARGET' | 'MANUAL';

export interface Fill {
  /** the event id it came from (dedupe key) */
  eventId: string;
  /** for a sliced trade's entry fill: which entry order (client id) */
  entryOrder?: string;
  price: number;
  quantity: number;
  /** fee in quote currency */
  fee: number;
  /** epoch ms */
  at: number;
}

export interface ExitFill extends Fill {
  reason: ExitReason;
  targetIndex?: number;
}

export interface Trade {
  id: string;
  symbol: string;
  direction: Direction;
  status: TradeStatus;
  /** planned levels (after tick rounding) */
  entryPrice: number;
  stopLossPrice: number;
  takeProfitPrices: number[];
  /** entry order quantity (base currency) */
  quantity: number;
  positionSizePercent: number;
  entryFills: Fill[];
  exitFills: ExitFill[];
  orders: OrderRef[];
  /** epoch ms */
  createdAt: number;
  activatedAt?: number;
  closedAt?: number;
  /** why it ended (CANCELLED or CLOSED) */
  closeReason?: string;
  /** set on close: exits minus entries minus all fees, quote currency */
  realizedPnl?: number;
  /** total fees, quote currency */
  fees?: number;
  /** ids of every event the state machine has applied (signals arrive at least once) */
  appliedEventIds?: string[];
  /** epoch ms when the entry order stopped working (cancelled/expired); unset while it may still fill */
  entryEndedAt?: number;
}

export function filledQuantity(trade: Trade): number {
  return trade.entryFills.reduce((sum, f) => sum + f.quantity, 0);
}

export function exitedQuantity(trade: Trade): number {
  return trade.exitFills.reduce((sum, f) => sum + f.quantity, 0);
}

/** quantity currently held and needing protection */
export function openQuantity(trade: Trade): number {
  return filledQuantity(trade) - exitedQuantity(trade);
}

export function averageEntryPrice(trade: Trade): number | null {
  const q = filledQuantity(trade);
  if (q <= 0) return null;
  return trade.entryFills.reduce((sum, f) => sum + f.price * f.quantity, 0) / q;
}

export function isOpen(trade: Trade | null | undefined): trade is Trade {
  return !!trade && (trade.status === 'PENDING' || trade.status === 'ACTIVE');
}
