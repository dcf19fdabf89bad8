import type { EquityPoint } from '../runTypes';

/**
 * Figures of an equity curve: net PnL, CAGR, drawdown, Sharpe and Sortino. Pure functions over
 * plain points (epoch ms, quote currency), so they can be checked by hand on a few numbers.
 *
 * Conventions (stated in report.json under `conventions`):
 * - returns are taken per UTC day (the last equity point of each day; the start counts as day 0),
 *   annualised with 365 periods a year (crypto trades every day);
 * - the risk-free rate is an annual rate, 0 unless the run says otherwise, turned into a daily one
 *   by compounding: (1 + rf)^(1/365) - 1;
 * - Sortino's downside deviation is the root mean square of the below-target returns over ALL
 *   periods (target = the daily risk-free rate), the usual definition (Sortino & Price 1994).
 */

export const DAY_MS = 86_400_000;
export const PERIODS_PER_YEAR = 365;
const YEAR_MS = 365.25 * DAY_MS;
/** annualising a few days' return gives absurd figures (thousands of %): CAGR needs a month at least */
export const MIN_CAGR_SPAN_MS = 30 * DAY_MS;

export interface EquityMetrics {
  startEquity: number;
  endEquity: number;
  netPnl: number;
  netPnlPct: number;
  /** compound annual growth rate, %; null for a window shorter than 30 days (not meaningful) */
  cagrPct: number | null;
  /** largest peak-to-trough fall, % of the peak (a positive number) */
  maxDrawdownPct: number;
  /** when the deepest drawdown's peak and trough were */
  maxDrawdownPeakAt: number | null;
  maxDrawdownTroughAt: number | null;
  /** longest time under a previous peak (peak to recovery, or to the end if never recovered), ms */
  maxDrawdownDurationMs: number;
  /** annualised; null when there are fewer than 2 daily returns or they do not vary */
  sharpe: number | null;
  sortino: number | null;
}

export interface RatioOptions {
  /** annual risk-free rate as a fraction (0.04 = 4 %) */
  riskFreeRate: number;
}

/**
 * @param start the starting equity (the account at the window's start; the curve's first point may
 *   come one candle later)
 * @param from window start, epoch ms (for CAGR and the first day's return)
 * @param to window end, epoch ms
 */
export function equityMetrics(points: readonly EquityPoint[], start: number, from: number, to: number, options: RatioOptions): EquityMetrics {
  const end = points.length > 0 ? points[points.length - 1]!.equity : start;
  const dd = drawdown(points, start, from);
  const daily = dailyReturns(points, start, from);
  return {
    startEquity: start,
    endEquity: end,
    netPnl: end - start,
    netPnlPct: start > 0 ? ((end - start) / start) * 100 : 0,
    cagrPct: cagrPct(start, end, to - from),
    maxDrawdownPct: dd.maxPct,
    maxDrawdownPeakAt: dd.peakAt,
    maxDrawdownTroughAt: dd.troughAt,
    maxDrawdownDurationMs: dd.longestUnderwaterMs,
    sharpe: sharpe(daily, options.riskFreeRate),
    sortino: sortino(daily, options.riskFreeRate),
  };
}

export function cagrPct(start: number, end: number, spanMs: number): number | null {
  if (spanMs < MIN_CAGR_SPAN_MS || start <= 0) return null;
  if (end <= 0) return -100;
  return (Math.pow(end / start, YEAR_MS / spanMs) - 1) * 100;
}

export interface Drawdown {
  maxPct: number;
  peakAt: number | null;
  troughAt: number | null;
  longestUnderwaterMs: number;
}

/** The curve starts at `start` equity at time `from` (the peak before any point). */
export function drawdown(points: readonly EquityPoint[], start: number, from: number): Drawdown {
  let peak = start;
  let peakAt = from;
  let underwater = false;
  let result: Drawdown = { maxPct: 0, peakAt: null, troughAt: null, longestUnderwaterMs: 0 };
  for (const p of points) {
    if (p.equity >= peak) {
      if (underwater) result.longestUnderwaterMs = Math.max(result.longestUnderwaterMs, p.at - peakAt);
      underwater = false;
      peak = p.equity;
      peakAt = p.at;
      continue;
    }
    underwater = true;
    const pct = peak > 0 ? ((peak - p.equity) / peak) * 100 : 0;
    if (pct > result.maxPct) result = { ...result, maxPct: pct, peakAt, troughAt: p.at };
  }
  const last = points[points.length - 1];
  if (last && underwater) result.longestUnderwaterMs = Math.max(result.longestUnderwaterMs, last.at - peakAt);
  return result;
}

/** drawdown at every point, % below the running peak (0 or negative), for the chart */
export function drawdownSeries(points: readonly EquityPoint[], start: number): EquityPoint[] {
  let peak = start;
  return points.map((p) => {
    peak = Math.max(peak, p.equity);
    return { at: p.at, equity: peak > 0 ? ((p.equity - peak) / peak) * 100 : 0 };
  });
}

/**
 * Simple returns between the closing equity of consecutive UTC days. Day 0 closes at `start`
 * (the equity at `from`); a day without a point carries the previous close (return 0).
 */
export function dailyReturns(points: readonly EquityPoint[], start: number, from: number): number[] {
  if (points.length === 0) return [];
  const closes = new Map<number, number>();
  for (const p of points) closes.set(Math.floor(p.at / DAY_MS), p.equity);
  const firstDay = Math.floor(from / DAY_MS);
  const lastDay = Math.floor(points[points.length - 1]!.at / DAY_MS);
  const returns: number[] = [];
  let previous = start;
  for (let day = firstDay; day <= lastDay; day++) {
    const close = closes.get(day) ?? previous;
    // the start day: the return from `start` to that day's close is the first period
    returns.push(previous > 0 ? close / previous - 1 : 0);
    previous = close;
  }
  return returns;
}

export function dailyRiskFree(annual: number): number {
  return Math.pow(1 + annual, 1 / PERIODS_PER_YEAR) - 1;
}

export function sharpe(returns: readonly number[], riskFreeRate: number): number | null {
  if (returns.length < 2) return null;
  const rf = dailyRiskFree(riskFreeRate);
  const excess = returns.map((r) => r - rf);
  const mean = average(excess);
  const sd = Math.sqrt(excess.reduce((s, r) => s + (r - mean) ** 2, 0) / (excess.length - 1));
  if (!(sd > 1e-15)) return null;
  return (mean / sd) * Math.sqrt(PERIODS_PER_YEAR);
}

export function sortino(returns: readonly number[], riskFreeRate: number): number | null {
  if (returns.length < 2) return null;
  const rf = dailyRiskFree(riskFreeRate);
  const excess = returns.map((r) => r - rf);
  const downside = Math.sqrt(excess.reduce((s, r) => s + Math.min(0, r) ** 2, 0) / excess.length);
  if (!(downside > 1e-15)) return null;
  return (average(excess) / downside) * Math.sqrt(PERIODS_PER_YEAR);
}

function average(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
