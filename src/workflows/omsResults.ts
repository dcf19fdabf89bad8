import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';

/** a trade the OMS just created, as it was before its own events (new trades start PENDING) */
export function beforeEvents(trade: Trade, events: readonly TradeEvent[]): Trade {
  const ids = new Set(events.filter((e) => e.tradeId === trade.id).map((e) => e.eventId));
  if (ids.size === 0) return trade;
  const { activatedAt: _a, closedAt: _c, closeReason: _r, realizedPnl: _p, fees: _f, entryEndedAt: _e, ...rest } = trade;
  return {
    ...rest,
    status: 'PENDING',
    entryFills: trade.entryFills.filter((f) => !ids.has(f.eventId)),
    exitFills: trade.exitFills.filter((f) => !ids.has(f.eventId)),
    appliedEventIds: (trade.appliedEventIds ?? []).filter((id) => !ids.has(id)),
  };
}

/** the same trade in the same status: what a strategist saw is still what there is */
export function sameTradeState(a: Trade | null, b: Trade | null): boolean {
  return (a?.id ?? null) === (b?.id ?? null) && (a?.status ?? null) === (b?.status ?? null);
}
