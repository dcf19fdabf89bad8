import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Candle } from '../domain/market';

/**
 * Reads a candle CSV in the shared format (timestamp_ms,open,high,low,close,volume, one header row,
 * ascending). Gaps are real exchange outages and are kept as gaps: nothing is filled in.
 */
export function readCandleFile(path: string): Candle[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read candle file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseCandleText(text, path);
}

/**
 * The open times of a candle file's first and last rows, read from its first and last lines
 * without parsing the rest (to choose among files before paying for one); null when the file
 * does not look like a candle file (then parsing it says what is wrong).
 */
export function candleTextSpan(text: string): { first: number; last: number } | null {
  const headerEnd = text.indexOf('\n');
  if (headerEnd < 0) return null;
  const header = text.slice(0, headerEnd).split(',').map((h) => h.trim());
  const column = header.indexOf('timestamp_ms');
  const firstLine = text.slice(headerEnd + 1, text.indexOf('\n', headerEnd + 1) >>> 0).trim();
  const body = text.trimEnd();
  const lastLine = body.slice(body.lastIndexOf('\n') + 1).trim();
  const first = Number(firstLine.split(',')[column]);
  const last = Number(lastLine.split(',')[column]);
  return column >= 0 && Number.isFinite(first) && Number.isFinite(last) && firstLine !== '' ? { first, last } : null;
}

/** a candle file's text (as read from `path`, which errors name) as candles */
export function parseCandleText(text: string, path: string): Candle[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const candles: Candle[] = [];
  let previous = -Infinity;
  rows.forEach((row, i) => {
    const line = i + 2;
    const candle: Candle = {
      timestamp: Number(row.timestamp_ms),
      open: Number(row.open),
      high: Number(row.high),
      low: Number(row.low),
      close: Number(row.close),
      volume: Number(row.volume),
    };
    for (const [key, value] of Object.entries(candle)) {
      if (!Number.isFinite(value)) throw new Error(`${path}:${line}: column ${key} is not a number`);
    }
    if (candle.timestamp <= previous) throw new Error(`${path}:${line}: timestamps must be strictly ascending`);
    previous = candle.timestamp;
    candles.push(candle);
  });
  if (candles.length === 0) throw new Error(`${path}: no candles`);
  return candles;
}

/** The shared data set's file for a symbol and timeframe, e.g. BTCUSDT-15m.csv. */
export function candleFilePath(dir: string, symbol: string, timeframe: string, period?: string): string {
  return join(dir, `${symbol}-${timeframe}${period ? `-${period}` : ''}.csv`);
}

/** ../shared/data/candles relative to the project root, overridable by CANDLES_DIR. */
export function sharedCandlesDir(): string {
  return process.env.CANDLES_DIR ?? new URL('../../../shared/data/candles', import.meta.url).pathname;
}

/** Index of the last candle whose open time is <= at (binary search); -1 when none. */
export function indexAtOrBefore(candles: readonly Candle[], at: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid]!.timestamp <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
