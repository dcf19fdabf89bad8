/**
 * When each cycle was due, by the workflow's own clock. symbolTrader keeps its cycles on a grid
 * (due, due + interval, ...; src/workflows/symbolTrader.ts nextDueTime): the first cycle is due the
 * moment the workflow starts, and each next one at the first grid point after the previous cycle
 * started (which is due + interval unless that cycle was more than one interval late). The grid's
 * phase comes from the workflow's `state` query (nextCycleAt), the cycle starts from the activities.
 */

/** the first grid point strictly after t */
function gridAfter(t: number, anchor: number, interval: number): number {
  return anchor + (Math.floor((t - anchor) / interval) + 1) * interval;
}

/** the first grid point at or after t */
function gridAtOrAfter(t: number, anchor: number, interval: number): number {
  return anchor + Math.ceil((t - anchor) / interval) * interval;
}

export interface CycleDue {
  /** per cycle (index 0 = cycle 1): when it was due, epoch ms */
  due: number[];
  /** the grid point after the last cycle agrees with the workflow's own nextCycleAt */
  consistent: boolean;
}

/**
 * @param starts wall-clock start of each cycle's first step, in cycle order (all cycles up to the
 *   queried state's sequence, for the consistency check)
 * @param nextCycleAt the workflow's next due time (any point of its grid), from its `state` query
 * @param startRequestedAt when the workflow start was requested: its first cycle is due at the first
 *   grid point at or after it (the workflow's first task runs after the request, within an interval)
 */
export function cycleDueTimes(starts: readonly number[], nextCycleAt: number, intervalMs: number, startRequestedAt: number): CycleDue {
  const due: number[] = [];
  for (let k = 0; k < starts.length; k++) {
    let at = k === 0 ? gridAtOrAfter(startRequestedAt, nextCycleAt, intervalMs) : gridAfter(starts[k - 1]!, nextCycleAt, intervalMs);
    // the previous step may have been scheduled just before a grid point and started just after it
    while (at > starts[k]!) at -= intervalMs;
    due.push(at);
  }
  const last = starts[starts.length - 1];
  const consistent = last === undefined || gridAfter(last, nextCycleAt, intervalMs) === nextCycleAt;
  return { due, consistent };
}
