import type { Candle } from '../domain/market';
import type { EngineParts } from './engineTypes';
import { firesOnFall, isConditional, isOpen } from './orderRules';
import type { SimOrder } from './types';

/**
 * Runs one candle of a symbol through the book, in the pessimistic order documented in README.md:
 * stop triggers first (an OCO whose stop and target are both inside the candle exits at the stop),
 * then resting limit orders fill where the candle traded THROUGH their price (a touch is not enough:
 * queue position is unknown), then orders placed by fills in this candle (OTOCO pending legs) are
 * checked for their stop only.
 */
export function matchCandle(parts: EngineParts, symbol: string, candle: Candle, now: number): void {
  const { state, board, fills, lists } = parts;
  board.open(symbol, candle);
  const working = () =>
    state.orders.filter((o) => o.symbol === symbol && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
  const triggeredNow = new Set<number>();
  for (const o of working()) {
    if (!isOpen(o) || !isConditional(o.type) || o.triggered) continue;
    if (fires(o, candle)) {
      triggeredNow.add(o.orderId);
      trigger(parts, o, candle, now);
    }
  }
  lists.forgetActivated();
  for (const o of working()) {
    if (!isOpen(o) || triggeredNow.has(o.orderId) || o.status === 'PENDING_NEW') continue;
    if (isConditional(o.type) && !o.triggered) continue;
    if (o.type === 'STOP_LOSS' || o.type === 'TAKE_PROFIT') {
      // a triggered market order the last candle could not fill: continues at this open
      fills.takeNow(o, candle.open, now);
      continue;
    }
    const through = o.side === 'BUY' ? candle.low < o.price : candle.high > o.price;
    if (through) {
      const qty = fills.capacity(o);
      if (qty > 0) fills.fill(o, qty, o.price, true, now);
    }
  }
  // orders placed by fills in this candle: only their stop is checked (pessimistic)
  for (const o of lists.takeActivated()) {
    if (isOpen(o) && isConditional(o.type) && !o.triggered && fires(o, candle)) trigger(parts, o, candle, now);
  }
  board.close(symbol, candle.close);
}

function fires(order: SimOrder, candle: Candle): boolean {
  return firesOnFall(order) ? candle.low <= order.stopPrice : candle.high >= order.stopPrice;
}

/** Where a triggered order starts working: the stop price, or the open when the candle gapped past it. */
function triggerPrice(order: SimOrder, candle: Candle): number {
  return firesOnFall(order) ? Math.min(candle.open, order.stopPrice) : Math.max(candle.open, order.stopPrice);
}

/** A triggered order executes like a fresh order arriving at the trigger price. */
function trigger({ fills, lists }: EngineParts, order: SimOrder, candle: Candle, now: number): void {
  order.triggered = true;
  order.workingTime = now;
  order.updateTime = now;
  lists.onLegActivity(order, now);
  const at = triggerPrice(order, candle);
  const marketable =
    order.type === 'STOP_LOSS' || order.type === 'TAKE_PROFIT' || (order.side === 'SELL' ? at >= order.price : at <= order.price);
  if (marketable) fills.takeNow(order, at, now);
}
