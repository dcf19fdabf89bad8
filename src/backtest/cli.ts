import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import { canonicalSymbol } from '../domain/symbols';
import { sharedCandlesDir } from '../marketdata/candleFile';
import { tradesCsv } from './backtestJournal';
import { BacktestInputError } from './data';
import { BudgetError, checkBudget, cutoffWarnings, DEFAULT_CACHE_DIR, estimateLlmRun, FatalStrategistError, formatEstimate } from './llm';
import { BacktestProgress } from './progress';
import { writeReport } from './report';
import type { StrategistSpec } from './engine';
import { runBacktest } from './runBacktest';
import { loadStrategist, parseStrategistList } from './strategists';

/**
 * `npm run backtest -- --symbols BTCUSDT --from 2021-01-01 --to 2021-03-31 [--strategist rules,./a.ts]`:
 * the strategists over real history through the production decision path, side by side with the
 * cash and buy-and-hold baselines. Writes report.json, report.html and trades.csv into the output
 * folder; the last line printed names it. Exit codes: 0 done, 1 failed, 2 bad input.
 */

const DEFAULT_CONFIG = 'config/trading_config.yaml';

interface Flags {
  symbols: string[];
  candles: string;
  from: number;
  to: number;
  strategist?: string;
  config: string;
  out?: string;
  decideEvery: number;
  matching: string;
  indicators: 'window' | 'incremental';
  concurrency: number;
  balance?: Record<string, number>;
  feeRate?: number;
  progress: boolean;
  cache: boolean;
  cacheOnly?: boolean;
  maxLlmCalls?: number;
  maxLlmCost?: number;
  allowOverBudget?: boolean;
  llmCache: string;
  mask?: boolean;
}

export function backtestCommand(io: { out: (line: string) => void; err: (line: string) => void } = defaultIo()): Command {
  return new Command('backtest')
    .description('Backtest strategists over real candles through the live decision path; writes report.json, report.html and trades.csv')
    .requiredOption('--symbols <LIST>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT (one paper account holds them all)', symbolList)
    .option('--candles <DIR>', 'folder of <SYMBOL>-<timeframe>[-<period>].csv candle files', sharedCandlesDir())
    .requiredOption('--from <DATE>', 'window start, UTC: YYYY-MM-DD or an ISO time (earlier candles are the strategist\'s history)', (v) => date(v, '--from', false))
    .requiredOption('--to <DATE>', 'window end, UTC: YYYY-MM-DD (that whole day included) or an ISO time', (v) => date(v, '--to', true))
    .option('--strategist <LIST>', 'comma-separated: rules, llm, or paths to strategy modules (default: the config\'s strategist.kind)')
    .option('-c, --config <FILE>', 'trading config: cycle interval, timeframes, risk limits, fees, strategist, starting balances', DEFAULT_CONFIG)
    .option('--out <DIR>', 'output folder (default: a new folder under data/backtests/)')
    .option('--decide-every <N>', 'ask the strategists every N cycles (the exchange still matches every candle)', (v) => positiveInt(v, '--decide-every'), 1)
    .addOption(new Option('--matching <TF>', 'fills on finer candles: auto (the finest finer file covering the window), none, or a timeframe like 5m').default('auto'))
    .addOption(new Option('--indicators <MODE>', 'window: indicators over the last 200 candles, exactly as live; incremental: over the whole history (faster)').choices(['window', 'incremental']).default('window'))
    .option('--concurrency <N>', 'strategist calls in flight at once across symbols and strategists (the LLM is the slow part)', (v) => positiveInt(v, '--concurrency'), 4)
    .option('--balance <ASSET=AMOUNT...>', 'starting balances instead of paper.starting_balances, e.g. USDT=10000', balances)
    .option('--fee-rate <RATE>', 'fee per fill instead of paper.fee_rate, e.g. 0.001', (v) => fraction(v, '--fee-rate'))
    .option('--no-cache', 'LLM: ask the model every time (answers are still stored)')
    .option('--cache-only', 'LLM: answer from the cache only; a miss fails the run')
    .option('--max-llm-calls <N>', 'LLM: refuse to make more real calls than this', (v) => positiveInt(v, '--max-llm-calls'))
    .option('--max-llm-cost <USD>', 'LLM: refuse to spend more than this (needs llm_models prices in the config)', (v) => money(v, '--max-llm-cost'))
    .option('--allow-over-budget', 'LLM: start even when the estimate is over --max-llm-calls/--max-llm-cost (the limit still stops the run when reached; for mostly cached re-runs)')
    .option('--llm-cache <DIR>', 'LLM: the answer cache folder', DEFAULT_CACHE_DIR)
    .option('--mask', 'LLM: hide the symbol, the real dates and the price level from the model (prices rescaled; its commands scaled back before validation; see src/backtest/llm/README.md)')
    .option('--no-progress', 'no progress bar (it is only drawn on a terminal anyway)')
    .action(async (flags: Flags) => {
      await backtest(flags, io);
    });
}

