import type { TradeEvent } from '../domain/events';
import type { OrderRef, Trade } from '../domain/trade';
import type { ExchangeOrder } from '../exchange/types';
import type { OmsLogger } from './logger';
import type { ProtectionSettings } from './types';
import { waitingListIds } from './sliceProtection';

/**
 * What ensureProtection takes and reports, and how it names what it reports: the options, the
 * outcome, and PROTECTION_PLACED's id (the set of open lists), so that reporting one set twice is a
 * duplicate the state machine drops.
 */

export interface EnsureProtectionOptions {
  /** cap on the quantity to protect (ENSURE_PROTECTION effect's quantity); default: the trade's open quantity */
  quantity?: number;
  /** protection generation to place in (ADJUST uses a new one); default: the current one */
  generation?: number;
  /** levels to protect at; default: the trade's */
  levels?: { stopLossPrice: number; takeProfitPrices: number[] };
  /** default true: a refused protection closes the quantity at market */
  marketFallback?: boolean;
  protection?: Partial<ProtectionSettings>;
  /** where alerts are logged as they happen (they are returned in `alerts` either way) */
  log?: OmsLogger;
}

export type ProtectionStatus = 'PROTECTED' | 'NOTHING_TO_PROTECT' | 'REFUSED' | 'CLOSED_AT_MARKET' | 'UNPROTECTED';

export interface ProtectionOutcome {
  status: ProtectionStatus;
  /** every open protective list of the trade after this call */
  orders: OrderRef[];
  /** lists placed by this call */
  placed: OrderRef[];
  /** PROTECTION_PLACED when anything changed, exit fills of a market close */
  events: TradeEvent[];
  alerts: string[];
  /** quantity that should be protected and is held */
  held: number;
  /** stop quantity resting after this call */
  protectedQuantity: number;
  rejection?: { kind: string; message: string };
}

/**
 * The protective lists the trade records as open, as the exchange would show them: an OTOCO pair
 * still waiting for its entry is not on the book as protection yet, so it is left out of the
 * comparison (the trade rightly records it).
 */
export function recordedProtection(trade: Trade, openOfTrade: readonly ExchangeOrder[]): string[] {
  const waiting = waitingListIds(openOfTrade);
  return trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN' && !waiting.has(r.clientOrderId)).map((r) => r.clientOrderId);
}

export function sameLists(orders: readonly OrderRef[], recorded: readonly string[]): boolean {
  const known = new Set(recorded);
  return orders.length === known.size && orders.every((r) => known.has(r.clientOrderId));
}

/**
 * Named by the set of open lists it reports (sorted), so the same set reported twice is one event.
 * A list never reopens, so a set cannot come back later; "nothing rests" can, and is named by the
 * lists it replaces.
 */
export function protectionEventId(tradeId: string, orders: readonly OrderRef[], recorded: readonly string[]): string {
  const ids = orders.map((r) => r.clientOrderId).sort();
  return `${tradeId}:protection:${ids.length > 0 ? ids.join(',') : `none-after-${[...recorded].sort().join(',')}`}`;
}

/** what rested before, with what was placed now in place of any list of the same id, by id */
export function mergeRefs(existing: OrderRef[], placed: OrderRef[]): OrderRef[] {
  const ids = new Set(placed.map((r) => r.clientOrderId));
  return [...existing.filter((r) => !ids.has(r.clientOrderId)), ...placed].sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
}
