/**
 * Risk limits count per UTC day (the daily loss limit, trades per symbol per day): one clock for
 * every user, whatever the machine's time zone.
 */

const DAY_MS = 86_400_000;

/** epoch ms -> "YYYY-MM-DD" of its UTC day */
export function utcDay(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`utcDay: ${ms} is not a time`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** epoch ms of the start of the UTC day after the one `ms` falls in */
export function nextUtcDayStart(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}
