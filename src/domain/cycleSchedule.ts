/**
 * When a symbol's cycles come due. A trader decides just after a candle closes, so the cycles sit on
 * the candle grid (UTC multiples of the cycle interval: where Binance's candles of every timeframe
 * that divides the interval close), each symbol a little after the close by an offset of its own.
 * The offset is a hash of the symbol, so it is the same on every worker, in every run and after a
 * restart, and a thousand symbols do not all come due in the same instant. Pure: the workflow, the
 * benches and the tests compute the same times.
 */

/** how the first cycle after a start is timed */
export const FIRST_CYCLES = ['aligned', 'immediate'] as const;
/**
 * - aligned: at the first candle close (+ the symbol's offset) after the start;
 * - immediate: at once when the trader starts; the cycles after it are aligned.
 */
export type FirstCycle = (typeof FIRST_CYCLES)[number];

/** the default most a symbol's cycles come after the candle close */
export const DEFAULT_MAX_CYCLE_OFFSET_MS = 2 * 60_000;
/** the offset stays within this share of the interval, so a cycle still decides early in its candle */
export const MAX_OFFSET_SHARE_OF_INTERVAL = 0.1;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Binance's weekly candles open on Mondays 00:00 UTC; 1970-01-01 was a Thursday */
const FIRST_MONDAY_MS = 4 * DAY_MS;

export interface CycleGrid {
  intervalMs: number;
  /** the grid's points are anchor + offsetMs + k * intervalMs */
  anchorMs: number;
  /** this symbol's delay after the candle close, 0 <= offsetMs < intervalMs */
  offsetMs: number;
}

/**
 * The most a symbol's offset may be for a cadence: the configured maximum, but never more than a
 * tenth of the interval (2 minutes at 15-minute cycles would be 90 s).
 */
export function offsetCapMs(intervalMs: number, configuredMaxMs: number = DEFAULT_MAX_CYCLE_OFFSET_MS): number {
  if (!(intervalMs > 0)) throw new RangeError(`cycle interval must be positive, got ${intervalMs}`);
  if (!(configuredMaxMs >= 0)) throw new RangeError(`the maximum cycle offset must be 0 or more, got ${configuredMaxMs}`);
  return Math.floor(Math.min(configuredMaxMs, intervalMs * MAX_OFFSET_SHARE_OF_INTERVAL));
}

/** FNV-1a, 32 bits: small, deterministic, and spreads similar names (S0001USDT, S0002USDT) apart */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** the symbol's own delay after each candle close: 0 <= offset < maxOffsetMs (0 when maxOffsetMs is 0) */
export function symbolOffsetMs(symbol: string, maxOffsetMs: number): number {
  const max = Math.floor(maxOffsetMs);
  if (!(max >= 0)) throw new RangeError(`the maximum cycle offset must be 0 or more, got ${maxOffsetMs}`);
  return max === 0 ? 0 : fnv1a(symbol) % max;
}

/**
 * The symbol's grid for a cadence. `maxOffsetMs` is taken as given (offsetCapMs is the product's
 * choice); it must stay below the interval, or a cycle would slide into the next candle.
 */
export function cycleGrid(symbol: string, intervalMs: number, maxOffsetMs: number): CycleGrid {
  if (!(intervalMs > 0)) throw new RangeError(`cycle interval must be positive, got ${intervalMs}`);
  if (!(maxOffsetMs >= 0 && maxOffsetMs < intervalMs)) {
    throw new RangeError(`the maximum cycle offset must be at least 0 and below the interval ${intervalMs} ms, got ${maxOffsetMs}`);
  }
  // whole weeks: on Mondays, where weekly candles close; anything shorter on UTC multiples (days, hours, minutes)
  const anchorMs = intervalMs % WEEK_MS === 0 ? FIRST_MONDAY_MS : 0;
  return { intervalMs, anchorMs, offsetMs: symbolOffsetMs(symbol, maxOffsetMs) };
}

function phaseOf(grid: CycleGrid): number {
  return grid.anchorMs + grid.offsetMs;
}

/** the first grid point at or after `t` */
export function gridPointAtOrAfter(grid: CycleGrid, t: number): number {
  const phase = phaseOf(grid);
  return phase + Math.ceil((t - phase) / grid.intervalMs) * grid.intervalMs;
}

/**
 * The next cycle after one that started at `startedAt`: the first grid point strictly after it. A
 * cycle that ran late does not shift the grid, and after downtime the missed cycles are skipped,
 * not run in a burst (the market they would have seen is gone).
 */
export function nextCycleAfter(grid: CycleGrid, startedAt: number): number {
  const phase = phaseOf(grid);
  return phase + (Math.floor((startedAt - phase) / grid.intervalMs) + 1) * grid.intervalMs;
}

/** when the first cycle of a trader that starts at `startedAt` is due */
export function firstCycleAt(grid: CycleGrid, startedAt: number, first: FirstCycle): number {
  return first === 'immediate' ? startedAt : gridPointAtOrAfter(grid, startedAt);
}

/** whether `t` is one of the grid's points (a due time the workflow computed) */
export function onGrid(grid: CycleGrid, t: number): boolean {
  return (((t - phaseOf(grid)) % grid.intervalMs) + grid.intervalMs) % grid.intervalMs === 0;
}
