import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { marketLimitsFrom } from '../activities/marketGuard';
import { portfolioLimits, symbolEntryRules } from '../config/envelope';
import { parseDuration, type TradingConfig } from '../config/schema';
import { buyAndHoldBaseline, cashBaseline } from './baselines';
import type { JournalRow } from './backtestJournal';
import { BacktestInputError, loadBacktestData } from './data';
import { decisionPlan, runStrategist, windowOf, type EngineHooks, type StrategistSpec } from './engine';
import type { IndicatorMode } from './marketView';
import type { BacktestRun } from './runTypes';

/**
 * A whole backtest: the data read once, every strategist on its own paper account over the same
 * window (side by side, their strategist calls bounded in flight together), then the two baselines.
 * Returns the BacktestRun the report reads and the trade log rows for trades.csv.
 */

export interface BacktestOptions {
  config: TradingConfig;
  configPath: string;
  candlesDir: string;
  symbols: string[];
  from: number;
  to: number;
  strategists: StrategistSpec[];
  decideEvery: number;
  /** 'auto' | 'none' | a timeframe */
  matching: string;
  indicators: IndicatorMode;
  /** strategist calls in flight at once, across symbols and strategists */
  concurrency: number;
  onCandle?: EngineHooks['onCandle'];
  /** loud warnings for the terminal and the report (e.g. the window before a model's training cutoff) */
  warnings?: string[];
  /** --mask was given (report.json and the page say so) */
  masked?: boolean;
  /** recorded in report.json's params.extra (cache mode, budgets) */
  extra?: Record<string, unknown>;
  /**
   * after the data is read, before the first decision: the number of decisions per strategist and
   * the first decision's request (the CLI estimates LLM tokens and cost from it, and may refuse)
   */
  beforeRun?: (plan: ReturnType<typeof decisionPlan>) => void | Promise<void>;
}

export async function runBacktest(opts: BacktestOptions): Promise<{ run: BacktestRun; rows: JournalRow[] }> {
  const { config } = opts;
  const decisionTimeframe = config.timeframes[0]!;
  const periodMs = parseDuration(decisionTimeframe);
  if (!(opts.to > opts.from)) throw new BacktestInputError(`--to must be after --from (got ${iso(opts.from)} .. ${iso(opts.to)})`);
  const { data, files } = loadBacktestData({ dir: opts.candlesDir, symbols: opts.symbols, decisionTimeframe, from: opts.from, to: opts.to, matching: opts.matching });
  const windows = data.map((d) => {
    const { start, end } = windowOf(d.decision, opts.from, opts.to, periodMs);
    return d.decision.slice(start, end);
  });
  const empty = data.find((_, i) => windows[i]!.length === 0);
  if (empty) throw new BacktestInputError(`--from/--to: no ${decisionTimeframe} candle of ${empty.symbol} closes inside ${iso(opts.from)} .. ${iso(opts.to)}`);

  const balances = config.paper.starting_balances;
  const quoteCurrency = quoteOf(opts.symbols);
  const limit = pLimit(Math.max(1, opts.concurrency));
  const engine = {
    data,
    from: opts.from,
    to: opts.to,
    timeframes: config.timeframes,
    cycleIntervalMs: config.cycle_interval,
    decideEvery: opts.decideEvery,
    balances,
    quoteCurrency,
    feeRate: config.paper.fee_rate,
    risk: config.risk,
    indicators: opts.indicators,
    // the live risk envelope and stale-data guard, from the same config sections as a live run
    envelope: { rules: symbolEntryRules(config.risk), portfolio: portfolioLimits(config.risk) },
    marketData: marketLimitsFrom(config.market_data, config.cycle_interval),
    // the strategist step's bound on reasoning, as the worker passes it (src/worker.ts)
    maxReasoningChars: config.strategist.max_reasoning_chars,
  };
  await opts.beforeRun?.(decisionPlan(engine));
  const hooks: EngineHooks = { limit: (work) => limit(work), ...(opts.onCandle ? { onCandle: opts.onCandle } : {}) };
  const results = await Promise.all(opts.strategists.map((spec) => runStrategist(engine, spec, hooks)));

  const closes = [...new Set(windows.flatMap((w) => w.map((c) => c.timestamp + periodMs)))].sort((a, b) => a - b);
  const baseline = { data, windows, startingQuote: balances[quoteCurrency] ?? 0, feeRate: config.paper.fee_rate, closes, periodMs };
  const matchingTimeframes = [...new Set(data.map((d) => d.matchingTimeframe))];
  const run: BacktestRun = {
    params: {
      symbols: opts.symbols,
      from: opts.from,
      to: opts.to,
      decisionTimeframe,
      matchingTimeframe: matchingTimeframes.join(','),
      cycleIntervalMs: config.cycle_interval,
      decideEvery: opts.decideEvery,
      startingBalances: balances,
      quoteCurrency,
      feeRate: config.paper.fee_rate,
      masked: opts.masked ?? false,
      extra: {
        ...opts.extra,
        config: opts.configPath,
        strategists: opts.strategists.map((s) => s.name),
        timeframes: config.timeframes,
        indicators: opts.indicators,
        matching: opts.matching,
        risk: config.risk,
      },
    },
    dataFiles: files,
    codeVersion: codeVersion(),
    strategists: [...results.map((r) => r.run), cashBaseline(baseline), buyAndHoldBaseline(baseline)],
    warnings: opts.warnings ?? [],
  };
  return { run, rows: results.flatMap((r) => r.rows) };
}

function quoteOf(symbols: readonly string[]): string {
  const quotes = new Set(symbols.map((s) => ['USDT', 'USDC', 'FDUSD', 'BTC', 'ETH', 'BNB'].find((q) => s.endsWith(q) && s.length > q.length) ?? ''));
  if (quotes.has('') || quotes.size !== 1) throw new BacktestInputError(`--symbols: all symbols must share one quote currency the account holds (got ${symbols.join(', ')})`);
  return [...quotes][0]!;
}

/** the git commit of the code that ran (with "+dirty" when it has uncommitted changes), else the package version */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'strategies', 'config'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return `v${pkg.version}`;
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
