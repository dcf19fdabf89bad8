import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { TradingConfig } from '../config/schema';
import { ORDER_MONITOR_WORKFLOW_ID, TASK_QUEUE, TRADER_WORKFLOW_PREFIX, traderWorkflowId } from '../contract/ids';
import { SymbolKey, TradeStatusKey, TradingModeKey } from '../contract/searchAttributes';
import type { OrderMonitorInput } from '../contract/monitorState';
import type { SymbolTraderInput } from '../contract/traderState';
import { stateQuery } from '../contract/signals';
import type { SymbolTraderState } from '../contract/traderState';
import { portfolioLimits, symbolEntryRules } from '../config/envelope';
import { modelPrices } from '../config/llmPrices';
import type { PortfolioInput } from '../contract/portfolioState';
import { CliError, EXIT_USAGE } from './errors';
import { offsetCapMs } from '../domain/cycleSchedule';
import { startPortfolio } from '../portfolioClient';
import { monitorStartMetadata, strategistWords, traderStartMetadata } from '../contract/startMetadata';

/**
 * Starting and finding symbol workflows: shared by the CLI (`start`, `list`, ...) and `npm start`.
 * Starting is idempotent: a symbol whose trader runs is re-attached to, never started twice.
 */

export const SYMBOL_TRADER_WORKFLOW = 'symbolTrader';
export const ORDER_MONITOR_WORKFLOW = 'orderMonitor';

export type StartOutcome = 'started' | 'already running';

export interface StartedTrader {
  symbol: string;
  workflowId: string;
  outcome: StartOutcome;
}

export function symbolTraderInput(config: TradingConfig, symbol: string): SymbolTraderInput {
  return {
    symbol,
    cycleIntervalMs: config.cycle_interval,
    reconcileIntervalMs: config.reconcile_interval,
    // just after each candle close, every symbol at its own offset: no burst of all symbols at once
    cycleAlignment: { firstCycle: config.first_cycle, maxOffsetMs: offsetCapMs(config.cycle_interval, config.cycle_offset_max) },
    mode: config.exchange.mode,
    // every trader started by the product is inside the risk envelope: its own rules and a slot per trade
    envelope: { rules: symbolEntryRules(config.risk), portfolio: true },
  };
}

/** Symbols the CLI may start: only configured ones, because the config carries their risk limits. */
export function configuredSymbols(config: TradingConfig, requested: readonly string[]): string[] {
  if (requested.length === 0) return [...config.symbols];
  const unknown = requested.filter((s) => !config.symbols.includes(s));
  if (unknown.length > 0) {
    throw new CliError(
      `unknown symbol ${unknown.join(', ')}: not in the config's symbols (${config.symbols.join(', ')}); ` +
        'add it to config/trading_config.yaml first',
      EXIT_USAGE,
    );
  }
  return [...new Set(requested)];
}

export async function startTrader(client: Client, config: TradingConfig, symbol: string, taskQueue = TASK_QUEUE): Promise<StartedTrader> {
  const workflowId = traderWorkflowId(symbol);
  try {
    await client.workflow.start(SYMBOL_TRADER_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [symbolTraderInput(config, symbol)],
      // a running trader is never replaced: the default conflict policy fails, and we re-attach
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // the Web UI's summary and details of the run: symbol, mode, strategist, cadence
      ...traderStartMetadata({
        symbol,
        mode: config.exchange.mode,
        strategist: strategistWords(config.strategist),
        cycleIntervalMs: config.cycle_interval,
        timeframes: config.timeframes,
      }),
      typedSearchAttributes: [
        { key: SymbolKey, value: symbol },
        { key: TradingModeKey, value: config.exchange.mode },
        { key: TradeStatusKey, value: 'NONE' },
      ],
    });
    return { symbol, workflowId, outcome: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { symbol, workflowId, outcome: 'already running' };
    throw err;
  }
}

