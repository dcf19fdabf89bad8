import { add, mul, sub, toDecimal, toNumber, ZERO, type Decimal } from '../precision';
import type { Fill, Trade } from '../trade';

/** What a trade made: exits minus entries (reversed for a SHORT) minus every fee, exact to the decimal. */
export function settle(trade: Trade): { realizedPnl: number; fees: number } {
  const value = (fills: readonly Fill[]) =>
    fills.reduce<Decimal>((acc, f) => add(acc, mul(toDecimal(f.price), toDecimal(f.quantity))), ZERO);
  const fees = [...trade.entryFills, ...trade.exitFills].reduce<Decimal>((acc, f) => add(acc, toDecimal(f.fee)), ZERO);
  const gross =
    trade.direction === 'LONG' ? sub(value(trade.exitFills), value(trade.entryFills)) : sub(value(trade.entryFills), value(trade.exitFills));
  return { realizedPnl: toNumber(sub(gross, fees)), fees: toNumber(fees) };
}
