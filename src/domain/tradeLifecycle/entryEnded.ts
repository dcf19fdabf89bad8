import { anyEntryWorking, entryRefs, isSliced, withSliceEnded } from '../entryOrders';
import type { TradeEvent } from '../events';
import { toNumber } from '../precision';
import type { Trade, TradeStatus } from '../trade';
import { isOpenProtection } from './orderRefs';
import { quantities } from './quantities';
import { ignore, journal, markApplied, type TradeEffect, type Transition } from './transition';

type EntryEndEvent = Extract<TradeEvent, { type: 'ENTRY_CANCELLED' | 'ENTRY_EXPIRED' }>;

/**
 * The entry order stopped working (cancelled or expired): a PENDING trade with nothing filled is
 * CANCELLED (and an OTOCO's resting OCO with it); an ACTIVE one keeps what filled, protected.
 * A sliced trade's event names one slice's entry: the others may still fill, so the entry as a
 * whole has ended only when the last working slice's has (src/domain/entryOrders.ts).
 */
export function onEntryEnded(trade: Trade, event: EntryEndEvent): Transition {
  const what = event.type === 'ENTRY_EXPIRED' ? 'entry expired' : `entry cancelled: ${event.reason}`;
  const from = trade.status;
  if (from === 'CANCELLED') return ignore(trade, `${what}, but trade ${trade.id} is already CANCELLED`);
  if (trade.entryEndedAt !== undefined) return ignore(trade, `${what}, but the entry of ${trade.id} had already ended`);
  if (isSliced(trade) && event.entryOrder !== undefined) return onSliceEntryEnded(trade, event, event.entryOrder, what);
  return entryEnded(markApplied({ ...trade, entryEndedAt: event.at }, event.eventId), from, what);
}

/** one slice's entry ended: its ref (and its OTOCO's OCO) is closed; the trade is left as it is while another slice works */
function onSliceEntryEnded(trade: Trade, event: EntryEndEvent, entryOrder: string, what: string): Transition {
  const from = trade.status;
  const ref = entryRefs(trade).find((o) => o.clientOrderId === entryOrder);
  if (!ref) return ignore(trade, `${what}: ${entryOrder} is not an entry of ${trade.id}`);
  if (ref.status !== 'OPEN') return ignore(trade, `${what}: the slice entry ${entryOrder} of ${trade.id} is already ${ref.status}`);
  const sliced = markApplied({ ...trade, orders: withSliceEnded(trade.orders, ref.clientOrderId, event.type === 'ENTRY_EXPIRED' ? 'EXPIRED' : 'CANCELLED') }, event.eventId);
  if (anyEntryWorking(sliced)) {
    const working = entryRefs(sliced).filter((o) => o.status === 'OPEN').length;
    const detail = `slice ${what} (${ref.clientOrderId}); ${working} slice entr${working === 1 ? 'y' : 'ies'} still working`;
    const effects: TradeEffect[] = [];
    if (from === 'ACTIVE') effects.push({ type: 'ENSURE_PROTECTION', tradeId: trade.id, quantity: toNumber(quantities(sliced).open) });
    effects.push(journal(sliced, from, from, detail));
    return { trade: sliced, effects };
  }
  // the last working slice ended: the entry as a whole is over
  return entryEnded({ ...sliced, entryEndedAt: event.at }, from, what);
}

/** the trade's entry as a whole has ended (entryEndedAt set, the event marked applied): what that means in each status */
function entryEnded(ended: Trade, from: TradeStatus, what: string): Transition {
  if (from === 'PENDING') {
    const next: Trade = { ...ended, status: 'CANCELLED', closedAt: ended.entryEndedAt, closeReason: what };
    const effects: TradeEffect[] = [];
    if (next.orders.some(isOpenProtection)) effects.push({ type: 'CANCEL_PROTECTION', tradeId: ended.id });
    effects.push(journal(next, from, 'CANCELLED', `${what}; nothing was filled`));
    return { trade: next, effects };
  }
  if (from === 'ACTIVE') {
    const { filled, open } = quantities(ended);
    return {
      trade: ended,
      effects: [
        { type: 'ENSURE_PROTECTION', tradeId: ended.id, quantity: toNumber(open) },
        journal(ended, from, 'ACTIVE', `${what}; the ${toNumber(filled)} already filled stays ACTIVE and protected (open ${toNumber(open)})`),
      ],
    };
  }
  // CLOSED: the unfilled remainder we asked to cancel on close is gone; remember it, nothing to do.
  return { trade: ended, effects: [journal(ended, from, from, `${what} (remainder of the entry after the trade closed)`)] };
}
