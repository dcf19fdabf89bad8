import { MarketDataConfig, parseDuration } from '../config/schema';
import { assessMarketData, type MarketDataLimits, type MarketVerdict } from '../domain/marketDataGuard';
import { FeedWatch } from '../marketdata/feedWatch';
import type { MarketSnapshot } from '../strategist/marketSnapshot';

/** What the stale-data guard of askStrategist is built from (the worker makes one per process). */
export interface MarketGuardDeps {
  limits: MarketDataLimits;
  /** live and testnet: the exchange's clock is the wall clock; a paper replay has its own */
  wallClocked: boolean;
  watch: FeedWatch;
  /** said with every refusal in paper mode: how to start the paper account afresh */
  resetHint?: string;
}

export function marketLimitsFrom(config: MarketDataConfig, cycleIntervalMs: number): MarketDataLimits {
  return {
    maxPriceAgeMs: config.max_price_age_cycles * cycleIntervalMs,
    maxCandleLagIntervals: config.max_candle_lag_intervals,
    maxPriceDeviationPercent: config.max_price_deviation_percent,
    frozenAfterIntervals: config.frozen_after_intervals,
  };
}

/** the config's defaults over a 15-minute cycle, an in-memory watch, a market clock of its own */
export function defaultMarketGuard(): MarketGuardDeps {
  return { limits: marketLimitsFrom(MarketDataConfig.parse({}), 15 * 60_000), wallClocked: false, watch: new FeedWatch() };
}

/** the snapshot judged; the watch remembers the newest candle whatever the verdict */
export function checkSnapshot(guard: MarketGuardDeps, market: MarketSnapshot, wallNow = Date.now()): MarketVerdict {
  const primary = market.timeframes[0];
  const newest = primary?.candles[primary.candles.length - 1];
  const watch = guard.watch.get(market.symbol);
  if (newest) guard.watch.see(market.symbol, newest.timestamp, wallNow);
  const verdict = assessMarketData(
    {
      symbol: market.symbol,
      last: market.last,
      priceAt: market.at,
      newestCandle: newest ? { openTime: newest.timestamp, close: primary!.lastClose } : null,
      intervalMs: primary ? parseDuration(primary.timeframe) : 15 * 60_000,
      wallNow,
      wallClocked: guard.wallClocked,
      watch,
    },
    guard.limits,
  );
  if (verdict.ok || !guard.resetHint) return verdict;
  return { ...verdict, reason: `${verdict.reason}. ${guard.resetHint}` };
}
