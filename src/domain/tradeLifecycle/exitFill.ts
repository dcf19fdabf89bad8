import type { TradeEvent } from '../events';
import { toDecimal, toNumber } from '../precision';
import type { ExitFill, ExitReason, Trade } from '../trade';
import { entryMayStillFill, FLAT_TOLERANCE, isFlat, quantities } from './quantities';
import { settle } from './settlement';
import { ignore, journal, markApplied, type TradeEffect, type Transition } from './transition';
import { invalidFill } from './usableFill';

type ExitFillEvent = Extract<TradeEvent, { type: 'STOP_FILLED' | 'TARGET_FILLED' | 'MANUAL_CLOSE' }>;

/**
 * A stop, target or manual-close fill. It counts only up to the open quantity (a tracker glitch, or
 * a balance that is not this trade's, must not make open quantity negative or PnL count other
 * coins); an exit before any entry fill is refused. Flat: CLOSED and settled, leftovers cancelled.
 */
export function onExitFill(trade: Trade, event: ExitFillEvent): Transition {
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
