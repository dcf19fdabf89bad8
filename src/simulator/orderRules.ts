import type { OrderType, Side, SimOrder } from './types';

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW']);
export const isOpen = (o: SimOrder) => OPEN.has(o.status);

export const isConditional = (t: OrderType) =>
  t === 'STOP_LOSS' || t === 'STOP_LOSS_LIMIT' || t === 'TAKE_PROFIT' || t === 'TAKE_PROFIT_LIMIT';

export const hasLimitPrice = (t: OrderType) =>
  t === 'LIMIT' || t === 'LIMIT_MAKER' || t === 'STOP_LOSS_LIMIT' || t === 'TAKE_PROFIT_LIMIT';

/** SELL stop-loss and BUY take-profit fire when the price falls to the stop; the others when it rises. */
export const firesOnFall = (o: { side: Side; type: OrderType }) =>
  (o.side === 'SELL') === (o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT');

/** What one unit of an order reserves: the quote it may spend (BUY) or the base it sells. */
export function perUnitLock(side: Side, type: OrderType, price: number | undefined, stopPrice: number | undefined): number {
  if (side === 'SELL') return 1;
  return hasLimitPrice(type) ? price! : stopPrice!;
}
