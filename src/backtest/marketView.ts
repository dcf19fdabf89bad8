import { closedCandles, DEFAULT_CANDLE_LIMIT } from '../activities/marketData';
import { parseDuration } from '../config/schema';
import type { Candle, Ticker } from '../domain/market';
import { klines } from '../simulator/klines';
import type { ApiContext } from '../simulator/route';
import { buildMarketSnapshot, DEFAULT_RECENT_CANDLES, IndicatorTracker, roundCandle, type MarketSnapshot, type TimeframeSnapshot } from '../strategist/marketSnapshot';
import { wire } from './exchange/wireShapes';

/**
 * What fetchMarketData would have returned at a moment of the backtest, built from the candles in
 * memory (no re-parse, no HTTP), and nothing later: only candles revealed by the market clock are
 * visible, and of those only the ones closed at the ticker's time.
 *
 * - 'window' (the default): exactly the live snapshot. The candles per timeframe are the
 *   simulator's klines (the newest `candleLimit` buckets, coarser timeframes aggregated the same
 *   way, numbers as the wire rounds them), filtered by closedCandles, indicators over that window.
 *   A timeframe is recomputed only when its closed candles change.
 * - 'incremental': indicators fed once per closed candle over the whole history (fast; after the
 *   warm-up they differ from the live window's in the last digits, EMA50 by ~0.05% at most).
 */
export type IndicatorMode = 'window' | 'incremental';

export interface MarketViewOptions {
  symbol: string;
  /** the decision timeframe's candles, ascending (gaps stay gaps) */
  candles: readonly Candle[];
  /** the config's timeframes, the first being the decision timeframe */
  timeframes: readonly string[];
  candleLimit?: number;
  indicators?: IndicatorMode;
}

export class MarketView {
  readonly #opts: Required<MarketViewOptions>;
  readonly #baseMs: number;
  readonly #cache = new Map<string, { key: string; snapshot: TimeframeSnapshot }>();
  readonly #trackers = new Map<string, { tracker: IndicatorTracker; fed: number; recent: Candle[]; lastClose: number }>();

  constructor(opts: MarketViewOptions) {
    this.#opts = { candleLimit: DEFAULT_CANDLE_LIMIT, indicators: 'window', ...opts };
    this.#baseMs = parseDuration(opts.timeframes[0]!);
    for (const tf of opts.timeframes) {
      const ms = parseDuration(tf);
      if (ms < this.#baseMs || ms % this.#baseMs !== 0) {
        throw new Error(`timeframes: ${tf} is not a multiple of the decision timeframe ${opts.timeframes[0]} (the snapshot is built from ${opts.timeframes[0]} candles)`);
      }
    }
  }

  /** the snapshot with `revealed` decision candles visible, priced by the exchange's ticker */
  snapshot(revealed: number, ticker: Ticker): MarketSnapshot {
    const timeframes = this.#opts.timeframes.map((tf) =>
      this.#opts.indicators === 'window' ? this.#windowed(tf, revealed, ticker) : this.#incremental(tf, revealed, ticker),
    );
    const { last, bid, ask } = ticker;
    const top = buildMarketSnapshot({ symbol: this.#opts.symbol, ticker, candles: [] });
    return { ...top, last, bid, ask, timeframes };
  }

  #windowed(tf: string, revealed: number, ticker: Ticker): TimeframeSnapshot {
    const ms = parseDuration(tf);
    const newest = this.#opts.candles[revealed - 1];
    const key = `${newest ? Math.floor(newest.timestamp / ms) : -1}:${Math.floor(ticker.timestamp / ms)}`;
    const cached = this.#cache.get(tf);
    if (cached?.key === key) return cached.snapshot;
    const rows = klines(this.#feedAt(revealed), this.#opts.symbol, tf, undefined, undefined, this.#opts.candleLimit).map(onTheWire);
    const candles = closedCandles(rows, tf, ticker.timestamp);
    const snapshot = quietly(() => buildMarketSnapshot({ symbol: this.#opts.symbol, ticker, candles: [{ timeframe: tf, candles }] }).timeframes[0]!);
    this.#cache.set(tf, { key, snapshot });
    return snapshot;
  }

  #incremental(tf: string, revealed: number, ticker: Ticker): TimeframeSnapshot {
    const ms = parseDuration(tf);
    let t = this.#trackers.get(tf);
    if (!t) this.#trackers.set(tf, (t = { tracker: new IndicatorTracker(), fed: 0, recent: [], lastClose: 0 }));
    // feed every bucket that closed since the last look (aggregated from the decision candles)
    const all = this.#opts.candles;
    while (t.fed < revealed) {
      const bucket = Math.floor(all[t.fed]!.timestamp / ms) * ms;
      if (bucket + ms > ticker.timestamp) break;
      let end = t.fed;
      while (end < revealed && Math.floor(all[end]!.timestamp / ms) * ms === bucket) end++;
      if (end === revealed && end < all.length && Math.floor(all[end]!.timestamp / ms) * ms === bucket) break; // not all of it revealed yet
      const candle = onTheWire(aggregate(all, t.fed, end, bucket));
      quietly(() => t!.tracker.feed(candle));
      t.recent.push(roundCandle(candle));
      t.lastClose = candle.close;
      if (t.recent.length > DEFAULT_RECENT_CANDLES) t.recent.shift();
      t.fed = end;
    }
    if (t.recent.length === 0) throw new Error(`market snapshot for ${this.#opts.symbol}: no ${tf} candles`);
    return {
      timeframe: tf,
      lastClose: t.lastClose,
      history: t.tracker.count,
      candles: [...t.recent],
      indicators: t.tracker.values(),
    };
  }

  /** the simulator's klines over the first `revealed` candles, as its replay feed would serve them */
  #feedAt(revealed: number): ApiContext {
    const candles = this.#opts.candles;
    return { feed: { intervalMs: this.#baseMs, candles: () => candles, revealedCount: () => revealed } } as unknown as ApiContext;
  }
}

function aggregate(all: readonly Candle[], from: number, to: number, openTime: number): Candle {
  let high = -Infinity;
  let low = Infinity;
  let volume = 0;
  for (let i = from; i < to; i++) {
    const c = all[i]!;
    if (c.high > high) high = c.high;
    if (c.low < low) low = c.low;
    volume += c.volume;
  }
  return { timestamp: openTime, open: all[from]!.open, high, low, close: all[to - 1]!.close, volume };
}

/** klines travel as 8-decimal strings */
function onTheWire(c: Candle): Candle {
  return { timestamp: c.timestamp, open: wire(c.open), high: wire(c.high), low: wire(c.low), close: wire(c.close), volume: wire(c.volume) };
}

/**
 * trading-signals throws (and catches) an error per candle while an indicator warms up; without
 * stack traces that costs a third. Only the indicator arithmetic runs in here.
 */
function quietly<T>(work: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
