/**
 * The cadence for a test that wants the trader's first cycle (first_cycle: immediate) and no other
 * while it runs. Cycles after the first sit on the candle grid, so a fixed `cycle_interval: 1h` gives
 * a test that starts a minute before the hour's close a second cycle it did not ask for
 * (crash-placing-plan failed so in CI at 14:00 UTC). This picks the first interval whose next grid
 * point is at least `horizonMs` away, computed with the workflow's own schedule (src/domain/cycleSchedule.ts).
 */
import { cadenceText } from '../../src/contract/displayText';
import { cycleGrid, nextCycleAfter } from '../../src/domain/cycleSchedule';

/** longer than any one test file that starts such a stack runs (the whole suite takes about 25 min) */
export const QUIET_HORIZON_MS = 30 * 60_000;
/**
 * Hours with no common multiple soon: when the next hour's close is near, an odd next hour is not
 * on the 2 h grid, one that is not a multiple of 3 is not on the 3 h grid, and so on. All of them
 * fail together only at a multiple of 30030 hours since 1970.
 */
const CANDIDATE_HOURS = [1, 2, 3, 5, 7, 11, 13];

export interface QuietCadence {
  /** the config's cycle_interval, e.g. "1h" */
  interval: string;
  intervalMs: number;
  /** as the product writes it: "every 1 h" */
  cadenceText: string;
  /** the config lines: interval, no per-symbol offset (so the grid is the same for every symbol), first cycle at once */
  lines: string[];
}

export function quietCadence(now: number = Date.now(), horizonMs: number = QUIET_HORIZON_MS): QuietCadence {
  for (const hours of CANDIDATE_HOURS) {
    const intervalMs = hours * 3_600_000;
    if (intervalMs <= horizonMs) continue;
    if (nextCycleAfter(cycleGrid('ANY', intervalMs, 0), now) - now < horizonMs) continue;
    const interval = `${hours}h`;
    return {
      interval,
      intervalMs,
      cadenceText: cadenceText(intervalMs),
      lines: [`cycle_interval: ${interval}`, 'cycle_offset_max: 0s', 'first_cycle: immediate'],
    };
  }
  throw new Error(`no cycle interval of ${CANDIDATE_HOURS.join(', ')} h has its next grid point ${horizonMs / 60_000} min or more after ${new Date(now).toISOString()}`);
}
