/** Cycle timing of a symbol workflow; pure, so it is the same in the workflow and in tests. */

/** below this a "cycle" would only hammer the strategist and the exchange */
export const MIN_CYCLE_INTERVAL_MS = 100;

/**
 * The cadence stays on its grid (due, due + interval, ...). After downtime longer than a cycle the
 * missed cycles are not run in a burst (the market they would have seen is gone): the next one is
 * the first grid point after `now`.
 */
export function nextDueTime(due: number, interval: number, now: number): number {
  if (!(interval > 0)) throw new RangeError(`cycle interval must be positive, got ${interval}`);
  const next = due + interval;
  if (next > now) return next;
  return next + Math.ceil((now - next + 1) / interval) * interval;
}
