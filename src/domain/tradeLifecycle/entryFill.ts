import { isSliced, withSliceFilled } from '../entryOrders';
import type { TradeEvent } from '../events';
import { toNumber } from '../precision';
import type { Fill, Trade } from '../trade';
import { withEntryFilled } from './orderRefs';
import { entryMayStillFill, FLAT_TOLERANCE, isFlat, quantities } from './quantities';
import { ignore, journal, markApplied, type TradeEffect, type Transition } from './transition';
import { invalidFill } from './usableFill';

type EntryFillEvent = Extract<TradeEvent, { type: 'ENTRY_FILLED' }>;

/**
 * An entry fill, partial or full: PENDING becomes ACTIVE and the whole open quantity is protected at
 * once. A fill that lands after the trade was CANCELLED or CLOSED is real base currency in the
 * account, so the trade is re-opened as ACTIVE and protected (and any remainder of the entry
 * cancelled), rather than leaving a naked position that no workflow owns. A sliced trade's fill
 * names its entry order, and only that slice's ref can turn FILLED (src/domain/entryOrders.ts).
 */
export function onEntryFill(trade: Trade, event: EntryFillEvent): Transition {
  const bad = invalidFill(event);
  if (bad) return ignore(trade, bad);
  const from = trade.status;
  const fill: Fill = {
    eventId: event.eventId,
    price: event.price,
    quantity: event.quantity,
    fee: event.fee,
    at: event.at,
    ...(event.entryOrder !== undefined ? { entryOrder: event.entryOrder } : {}),
  };
  let next: Trade = markApplied({ ...trade, entryFills: [...trade.entryFills, fill] }, event.eventId);
  const q = quantities(next);
  const complete = event.entryComplete === true;
  next = {
    ...next,
    orders: isSliced(next) && event.entryOrder !== undefined ? withSliceFilled(next, event.entryOrder, complete) : withEntryFilled(next.orders, q.filled, complete),
  };
  if (isFlat(q.open, next)) {
    // A fill too small to count against the trade's size: recorded, but nothing to protect.
    return { trade: next, effects: [journal(next, from, from, `entry filled ${event.quantity} at ${event.price}; too small to open a position`)] };
  }
  const reopened = from === 'CLOSED' || from === 'CANCELLED';
  if (reopened) next = withoutCloseFields(next);
  next = { ...next, status: 'ACTIVE', activatedAt: next.activatedAt ?? event.at };
  const effects: TradeEffect[] = [{ type: 'ENSURE_PROTECTION', tradeId: trade.id, quantity: toNumber(q.open) }];
  if (reopened && entryMayStillFill(next, q.filled)) effects.push({ type: 'CANCEL_ENTRY', tradeId: trade.id });
  const overfill = toNumber(q.filled) > next.quantity * (1 + FLAT_TOLERANCE) ? ` (more than the planned ${next.quantity})` : '';
  const detail =
    `entry filled ${event.quantity} at ${event.price} (fee ${event.fee}); ` +
    `filled ${toNumber(q.filled)} of ${next.quantity}${overfill}, open ${toNumber(q.open)}` +
    (reopened ? `; the fill landed after the trade was ${from}, so it is re-opened and protected` : '');
  effects.push(journal(next, from, 'ACTIVE', detail));
  return { trade: next, effects };
}

function withoutCloseFields(trade: Trade): Trade {
  const { closedAt: _c, closeReason: _r, realizedPnl: _p, fees: _f, ...open } = trade;
  return open;
}
