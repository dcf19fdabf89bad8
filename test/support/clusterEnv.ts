import type { WorkflowHandle } from '@temporalio/client';
import { ClusterToolsMissing, findClusterTools } from '../../src/devstack/cluster/tools';
import type { CrashStack, WorkerProcess } from './crashHarness';

/**
 * Tests on the production cluster (src/devstack/cluster) need its tools, which
 * scripts/setup-cluster.sh builds (5-11 minutes). A developer who has not run it gets a skip that
 * says what to run; under CI (.ci/run sets CI=true and runs the setup) the tests always run, and
 * missing tools fail them with the same message.
 */
export function clusterSkip(): string | false {
  try {
    findClusterTools();
    return false;
  } catch (err) {
    if (!(err instanceof ClusterToolsMissing)) throw err;
    if (process.env.CI) return false;
    return `SKIPPED: ${err.message}`;
  }
}

/**
 * The worker process the server has given the workflow's running `activity` to (the identity it
 * polled with, from the pending activity's description); undefined while none has it.
 */
export async function workerRunning(stack: CrashStack, handle: WorkflowHandle, activity: string): Promise<WorkerProcess | undefined> {
  const description = await handle.describe();
  const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === activity);
  const identity = pending?.lastWorkerIdentity;
  if (!identity || Number(pending.state) !== PENDING_ACTIVITY_STATE_STARTED) return undefined;
  return stack.liveWorkers().find((w) => w.identity === identity);
}

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const PENDING_ACTIVITY_STATE_STARTED = 2;

/** the identities of the workers that completed `activity` in the workflow's history, in order */
export async function completedBy(handle: WorkflowHandle, activity: string): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  const started = new Map<string, string>();
  const done: string[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), st.identity ?? '?');
    const c = e.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === activity) done.push(started.get(String(c.scheduledEventId)) ?? c.identity ?? '?');
  }
  return done;
}
