/**
 * No trade on stale or inconsistent market data. The strategist reasons over a snapshot (a last
 * price and closed candles); if they are old, frozen or disagree, any plan made from them can be far
 * from the real market (a paper account once kept a synthetic last price 1.9x the real candles, and
 * an entry "within 2% of the last price" was 90% away from the market). Pure: the activity gives the
 * observation and the clocks, this says whether the cycle may trade, and why not in numbers.
 *
 * Checks, in order (the first failure is reported):
 *   STALE_MARKET_DATA         the last price is older than max_price_age against the wall clock
 *                             (only where the exchange's clock is the wall clock: live and testnet;
 *                             a paper replay has its own market clock)
 *   STALE_MARKET_DATA         the newest closed candle lags the price by more than max_candle_lag
 *                             intervals (the candles stopped while the price went on, or the price
 *                             comes from another clock than the candles)
 *   INCONSISTENT_MARKET_DATA  the last price is more than max_price_deviation_percent away from the
 *                             newest candle's close
 *   FROZEN_FEED               no new candle for frozen_after intervals of wall time (the feed stopped:
 *                             a replay at its end, a dead connection)
 */

export type MarketDataCode = 'STALE_MARKET_DATA' | 'INCONSISTENT_MARKET_DATA' | 'FROZEN_FEED';

export interface MarketDataLimits {
  /** ms; the last price may be at most this old (wall clock) */
  maxPriceAgeMs: number;
  /** the newest closed candle may close at most this many candle intervals before the price's time */
  maxCandleLagIntervals: number;
  /** |last - newest close| / newest close * 100 at most this */
  maxPriceDeviationPercent: number;
  /** at most this many candle intervals of wall time without a new candle */
  frozenAfterIntervals: number;
}

/** when (wall clock) the newest candle currently seen was first seen */
export interface FeedWatchEntry {
  /** open time of the newest closed candle */
  candleAt: number;
  /** wall clock when that candle was first seen */
  since: number;
}

export interface MarketObservation {
  symbol: string;
  last: number;
  /** the price's own timestamp (ticker) */
  priceAt: number;
  /** the cycle timeframe's newest closed candle, or null when there is none */
  newestCandle: { openTime: number; close: number } | null;
  /** the cycle timeframe's period, ms */
  intervalMs: number;
  /** the wall clock now */
  wallNow: number;
  /** whether the exchange's clock is the wall clock (live, testnet); false for a paper replay */
  wallClocked: boolean;
  /** what was seen before (null: first look) */
  watch: FeedWatchEntry | null;
}

export type MarketVerdict = { ok: true } | { ok: false; code: MarketDataCode; reason: string };

export function assessMarketData(o: MarketObservation, limits: MarketDataLimits): MarketVerdict {
  const fail = (code: MarketDataCode, reason: string): MarketVerdict => ({ ok: false, code, reason: `${o.symbol}: ${reason}; no trade this cycle` });
  if (!(Number.isFinite(o.last) && o.last > 0)) return fail('INCONSISTENT_MARKET_DATA', `the last price ${o.last} is not a price`);
  if (!Number.isFinite(o.priceAt)) return fail('STALE_MARKET_DATA', 'the last price has no timestamp');
  if (o.wallClocked && o.wallNow - o.priceAt > limits.maxPriceAgeMs) {
    return fail(
      'STALE_MARKET_DATA',
      `the last price ${o.last} is from ${iso(o.priceAt)}, ${minutes(o.wallNow - o.priceAt)} old (limit ${minutes(limits.maxPriceAgeMs)})`,
    );
  }
  const c = o.newestCandle;
  if (!c) return fail('STALE_MARKET_DATA', 'there is no closed candle to check the last price against');
  const closedAt = c.openTime + o.intervalMs;
  const lag = o.priceAt - closedAt;
  if (lag > limits.maxCandleLagIntervals * o.intervalMs) {
    return fail(
      'STALE_MARKET_DATA',
      `the newest candle closed at ${iso(closedAt)}, ${intervals(lag, o.intervalMs)} intervals before the last price's time ${iso(o.priceAt)} ` +
        `(limit ${limits.maxCandleLagIntervals}): the candles and the price are not of the same moment`,
    );
  }
  if (lag < -o.intervalMs) {
    return fail('STALE_MARKET_DATA', `the last price's time ${iso(o.priceAt)} is before the newest candle closed (${iso(closedAt)})`);
  }
  const deviation = (Math.abs(o.last - c.close) / c.close) * 100;
  if (!(deviation <= limits.maxPriceDeviationPercent)) {
    return fail(
      'INCONSISTENT_MARKET_DATA',
      `the last price ${o.last} is ${deviation.toFixed(2)}% ${o.last > c.close ? 'above' : 'below'} the newest candle's close ${c.close} ` +
        `(limit ${limits.maxPriceDeviationPercent}%)`,
    );
  }
  const watch = nextWatch(o.watch, c.openTime, o.wallNow);
  const still = o.wallNow - watch.since;
  if (still > limits.frozenAfterIntervals * o.intervalMs) {
    return fail(
      'FROZEN_FEED',
      `no new candle since ${iso(closedAt)} for ${minutes(still)} of wall time (limit ${limits.frozenAfterIntervals} intervals of ${minutes(o.intervalMs)}): the price feed has stopped`,
    );
  }
  return { ok: true };
}

/** the watch after this look: a newer candle resets it, the same candle keeps when it was first seen */
export function nextWatch(previous: FeedWatchEntry | null, candleAt: number, wallNow: number): FeedWatchEntry {
  if (previous && previous.candleAt === candleAt) return previous;
  return { candleAt, since: wallNow };
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : String(ms);
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 120 ? `${(m / 60).toFixed(1)} h` : `${Math.round(m * 10) / 10} min`;
}

function intervals(ms: number, interval: number): string {
  const n = ms / interval;
  return n >= 1e6 ? n.toExponential(2) : String(Math.round(n * 10) / 10);
}
