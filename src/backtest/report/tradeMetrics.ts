import type { Trade } from '../../domain/trade';

/**
 * Figures over a list of trades as the trade state machine left them. A "trade" in the counts is a
 * CLOSED one (it has a realized PnL); PENDING/ACTIVE at the window's end and CANCELLED ones are
 * counted separately. Fees are every fill's fee, open trades included.
 */

export interface TradeMetrics {
  /** closed trades */
  trades: number;
  wins: number;
  losses: number;
  /** % of closed trades with a positive realized PnL; null with no closed trade */
  winRatePct: number | null;
  grossProfit: number;
  grossLoss: number;
  /** gross profit / gross loss; null when there is no loss (or no trade) */
  profitFactor: number | null;
  avgWin: number | null;
  avgLoss: number | null;
  /** realized PnL of closed trades, after their fees */
  realizedPnl: number;
  /** first entry fill to last exit fill, closed trades; ms */
  avgHoldingMs: number | null;
  /** % of the window with a position open (any quantity filled and not yet all exited) */
  exposurePct: number;
  feesPaid: number;
  planned: number;
  cancelled: number;
  /** still PENDING or ACTIVE when the window ended */
  openAtEnd: number;
  closedByStop: number;
  closedByTarget: number;
}

export function tradeMetrics(trades: readonly Trade[], from: number, to: number): TradeMetrics {
  const closed = trades.filter((t) => t.status === 'CLOSED');
  const pnls = closed.map(realizedPnl);
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p <= 0);
  const grossProfit = sum(wins);
  const grossLoss = -sum(losses);
  const holdings = closed.map(holdingMs).filter((h): h is number => h !== null);
  return {
    trades: closed.length,
    wins: wins.length,
    losses: losses.length,
    winRatePct: closed.length > 0 ? (wins.length / closed.length) * 100 : null,
    grossProfit,
    grossLoss,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    avgWin: wins.length > 0 ? grossProfit / wins.length : null,
    avgLoss: losses.length > 0 ? -grossLoss / losses.length : null,
    realizedPnl: sum(pnls),
    avgHoldingMs: holdings.length > 0 ? sum(holdings) / holdings.length : null,
    exposurePct: exposurePct(trades, from, to),
    feesPaid: sum(trades.map(feesOf)),
    planned: trades.length,
    cancelled: trades.filter((t) => t.status === 'CANCELLED').length,
    openAtEnd: trades.filter((t) => t.status === 'PENDING' || t.status === 'ACTIVE').length,
    closedByStop: closed.filter((t) => exitReason(t) === 'STOP').length,
    closedByTarget: closed.filter((t) => exitReason(t) === 'TARGET').length,
  };
}

/** the state machine's figure when set; else exits minus entries minus fees (LONG) */
export function realizedPnl(trade: Trade): number {
  if (trade.realizedPnl !== undefined) return trade.realizedPnl;
  const sign = trade.direction === 'LONG' ? 1 : -1;
  const entries = sum(trade.entryFills.map((f) => f.price * f.quantity));
  const exits = sum(trade.exitFills.map((f) => f.price * f.quantity));
  return sign * (exits - entries) - feesOf(trade);
}

export function feesOf(trade: Trade): number {
  return sum(trade.entryFills.map((f) => f.fee)) + sum(trade.exitFills.map((f) => f.fee));
}

/** how the position ended: the reason of the last exit fill */
export function exitReason(trade: Trade): 'STOP' | 'TARGET' | 'MANUAL' | null {
  const last = trade.exitFills[trade.exitFills.length - 1];
  return last ? last.reason : null;
}

export function holdingMs(trade: Trade): number | null {
  const interval = positionInterval(trade, Infinity);
  return interval && Number.isFinite(interval[1]) ? interval[1] - interval[0] : null;
}

/** [first entry fill, last exit fill] (or [first fill, end] while still held); null if never filled */
export function positionInterval(trade: Trade, end: number): [number, number] | null {
  if (trade.entryFills.length === 0) return null;
  const start = Math.min(...trade.entryFills.map((f) => f.at));
  const filled = sum(trade.entryFills.map((f) => f.quantity));
  const exited = sum(trade.exitFills.map((f) => f.quantity));
  // a position is flat once exits cover the fills (to a part in a million, for float sums)
  const flat = trade.exitFills.length > 0 && exited >= filled * (1 - 1e-6);
  const stop = flat ? Math.max(...trade.exitFills.map((f) => f.at)) : end;
  return [start, stop];
}

/** % of [from, to] covered by the union of the trades' position intervals (any symbol) */
export function exposurePct(trades: readonly Trade[], from: number, to: number): number {
  if (!(to > from)) return 0;
  const intervals = trades
    .map((t) => positionInterval(t, to))
    .filter((i): i is [number, number] => i !== null)
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [a, b] of intervals) {
    if (a > curEnd) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else curEnd = Math.max(curEnd, b);
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  return (covered / (to - from)) * 100;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
