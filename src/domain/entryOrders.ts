import { add, toDecimal, toNumber, ZERO, type Decimal } from './precision';
import type { OrderRef, Trade } from './trade';

/**
 * A trade's entry orders. Most trades have one (a LIMIT entry, or the working order of one OTOCO);
 * a plan with several targets is placed as slices, one OTOCO each, so it has one entry per slice.
 * Each slice's entry fills and ends on its own: the trade's entry as a whole may still fill while
 * any slice's entry is working, and has ended only when every one has. Pure bookkeeping for the
 * state machine; a trade with one entry keeps the rules it always had (histories replay).
 */

const TOLERANCE = 1e-9;

export function entryRefs(trade: Trade): OrderRef[] {
  return trade.orders.filter((o) => o.role === 'ENTRY');
}

/** several entry orders: per-slice rules apply */
export function isSliced(trade: Trade): boolean {
  return entryRefs(trade).length > 1;
}

/** the quantity the fills of one entry order brought */
export function filledBy(trade: Trade, entryOrder: string): Decimal {
  return trade.entryFills.filter((f) => f.entryOrder === entryOrder).reduce<Decimal>((acc, f) => add(acc, toDecimal(f.quantity)), ZERO);
}

/** a sliced trade's entry may still fill while one of its entry orders is working */
export function anyEntryWorking(trade: Trade): boolean {
  return entryRefs(trade).some((o) => o.status === 'OPEN');
}

/**
 * A slice's entry ref says FILLED once the exchange reported it complete or its own fills reached
 * its quantity (the other slices' fills do not count for it).
 */
export function withSliceFilled(trade: Trade, entryOrder: string, complete: boolean): OrderRef[] {
  const done = (o: OrderRef) => complete || toNumber(filledBy(trade, entryOrder)) >= o.quantity * (1 - TOLERANCE);
  return trade.orders.map((o) => (o.role === 'ENTRY' && o.status === 'OPEN' && o.clientOrderId === entryOrder && done(o) ? { ...o, status: 'FILLED' as const } : o));
}

/**
 * One slice's entry ended (cancelled or expired): its ref says so, and its OTOCO list, which the
 * exchange ends with it (the OCO that was waiting for the fill), is no longer open either.
 */
export function withSliceEnded(orders: readonly OrderRef[], entryOrder: string, status: 'CANCELLED' | 'EXPIRED'): OrderRef[] {
  const entry = orders.find((o) => o.role === 'ENTRY' && o.clientOrderId === entryOrder);
  const list = entry?.listClientOrderId;
  return orders.map((o) => {
    if (o === entry && o.status === 'OPEN') return { ...o, status };
    if (list !== undefined && o.role === 'OCO' && o.clientOrderId === list && o.status === 'OPEN') return { ...o, status: 'CANCELLED' as const };
    return o;
  });
}
