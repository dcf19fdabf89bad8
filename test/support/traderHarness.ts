import { after, before } from 'node:test';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tradeIdFor } from '../../src/domain/newTrade';
import { traderWorkflowId } from '../../src/contract/ids';
import { orderEventSignal, stateQuery } from '../../src/contract/signals';
import type { SymbolTraderInput, SymbolTraderState } from '../../src/contract/traderState';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { timeSkippingEnv, withWorker } from './temporalEnv';
import { doNothing, ExchangeModel, planLong, type Script } from './temporalExchange';

/**
 * What the symbolTrader workflow tests share: one time-skipping server per test file, traders
 * started on it the way the product starts them (paper mode, a 15-minute cycle), and waits on the
 * trade log rows that mark a cycle or a transition as done.
 */

export const INTERVAL = 15 * 60_000;

export type Trader = WorkflowHandle<typeof symbolTrader>;

export interface TraderSuite {
  /** the time-skipping server; available inside tests (started before them, torn down after) */
  readonly env: TestWorkflowEnvironment;
  startTrader(taskQueue: string, symbol: string, extra?: Pick<SymbolTraderInput, 'maxCyclesPerRun' | 'envelope'>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof symbolTrader>>;
}

/** registers the calling test file's before/after hooks: call once, at the top level of the file */
export function traderSuite(): TraderSuite {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  const suite: TraderSuite = {
    get env(): TestWorkflowEnvironment {
      if (!env) throw new Error('the time-skipping server is only there inside tests (before() has not run)');
      return env;
    },
    startTrader(taskQueue, symbol, extra = {}) {
      return suite.env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId(symbol),
        args: [{ symbol, cycleIntervalMs: INTERVAL, mode: 'paper', ...extra }],
      });
    },
  };
  return suite;
}

/** a cycle is done when its rows reached the trade log (flushed after the cycle's last step) */
export function cycleDone(model: ExchangeModel, sequence: number): Promise<void> {
  return model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.sequence === sequence), `cycle ${sequence} journaled`);
}

export function transition(model: ExchangeModel, action: string): Promise<void> {
  return model.until(() => model.hasRow((r) => r.kind === 'TRANSITION' && r.action === action), `${action} journaled`);
}

export function state(handle: Trader): Promise<SymbolTraderState> {
  return handle.query(stateQuery);
}

/** what a test gets from withPlannedTrader: the model, the started trader and its cycle-1 trade id */
export interface PlannedTrader {
  model: ExchangeModel;
  handle: Trader;
  taskQueue: string;
  /** the id the trade planned in cycle 1 has (or would have) */
  tradeId: string;
}

export interface PlannedTraderOptions {
  /** the strategist's answers; default: a long plan (entry 100, stop 95) in cycle 1, nothing after */
  script?: Script;
  /** the default plan's targets */
  targets?: number[];
  /** anything the model must be set to before the trader starts (broken activities, fills on placement) */
  setup?: (model: ExchangeModel) => void;
}

/**
 * The prologue most trader tests share: a fresh exchange model, a worker on it, the trader for
 * `symbol` started and its first cycle journaled; then `body` runs while the worker does.
 */
export async function withPlannedTrader(
  suite: TraderSuite,
  symbol: string,
  options: PlannedTraderOptions,
  body: (run: PlannedTrader) => Promise<void>,
): Promise<void> {
  const model = new ExchangeModel();
  model.script = options.script ?? ((i) => (i.sequence === 1 ? planLong(symbol, options.targets) : doNothing()));
  options.setup?.(model);
  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    const handle = await suite.startTrader(taskQueue, symbol);
    await cycleDone(model, 1);
    await body({ model, handle, taskQueue, tradeId: tradeIdFor(symbol, 1) });
  });
}

/** the cycle-1 entry fills in full (as the monitor would report it); resolves once PENDING->ACTIVE is journaled */
export async function fillEntry({ model, handle, tradeId }: PlannedTrader): Promise<void> {
  await handle.signal(orderEventSignal, [model.fillEntry(tradeId)]);
  await transition(model, 'PENDING->ACTIVE');
}
