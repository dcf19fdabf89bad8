import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { TRADER_WORKFLOW_PREFIX, traderWorkflowId } from '../contract/ids';
import { TradeStatusKey } from '../contract/searchAttributes';
import { stateQuery } from '../contract/signals';
import type { SymbolTraderState } from '../contract/traderState';
import { firstLine } from './context';
import { QUERY_TIMEOUT_MS, SYMBOL_TRADER_WORKFLOW } from './traders';

/**
 * What `status` knows of one symbol, from Temporal alone (no worker needed for a stopped one):
 * - running: its `state` query (a worker answers it);
 * - stopped: the run completed, and a trader's result IS its last state (symbolTrader returns it), so
 *   its last trade is read from the close event of the history;
 * - ended: failed, terminated, timed out or cancelled: no result; the state query is tried (a worker
 *   replays the closed run to answer it), else only the search attributes are known;
 * - not started: configured, but no trader workflow has ever run for it.
 */
export type SymbolStatus =
  | { kind: 'running'; symbol: string; runId: string; state: SymbolTraderState }
  | { kind: 'stopped'; symbol: string; runId: string; closedAt: Date | undefined; state: SymbolTraderState }
  | { kind: 'ended'; symbol: string; runId: string; closedAt: Date | undefined; execution: string; tradeStatus: string; state: SymbolTraderState | null; why?: string }
  | { kind: 'unavailable'; symbol: string; runId: string; why: string }
  | { kind: 'not started'; symbol: string };

export interface StatusSource {
  client: Client;
  connection: Pick<Connection, 'withDeadline'>;
}

/**
 * Every symbol worth a row: the configured ones and any that has a trader workflow in visibility
 * (a symbol since removed from the config may still hold a position), sorted.
 */
export async function statusSymbols(client: Client, configured: readonly string[]): Promise<string[]> {
  const symbols = new Set(configured);
  // continued-as-new runs are the same trader's earlier generations: only the chain's last run counts
  const query = `WorkflowType = '${SYMBOL_TRADER_WORKFLOW}' AND ExecutionStatus != 'ContinuedAsNew'`;
  for await (const info of client.workflow.list({ query })) {
    if (info.workflowId.startsWith(TRADER_WORKFLOW_PREFIX)) symbols.add(info.workflowId.slice(TRADER_WORKFLOW_PREFIX.length));
  }
  return [...symbols].sort();
}

/** A stopped run's result never changes: read once per run id (status --watch asks every interval). */
export class StoppedStates {
  readonly #byRun = new Map<string, SymbolTraderState>();

  async get(source: StatusSource, workflowId: string, runId: string): Promise<SymbolTraderState> {
    const known = this.#byRun.get(runId);
    if (known) return known;
    const handle = source.client.workflow.getHandle(workflowId, runId, { followRuns: false });
    const state = (await source.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.result())) as SymbolTraderState;
    this.#byRun.set(runId, state);
    return state;
  }
}

/** The latest run of the symbol's trader (describe without a run id), read as one SymbolStatus. */
export async function symbolStatus(source: StatusSource, symbol: string, stopped = new StoppedStates()): Promise<SymbolStatus> {
  const workflowId = traderWorkflowId(symbol);
  const handle = source.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'not started', symbol };
    throw err;
  }
  const { runId, status, closeTime } = description;
  const query = () => source.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(stateQuery));
  if (status.name === 'RUNNING') {
    try {
      return { kind: 'running', symbol, runId, state: await query() };
    } catch (err) {
      return { kind: 'unavailable', symbol, runId, why: firstLine(err) };
    }
  }
  if (status.name === 'COMPLETED') {
    try {
      return { kind: 'stopped', symbol, runId, closedAt: closeTime, state: await stopped.get(source, workflowId, runId) };
    } catch (err) {
      return { kind: 'unavailable', symbol, runId, why: `its result cannot be read: ${firstLine(err)}` };
    }
  }
  const tradeStatus = description.typedSearchAttributes.get(TradeStatusKey) ?? '';
  const ended = { kind: 'ended' as const, symbol, runId, closedAt: closeTime, execution: status.name, tradeStatus };
  try {
    return { ...ended, state: await query() };
  } catch (err) {
    return { ...ended, state: null, why: firstLine(err) };
  }
}
