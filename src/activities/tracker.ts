import { Context } from '@temporalio/activity';
import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import { OrderTracker } from '../oms';
import { ORDER_MONITOR_WORKFLOW_ID } from '../contract/ids';
import { ORDER_MONITOR_WORKFLOW_TYPE, type OrderMonitorWorkflow } from '../contract/monitorState';
import { watchSignal } from '../contract/signals';
import { monitorStartMetadata } from '../contract/startMetadata';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';

/**
 * Order tracking for the monitor workflow, and the symbol workflows' way of handing it a trade.
 *
 * The tracker remembers what it last saw of each order so that a poll only fetches orders that
 * changed. That memory is only trusted while the monitor's run that asked is known to have received
 * every earlier answer: a retried attempt (the previous answer may be lost) or a new monitor run
 * (continue-as-new, or a monitor started afresh) gets a fresh tracker that reports every fact not
 * applied yet again. Duplicates are harmless: every event carries a stable id.
 */
export function trackerActivities(deps: Pick<ActivityDeps, 'gateway' | 'secrets' | 'temporalClient' | 'orderMonitor'>) {
  const scrub = makeScrub(deps.secrets);
  const trackers = new Map<string, OrderTracker>();

  const trackerFor = (runId: string, attempt: number): OrderTracker => {
    if (attempt > 1) trackers.delete(runId);
    let tracker = trackers.get(runId);
    if (!tracker) {
      tracker = new OrderTracker(deps.gateway);
      trackers.set(runId, tracker);
      // a handful of runs at most are alive at once (one monitor, plus one that just continued as new)
      for (const key of trackers.keys()) if (trackers.size > 4) trackers.delete(key);
    }
    return tracker;
  };

  return {
    async trackOrders(input: { trades: Trade[] }): Promise<TradeEvent[]> {
      return runStep('trackOrders', scrub, () =>
        withHeartbeat(() => {
          const info = Context.current().info;
          return trackerFor(info.workflowExecution?.runId ?? '', info.attempt).trackOrders(input.trades);
        }),
      );
    },

    async watchOrders(input: { trade: Trade }): Promise<void> {
      await runStep('watchOrders', scrub, async () => {
        const context = Context.current();
        const client = deps.temporalClient ?? context.client;
        // signal-with-start: the monitor is started if it is not running; the same watch twice is a no-op there
        await client.workflow.signalWithStart<OrderMonitorWorkflow, [Trade]>(ORDER_MONITOR_WORKFLOW_TYPE, {
          workflowId: ORDER_MONITOR_WORKFLOW_ID,
          taskQueue: context.info.taskQueue,
          args: [deps.orderMonitor ?? {}],
          ...monitorStartMetadata(deps.orderMonitor),
          signal: watchSignal,
          signalArgs: [input.trade],
        });
      });
    },
  };
}
