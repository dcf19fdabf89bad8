import type { Candle } from '../domain/market';
import { BinanceError } from './errors';
import { fmt } from './markets';
import type { ApiContext } from './route';

export const INTERVALS: Record<string, number> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000,
  '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000,
  '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000,
};

/** The first of the first `n` candles that opens at or after `t`. */
export function lowerBound(candles: readonly Candle[], n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid]!.timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function aggregate(group: Candle[], openTime: number): Candle {
  return {
    timestamp: openTime,
    open: group[0]!.open,
    high: Math.max(...group.map((c) => c.high)),
    low: Math.min(...group.map((c) => c.low)),
    close: group[group.length - 1]!.close,
    volume: group.reduce((s, c) => s + c.volume, 0),
  };
}

/**
 * Klines from revealed candles only. Intervals that are multiples of the feed's interval are
 * aggregated; finer ones are refused (the simulator cannot invent them).
 */
export function klines(ctx: ApiContext, symbol: string, interval: string, startTime?: number, endTime?: number, limit = 500): Candle[] {
  const iv = INTERVALS[interval];
  const base = ctx.feed.intervalMs;
  if (iv === undefined || iv < base || iv % base !== 0) throw new BinanceError(400, -1120, 'Invalid interval.');
  const all = ctx.feed.candles(symbol);
  const n = ctx.feed.revealedCount(symbol);
  const lim = Math.min(Math.max(limit, 1), 1000);
  const bucketOf = (t: number) => Math.floor(t / iv) * iv;
  const out: Candle[] = [];
  if (startTime !== undefined) {
    let i = lowerBound(all, n, bucketOf(startTime));
    while (i < n && out.length < lim) {
      const b = bucketOf(all[i]!.timestamp);
      if (endTime !== undefined && b > endTime) break;
      const group: Candle[] = [];
      while (i < n && bucketOf(all[i]!.timestamp) === b) group.push(all[i++]!);
      if (b >= bucketOf(startTime)) out.push(aggregate(group, b));
    }
    return out;
  }
  let i = endTime !== undefined ? lowerBound(all, n, endTime + 1) - 1 : n - 1;
  while (i >= 0 && out.length < lim) {
    const b = bucketOf(all[i]!.timestamp);
    const group: Candle[] = [];
    while (i >= 0 && bucketOf(all[i]!.timestamp) === b) group.unshift(all[i--]!);
    out.unshift(aggregate(group, b));
  }
  return out;
}

/** One kline row in Binance's array shape; trade counts and taker volumes are invented but plausible. */
export function klineRow(c: Candle, iv: number): unknown[] {
  const quote = c.volume * ((c.open + c.close) / 2);
  return [c.timestamp, fmt(c.open), fmt(c.high), fmt(c.low), fmt(c.close), fmt(c.volume), c.timestamp + iv - 1,
    fmt(quote), Math.max(1, Math.round(c.volume * 10)), fmt(c.volume / 2), fmt(quote / 2), '0'];
}
