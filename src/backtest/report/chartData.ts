import type { Candle } from '../../domain/market';
import type { Trade } from '../../domain/trade';
import type { BacktestRun, EquityPoint, OrderRecord, SymbolRun } from '../runTypes';
import { buyAndHoldCurves, candlesBySymbol, startEquityOf, timeframeMs } from './buildReport';
import { drawdownSeries } from './equityMetrics';

/**
 * What report.html draws (time in UTC seconds, ascending, one point per time), in compact arrays
 * that page.js turns into lightweight-charts' objects: a bar is [time, open, high, low, close], a
 * line point [time, value] or [time, value, 1] when the segment starting at it is not drawn. A long
 * run has tens of thousands of points per curve; objects would triple the page. Pure. Candles and
 * buy-and-hold are stored once; each strategist brings its curves and,
 * per symbol, the markers (entries, exits, plans, cancels, adjusts) and the stop/target levels as
 * one line per level whose segments between trades are transparent (lightweight-charts joins a
 * line across whitespace; a point's colour paints the segment that ends at it).
 */

/** [time, open, high, low, close] */
export type Bar = [number, number, number, number, number];
/** [time, value] or [time, value, 1]: 1 = the segment from this point on is hidden */
export type LinePoint = [number, number] | [number, number, 1];
export interface Marker {
  time: number;
  position: 'aboveBar' | 'belowBar' | 'inBar';
  shape: 'arrowUp' | 'arrowDown' | 'circle' | 'square';
  color: string;
  text: string;
}

export interface ChartData {
  candles: Record<string, Bar[]>;
  buyAndHold: LinePoint[];
  strategists: {
    name: string;
    equity: LinePoint[];
    drawdown: LinePoint[];
    symbols: { symbol: string; markers: Marker[]; stops: LinePoint[]; targets: LinePoint[][] }[];
  }[];
}

export const COLORS = { entry: '#1e88e5', stop: '#e53935', target: '#43a047', plan: '#8e24aa', cancel: '#757575', adjust: '#fb8c00' };

export function chartData(run: BacktestRun): ChartData {
  const tf = timeframeMs(run.params);
  const start = startEquityOf(run);
  const bars = candlesBySymbol(run);
  const candles: Record<string, Bar[]> = {};
  for (const [symbol, c] of bars) candles[symbol] = c.map(bar);
  return {
    candles,
    buyAndHold: line(buyAndHoldCurves(run).portfolio, 100),
    strategists: run.strategists.map((s) => ({
      name: s.name,
      equity: line(s.equity, 100),
      drawdown: line(drawdownSeries(s.equity, start), 1000),
      symbols: s.symbols.map((sym) => symbolOverlay(sym, bars.get(sym.symbol) ?? sym.candles, tf, run.params.to)),
    })),
  };
}

function bar(c: Candle): Bar {
  return [sec(c.timestamp), c.open, c.high, c.low, c.close];
}

