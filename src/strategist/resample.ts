import type { Candle } from '../domain/market';
import { indexAtOrBefore } from '../marketdata/candleFile';

/**
 * Aggregates candles into a longer timeframe (e.g. 15m -> 1h). Buckets are aligned to the epoch,
 * as the exchange aligns them. A bucket is emitted only when it is complete at `until` (its end is
 * not after `until`), so a prompt built at a point in time never sees a candle that had not closed.
 * Exchange outages stay visible: a bucket with missing source candles is built from what exists.
 */
export function resampleCandles(candles: readonly Candle[], targetMs: number, until = Infinity): Candle[] {
  if (!(targetMs > 0)) throw new Error(`resample: target timeframe must be positive, got ${targetMs}`);
  const out: Candle[] = [];
  let current: Candle | null = null;
  for (const c of candles) {
    const bucket = Math.floor(c.timestamp / targetMs) * targetMs;
    if (current && current.timestamp === bucket) {
      current.high = Math.max(current.high, c.high);
      current.low = Math.min(current.low, c.low);
      current.close = c.close;
      current.volume += c.volume;
      continue;
    }
    if (current && current.timestamp + targetMs <= until) out.push(current);
    current = { timestamp: bucket, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
  }
  if (current && current.timestamp + targetMs <= until) out.push(current);
  return out;
}

/** Candles that had closed by `at` (open time + timeframe <= at). */
export function closedCandlesAt(candles: readonly Candle[], timeframeMs: number, at: number): Candle[] {
  return candles.slice(0, indexAtOrBefore(candles, at - timeframeMs) + 1);
}
