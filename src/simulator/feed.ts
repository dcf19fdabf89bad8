import type { Candle } from '../domain/market';
import { indexAtOrBefore, readCandleFile } from '../marketdata/candleFile';
import type { PriceFeedSpec } from './types';

/**
 * A source of candles for the simulator. Matching runs on each revealed candle; klines and tickers
 * only ever show revealed candles, so a replay never leaks the future.
 */
export interface PriceFeed {
  readonly label: string;
  readonly intervalMs: number;
  readonly symbols: string[];
  /** all candles known for a symbol, ascending; only the first revealedCount are visible */
  candles(symbol: string): readonly Candle[];
  revealedCount(symbol: string): number;
  /** market clock: the close time of the newest revealed candle (live: the wall clock) */
  clock(): number;
  /** reveals the next candle of each symbol that has one; empty when the replay is over */
  step(): Promise<Map<string, Candle>>;
  close(): void;
}

export async function createFeed(spec: PriceFeedSpec, resumeAtClock?: number): Promise<PriceFeed> {
  switch (spec.kind) {
    case 'candles':
      return new CandleReplayFeed(spec.files, spec.startAt, resumeAtClock);
    case 'synthetic':
      return new SyntheticFeed(spec.seed, spec.start, spec.intervalMs ?? 15 * 60_000, spec.startAt, resumeAtClock);
    case 'live':
      return LiveFeed.create(spec.baseUrl, spec.symbols ?? ['BTCUSDT', 'ETHUSDT']);
  }
}

/** Replay of candle files on a shared timeline; gaps (real outages) stay gaps. */
class CandleReplayFeed implements PriceFeed {
  readonly label = 'candle replay';
  readonly intervalMs: number;
  readonly symbols: string[];
  private readonly data = new Map<string, Candle[]>();
  private readonly revealed = new Map<string, number>();
  private cursor: number;

  constructor(files: Record<string, string>, startAt: number | undefined, resumeAtClock: number | undefined) {
    this.symbols = Object.keys(files);
    if (this.symbols.length === 0) throw new Error('simulator feed: no candle files given');
    for (const [symbol, path] of Object.entries(files)) this.data.set(symbol, readCandleFile(path));
    const first = this.data.get(this.symbols[0]!)!;
    this.intervalMs = inferInterval(first);
    const defaultStart = first[Math.min(500, first.length - 1)]!.timestamp;
    this.cursor = resumeAtClock !== undefined ? resumeAtClock - this.intervalMs : (startAt ?? defaultStart);
    for (const symbol of this.symbols) {
      this.revealed.set(symbol, indexAtOrBefore(this.data.get(symbol)!, this.cursor) + 1);
    }
  }

  candles(symbol: string): readonly Candle[] {
    return this.data.get(symbol) ?? [];
  }
  revealedCount(symbol: string): number {
    return this.revealed.get(symbol) ?? 0;
  }
  clock(): number {
    return this.cursor + this.intervalMs;
  }
  async step(): Promise<Map<string, Candle>> {
    let next = Infinity;
    for (const symbol of this.symbols) {
      const c = this.data.get(symbol)![this.revealed.get(symbol)!];
      if (c && c.timestamp < next) next = c.timestamp;
    }
    const out = new Map<string, Candle>();
    if (next === Infinity) return out;
    this.cursor = next;
    for (const symbol of this.symbols) {
      const i = this.revealed.get(symbol)!;
      const c = this.data.get(symbol)![i];
      if (c && c.timestamp === next) {
        this.revealed.set(symbol, i + 1);
        out.set(symbol, c);
      }
    }
    return out;
  }
  close(): void {}
}

