import { ATR, EMA, RSI } from 'trading-signals';
import type { Candle, Ticker } from '../domain/market';

/**
 * The market data the strategist sees: compact and numeric. Indicators come from the
 * trading-signals library (RSI and ATR with Wilder's smoothing, EMA seeded with the first price),
 * computed over all candles handed in; only the last few candles are shown in the prompt.
 */

export interface IndicatorValues {
  rsi14: number | null;
  ema20: number | null;
  ema50: number | null;
  atr14: number | null;
}

export interface TimeframeSnapshot {
  timeframe: string;
  /** close of the most recent closed candle */
  lastClose: number;
  /** how many candles the indicators were computed over */
  history: number;
  /** most recent candles, oldest first, rounded for the prompt */
  candles: Candle[];
  indicators: IndicatorValues;
}

export interface MarketSnapshot {
  symbol: string;
  /** epoch ms the snapshot describes */
  at: number;
  last: number;
  bid: number | null;
  ask: number | null;
  /** ask - bid, when both are known */
  spread: number | null;
  /** first timeframe is the primary one (the cycle's own) */
  timeframes: TimeframeSnapshot[];
}

export interface SnapshotInput {
  symbol: string;
  ticker: Pick<Ticker, 'last' | 'bid' | 'ask' | 'timestamp'>;
  /** closed candles per timeframe, ascending; order of keys = order in the prompt */
  candles: ReadonlyArray<{ timeframe: string; candles: readonly Candle[] }>;
  /** candles per timeframe kept for the prompt (before the token budget trims them) */
  recentCandles?: number;
}

export const DEFAULT_RECENT_CANDLES = 24;

/** Incremental indicators: feed candles one at a time (used for long replays). */
export class IndicatorTracker {
  readonly #rsi = new RSI(14);
  readonly #ema20 = new EMA(20);
  readonly #ema50 = new EMA(50);
  readonly #atr = new ATR(14);
  #count = 0;

  /** candles added so far */
  get count(): number {
    return this.#count;
  }

  /** one more candle, and the values after it */
  add(candle: Candle): IndicatorValues {
    this.feed(candle);
    return this.values();
  }

  /**
   * One more candle without reading the values: reading them is the expensive part (each
   * indicator still warming up throws and catches an error), so a window is fed whole and read once.
   */
  feed(candle: Candle): void {
    this.#rsi.add(candle.close);
    this.#ema20.add(candle.close);
    this.#ema50.add(candle.close);
    this.#atr.add({ high: candle.high, low: candle.low, close: candle.close });
    this.#count++;
  }

  values(): IndicatorValues {
    return {
      rsi14: this.#rsi.isStable ? this.#rsi.getResultOrThrow() : null,
      ema20: this.#ema20.isStable ? this.#ema20.getResultOrThrow() : null,
      ema50: this.#ema50.isStable ? this.#ema50.getResultOrThrow() : null,
      atr14: this.#atr.isStable ? this.#atr.getResultOrThrow() : null,
    };
  }
}

export function computeIndicators(candles: readonly Candle[]): IndicatorValues {
  const tracker = new IndicatorTracker();
  for (const c of candles) tracker.feed(c);
  return tracker.values();
}

export function buildMarketSnapshot(input: SnapshotInput): MarketSnapshot {
  const keep = input.recentCandles ?? DEFAULT_RECENT_CANDLES;
  const { last, bid, ask } = input.ticker;
  if (!(last > 0)) throw new Error(`market snapshot for ${input.symbol}: last price must be positive, got ${last}`);
  const timeframes = input.candles.map(({ timeframe, candles }): TimeframeSnapshot => {
    if (candles.length === 0) throw new Error(`market snapshot for ${input.symbol}: no ${timeframe} candles`);
    return {
      timeframe,
      lastClose: candles[candles.length - 1]!.close,
      history: candles.length,
      candles: candles.slice(-keep).map(roundCandle),
      indicators: computeIndicators(candles),
    };
  });
  return {
    symbol: input.symbol,
    at: input.ticker.timestamp,
    last,
    bid: bid ?? null,
    ask: ask ?? null,
    spread: bid != null && ask != null ? roundPrice(ask - bid) : null,
    timeframes,
  };
}

/** ~4 characters per token: the usual estimate for English and numbers with BPE tokenizers. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The prompt's market-data section. When it would exceed `maxTokens`, the oldest candles are
 * dropped (from the timeframe showing the most) until it fits; indicators are always kept.
 */
export function renderMarketData(snapshot: MarketSnapshot, maxTokens: number): string {
  const shown = snapshot.timeframes.map((tf) => tf.candles.length);
  let text = renderWith(snapshot, shown);
  while (estimateTokens(text) > maxTokens) {
    const widest = shown.indexOf(Math.max(...shown));
    if (shown[widest]! === 0) {
      throw new Error(`market data for ${snapshot.symbol} does not fit ${maxTokens} tokens even without candles`);
    }
    shown[widest]!--;
    text = renderWith(snapshot, shown);
  }
  return text;
}

function renderWith(snapshot: MarketSnapshot, shown: number[]): string {
  const lines = [
    `MARKET ${snapshot.symbol} at ${isoMinute(snapshot.at)} UTC`,
    `last ${fmt(snapshot.last)}  bid ${fmtOrNa(snapshot.bid)}  ask ${fmtOrNa(snapshot.ask)}  spread ${fmtOrNa(snapshot.spread)}`,
  ];
  snapshot.timeframes.forEach((tf, i) => {
    const ind = tf.indicators;
    lines.push(
      '',
      `[${tf.timeframe}] close ${fmt(tf.lastClose)}  RSI14 ${fmtOrNa(ind.rsi14, 1)}  EMA20 ${fmtOrNa(ind.ema20)}  EMA50 ${fmtOrNa(ind.ema50)}  ATR14 ${fmtOrNa(ind.atr14)}`,
    );
    const candles = tf.candles.slice(tf.candles.length - shown[i]!);
    if (candles.length > 0) {
      lines.push(`last ${candles.length} candles (time,open,high,low,close,volume), oldest first:`);
      for (const c of candles) {
        lines.push(`${isoMinute(c.timestamp)},${fmt(c.open)},${fmt(c.high)},${fmt(c.low)},${fmt(c.close)},${fmt(c.volume)}`);
      }
    }
  });
  return lines.join('\n');
}

/** 6 significant digits: enough for any decision, half the tokens of raw floats. */
export function roundPrice(x: number): number {
  return Number(x.toPrecision(6));
}

export function roundCandle(c: Candle): Candle {
  return {
    timestamp: c.timestamp,
    open: roundPrice(c.open),
    high: roundPrice(c.high),
    low: roundPrice(c.low),
    close: roundPrice(c.close),
    volume: Number(c.volume.toPrecision(4)),
  };
}

function fmt(x: number, decimals?: number): string {
  return decimals === undefined ? String(roundPrice(x)) : x.toFixed(decimals);
}

function fmtOrNa(x: number | null, decimals?: number): string {
  return x == null ? 'n/a' : fmt(x, decimals);
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
