import { log } from '@temporalio/workflow';
import type { TradeEvent } from '../domain/events';
import type { CancelOrderSignal } from '../contract/traderState';

/** What signals brought in: handlers only take note here, the main loop acts on it. */
export interface Inbox {
  events: TradeEvent[];
  /** ticket: set when the cancel came as the cancelEntry Update, which waits for its outcome */
  cancels: Array<CancelOrderSignal & { ticket?: number }>;
  /** a stop asked for the PENDING entry to be cancelled */
  cancelPending: boolean;
}

export function emptyInbox(): Inbox {
  return { events: [], cancels: [], cancelPending: false };
}

/** signal payloads may be typed by hand: keep what looks like an event, log the rest */
export function readEvents(payload: unknown): TradeEvent[] {
  const items = Array.isArray(payload) ? payload : [payload];
  const events: TradeEvent[] = [];
  for (const item of items) {
    if (item && typeof item === 'object' && typeof item.eventId === 'string' && typeof item.tradeId === 'string' && typeof item.type === 'string') {
      events.push(item as TradeEvent);
    } else {
      log.warn('orderEvent signal: not an order event, dropped', { item: JSON.stringify(item)?.slice(0, 200) ?? String(item) });
    }
  }
  return events;
}
