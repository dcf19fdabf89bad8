import { proxyActivities, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { SymbolTraderActivities } from '../activities';
import { journalTaskQueue } from '../contract/ids';

/*
 * The symbol workflow's activities and how long each may keep trying. Every activity is idempotent
 * (see src/activities/index.ts), so retrying is safe; the limits say how long a step may keep trying
 * before the workflow records the failure and goes on.
 *
 * The activities that can take a while heartbeat every 2 s (src/activities/heartbeat.ts): the
 * heartbeat timeout lets a killed worker be noticed, and the step retried elsewhere, in seconds
 * instead of at the start-to-close timeout.
 */

/** a few missed heartbeats (the SDK throttles them to 80% of this), not one slow request */
export const HEARTBEAT_TIMEOUT = '15 seconds';

/** read-only market data: a failed fetch only costs this cycle */
export const market = proxyActivities<Pick<SymbolTraderActivities, 'fetchMarketData'>>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});

/** the LLM has its own timeout and retries inside the activity; a failure becomes DO_NOTHING */
export const strategist = proxyActivities<Pick<SymbolTraderActivities, 'askStrategist'>>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 2 },
});

/** placing and cancelling orders: client ids make a retry adopt what an earlier attempt placed */
export const orders = proxyActivities<Pick<SymbolTraderActivities, 'executeAiCommand' | 'cancelPendingOrder' | 'cancelProtection' | 'flattenPosition'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** a filled position must never stay naked: protection is retried until it rests on the exchange */
export const protection = proxyActivities<Pick<SymbolTraderActivities, 'ensureProtection'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** comparing with the exchange reads (and may repair) a whole symbol: it heartbeats */
export const reconciliation = proxyActivities<Pick<SymbolTraderActivities, 'reconcileSymbol'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** one quick request each (a signal-with-start, a file append): no heartbeat */
export const bookkeeping = proxyActivities<Pick<SymbolTraderActivities, 'watchOrders' | 'appendTradeLog'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * appendTradeLog on the trade log's own task queue (journalTaskQueue), which exactly one process
 * serves. Waiting for that process is bounded: while it is down the rows stay in the workflow and
 * the next flush carries them, so trading never waits long on the journal.
 */
export function journal(): ActivityInterfaceFor<Pick<SymbolTraderActivities, 'appendTradeLog'>> {
  return proxyActivities<Pick<SymbolTraderActivities, 'appendTradeLog'>>({
    taskQueue: journalTaskQueue(workflowInfo().taskQueue),
    scheduleToStartTimeout: '10 seconds',
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
  });
}
