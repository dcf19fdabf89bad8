import type { TradeEvent } from './events';
import { add, mul, sub, toDecimal, toNumber, ZERO, type Decimal } from './precision';
import type { ExitFill, ExitReason, Fill, OrderRef, Trade, TradeStatus } from './trade';
import { anyEntryWorking, entryRefs, isSliced, withSliceEnded, withSliceFilled } from './entryOrders';

/**
 * The trade lifecycle as a pure function: (trade, event) -> (trade, effects). The symbol workflow
 * calls it for every order event and carries out the effects through activities; it never mutates
 * its input, so a replayed workflow rebuilds exactly the same state.
 *
 *   PENDING --entry fill (partial or full)--> ACTIVE --open quantity reaches 0--> CLOSED
 *   PENDING --entry cancelled/expired, nothing filled--> CANCELLED
 *
 * Rules a trader can rely on:
 * - Every fill that leaves base currency in the account asks for protection at once
 *   (ENSURE_PROTECTION with the whole open quantity): the first partial fill, every further entry
 *   fill, a partial manual close (the resting protection is now larger than the position), and the
 *   entry's remainder being cancelled (the filled part stays protected).
 * - Signals arrive at least once: an event whose id was applied before changes nothing.
 * - Late entry fill: an exchange can fill an entry just before a cancel lands. A fill on a CANCELLED
 *   or CLOSED trade is real base currency in the account, so the trade is re-opened as ACTIVE and
 *   protected (and any remainder of the entry cancelled), rather than leaving a naked position that
 *   no workflow owns. The JOURNAL effect says so.
 * - Exit fills beyond the open quantity (a tracker glitch, or a balance that is not this trade's)
 *   are recorded only up to the open quantity, so open quantity is never negative and PnL only
 *   counts this trade's coins. Exit fills before any entry fill are refused with a reason.
 * - Protection placed or adjusted on a trade that is already over is recorded and cancelled at once
 *   (CANCEL_PROTECTION): a sell order for coins the trade no longer holds must not rest.
 * - Protection events are facts about the exchange and are recorded in PENDING too (an OTOCO's OCO
 *   rests with the entry); they never change the status.
 * - Other events on CLOSED/CANCELLED trades are ignored with a reason.
 * - The ENTRY ref turns FILLED when the entry is complete (the exchange says so on the fill, or
 *   the fills reach its quantity), so the record never shows a working entry that is done.
 * - A sliced trade (several entry orders, one OTOCO per slice) keeps each slice's entry on its own
 *   (src/domain/entryOrders.ts): one slice's entry ending leaves the others working and the trade
 *   as it is; the entry as a whole has ended (PENDING -> CANCELLED when nothing filled) only when
 *   every slice's has.
 * - Effects come in the order to carry them out: ENSURE_PROTECTION first (money at risk), then
 *   CANCEL_PROTECTION / CANCEL_ENTRY, then JOURNAL (one per applied event, from === to when the
 *   status did not change).
 *
 * Quantities are summed as exact decimals; "flat" allows a relative 1e-9 of the trade's size for
 * quantities that reached us as floats.
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

const FLAT_TOLERANCE = 1e-9;

export function applyTradeEvent(trade: Trade, event: TradeEvent): Transition {
  if (event.tradeId !== trade.id) {
    return ignore(trade, `event ${event.eventId} (${event.type}) is for trade ${event.tradeId}, not ${trade.id}`);
  }
  if (hasApplied(trade, event.eventId)) {
    return ignore(trade, `event ${event.eventId} (${event.type}) was already applied to ${trade.id}`);
  }
  switch (event.type) {
    case 'ENTRY_FILLED':
      return onEntryFill(trade, event);
    case 'ENTRY_CANCELLED':
    case 'ENTRY_EXPIRED':
      return onEntryEnded(trade, event);
    case 'STOP_FILLED':
    case 'TARGET_FILLED':
    case 'MANUAL_CLOSE':
      return onExitFill(trade, event);
    case 'PROTECTION_PLACED':
    case 'PROTECTION_ADJUSTED':
      return onProtection(trade, event);
    case 'POSITION_GONE':
      return onPositionGone(trade, event);
  }
}

/** exact filled / exited / open quantities of a trade */
export function tradeQuantities(trade: Trade): { filled: number; exited: number; open: number } {
  const filled = sumQuantities(trade.entryFills);
  const exited = sumQuantities(trade.exitFills);
  return { filled: toNumber(filled), exited: toNumber(exited), open: toNumber(sub(filled, exited)) };
}

