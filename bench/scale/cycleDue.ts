import { firstCycleAt, nextCycleAfter, type CycleGrid, type FirstCycle } from '../../src/domain/cycleSchedule';

/**
 * When each cycle of a symbolTrader was due, from its history, by the rule the workflow itself
 * follows (src/workflows/cycleClock.ts over src/domain/cycleSchedule.ts): the first cycle at the
 * first candle close + the symbol's offset after the workflow's first task (or at once when
 * `immediate`), each next one at the first grid point after the workflow time the previous cycle
 * started at. Workflow time is the start time of the workflow task that ran the code: the
 * `WorkflowTaskStarted` event's time. Where the workflow waited on a timer before a cycle, that
 * timer's end (its task's time + its duration) is what the workflow computed; it is checked against
 * the reconstruction, and disagreements are counted (the bench reports them: its figures would be
 * suspect). Pure over the history's events, so the due times do not depend on how busy the machine is.
 */

type Long = { toNumber(): number };
type Ts = { seconds?: number | Long | null; nanos?: number | null } | null | undefined;

/** a proto Timestamp or Duration in ms, as the workflow SDK reads it (whole ms) */
function ms(t: Ts): number {
  const s = t?.seconds ?? 0;
  return (typeof s === 'object' ? s.toNumber() : Number(s)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/** the parts of a history event read here (the client's proto type, structurally) */
export interface HistoryEventLike {
  eventTime?: Ts;
  workflowTaskStartedEventAttributes?: unknown;
  workflowTaskCompletedEventAttributes?: unknown;
  timerStartedEventAttributes?: { startToFireTimeout?: Ts } | null;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null } | null;
}

export interface CycleDue {
  /** the cycle's fetchMarketData activity (joins the worker's record of when it really started) */
  activityId: string;
  /** when the cycle was due, epoch ms */
  dueAt: number;
  /** the workflow waited on a timer for this cycle (else it was already due when the previous step ended) */
  waited: boolean;
}

export interface CycleDues {
  cycles: CycleDue[];
  /** cycles whose timer disagrees (by more than 1 ms) with the reconstructed due time */
  mismatches: number;
}

export function cycleDuesFromHistory(events: readonly HistoryEventLike[], grid: CycleGrid, first: FirstCycle): CycleDues {
  let taskStartedAt = NaN;
  let nextDue = NaN;
  let timerDue: number | null = null;
  let mismatches = 0;
  const cycles: CycleDue[] = [];
  for (const e of events) {
    // the latest task start before a completion is the attempt that ran (one that timed out did not)
    if (e.workflowTaskStartedEventAttributes) taskStartedAt = ms(e.eventTime);
    // the trader's start: its first completed task computed the first due time (src/workflows/traderStart.ts)
    if (e.workflowTaskCompletedEventAttributes && Number.isNaN(nextDue)) nextDue = firstCycleAt(grid, taskStartedAt, first);
    const timer = e.timerStartedEventAttributes;
    if (timer) timerDue = taskStartedAt + ms(timer.startToFireTimeout);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'fetchMarketData') continue;
    if (timerDue !== null && Math.abs(timerDue - nextDue) > 1) mismatches++;
    cycles.push({ activityId: scheduled.activityId ?? '', dueAt: nextDue, waited: timerDue !== null });
    // runCycle takes its start time in the task that schedules the cycle's first step
    nextDue = nextCycleAfter(grid, taskStartedAt);
    timerDue = null;
  }
  return { cycles, mismatches };
}
