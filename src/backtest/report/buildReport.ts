import { parseDuration } from '../../config/schema';
import type { BacktestParams, BacktestRun, EquityPoint, StrategistRun } from '../runTypes';
import { buyAndHoldEquity } from './buyAndHold';
import { decisionMetrics, llmMetrics, mergeDecisionMetrics, type DecisionMetrics } from './decisionMetrics';
import { equityMetrics, PERIODS_PER_YEAR, type EquityMetrics } from './equityMetrics';
import { tradeMetrics, type TradeMetrics } from './tradeMetrics';

/**
 * report.json: every figure of a run, machine-readable. Pure: the same run and the same
 * `generatedAt` give the same object, key order included, so the file is byte-identical for the same
 * inputs apart from its timestamp. Numbers are rounded (money to 1e-8, ratios to 1e-6) so that
 * float noise in the last digit never shows up as a difference.
 */

export const REPORT_SCHEMA = 'dynamic-executor/backtest-report@1';

export interface Figures extends EquityMetrics, TradeMetrics {}

export interface SymbolReport {
  symbol: string;
  /** equity figures are null when the engine gave no per-symbol equity curve */
  figures: (Partial<EquityMetrics> & TradeMetrics) | Figures;
  buyAndHold: EquityMetrics;
  decisions: DecisionMetrics;
}

export interface StrategistReport {
  name: string;
  kind: StrategistRun['kind'];
  portfolio: Figures;
  symbols: SymbolReport[];
  decisions: DecisionMetrics;
  llm: { calls: number; cacheHits: number; promptTokens: number; completionTokens: number; cost: number | null } | null;
  /** the risk envelope's halts (kill switch), when the envelope was on */
  halts?: NonNullable<StrategistRun['halts']>;
}

export interface LeaderboardRow {
  rank: number;
  name: string;
  kind: string;
  netPnl: number;
  netPnlPct: number;
  maxDrawdownPct: number;
  sharpe: number | null;
  trades: number;
  winRatePct: number | null;
  feesPaid: number;
}

export interface Report {
  schema: string;
  generatedAt: string;
  codeVersion: string;
  params: BacktestParams;
  dataFiles: BacktestRun['dataFiles'];
  warnings: string[];
  conventions: {
    currency: string;
    returnsPeriod: '1d';
    periodsPerYear: number;
    riskFreeRate: number;
    sharpe: string;
    sortino: string;
    cagr: string;
    drawdown: string;
    exposure: string;
    buyAndHold: string;
  };
  startEquity: number;
  buyAndHold: { portfolio: EquityMetrics; symbols: { symbol: string; figures: EquityMetrics }[] };
  strategists: StrategistReport[];
  /** best net PnL % first; ties keep the run's order */
  leaderboard: LeaderboardRow[];
}

export function timeframeMs(params: BacktestParams): number {
  return parseDuration(params.decisionTimeframe);
}

/** the account's value at the start, in the quote currency */
export function startEquityOf(run: BacktestRun): number {
  const quote = run.params.startingBalances[run.params.quoteCurrency];
  if (quote !== undefined) return quote;
  const first = run.strategists.find((s) => s.equity.length > 0)?.equity[0];
  if (!first) throw new Error('report: no starting balance in the quote currency and no equity point to start from');
  return first.equity;
}

export function riskFreeRateOf(params: BacktestParams): number {
  const rf = params.extra?.riskFreeRate;
  return typeof rf === 'number' && Number.isFinite(rf) ? rf : 0;
}

/** the window's candles per symbol, from the first strategist that has them */
export function candlesBySymbol(run: BacktestRun): Map<string, StrategistRun['symbols'][number]['candles']> {
  const out = new Map<string, StrategistRun['symbols'][number]['candles']>();
  for (const symbol of run.params.symbols) {
    const found = run.strategists.flatMap((s) => s.symbols).find((s) => s.symbol === symbol && s.candles.length > 0);
    out.set(symbol, found?.candles ?? []);
  }
  return out;
}

type Curves = { portfolio: EquityPoint[]; symbols: Map<string, EquityPoint[]> };
/** the report and the page both need the curves of a run: computed once per run object */
const curvesOf = new WeakMap<BacktestRun, Curves>();

export function buyAndHoldCurves(run: BacktestRun): Curves {
  let curves = curvesOf.get(run);
  if (!curves) {
    curves = computeBuyAndHold(run);
    curvesOf.set(run, curves);
  }
  return curves;
}