type EntryFillEvent = Extract<TradeEvent, { type: 'ENTRY_FILLED' }>;
type EntryEndEvent = Extract<TradeEvent, { type: 'ENTRY_CANCELLED' | 'ENTRY_EXPIRED' }>;
type ExitFillEvent = Extract<TradeEvent, { type: 'STOP_FILLED' | 'TARGET_FILLED' | 'MANUAL_CLOSE' }>;
type ProtectionEvent = Extract<TradeEvent, { type: 'PROTECTION_PLACED' | 'PROTECTION_ADJUSTED' }>;

function onEntryFill(trade: Trade, event: EntryFillEvent): Transition {
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

function onEntryEnded(trade: Trade, event: EntryEndEvent): Transition {
  const what = event.type === 'ENTRY_EXPIRED' ? 'entry expired' : `entry cancelled: ${event.reason}`;
  const from = trade.status;
  if (from === 'CANCELLED') return ignore(trade, `${what}, but trade ${trade.id} is already CANCELLED`);
  if (trade.entryEndedAt !== undefined) return ignore(trade, `${what}, but the entry of ${trade.id} had already ended`);
  if (isSliced(trade) && event.entryOrder !== undefined) {
    const ref = entryRefs(trade).find((o) => o.clientOrderId === event.entryOrder);
    if (!ref) return ignore(trade, `${what}: ${event.entryOrder} is not an entry of ${trade.id}`);
    if (ref.status !== 'OPEN') return ignore(trade, `${what}: the slice entry ${event.entryOrder} of ${trade.id} is already ${ref.status}`);
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
  return entryEnded(markApplied({ ...trade, entryEndedAt: event.at }, event.eventId), from, what);
}

function entryEnded(ended: Trade, from: TradeStatus, what: string): Transition {
  const trade = ended;
  let next = ended;

  if (from === 'PENDING') {
    next = { ...next, status: 'CANCELLED', closedAt: ended.entryEndedAt, closeReason: what };
    const effects: TradeEffect[] = [];
    if (next.orders.some(isOpenProtection)) effects.push({ type: 'CANCEL_PROTECTION', tradeId: trade.id });
    effects.push(journal(next, from, 'CANCELLED', `${what}; nothing was filled`));
    return { trade: next, effects };
  }
  if (from === 'ACTIVE') {
    const { filled, open } = quantities(next);
    return {
      trade: next,
      effects: [
        { type: 'ENSURE_PROTECTION', tradeId: trade.id, quantity: toNumber(open) },
        journal(next, from, 'ACTIVE', `${what}; the ${toNumber(filled)} already filled stays ACTIVE and protected (open ${toNumber(open)})`),
      ],
    };
  }
  // CLOSED: the unfilled remainder we asked to cancel on close is gone; remember it, nothing to do.
  return { trade: next, effects: [journal(next, from, from, `${what} (remainder of the entry after the trade closed)`)] };
}

function onExitFill(trade: Trade, event: ExitFillEvent): Transition {
  const bad = invalidFill(event);
  if (bad) return ignore(trade, bad);
  const from = trade.status;
  const label = exitLabel(event);
  if (from === 'CLOSED' || from === 'CANCELLED') {
    return ignore(trade, `${label} ${event.quantity} at ${event.price}, but trade ${trade.id} is already ${from}`);
  }
  const before = quantities(trade);
  if (isFlat(before.open, trade)) {
    return ignore(trade, `${label} ${event.quantity} at ${event.price}, but trade ${trade.id} holds nothing yet (no entry fill recorded)`);
  }
  const requested = toDecimal(event.quantity);
  const overfill = toNumber(requested) > toNumber(before.open) * (1 + FLAT_TOLERANCE);
  const quantity = overfill ? toNumber(before.open) : event.quantity;
  const fill: ExitFill = {
    eventId: event.eventId,
    price: event.price,
    quantity,
    fee: event.fee,
    at: event.at,
    reason: exitReason(event),
    ...(event.type === 'TARGET_FILLED' ? { targetIndex: event.targetIndex } : {}),
  };
  let next: Trade = markApplied({ ...trade, exitFills: [...trade.exitFills, fill] }, event.eventId);
  const after = quantities(next);
  const note = overfill ? ` (reported ${event.quantity}, more than the ${toNumber(before.open)} open; the excess is not this trade's)` : '';
  const detail = `${label} ${quantity} at ${event.price} (fee ${event.fee})${note}`;

  if (!isFlat(after.open, next)) {
    const effects: TradeEffect[] = [];
    // A target or stop fill consumes its own resting order; a manual close does not, so the
    // protection must shrink to the position.
    if (event.type === 'MANUAL_CLOSE') effects.push({ type: 'ENSURE_PROTECTION', tradeId: trade.id, quantity: toNumber(after.open) });
    effects.push(journal(next, from, from, `${detail}; open ${toNumber(after.open)}`));
    return { trade: next, effects };
  }

  const { realizedPnl, fees } = settle(next);
  next = { ...next, status: 'CLOSED', closedAt: event.at, closeReason: closeReason(event), realizedPnl, fees };
  const effects: TradeEffect[] = [{ type: 'CANCEL_PROTECTION', tradeId: trade.id }];
  if (entryMayStillFill(next, after.filled)) effects.push({ type: 'CANCEL_ENTRY', tradeId: trade.id });
  effects.push(journal(next, from, 'CLOSED', `${detail}; closed, realized PnL ${realizedPnl} after fees ${fees}`));
  return { trade: next, effects };
}

function onProtection(trade: Trade, event: ProtectionEvent): Transition {
  const from = trade.status;
  let next: Trade = markApplied({ ...trade, orders: replaceProtection(trade.orders, event.orders) }, event.eventId);
  const what =
    event.type === 'PROTECTION_ADJUSTED'
      ? `protection adjusted: stop ${event.stopLossPrice}, targets ${event.takeProfitPrices.join('/')}`
      : `protection placed: ${describeOrders(event.orders)}`;
  if (from === 'CLOSED' || from === 'CANCELLED') {
    return {
      trade: next,
      effects: [
        { type: 'CANCEL_PROTECTION', tradeId: trade.id },
        journal(next, from, from, `${what}, but the trade is already ${from}: cancelling it`),
      ],
    };
  }
  if (event.type === 'PROTECTION_ADJUSTED') {
    next = { ...next, stopLossPrice: event.stopLossPrice, takeProfitPrices: [...event.takeProfitPrices] };
  }
  return { trade: next, effects: [journal(next, from, from, what)] };
}

/**
 * The coins left the account without a fill of ours (sold or moved by hand, outside the engine) and
 * no protection rests: nothing is left to protect or to exit, so the trade ends CLOSED with the
 * reason. Its exit price is unknown, so no realized PnL is claimed; the fees paid are kept.
 */
function onPositionGone(trade: Trade, event: Extract<TradeEvent, { type: 'POSITION_GONE' }>): Transition {
  const from = trade.status;
  if (from !== 'ACTIVE') return ignore(trade, `position gone (${event.reason}), but trade ${trade.id} is ${from}`);
  const { fees } = settle(trade);
  const next: Trade = { ...markApplied(trade, event.eventId), status: 'CLOSED', closedAt: event.at, closeReason: event.reason, fees };
  const effects: TradeEffect[] = [];
  if (next.orders.some(isOpenProtection)) effects.push({ type: 'CANCEL_PROTECTION', tradeId: trade.id });
  // an entry order still working would buy coins for a trade that is over
  if (next.orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN')) effects.push({ type: 'CANCEL_ENTRY', tradeId: trade.id });
  effects.push(journal(next, from, 'CLOSED', `${event.reason}; ${event.quantity} ${trade.symbol} no longer held, exit unknown (no realized PnL)`));
  return { trade: next, effects };
}

// ---------------------------------------------------------------------------------------------

function ignore(trade: Trade, reason: string): Transition {
  return { trade, effects: [], ignored: reason };
}

function journal(trade: Trade, from: TradeStatus, to: TradeStatus, detail: string): TradeEffect {
  return { type: 'JOURNAL', tradeId: trade.id, from, to, detail };
}

function hasApplied(trade: Trade, eventId: string): boolean {
  return (
    (trade.appliedEventIds?.includes(eventId) ?? false) ||
    trade.entryFills.some((f) => f.eventId === eventId) ||
    trade.exitFills.some((f) => f.eventId === eventId)
  );
}

function markApplied(trade: Trade, eventId: string): Trade {
  return { ...trade, appliedEventIds: [...(trade.appliedEventIds ?? []), eventId] };
}

function withoutCloseFields(trade: Trade): Trade {
  const { closedAt: _c, closeReason: _r, realizedPnl: _p, fees: _f, ...open } = trade;
  return open;
}

function invalidFill(event: { type: string; eventId: string; price: number; quantity: number; fee: number }): string | null {
  const problems: string[] = [];
  if (!(Number.isFinite(event.price) && event.price > 0)) problems.push(`price ${event.price} is not positive`);
  if (!(Number.isFinite(event.quantity) && event.quantity > 0)) problems.push(`quantity ${event.quantity} is not positive`);
  if (!Number.isFinite(event.fee)) problems.push(`fee ${event.fee} is not a number`);
  return problems.length ? `event ${event.eventId} (${event.type}) is not a usable fill: ${problems.join(', ')}` : null;
}

function sumQuantities(fills: readonly Fill[]): Decimal {
  return fills.reduce<Decimal>((acc, f) => add(acc, toDecimal(f.quantity)), ZERO);
}

function quantities(trade: Trade): { filled: Decimal; open: Decimal } {
  const filled = sumQuantities(trade.entryFills);
  return { filled, open: sub(filled, sumQuantities(trade.exitFills)) };
}

function isFlat(open: Decimal, trade: Trade): boolean {
  const scale = Math.max(trade.quantity, toNumber(sumQuantities(trade.entryFills)));
  return toNumber(open) <= scale * FLAT_TOLERANCE;
}

/** the entry order may still be resting: not fully filled and no cancel/expiry seen (sliced: a slice's entry is working) */
function entryMayStillFill(trade: Trade, filled: Decimal): boolean {
  if (trade.entryEndedAt !== undefined) return false;
  if (isSliced(trade)) return anyEntryWorking(trade);
  return toNumber(filled) < trade.quantity * (1 - FLAT_TOLERANCE);
}

/** exits minus entries (reversed for a SHORT) minus every fee, exact to the decimal */
function settle(trade: Trade): { realizedPnl: number; fees: number } {
  const value = (fills: readonly Fill[]) =>
    fills.reduce<Decimal>((acc, f) => add(acc, mul(toDecimal(f.price), toDecimal(f.quantity))), ZERO);
  const fees = [...trade.entryFills, ...trade.exitFills].reduce<Decimal>((acc, f) => add(acc, toDecimal(f.fee)), ZERO);
  const gross =
    trade.direction === 'LONG' ? sub(value(trade.exitFills), value(trade.entryFills)) : sub(value(trade.entryFills), value(trade.exitFills));
  return { realizedPnl: toNumber(sub(gross, fees)), fees: toNumber(fees) };
}

function exitReason(event: ExitFillEvent): ExitReason {
  return event.type === 'STOP_FILLED' ? 'STOP' : event.type === 'TARGET_FILLED' ? 'TARGET' : 'MANUAL';
}

function exitLabel(event: ExitFillEvent): string {
  if (event.type === 'STOP_FILLED') return 'stop filled';
  if (event.type === 'TARGET_FILLED') return `target ${event.targetIndex + 1} filled`;
  return event.reason ? `closed at market (${event.reason})` : 'closed manually';
}

function closeReason(event: ExitFillEvent): string {
  if (event.type === 'STOP_FILLED') return `stop loss filled at ${event.price}`;
  if (event.type === 'TARGET_FILLED') return `last target filled (target ${event.targetIndex + 1} at ${event.price})`;
  return event.reason ? `${event.reason} at ${event.price}` : `closed manually at ${event.price}`;
}

/**
 * The ENTRY ref says FILLED once the entry is complete: the exchange said so, or the fills reached
 * the order's quantity (they fall short of it when the fee was paid in the coin bought, which is why
 * the exchange's word is needed). Its record must not show a working entry that cannot fill again.
 */
function withEntryFilled(orders: OrderRef[], filled: Decimal, complete: boolean): OrderRef[] {
  const done = (o: OrderRef) => complete || toNumber(filled) >= o.quantity * (1 - FLAT_TOLERANCE);
  if (!orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN' && done(o))) return orders;
  return orders.map((o) => (o.role === 'ENTRY' && o.status === 'OPEN' && done(o) ? { ...o, status: 'FILLED' as const } : o));
}

function isOpenProtection(order: OrderRef): boolean {
  return order.role !== 'ENTRY' && order.status === 'OPEN';
}

/** new protective refs replace the open ones; entry refs and finished legs are kept as history */
function replaceProtection(current: readonly OrderRef[], placed: readonly OrderRef[]): OrderRef[] {
  const incoming = new Set(placed.map((o) => o.clientOrderId));
  const kept = current.filter((o) => !isOpenProtection(o) && !incoming.has(o.clientOrderId));
  return [...kept, ...placed.map((o) => ({ ...o }))];
}

function describeOrders(orders: readonly OrderRef[]): string {
  if (orders.length === 0) return 'no orders';
  return orders
    .map((o) => {
      const levels = [o.price !== undefined ? `limit ${o.price}` : '', o.stopPrice !== undefined ? `stop ${o.stopPrice}` : '']
        .filter(Boolean)
        .join(' ');
      return `${o.role} ${o.quantity}${levels ? ` (${levels})` : ''}`;
    })
    .join(', ');
}
