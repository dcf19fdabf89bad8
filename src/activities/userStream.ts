import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TradeEvent } from '../domain/events';
import { ORDER_MONITOR_WORKFLOW_ID, traderWorkflowId } from '../contract/ids';
import { monitorStateQuery, orderEventSignal, reconcileNowSignal } from '../contract/signals';
import { StreamSession, type StreamProgress } from '../oms/streamMonitor';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';

/** how long one streamOrders attempt holds the stream before it hands back to the monitor, which starts the next */
export const DEFAULT_STREAM_SESSION_MS = 6 * 3_600_000;
const HEARTBEAT_EVERY_MS = 1_000;

export interface StreamOrdersInput {
  /** end the session (return) after this long; default DEFAULT_STREAM_SESSION_MS */
  sessionMs?: number;
}

export type StreamOrdersResult =
  | { streamed: false; reason: string }
  | ({ streamed: true } & StreamProgress);

/**
 * The streaming monitor's activity (started by the orderMonitor workflow, src/workflows/orderMonitor.ts):
 * a long-running, heartbeating shell around the stream session (src/oms/streamMonitor.ts). It reads
 * the monitor's watch set with a query (no history events), signals each owning symbol workflow
 * the moment an event arrives, and asks them to reconcile after every (re)connect. A worker that
 * dies stops heartbeating: the attempt times out in seconds and another worker's attempt connects,
 * catches up from REST, and goes on. Without a stream (exchange.user_stream off) it answers at once
 * and the monitor polls.
 */
export function userStreamActivities(deps: Pick<ActivityDeps, 'gateway' | 'secrets' | 'temporalClient' | 'userStream'>) {
  const scrub = makeScrub(deps.secrets);
  return {
    async streamOrders(input: StreamOrdersInput = {}): Promise<StreamOrdersResult> {
      const stream = deps.userStream;
      if (!stream) return { streamed: false, reason: 'no user-data stream for this venue and mode (exchange.user_stream): the monitor polls' };
      return runStep('streamOrders', scrub, async () => {
        const context = Context.current();
        const client = deps.temporalClient ?? context.client;
        const monitor = client.workflow.getHandle(context.info.workflowExecution?.workflowId ?? ORDER_MONITOR_WORKFLOW_ID);
        let sessionTimer: NodeJS.Timeout | undefined;
        const stopped = Promise.race([
          context.cancelled.catch(() => undefined),
          new Promise<void>((resolve) => (sessionTimer = setTimeout(resolve, input.sessionMs ?? DEFAULT_STREAM_SESSION_MS))),
        ]);
        const ignoreGone = (err: unknown) => {
          // its symbol workflow is gone (stopped): nobody to tell; starting the symbol again reconciles
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        };
        const session = new StreamSession({
          stream,
          gateway: deps.gateway,
          watched: async () => Object.values((await monitor.query(monitorStateQuery)).watched),
          deliver: (symbol: string, events: TradeEvent[]) =>
            client.workflow.getHandle(traderWorkflowId(symbol)).signal(orderEventSignal, events).catch(ignoreGone),
          reconcileNow: async (symbols, reason) => {
            await Promise.all(symbols.map((s) => client.workflow.getHandle(traderWorkflowId(s)).signal(reconcileNowSignal, { reason }).catch(ignoreGone)));
          },
          stopped,
          log: (message) => context.log.warn(scrub(message)),
        });
        const beat = () => context.heartbeat({ ...session.progress, lastError: session.progress.lastError && scrub(session.progress.lastError) });
        beat();
        const heartbeats = setInterval(beat, HEARTBEAT_EVERY_MS);
        try {
          return { streamed: true as const, ...(await session.run()) };
        } finally {
          clearInterval(heartbeats);
          clearTimeout(sessionTimer);
        }
      });
    },
  };
}
