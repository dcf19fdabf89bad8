import type { TradeEvent } from '../domain/events';
import { applyTradeEvent } from '../domain/stateMachine';
import type { Trade } from '../domain/trade';

/** The trade after the state machine has taken every event (duplicates are no-ops there). */
export function applyEvents(trade: Trade, events: readonly TradeEvent[]): Trade {
  return events.reduce((t, e) => (e.tradeId === t.id ? applyTradeEvent(t, e).trade : t), trade);
}
