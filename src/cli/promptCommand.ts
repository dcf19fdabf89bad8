import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import { parseDuration, type TradingConfig } from '../config/schema';
import type { Candle } from '../domain/market';
import { tradeIdFor } from '../domain/newTrade';
import { canonicalSymbol } from '../domain/symbols';
import type { Trade } from '../domain/trade';
import type { DecisionContext } from '../domain/validation';
import { readCandleFile } from '../marketdata/candleFile';
import { createStrategist } from '../strategist/createStrategist';
import { decide } from '../strategist/decide';
import { buildMarketSnapshot, type MarketSnapshot } from '../strategist/marketSnapshot';
import { buildPrompt } from '../strategist/prompt';
import { closedCandlesAt, resampleCandles } from '../strategist/resample';
import { CliError, EXIT_USAGE } from './errors';

/**
 * `prompt`: prompt transparency. Prints the exact system and user prompt the strategist gets for a
 * symbol at a point in time, from a candle file, with a given trade state; with --ask it also asks
 * the configured strategist (the LLM when OPENAI_API_KEY is set, else the rules) and prints its
 * answer and the validation verdict.
 *
 * Timeframes: for each configured timeframe, a file beside --candles named <SYMBOL>-<tf>.csv is used
 * when it exists; otherwise a longer timeframe is resampled from the --candles file (the shared data
 * has 1m/5m/15m, so 1h and 4h come from 15m). A shorter timeframe without a file is left out (noted
 * on stderr). Only candles that had closed at --at are used; the last price is the last close.
 */

/** candles per timeframe the indicators are computed over (what a live fetch would also get) */
const HISTORY = 500;

export interface PromptOptions {
  symbol: string;
  candles: string;
  at: string;
  trade: 'none' | 'pending' | 'active';
  entry?: number;
  stop?: number;
  targets?: number[];
  tradeId?: string;
  size?: number;
  ask?: boolean;
  config?: string;
}

export function promptCommand(): Command {
  return new Command('prompt')
    .description('print the exact strategist prompt for a symbol at a point in time (and, with --ask, the answer and verdict)')
    .requiredOption('--symbol <SYMBOL>', 'symbol, BTCUSDT or BTC/USDT')
    .requiredOption('--candles <FILE>', 'candle CSV (timestamp_ms,open,high,low,close,volume), e.g. ../shared/data/candles/BTCUSDT-15m.csv')
    .requiredOption('--at <TIME>', 'point in time, ISO 8601 UTC, e.g. 2021-03-01T12:00Z')
    .addOption(new Option('--trade <STATE>', 'trade state of the symbol').choices(['none', 'pending', 'active']).default('none'))
    .option('--entry <PRICE>', 'entry price (pending/active)', positiveNumber)
    .option('--stop <PRICE>', 'stop-loss price (pending/active)', positiveNumber)
    .option('--targets <PRICES>', 'take-profit prices, comma separated, e.g. 67000,69000', priceList)
    .option('--trade-id <ID>', 'trade id shown in the prompt (default T-<SYMBOL>-000001)')
    .option('--size <PERCENT>', 'position size percent of the trade (default: the risk limit)', positiveNumber)
    .option('--ask', 'ask the configured strategist and print its answer and the validation verdict')
    .option('--config <PATH>', 'configuration file (default config/trading_config.yaml or $TRADING_CONFIG)')
    .action(async (opts: PromptOptions) => {
      for (const line of await runPrompt(opts, process.env)) console.log(line);
    });
}

export async function runPrompt(opts: PromptOptions, env: Record<string, string | undefined>): Promise<string[]> {
  const config = readConfig(opts.config);
  const symbol = usage(() => canonicalSymbol(opts.symbol));
  const at = Date.parse(opts.at);
  if (!Number.isFinite(at)) throw new CliError(`--at "${opts.at}" is not a time; write it like 2021-03-01T12:00Z`, EXIT_USAGE);

  const snapshot = snapshotAt(symbol, opts.candles, at, config);
  const trade = tradeFrom(opts, symbol, at, config);
  const context: DecisionContext = {
    symbol,
    trade,
    lastPrice: snapshot.last,
    risk: config.risk,
    marketType: 'spot',
    openTradesCount: trade ? 1 : 0,
  };
  const prompt = buildPrompt({ symbol, trade, snapshot, risk: config.risk, now: at, maxPromptTokens: config.strategist.max_prompt_tokens });
  const lines = ['=== SYSTEM PROMPT ===', prompt.system, '', '=== USER PROMPT ===', prompt.user];
  if (!opts.ask) return lines;

  const strategist = createStrategist(config, env, (m) => console.error(`WARNING: ${m}`));
  const decision = await decide({ symbol, trade, snapshot, context, strategist });
  lines.push('', `=== ANSWER (${strategist.description}) ===`);
  lines.push(decision.rawAnswer ?? JSON.stringify(decision.rejection ? undefined : decision.command) ?? '(no answer)');
  lines.push('', '=== VERDICT ===');
  lines.push(
    decision.accepted
      ? `ACCEPTED ${decision.command.action}`
      : `REJECTED at ${decision.rejection!.stage} (${decision.rejection!.code}): ${decision.rejection!.reason}`,
  );
  lines.push(`command: ${JSON.stringify(decision.command)}`);
  return lines;
}