async function backtest(flags: Flags, io: { out: (line: string) => void; err: (line: string) => void }): Promise<void> {
  if (!(flags.to > flags.from)) throw new BacktestInputError(`--to (${iso(flags.to)}) must be after --from (${iso(flags.from)})`);
  if (!existsSync(flags.candles)) throw new BacktestInputError(`--candles ${flags.candles}: no such folder`);
  const loaded = loadConfig(flags.config);
  const config = {
    ...loaded,
    paper: { ...loaded.paper, ...(flags.balance ? { starting_balances: flags.balance } : {}), ...(flags.feeRate !== undefined ? { fee_rate: flags.feeRate } : {}) },
  };
  const names = parseStrategistList(flags.strategist ?? config.strategist.kind);
  const strategists: StrategistSpec[] = [];
  if (flags.cacheOnly && !flags.cache) throw new BacktestInputError('--cache-only and --no-cache contradict each other');
  const budget = { ...(flags.maxLlmCalls !== undefined ? { maxCalls: flags.maxLlmCalls } : {}), ...(flags.maxLlmCost !== undefined ? { maxCost: flags.maxLlmCost } : {}) };
  const cacheMode = flags.cacheOnly ? ('cache-only' as const) : flags.cache ? ('normal' as const) : ('no-cache' as const);
  const llmRun = {
    cacheMode,
    cacheDir: flags.llmCache,
    ...(Object.keys(budget).length ? { budget } : {}),
    ...(flags.mask ? { mask: { symbols: flags.symbols, from: flags.from } } : {}),
  };
  for (const name of names) strategists.push(await loadStrategist(name, config, process.env, llmRun));
  const llms = strategists.filter((s) => s.llm);
  if (flags.mask && llms.length === 0) throw new BacktestInputError('--mask applies to LLM strategists only (--strategist llm)');
  // look-ahead through the model's memory: loud, first, and again in the report
  const warnings = llms.flatMap((s) => cutoffWarnings({ model: s.llm!.model, from: flags.from, to: flags.to, masked: flags.mask === true, ...(s.llm!.prices ? { prices: s.llm!.prices } : {}) }));
  for (const w of warnings) io.err(`WARNING: ${w}`);

  const progress = new BacktestProgress(flags.progress && process.stderr.isTTY === true, strategists.map((s) => s.name), () =>
    strategists.reduce((n, s) => n + (s.usage?.().calls ?? 0), 0),
  );
  let result;
  try {
    result = await runBacktest({
      config,
      configPath: flags.config,
      candlesDir: flags.candles,
      symbols: flags.symbols,
      from: flags.from,
      to: flags.to,
      strategists,
      decideEvery: flags.decideEvery,
      matching: flags.matching,
      indicators: flags.indicators,
      concurrency: flags.concurrency,
      onCandle: (p) => progress.update(p),
      warnings,
      masked: flags.mask === true,
      extra: { cacheMode, ...(llms.length ? { llmCache: flags.llmCache } : {}), ...(Object.keys(budget).length ? { budget } : {}) },
      // before the first call: what the LLM run will ask and cost, and a refusal over the budget
      beforeRun: (plan) => {
        for (const s of llms) {
          const estimate = estimateLlmRun({ model: s.llm!.model, decisions: plan.decisions, samplePrompt: s.llm!.promptFor(plan.sampleRequest()), mode: cacheMode, ...(s.llm!.prices ? { prices: s.llm!.prices } : {}) });
          io.err(formatEstimate(estimate));
          checkBudget(estimate, budget, { allowOverBudget: flags.allowOverBudget === true });
        }
      },
    });
  } finally {
    progress.stop();
  }
  const outDir = resolve(flags.out ?? (await newRunFolder(flags.symbols)));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'trades.csv'), tradesCsv(result.rows));
  const written = await writeReport(result.run, outDir);
  io.out(written.summary);
  io.out(outDir);
}

/** data/backtests/<UTC time>-<symbols>, never an existing one */
async function newRunFolder(symbols: string[]): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = join('data', 'backtests', `${stamp}-${symbols.join('-')}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

// ---------------------------------------------------------------- flag parsers (errors name the flag)

function symbolList(text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('give at least one symbol, e.g. BTCUSDT');
  try {
    return [...new Set(list.map((s) => canonicalSymbol(s)))];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

function date(text: string, flag: string, endOfDay: boolean): number {
  const t = text.trim();
  if (!DATE_ONLY.test(t) && !ISO_TIME.test(t)) throw new InvalidArgumentError(`${JSON.stringify(text)} is not a date like 2021-01-31 or 2021-01-31T12:00Z`);
  const iso = DATE_ONLY.test(t) ? `${t}T00:00:00Z` : /Z|[+-]\d{2}:\d{2}$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(iso);
  // Date.parse rolls 2021-02-30 over to March: a date that does not exist is refused
  if (!Number.isFinite(ms) || (DATE_ONLY.test(t) && new Date(ms).toISOString().slice(0, 10) !== t)) {
    throw new InvalidArgumentError(`${JSON.stringify(text)} is not a calendar date (${flag})`);
  }
  return DATE_ONLY.test(t) && endOfDay ? ms + 86_400_000 : ms;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a whole number >= 1, got ${JSON.stringify(text)}`);
  return n;
}

function fraction(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 0.01) throw new InvalidArgumentError(`${flag} must be between 0 and 0.01 (0.001 = 0.1%), got ${JSON.stringify(text)}`);
  return n;
}

function money(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be an amount >= 0, got ${JSON.stringify(text)}`);
  return n;
}

function balances(text: string, previous: Record<string, number> | undefined): Record<string, number> {
  const m = /^([A-Z0-9]{2,10})=(\d+(\.\d+)?)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`${JSON.stringify(text)} is not ASSET=AMOUNT, e.g. USDT=10000`);
  return { ...(previous ?? {}), [m[1]!]: Number(m[2]) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function defaultIo() {
  return { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
}

/** runs the command; the exit code: 0 done, 1 failed, 2 bad input (the message says what and where) */
export async function runBacktestCli(argv: readonly string[], io = defaultIo()): Promise<number> {
  const command = backtestCommand(io).exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  try {
    await command.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof BacktestInputError || err instanceof ConfigError || err instanceof BudgetError) {
      io.err(`backtest: ${err.message}`);
      return 2;
    }
    if (err instanceof FatalStrategistError) {
      // the budget reached, or a cache-only miss: the run stops, nothing is written
      io.err(`backtest stopped: ${err.message}`);
      return 1;
    }
    io.err(`backtest failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  }
}