function computeBuyAndHold(run: BacktestRun): Curves {
  const start = startEquityOf(run);
  const tf = timeframeMs(run.params);
  const candles = candlesBySymbol(run);
  const symbols = new Map<string, EquityPoint[]>();
  for (const [symbol, c] of candles) symbols.set(symbol, buyAndHoldEquity([c], start / candles.size, run.params.feeRate, tf));
  return { portfolio: buyAndHoldEquity([...candles.values()], start, run.params.feeRate, tf), symbols };
}

export function buildReport(run: BacktestRun, generatedAt: Date): Report {
  const { params } = run;
  if (run.strategists.length === 0) throw new Error('report: the run has no strategist');
  if (!(params.to > params.from)) throw new Error(`report: the window is empty (from ${params.from} to ${params.to})`);
  const start = startEquityOf(run);
  const options = { riskFreeRate: riskFreeRateOf(params) };
  const share = start / Math.max(1, params.symbols.length);
  const bh = buyAndHoldCurves(run);
  const bhSymbols = params.symbols.map((symbol) => ({
    symbol,
    figures: equityMetrics(bh.symbols.get(symbol) ?? [], share, params.from, params.to, options),
  }));

  const strategists = run.strategists.map((s): StrategistReport => {
    const symbols = s.symbols.map((sym): SymbolReport => {
      const trades = tradeMetrics(sym.trades, params.from, params.to);
      const equity = sym.equity ? equityMetrics(sym.equity, share, params.from, params.to, options) : {};
      return {
        symbol: sym.symbol,
        figures: { ...equity, ...trades },
        buyAndHold: bhSymbols.find((b) => b.symbol === sym.symbol)?.figures ?? equityMetrics([], share, params.from, params.to, options),
        decisions: decisionMetrics(sym.decisions),
      };
    });
    const decisions = mergeDecisionMetrics(symbols.map((x) => x.decisions));
    const portfolio: Figures = {
      ...equityMetrics(s.equity, start, params.from, params.to, options),
      ...tradeMetrics(
        s.symbols.flatMap((x) => x.trades),
        params.from,
        params.to,
      ),
    };
    const llm = s.llm || s.kind === 'llm' ? llmMetrics(s.llm, decisions) : null;
    return { name: s.name, kind: s.kind, portfolio, symbols, decisions, llm, ...(s.halts ? { halts: s.halts } : {}) };
  });

  const report: Report = {
    schema: REPORT_SCHEMA,
    generatedAt: generatedAt.toISOString(),
    codeVersion: run.codeVersion,
    params: run.params,
    dataFiles: run.dataFiles,
    warnings: run.warnings,
    conventions: {
      currency: params.quoteCurrency,
      returnsPeriod: '1d',
      periodsPerYear: PERIODS_PER_YEAR,
      riskFreeRate: options.riskFreeRate,
      sharpe: 'mean of daily (UTC) excess returns / their sample standard deviation, x sqrt(365)',
      sortino: 'mean of daily excess returns / root mean square of the negative ones over all days, x sqrt(365)',
      cagr: 'compound annual growth over the window (365.25-day years); null for windows shorter than 30 days',
      drawdown: '% below the running peak of equity marked to market at every decision-timeframe close; duration = longest time below a previous peak',
      exposure: '% of the window with a filled position open (any symbol, for the portfolio)',
      buyAndHold: 'starting equity split equally across symbols, bought at the first open and valued net of a sell fee at each close',
    },
    startEquity: start,
    buyAndHold: { portfolio: equityMetrics(bh.portfolio, start, params.from, params.to, options), symbols: bhSymbols },
    strategists,
    leaderboard: leaderboard(strategists),
  };
  return roundDeep(report) as Report;
}

export function leaderboard(strategists: readonly StrategistReport[]): LeaderboardRow[] {
  return strategists
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.portfolio.netPnlPct - a.s.portfolio.netPnlPct || a.i - b.i)
    .map(({ s }, k) => ({
      rank: k + 1,
      name: s.name,
      kind: s.kind,
      netPnl: s.portfolio.netPnl,
      netPnlPct: s.portfolio.netPnlPct,
      maxDrawdownPct: s.portfolio.maxDrawdownPct,
      sharpe: s.portfolio.sharpe,
      trades: s.portfolio.trades,
      winRatePct: s.portfolio.winRatePct,
      feesPaid: s.portfolio.feesPaid,
    }));
}

/** 8 decimals for every non-integer number: stable across platforms' last-digit float noise */
export function roundDeep(value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    if (Number.isInteger(value)) return value;
    const r = Math.round(value * 1e8) / 1e8;
    return Object.is(r, -0) ? 0 : r;
  }
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)]));
  return value;
}