function readConfig(path: string | undefined): TradingConfig {
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
}

/** The market snapshot at `at` from the candle file (and its siblings, or resampled from it). */
export function snapshotAt(symbol: string, file: string, at: number, config: Pick<TradingConfig, 'timeframes'>): MarketSnapshot {
  const name = /^([A-Za-z0-9]+)-(\d+[mhd])(-[^.]+)?\.csv$/.exec(basename(file));
  if (!name) {
    throw new CliError(`--candles ${file}: expected a file named <SYMBOL>-<timeframe>.csv, e.g. BTCUSDT-15m.csv`, EXIT_USAGE);
  }
  const [, fileSymbol, baseTf, period = ''] = name;
  if (usage(() => canonicalSymbol(fileSymbol!)) !== symbol) {
    throw new CliError(`--candles ${file} holds ${fileSymbol} candles, not ${symbol}`, EXIT_USAGE);
  }
  if (!existsSync(file)) throw new CliError(`--candles ${file}: the file is not there (candle files: ${dirname(file)}/<SYMBOL>-<timeframe>.csv)`, EXIT_USAGE);
  const baseMs = parseDuration(baseTf!);
  const base = usage(() => readCandleFile(file));
  const closed = closedCandlesAt(base, baseMs, at);
  const first = base[0]!.timestamp;
  const lastClose = base[base.length - 1]!.timestamp + baseMs;
  if (closed.length === 0 || at > lastClose + baseMs) {
    throw new CliError(
      `--at ${new Date(at).toISOString()} is outside ${file}, which covers ${new Date(first).toISOString()} to ${new Date(lastClose).toISOString()}`,
      EXIT_USAGE,
    );
  }

  const timeframes: Array<{ timeframe: string; candles: Candle[] }> = [];
  for (const tf of config.timeframes) {
    const tfMs = parseDuration(tf);
    const sibling = join(dirname(file), `${fileSymbol}-${tf}${period}.csv`);
    let candles: Candle[];
    if (tf === baseTf) candles = closed;
    else if (existsSync(sibling)) candles = closedCandlesAt(usage(() => readCandleFile(sibling)), tfMs, at);
    else if (tfMs > baseMs && tfMs % baseMs === 0) {
      candles = resampleCandles(closed.slice(-HISTORY * (tfMs / baseMs)), tfMs, at);
    } else {
      console.error(`note: no ${tf} candles beside ${file} and ${tf} cannot be built from ${baseTf}; left out`);
      continue;
    }
    if (candles.length === 0) {
      console.error(`note: no ${tf} candle had closed at ${new Date(at).toISOString()}; left out`);
      continue;
    }
    timeframes.push({ timeframe: tf, candles: candles.slice(-HISTORY) });
  }
  if (timeframes.length === 0) throw new CliError(`no configured timeframe (${config.timeframes.join(', ')}) could be built from ${file}`, EXIT_USAGE);
  const last = closed[closed.length - 1]!.close;
  return buildMarketSnapshot({ symbol, ticker: { last, bid: null, ask: null, timestamp: at }, candles: timeframes });
}

function tradeFrom(opts: PromptOptions, symbol: string, at: number, config: TradingConfig): Trade | null {
  if (opts.trade === 'none') {
    const extra = (['entry', 'stop', 'targets', 'tradeId'] as const).filter((k) => opts[k] !== undefined);
    if (extra.length > 0) {
      const names = `--${extra.map(kebab).join(', --')}`;
      throw new CliError(`${names} only ${extra.length === 1 ? 'applies' : 'apply'} to --trade pending or --trade active`, EXIT_USAGE);
    }
    return null;
  }
  const missing = (['entry', 'stop', 'targets'] as const).filter((k) => opts[k] === undefined);
  if (missing.length > 0) throw new CliError(`--trade ${opts.trade} needs --${missing.join(', --')}`, EXIT_USAGE);
  const entry = opts.entry!;
  const size = opts.size ?? config.risk.max_position_size_percent;
  const equity = config.paper.starting_balances.USDT ?? 10_000;
  const quantity = (equity * size) / 100 / entry;
  const id = opts.tradeId ?? tradeIdFor(symbol, 1);
  const trade: Trade = {
    id,
    symbol,
    direction: 'LONG',
    status: opts.trade === 'pending' ? 'PENDING' : 'ACTIVE',
    entryPrice: entry,
    stopLossPrice: opts.stop!,
    takeProfitPrices: opts.targets!,
    quantity,
    positionSizePercent: size,
    entryFills: [],
    exitFills: [],
    orders: [],
    createdAt: at,
  };
  if (opts.trade === 'active') {
    trade.entryFills = [{ eventId: `${id}:cli-fill`, price: entry, quantity, fee: 0, at }];
    trade.activatedAt = at;
  }
  return trade;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number.`);
  return n;
}

function priceList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a comma-separated list of positive prices.`);
    return n;
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError((err as Error).message, EXIT_USAGE);
  }
}

// Run directly: `npx tsx src/cli/promptCommand.ts --symbol ...` (src/client.ts mounts it as `prompt`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  promptCommand()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = err instanceof CliError ? err.exitCode : 1;
    });
}
