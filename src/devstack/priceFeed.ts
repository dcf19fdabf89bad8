import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PriceFeedSpec } from '../simulator/types';
import { candleFilePath } from '../marketdata/candleFile';

/**
 * Where paper trading's prices come from, in the order a trader wants them: the real exchange's
 * public prices when it can be reached, else a folder of real candles replayed, else a synthetic
 * feed that says loudly what it is. The stack always comes up; the console says which one it got.
 * With no candles folder given, npm start looks in data/candles, then in ../shared/data/candles
 * (beside the clone, where these machines keep the real candles), and names the one it took.
 */

export type FeedChoice = 'auto' | 'live' | 'candles' | 'synthetic';

export const LIVE_PRICES_URL = 'https://api.binance.com';

/** candle intervals tried, best first: fine enough for partial fills, long enough for history */
const CANDLE_INTERVALS = ['5m', '15m', '1m'] as const;
const INTERVAL_MS: Record<(typeof CANDLE_INTERVALS)[number], number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000 };
/** the synthetic walk moves every 5 minutes of market time (its 500 candles of history then cover 15m EMAs) */
const SYNTHETIC_INTERVAL_MS = 300_000;
/** a replay starts this far into the files, so that 1h and 4h indicators have history from the first cycle */
const REPLAY_HISTORY_MS = 30 * 86_400_000;

/** rough starting prices for the synthetic feed; anything else starts at 100 */
const SYNTHETIC_START: Record<string, number> = { BTCUSDT: 65_000, ETHUSDT: 3_500, BNBUSDT: 600, SOLUSDT: 150 };

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** a folder npm start looks in for candles when none is given; `name` is how the console names it */
export interface CandleSearchDir {
  dir: string;
  name: string;
}

/** where npm start looks for candles when none is given, in order */
export function defaultCandleDirs(root = PROJECT_ROOT): CandleSearchDir[] {
  return [
    { dir: resolve(root, 'data/candles'), name: 'data/candles' },
    { dir: resolve(root, '../shared/data/candles'), name: '../shared/data/candles' },
  ];
}

export interface SelectedFeed {
  spec: PriceFeedSpec;
  /** what the console prints about it */
  label: string;
  /** lines that must be shown as warnings */
  warnings: string[];
  /** market time one candle of the feed spans */
  intervalMs: number;
}

export interface FeedRequest {
  symbols: readonly string[];
  choice: FeedChoice;
  /** from --candles-dir, CANDLES_DIR or the config's paper.candles_dir, in that order */
  candlesDir?: string;
  /** where to look when no candlesDir is given (default: defaultCandleDirs()) */
  searchDirs?: readonly CandleSearchDir[];
  /** market time a replay starts at (default: a month into the files, so indicators have history) */
  replayFrom?: number;
  liveUrl?: string;
  /** answers whether the live price API can be reached; injected so tests never leave 127.0.0.1 */
  probeLive: (baseUrl: string) => Promise<boolean>;
  syntheticSeed?: number;
}

/** A public endpoint answers within the timeout: GET /api/v3/ping. */
export async function probeBinancePublic(baseUrl: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v3/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/** The shared-format candle files for every symbol at one interval, or why there are none. */
export function candleFilesFor(
  dir: string,
  symbols: readonly string[],
): { files: Record<string, string>; intervalMs: number } | { missing: string } {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) return { missing: `candles dir ${root} does not exist` };
  for (const interval of CANDLE_INTERVALS) {
    const files = Object.fromEntries(symbols.map((s) => [s, candleFilePath(root, s, interval)]));
    if (Object.values(files).every((f) => existsSync(f))) return { files, intervalMs: INTERVAL_MS[interval] };
  }
  const wanted = symbols.map((s) => `${s}-{${CANDLE_INTERVALS.join(',')}}.csv`).join(', ');
  return { missing: `candles dir ${root} has no common interval for all symbols (looked for ${wanted})` };
}

/** open time of a candle file's first row (the shared format: header, then timestamp_ms first) */
function firstTimestamp(file: string): number {
  const first = Number(readBytes(file, 0).split('\n')[1]?.split(',')[0]);
  if (!Number.isFinite(first)) throw new Error(`${file}: no candle row after the header`);
  return first;
}

