import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SlotDecision, SlotRequest } from '../domain/envelope/slots';
import { PORTFOLIO_WORKFLOW_ID, TASK_QUEUE } from '../contract/ids';
import { releaseSlotUpdate, requestSlotUpdate } from '../contract/portfolioApi';
import type { PortfolioInput, PortfolioState } from '../contract/portfolioState';
import { PortfolioStatusKey } from '../contract/searchAttributes';
import { portfolioStartMetadata } from '../contract/startMetadata';

/**
 * Talking to the portfolio workflow from outside a workflow (activities, the CLI). Asking for a
 * slot starts the portfolio when it is not running, the way watchOrders starts the monitor: a
 * terminated portfolio comes back at the next request, with its grants rebuilt by reconciliation.
 */

/** the portfolio workflow's handle, typed by its input and result (the workflow itself is not imported here) */
export type PortfolioHandle = WorkflowHandle<(input: PortfolioInput) => Promise<PortfolioState>>;

export async function startPortfolio(client: Client, input: PortfolioInput, taskQueue = TASK_QUEUE): Promise<'started' | 'already running'> {
  try {
    await client.workflow.start<(input: PortfolioInput) => Promise<PortfolioState>>('portfolio', {
      taskQueue,
      workflowId: PORTFOLIO_WORKFLOW_ID,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [{ key: PortfolioStatusKey, value: 'ACTIVE' }],
      ...portfolioStartMetadata(input),
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already running';
    throw err;
  }
}

/** runs `work` on the portfolio, starting it first if it is not running (and `input` says how) */
export async function onPortfolio<T>(client: Client, start: { input?: PortfolioInput; taskQueue: string }, work: (h: PortfolioHandle) => Promise<T>): Promise<T> {
  const handle: PortfolioHandle = client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
  try {
    return await work(handle);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError) || !start.input) throw err;
    await startPortfolio(client, start.input, start.taskQueue);
    return work(client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID));
  }
}

export function askForSlot(client: Client, start: { input?: PortfolioInput; taskQueue: string }, request: SlotRequest): Promise<SlotDecision> {
  return onPortfolio(client, start, (h) => h.executeUpdate(requestSlotUpdate, { args: [request], updateId: `slot:${request.tradeId}` }));
}

export function giveBackSlot(client: Client, start: { input?: PortfolioInput; taskQueue: string }, tradeId: string, reason: string): Promise<{ released: boolean }> {
  return onPortfolio(client, start, (h) => h.executeUpdate(releaseSlotUpdate, { args: [{ tradeId, reason }], updateId: `release:${tradeId}` }));
}