/** the portfolio workflow's input from the config (also what requestSlot starts it with) */
export function portfolioInput(config: TradingConfig): PortfolioInput {
  const input: PortfolioInput = { limits: portfolioLimits(config.risk), symbols: [...config.symbols], equityIntervalMs: config.risk.equity_check_interval };
  const s = config.strategist;
  // the budget its card shows beside the day's LLM spend; the rules strategist spends nothing
  if (s.kind === 'llm') input.llmBudget = { dailyTokens: s.budget.daily_tokens, dailyCost: s.budget.daily_cost, model: s.model, priced: modelPrices(config.llm_models)[s.model] !== undefined };
  return input;
}

/** The one order monitor; its watch set is filled by the traders' watchOrders activity. */
export async function startOrderMonitor(client: Client, input: OrderMonitorInput = {}, taskQueue = TASK_QUEUE): Promise<StartOutcome> {
  try {
    await client.workflow.start(ORDER_MONITOR_WORKFLOW, {
      taskQueue,
      workflowId: ORDER_MONITOR_WORKFLOW_ID,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      ...monitorStartMetadata(input),
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already running';
    throw err;
  }
}

export async function startTraders(
  client: Client,
  config: TradingConfig,
  symbols: readonly string[],
  taskQueue = TASK_QUEUE,
): Promise<{ traders: StartedTrader[]; monitor: StartOutcome }> {
  const monitor = await startOrderMonitor(client, {}, taskQueue);
  // the portfolio first: a trader's first PLAN_TRADE asks it for a slot
  await startPortfolio(client, portfolioInput(config), taskQueue);
  const traders: StartedTrader[] = [];
  for (const symbol of symbols) traders.push(await startTrader(client, config, symbol, taskQueue));
  return { traders, monitor };
}

export interface TraderListing {
  symbol: string;
  workflowId: string;
  runId: string;
  status: string;
  tradeStatus: string;
  mode: string;
  startTime: Date;
  closeTime?: Date;
}

function listing(info: WorkflowExecutionInfo): TraderListing {
  const sa = info.typedSearchAttributes;
  return {
    symbol: sa.get(SymbolKey) ?? info.workflowId.slice(TRADER_WORKFLOW_PREFIX.length),
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    tradeStatus: sa.get(TradeStatusKey) ?? '',
    mode: sa.get(TradingModeKey) ?? '',
    startTime: info.startTime,
    closeTime: info.closeTime,
  };
}

export const TRADE_STATUS_FILTERS = ['NONE', 'PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED'] as const;

/** Symbol workflows from visibility; running ones only unless `all`; optionally by trade status. */
export async function listTraders(
  client: Client,
  opts: { all?: boolean; tradeStatus?: (typeof TRADE_STATUS_FILTERS)[number] } = {},
): Promise<TraderListing[]> {
  const clauses = [`WorkflowType = '${SYMBOL_TRADER_WORKFLOW}'`];
  if (!opts.all) clauses.push(`ExecutionStatus = 'Running'`);
  // a closed list of values (commander checks it), so it is safe inside the query
  if (opts.tradeStatus) clauses.push(`${TradeStatusKey.name} = '${opts.tradeStatus}'`);
  const query = clauses.join(' AND ');
  const out: TraderListing[] = [];
  for await (const info of client.workflow.list({ query })) out.push(listing(info));
  return out.sort((a, b) => a.symbol.localeCompare(b.symbol) || b.startTime.getTime() - a.startTime.getTime());
}

/** A handle on the symbol's trader, or a clear error when there is none. */
export async function runningTrader(client: Client, symbol: string) {
  const workflowId = traderWorkflowId(symbol);
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`unknown symbol ${symbol}: there is no trader workflow ${workflowId} (start it with: start ${symbol})`, EXIT_USAGE);
    }
    throw err;
  }
  return { handle, description, running: description.status.name === 'RUNNING' };
}

/** how long a `state` query may take: it needs a worker, and without one it would wait for long */
export const QUERY_TIMEOUT_MS = 5_000;

/** The trader's `state` query, bounded in time. */
export function queryTraderState(
  connection: { withDeadline<R>(deadline: number, fn: () => Promise<R>): Promise<R> },
  handle: { query: (q: typeof stateQuery) => Promise<SymbolTraderState> },
): Promise<SymbolTraderState> {
  return connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(stateQuery));
}