/** open time of a candle file's last row */
function lastTimestamp(file: string): number {
  const lines = readBytes(file, Math.max(0, statSync(file).size - 512)).trimEnd().split('\n');
  const last = Number(lines[lines.length - 1]?.split(',')[0]);
  if (!Number.isFinite(last)) throw new Error(`${file}: cannot read its last candle row`);
  return last;
}

function readBytes(file: string, position: number, length = 512): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, buf.length, position);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');

/** the replay of the files found, from `replayFrom` or a month into them */
function replayFeed(dir: string, found: { files: Record<string, string>; intervalMs: number }, replayFrom: number | undefined, where: string, warnings: string[]): SelectedFeed {
  const files = Object.values(found.files);
  const first = Math.max(...files.map(firstTimestamp));
  const last = Math.min(...files.map(lastTimestamp));
  if (replayFrom !== undefined && !(replayFrom > first && replayFrom < last)) {
    throw new Error(`--replay-from ${iso(replayFrom)}: the candles in ${resolve(dir)} cover ${iso(first)} to ${iso(last)} for every symbol; choose a time inside`);
  }
  // the feed's startAt is the last candle shown; its market clock is that candle's close
  const startAt = replayFrom !== undefined ? replayFrom - found.intervalMs : first + REPLAY_HISTORY_MS;
  return {
    spec: { kind: 'candles', files: found.files, startAt },
    label: `REPLAY of real candles from ${resolve(dir)} (${files.map((f) => f.split('/').pop()).join(', ')}${where}), from ${iso(startAt + found.intervalMs)}`,
    warnings,
    intervalMs: found.intervalMs,
  };
}

function syntheticFeed(symbols: readonly string[], seed: number, why: string[]): SelectedFeed {
  return {
    spec: {
      kind: 'synthetic',
      seed,
      start: Object.fromEntries(symbols.map((s) => [s, SYNTHETIC_START[s] ?? 100])),
      intervalMs: SYNTHETIC_INTERVAL_MS,
    },
    intervalMs: SYNTHETIC_INTERVAL_MS,
    label: `SYNTHETIC prices (seed ${seed}): made-up random walk, NOT market data`,
    warnings: [...why, 'paper trading runs on SYNTHETIC prices: results say nothing about the real market'],
  };
}

export async function selectPriceFeed(req: FeedRequest): Promise<SelectedFeed> {
  const warnings: string[] = [];
  const liveUrl = req.liveUrl ?? LIVE_PRICES_URL;
  const seed = req.syntheticSeed ?? 42;

  if (req.choice === 'synthetic') return syntheticFeed(req.symbols, seed, []);

  if (req.choice === 'auto' || req.choice === 'live') {
    if (await req.probeLive(liveUrl)) {
      return {
        spec: { kind: 'live', baseUrl: liveUrl, symbols: [...req.symbols] },
        label: `LIVE prices from ${liveUrl} (fills simulated locally)`,
        warnings,
        intervalMs: 60_000,
      };
    }
    if (req.choice === 'live') throw new Error(`--feed live: ${liveUrl} cannot be reached (no internet?)`);
    warnings.push(`the real exchange (${liveUrl}) cannot be reached: no live prices`);
  }

  if (req.candlesDir) {
    const found = candleFilesFor(req.candlesDir, req.symbols);
    if ('files' in found) return replayFeed(req.candlesDir, found, req.replayFrom, '', warnings);
    if (req.choice === 'candles') throw new Error(`--feed candles: ${found.missing}`);
    warnings.push(found.missing);
  } else {
    const searched = req.searchDirs ?? defaultCandleDirs();
    for (const s of searched) {
      const found = candleFilesFor(s.dir, req.symbols);
      if ('files' in found) return replayFeed(s.dir, found, req.replayFrom, `; found in ${s.name}, as no candles dir was given`, warnings);
    }
    const files = req.symbols.map((sym) => `${sym}-${CANDLE_INTERVALS[0]}.csv`).join(', ');
    const pass = `pass --candles-dir DIR (a folder with ${files}; 15m or 1m files do too), or set CANDLES_DIR or paper.candles_dir`;
    const looked = searched.length > 0 ? `no candles for ${req.symbols.join(', ')} in ${searched.map((s) => s.name).join(' or ')}` : 'no candles dir given';
    if (req.choice === 'candles') throw new Error(`--feed candles: ${looked}: ${pass}`);
    warnings.push(`${looked}: to replay real candles, ${pass}`);
  }
  return syntheticFeed(req.symbols, seed, warnings);
}
