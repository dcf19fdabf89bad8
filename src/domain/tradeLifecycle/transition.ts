import type { Trade, TradeStatus } from '../trade';

/**
 * What one step of the trade lifecycle returns, and the bookkeeping every step shares: which event
 * ids a trade has already applied (signals arrive at least once, so an id seen before changes
 * nothing) and the one JOURNAL effect an applied event leaves.
 */

export type TradeEffect =
  /** open quantity must have a resting stop (+targets), at once */
  | { type: 'ENSURE_PROTECTION'; tradeId: string; quantity: number }
  /** e.g. cancel the unfilled remainder of the entry */
  | { type: 'CANCEL_ENTRY'; tradeId: string }
  /** leftover protective orders once flat */
  | { type: 'CANCEL_PROTECTION'; tradeId: string }
  /** one trade-log row for an applied event (from === to when the status did not change) */
  | { type: 'JOURNAL'; tradeId: string; from: TradeStatus; to: TradeStatus; detail: string };

export interface Transition {
  trade: Trade;
  effects: TradeEffect[];
  /** why nothing changed, e.g. duplicate event id, event for another trade, event not valid in this status */
  ignored?: string;
}

export function ignore(trade: Trade, reason: string): Transition {
  return { trade, effects: [], ignored: reason };
}

export function journal(trade: Trade, from: TradeStatus, to: TradeStatus, detail: string): TradeEffect {
  return { type: 'JOURNAL', tradeId: trade.id, from, to, detail };
}

export function hasApplied(trade: Trade, eventId: string): boolean {
  return (
    (trade.appliedEventIds?.includes(eventId) ?? false) ||
    trade.entryFills.some((f) => f.eventId === eventId) ||
    trade.exitFills.some((f) => f.eventId === eventId)
  );
}

export function markApplied(trade: Trade, eventId: string): Trade {
  return { ...trade, appliedEventIds: [...(trade.appliedEventIds ?? []), eventId] };
}