function sec(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * One point per second, the last one at a time wins (the chart refuses repeated times), values
 * rounded to 1/scale (cents of equity, thousandths of a drawdown %): the page shows no more.
 */
export function line(points: readonly EquityPoint[], scale: number): LinePoint[] {
  const sorted = points.every((p, i) => i === 0 || points[i - 1]!.at <= p.at) ? points : [...points].sort((a, b) => a.at - b.at);
  const out: LinePoint[] = [];
  for (const p of sorted) {
    const point: LinePoint = [sec(p.at), Math.round(p.equity * scale) / scale];
    if (out.length > 0 && out[out.length - 1]![0] === point[0]) out[out.length - 1] = point;
    else out.push(point);
  }
  return out;
}

function symbolOverlay(sym: SymbolRun, candles: readonly Candle[], tf: number, windowEnd: number) {
  const snap = (at: number) => sec(Math.floor(at / tf) * tf);
  const markers: Marker[] = [];
  for (const t of sym.trades) {
    // the buy marker names the price of a filled plan; an unfilled one says it here
    const planText = t.entryFills.length === 0 ? `plan ${fmt(t.entryPrice)}` : '';
    markers.push({ time: snap(t.createdAt), position: 'belowBar', shape: 'circle', color: COLORS.plan, text: planText });
    for (const f of t.entryFills) {
      markers.push({ time: snap(f.at), position: 'belowBar', shape: 'arrowUp', color: COLORS.entry, text: `buy ${fmt(f.price)}` });
    }
    for (const f of t.exitFills) {
      const isStop = f.reason === 'STOP';
      const label = isStop ? 'stop' : f.reason === 'TARGET' ? `TP${(f.targetIndex ?? 0) + 1}` : 'exit';
      markers.push({ time: snap(f.at), position: 'aboveBar', shape: 'arrowDown', color: isStop ? COLORS.stop : COLORS.target, text: `${label} ${fmt(f.price)}` });
    }
    if (t.status === 'CANCELLED') {
      const at = t.entryEndedAt ?? t.closedAt;
      if (at !== undefined) markers.push({ time: snap(at), position: 'aboveBar', shape: 'square', color: COLORS.cancel, text: 'cancelled' });
    }
  }
  for (const d of sym.decisions) {
    if (d.accepted && d.command.action === 'ADJUST_TRADE') {
      markers.push({ time: snap(d.at), position: 'belowBar', shape: 'square', color: COLORS.adjust, text: `adjust stop ${fmt(d.command.new_stop_loss_price)}` });
    }
  }
  markers.sort((a, b) => a.time - b.time);
  const times = candles.map((c) => sec(c.timestamp));
  const stopOrders = new Map<string, OrderRecord[]>();
  for (const o of sym.orders) if (o.stopPrice !== undefined) stopOrders.set(o.tradeId, [...(stopOrders.get(o.tradeId) ?? []), o]);
  const maxTargets = Math.max(0, ...sym.trades.map((t) => t.takeProfitPrices.length));
  return {
    symbol: sym.symbol,
    markers,
    stops: levels(sym.trades, times, tf, windowEnd, (t, at) => stopAt(t, stopOrders.get(t.id) ?? [], at)),
    targets: Array.from({ length: maxTargets }, (_, i) => levels(sym.trades, times, tf, windowEnd, (t, at) => targetAt(t, i, at))),
  };
}

/** A level drawn over each trade's life (created to closed/cancelled), one point per candle. */
function levels(trades: readonly Trade[], times: readonly number[], tf: number, windowEnd: number, levelAt: (t: Trade, at: number) => number | null): LinePoint[] {
  const byTime = new Map<number, LinePoint>();
  for (const t of trades) {
    const from = sec(Math.floor(t.createdAt / tf) * tf);
    const until = sec(t.closedAt ?? t.entryEndedAt ?? windowEnd);
    let last: LinePoint | null = null;
    for (let i = lowerBound(times, from); i < times.length && times[i]! <= until; i++) {
      const value = levelAt(t, times[i]! * 1000);
      if (value === null) continue;
      last = [times[i]!, value];
      byTime.set(times[i]!, last);
    }
    // the segment from this trade's last point to the next trade's first one is not drawn
    if (last) byTime.set(last[0], [last[0], last[1], 1]);
  }
  return [...byTime.values()].sort((a, b) => a[0] - b[0]);
}

/** a target's level until its take-profit filled */
function targetAt(trade: Trade, index: number, at: number): number | null {
  const price = trade.takeProfitPrices[index];
  if (price === undefined) return null;
  const hit = trade.exitFills.find((f) => f.reason === 'TARGET' && f.targetIndex === index);
  return hit && hit.at < at ? null : price;
}

/** the stop in force at a time: the last stop order sent for the trade by then, else the planned one */
function stopAt(trade: Trade, orders: readonly OrderRecord[], at: number): number {
  let stop: number | undefined;
  for (const o of orders) {
    if (o.tradeId !== trade.id || o.stopPrice === undefined) continue;
    if (o.at > at) break;
    stop = o.stopPrice;
  }
  if (stop !== undefined) return stop;
  const first = orders.find((o) => o.tradeId === trade.id && o.stopPrice !== undefined);
  return first?.stopPrice ?? trade.stopLossPrice;
}

function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(8)));
}
