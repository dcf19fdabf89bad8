import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../config/schema';
import type { Candle } from '../domain/market';
import { candleTextSpan, parseCandleText } from '../marketdata/candleFile';
import type { BacktestRun } from './runTypes';

/**
 * Candle files for a backtest, read once: for each symbol the decision timeframe's file covering
 * the window, and (for intrabar matching) the finest finer file that covers it too. Files are the
 * shared data set's `<SYMBOL>-<timeframe>[-<period>].csv`.
 */

export interface SymbolData {
  symbol: string;
  decision: Candle[];
  /** finer candles for matching, or null: matched on the decision candles */
  matching: Candle[] | null;
  matchingTimeframe: string;
}

export type DataFile = BacktestRun['dataFiles'][number];

export class BacktestInputError extends Error {
  override name = 'BacktestInputError';
}

const FINER: readonly string[] = ['1m', '3m', '5m', '15m', '30m', '1h'];

export interface LoadOptions {
  dir: string;
  symbols: readonly string[];
  decisionTimeframe: string;
  from: number;
  to: number;
  /** 'auto': the finest finer file that covers the window; 'none': the decision candles; or a timeframe */
  matching: string;
}

export function loadBacktestData(opts: LoadOptions): { data: SymbolData[]; files: DataFile[] } {
  let names: string[];
  try {
    names = readdirSync(opts.dir).filter((n) => n.endsWith('.csv'));
  } catch (err) {
    throw new BacktestInputError(`--candles ${opts.dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const files: DataFile[] = [];
  const data = opts.symbols.map((symbol): SymbolData => {
    const own = names.filter((n) => n.startsWith(`${symbol}-`));
    if (own.length === 0) {
      const known = [...new Set(names.map((n) => n.split('-')[0]))].join(', ') || 'none';
      throw new BacktestInputError(`--symbols ${symbol}: no candle file ${symbol}-<timeframe>.csv in ${opts.dir} (symbols there: ${known})`);
    }
    const decision = pick(opts, symbol, opts.decisionTimeframe, own, files, true)!;
    const decisionMs = parseDuration(opts.decisionTimeframe);
    const candidates = opts.matching === 'none' ? [] : opts.matching === 'auto' ? FINER.filter((tf) => parseDuration(tf) < decisionMs) : [opts.matching];
    for (const tf of candidates) {
      const ms = parseDuration(tf);
      if (ms >= decisionMs || decisionMs % ms !== 0) throw new BacktestInputError(`--matching ${tf}: must be finer than the decision timeframe ${opts.decisionTimeframe} and divide it`);
      const fine = pick(opts, symbol, tf, own, files, opts.matching !== 'auto');
      if (fine) return { symbol, decision, matching: fine, matchingTimeframe: tf };
    }
    return { symbol, decision, matching: null, matchingTimeframe: opts.decisionTimeframe };
  });
  return { data, files };
}

/** the file of this timeframe that covers [from, to), read and recorded; null when none does (and not required) */
function pick(opts: LoadOptions, symbol: string, tf: string, own: string[], files: DataFile[], required: boolean): Candle[] | null {
  const ms = parseDuration(tf);
  const matches = own.filter((n) => n === `${symbol}-${tf}.csv` || n.startsWith(`${symbol}-${tf}-`)).sort();
  const spans: string[] = [];
  for (const name of matches) {
    const path = join(opts.dir, name);
    const text = readText(path);
    // the span from the first and last lines: only the file that covers the window is parsed
    const span = candleTextSpan(text);
    const candles = span ? null : parseCandleText(text, path);
    const first = span?.first ?? candles![0]!.timestamp;
    const last = span?.last ?? candles![candles!.length - 1]!.timestamp;
    spans.push(`${name}: ${iso(first)} .. ${iso(last + ms)}`);
    if (first <= opts.from && last + ms >= Math.min(opts.to, opts.from + ms)) {
      if (last + ms < opts.to && !required) continue; // finer data must cover the whole window
      const parsed = candles ?? parseCandleText(text, path);
      files.push({ path, sha256: createHash('sha256').update(text).digest('hex'), candles: parsed.length, firstAt: parsed[0]!.timestamp, lastAt: parsed[parsed.length - 1]!.timestamp });
      return parsed;
    }
  }
  if (!required) return null;
  if (matches.length === 0) throw new BacktestInputError(`--candles ${opts.dir}: no ${tf} candles of ${symbol} (${symbol}-${tf}.csv)`);
  throw new BacktestInputError(`--from ${iso(opts.from)}: no ${tf} candle file of ${symbol} covers the window start (${spans.join('; ')})`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BacktestInputError(`${path}: cannot read candle file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
