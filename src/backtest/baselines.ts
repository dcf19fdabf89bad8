import type { Candle } from '../domain/market';
import type { EquityPoint, StrategistRun } from './runTypes';
import type { SymbolData } from './data';

/**
 * The two baselines every leaderboard carries. DO_NOTHING (cash): the starting balance, untouched.
 * Buy-and-hold: the quote balance split equally across the symbols, each part bought at the first
 * decision candle's close of the window (paying the fee), held, and marked at every close.
 */

export interface BaselineInput {
  data: readonly SymbolData[];
  /** the decision candles of each symbol inside the window (same order as data) */
  windows: readonly Candle[][];
  startingQuote: number;
  feeRate: number;
  /** the timeline: every decision-candle close of the window, ascending */
  closes: readonly number[];
  periodMs: number;
}

export function cashBaseline(input: BaselineInput): StrategistRun {
  return {
    name: 'cash',
    kind: 'baseline',
    symbols: input.data.map((d, i) => ({ symbol: d.symbol, candles: input.windows[i]!, trades: [], decisions: [], orders: [] })),
    equity: input.closes.map((at) => ({ at, equity: input.startingQuote })),
  };
}

export function buyAndHoldBaseline(input: BaselineInput): StrategistRun {
  const share = input.startingQuote / Math.max(1, input.data.length);
  const holdings = input.windows.map((w) => (w.length > 0 ? (share / w[0]!.close) * (1 - input.feeRate) : 0));
  const cursors = input.windows.map(() => 0);
  const lastClose = input.windows.map((w) => w[0]?.close ?? 0);
  const equity: EquityPoint[] = [];
  for (const at of input.closes) {
    let total = 0;
    input.windows.forEach((w, i) => {
      // the last close at or before this moment (a gap keeps the price it had)
      while (cursors[i]! < w.length && w[cursors[i]!]!.timestamp + input.periodMs <= at) lastClose[i] = w[cursors[i]!++]!.close;
      total += w.length > 0 ? holdings[i]! * lastClose[i]! : share;
    });
    equity.push({ at, equity: total });
  }
  return {
    name: 'buy-and-hold',
    kind: 'baseline',
    symbols: input.data.map((d, i) => ({ symbol: d.symbol, candles: input.windows[i]!, trades: [], decisions: [], orders: [] })),
    equity,
  };
}
