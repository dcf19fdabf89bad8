import type { Candle } from '../../domain/market';
import type { EquityPoint } from '../runTypes';

/**
 * Buy-and-hold over the window, the yardstick every strategist is measured against: the starting
 * capital split equally across the symbols, each share bought at its first candle's open (paying
 * the fee) and valued at every close as if sold then (paying the fee again), so the figure is net of
 * both fees like a strategist's. Points are at candle close times (open time + timeframe).
 */
export function buyAndHoldEquity(
  candlesBySymbol: ReadonlyArray<readonly Candle[]>,
  startEquity: number,
  feeRate: number,
  timeframeMs: number,
): EquityPoint[] {
  const usable = candlesBySymbol.filter((c) => c.length > 0);
  if (usable.length === 0) return [];
  const share = startEquity / usable.length;
  const holdings = usable.map((candles) => ({ candles, quantity: (share * (1 - feeRate)) / candles[0]!.open }));
  // every close time of any symbol, in order; a symbol without a candle there keeps its last close
  const times = [...new Set(usable.flatMap((c) => c.map((k) => k.timestamp + timeframeMs)))].sort((a, b) => a - b);
  const cursor = holdings.map(() => -1);
  return times.map((at) => {
    let equity = 0;
    holdings.forEach((h, i) => {
      while (cursor[i]! + 1 < h.candles.length && h.candles[cursor[i]! + 1]!.timestamp + timeframeMs <= at) cursor[i]!++;
      const price = cursor[i]! >= 0 ? h.candles[cursor[i]!]!.close : h.candles[0]!.open;
      equity += h.quantity * price * (1 - feeRate);
    });
    return { at, equity };
  });
}
