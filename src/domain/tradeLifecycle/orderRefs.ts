import type { Decimal } from '../precision';
import { toNumber } from '../precision';
import type { OrderRef } from '../trade';
import { FLAT_TOLERANCE } from './quantities';

/** The trade's record of its exchange orders: which are open protection, and how events change them. */

export function isOpenProtection(order: OrderRef): boolean {
  return order.role !== 'ENTRY' && order.status === 'OPEN';
}

/**
 * The ENTRY ref says FILLED once the entry is complete: the exchange said so, or the fills reached
 * the order's quantity (they fall short of it when the fee was paid in the coin bought, which is why
 * the exchange's word is needed). Its record must not show a working entry that cannot fill again.
 */
export function withEntryFilled(orders: OrderRef[], filled: Decimal, complete: boolean): OrderRef[] {
  const done = (o: OrderRef) => complete || toNumber(filled) >= o.quantity * (1 - FLAT_TOLERANCE);
  if (!orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN' && done(o))) return orders;
  return orders.map((o) => (o.role === 'ENTRY' && o.status === 'OPEN' && done(o) ? { ...o, status: 'FILLED' as const } : o));
}

/** new protective refs replace the open ones; entry refs and finished legs are kept as history */
export function replaceProtection(current: readonly OrderRef[], placed: readonly OrderRef[]): OrderRef[] {
  const incoming = new Set(placed.map((o) => o.clientOrderId));
  const kept = current.filter((o) => !isOpenProtection(o) && !incoming.has(o.clientOrderId));
  return [...kept, ...placed.map((o) => ({ ...o }))];
}

export function describeOrders(orders: readonly OrderRef[]): string {
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