function inferInterval(candles: readonly Candle[]): number {
  let best = Infinity;
  for (let i = 1; i < Math.min(candles.length, 50); i++) {
    best = Math.min(best, candles[i]!.timestamp - candles[i - 1]!.timestamp);
  }
  return Number.isFinite(best) ? best : 60_000;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HISTORY = 500;

/** A seeded random walk, clearly synthetic: same seed, same prices. */
class SyntheticFeed implements PriceFeed {
  readonly label = 'SYNTHETIC random walk (not real prices)';
  readonly symbols: string[];
  private readonly data = new Map<string, Candle[]>();
  private readonly rng = new Map<string, () => number>();

  constructor(
    seed: number,
    start: Record<string, number>,
    readonly intervalMs: number,
    startAt: number | undefined,
    resumeAtClock: number | undefined,
  ) {
    this.symbols = Object.keys(start);
    if (this.symbols.length === 0) throw new Error('simulator feed: synthetic feed needs start prices');
    const firstOpen = (startAt ?? Date.UTC(2024, 0, 1)) - HISTORY * intervalMs;
    this.symbols.forEach((symbol, i) => {
      this.rng.set(symbol, prng(seed * 7919 + i * 104729));
      const candles: Candle[] = [];
      this.data.set(symbol, candles);
      let price = start[symbol]!;
      for (let k = 0; k <= HISTORY; k++) {
        const c = this.nextCandle(symbol, firstOpen + k * intervalMs, price);
        candles.push(c);
        price = c.close;
      }
    });
    if (resumeAtClock !== undefined) {
      while (this.clock() < resumeAtClock) this.stepSync();
    }
  }

  private nextCandle(symbol: string, timestamp: number, open: number): Candle {
    const r = this.rng.get(symbol)!;
    const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
    const sigma = 0.003;
    const close = round2(open * Math.exp(sigma * gauss()));
    const high = round2(Math.max(open, close) * (1 + Math.abs(gauss()) * sigma * 0.5));
    const low = round2(Math.min(open, close) * (1 - Math.abs(gauss()) * sigma * 0.5));
    const volume = Math.round(((1_000_000 / open) * (0.5 + r())) * 1e5) / 1e5;
    return { timestamp, open, high, low, close, volume };
  }

  private stepSync(): Map<string, Candle> {
    const out = new Map<string, Candle>();
    for (const symbol of this.symbols) {
      const candles = this.data.get(symbol)!;
      const last = candles[candles.length - 1]!;
      const c = this.nextCandle(symbol, last.timestamp + this.intervalMs, last.close);
      candles.push(c);
      out.set(symbol, c);
    }
    return out;
  }

  candles(symbol: string): readonly Candle[] {
    return this.data.get(symbol) ?? [];
  }
  revealedCount(symbol: string): number {
    return this.data.get(symbol)?.length ?? 0;
  }
  clock(): number {
    const c = this.data.get(this.symbols[0]!)!;
    return c[c.length - 1]!.timestamp + this.intervalMs;
  }
  async step(): Promise<Map<string, Candle>> {
    return this.stepSync();
  }
  close(): void {}
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

type RawKline = [number, string, string, string, string, string, ...unknown[]];

function toCandle(k: RawKline): Candle {
  return { timestamp: k[0], open: +k[1], high: +k[2], low: +k[3], close: +k[4], volume: +k[5] };
}

/**
 * Live prices from a Binance-compatible public API (klines, 1m). Each step polls the newest kline
 * and turns the move since the last poll into a small candle for matching, so a fill needs the
 * price to really have traded through since the order was placed.
 */
class LiveFeed implements PriceFeed {
  readonly label: string;
  readonly intervalMs = 60_000;
  private readonly data = new Map<string, Candle[]>();

  private constructor(
    private readonly baseUrl: string,
    readonly symbols: string[],
  ) {
    this.label = `live prices from ${baseUrl}`;
  }

  static async create(baseUrl: string, symbols: string[]): Promise<LiveFeed> {
    const feed = new LiveFeed(baseUrl.replace(/\/+$/, ''), symbols);
    for (const symbol of symbols) feed.data.set(symbol, await feed.klines(symbol, 500));
    return feed;
  }

  private async klines(symbol: string, limit: number): Promise<Candle[]> {
    const url = `${this.baseUrl}/api/v3/klines?symbol=${symbol}&interval=1m&limit=${limit}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`live feed: ${url} answered HTTP ${res.status}`);
    return ((await res.json()) as RawKline[]).map(toCandle);
  }

  candles(symbol: string): readonly Candle[] {
    return this.data.get(symbol) ?? [];
  }
  revealedCount(symbol: string): number {
    return this.data.get(symbol)?.length ?? 0;
  }
  clock(): number {
    return Date.now();
  }
  async step(): Promise<Map<string, Candle>> {
    const out = new Map<string, Candle>();
    for (const symbol of this.symbols) {
      const candles = this.data.get(symbol)!;
      const prev = candles[candles.length - 1];
      const latest = await this.klines(symbol, 2);
      const now = latest[latest.length - 1];
      if (!now || !prev) continue;
      // what traded since the last poll: the rest of the candle we had seen, plus any newer candle whole
      let high = Math.max(prev.close, now.close);
      let low = Math.min(prev.close, now.close);
      let volume = 0;
      for (const c of latest) {
        if (c.timestamp < prev.timestamp) continue;
        const seen = c.timestamp === prev.timestamp;
        if (!seen || c.high > prev.high) high = Math.max(high, c.high);
        if (!seen || c.low < prev.low) low = Math.min(low, c.low);
        volume += seen ? Math.max(0, c.volume - prev.volume) : c.volume;
      }
      for (const c of latest) {
        const last = candles[candles.length - 1]!;
        if (c.timestamp === last.timestamp) candles[candles.length - 1] = c;
        else if (c.timestamp > last.timestamp) candles.push(c);
      }
      if (candles.length > 2000) candles.splice(0, candles.length - 2000);
      out.set(symbol, { timestamp: now.timestamp, open: prev.close, high, low, close: now.close, volume });
    }
    return out;
  }
  close(): void {}
}
