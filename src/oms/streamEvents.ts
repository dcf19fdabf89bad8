import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { StreamUpdate } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { belongsTo, isEntryClientId } from './clientIds';
import { entryEndEvent, entryEventForFill, exitEventForFill } from './exchangeView';

/**
 * The user-data stream's updates as trade events: exactly the events the poller (trackOrders.ts)
 * makes of the same exchange facts, with the same ids (`<clientOrderId>:fill:<exchange trade id>`,
 * `<entry id>:canceled|expired`), so whichever of the two tells the symbol workflow first, the
 * other is a duplicate it drops. Pure.
 */

/** the trade an update is about, among the watched ones (null: not one of the watched trades' orders) */
export function tradeOfUpdate(update: StreamUpdate, trades: readonly Trade[]): Trade | null {
  return trades.find((t) => belongsTo(update.order.clientOrderId, t.id)) ?? null;
}

export function eventsOfUpdate(trade: Trade, update: StreamUpdate, amountStep: number): TradeEvent[] {
  const { order, fill } = update;
  if (!belongsTo(order.clientOrderId, trade.id)) return [];
  // the plain entry `e` or one slice's working entry (each slice's entry ends on its own)
  const isEntry = isEntryClientId(order.clientOrderId);
  if (fill) {
    const event = isEntry ? entryEventForFill(trade, order, fill, amountStep) : exitEventForFill(trade, order, fill);
    return event ? [event] : [];
  }
  const ended = isEntry ? entryEndEvent(trade, order, entryEndReason(order)) : null;
  return ended ? [ended] : [];
}

/** why the entry ended, as the exchange reports it (the poller says the same) */
export function entryEndReason(order: ExchangeOrder): string {
  return order.status === 'REJECTED' ? 'the exchange rejected the entry order' : 'entry order cancelled on the exchange';
}
