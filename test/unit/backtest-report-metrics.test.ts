import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../src/backtest/report/buildReport';
import { buyAndHoldEquity } from '../../src/backtest/report/buyAndHold';
import { decisionMetrics } from '../../src/backtest/report/decisionMetrics';
import { cagrPct, dailyReturns, drawdown, equityMetrics, sharpe, sortino } from '../../src/backtest/report/equityMetrics';
import { exposurePct, tradeMetrics } from '../../src/backtest/report/tradeMetrics';
import { btcTrades, ethTrades, FROM, sampleRun, START, TO, windowCandles } from '../support/backtestRun';

const H = 3_600_000;
const D = 24 * H;
const near = (actual: number | null, expected: number, digits = 6) => {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `expected ${expected}, got ${actual}`);
};

describe('equity figures on a hand-made curve', () => {
  // start 100 at day 0; 110 at noon of day 0, 99 on day 1 (10 % under the 110 peak), 121 on day 2
  const points = [
    { at: 12 * H, equity: 110 },
    { at: D + 12 * H, equity: 99 },
    { at: 2 * D + 12 * H, equity: 121 },
  ];

  it('drawdown: depth from the peak, when, and how long under water', () => {
    const dd = drawdown(points, 100, 0);
    near(dd.maxPct, 10);
    assert.equal(dd.peakAt, 12 * H);
    assert.equal(dd.troughAt, D + 12 * H);
    assert.equal(dd.longestUnderwaterMs, 2 * D, 'peak at day 0 noon, recovered at day 2 noon');
    // never recovered: under water until the last point
    assert.equal(drawdown(points.slice(0, 2), 100, 0).longestUnderwaterMs, D);
    // a curve that only rises has no drawdown
    assert.deepEqual(drawdown([{ at: 1, equity: 101 }, { at: 2, equity: 102 }], 100, 0), { maxPct: 0, peakAt: null, troughAt: null, longestUnderwaterMs: 0 });
  });

  it('daily returns from the start equity, one per UTC day', () => {
    const r = dailyReturns(points, 100, 0);
    assert.equal(r.length, 3);
    near(r[0]!, 0.1);
    near(r[1]!, -0.1);
    near(r[2]!, 121 / 99 - 1);
    // a day without a point carries the previous close
    assert.deepEqual(dailyReturns([{ at: 2 * D, equity: 100 }], 100, 0), [0, 0, 0]);
  });

  it('Sharpe and Sortino: annualised by sqrt(365), risk-free rate 0 or given', () => {
    const r = [0.1, -0.1, 0.2];
    // mean 0.0666..., sample sd sqrt(((1/30)^2 + (1/6)^2 + (2/15)^2) / 2) = 0.152752...
    near(sharpe(r, 0), (0.2 / 3 / 0.15275252316519466) * Math.sqrt(365));
    // downside deviation sqrt(0.1^2 / 3) = 0.057735...
    near(sortino(r, 0), (0.2 / 3 / 0.05773502691896258) * Math.sqrt(365));
    // 5 % a year is 0.01337 % a day, taken off every return
    const rf = Math.pow(1.05, 1 / 365) - 1;
    near(sharpe(r, 0.05), ((0.2 / 3 - rf) / 0.15275252316519466) * Math.sqrt(365));
    assert.equal(sharpe([0.01], 0), null, 'one period: undefined');
    assert.equal(sharpe([0.01, 0.01], 0), null, 'no variation: undefined');
    assert.equal(sortino([0.01, 0.02], 0), null, 'no losing day: undefined');
  });

  it('CAGR over a year and a half; none for a window under 30 days', () => {
    near(cagrPct(100, 121, 2 * 365.25 * D), 10);
    assert.equal(cagrPct(100, 121, 3 * D), null);
    const m = equityMetrics(points, 100, 0, 3 * D, { riskFreeRate: 0 });
    assert.equal(m.netPnl, 21);
    near(m.netPnlPct, 21);
    assert.equal(m.endEquity, 121);
  });
});

describe('trade figures on the sample trades (real candles, round numbers)', () => {
  it('BTCUSDT: one stop, one two-target win, one cancelled', () => {
    const m = tradeMetrics(btcTrades(), FROM, TO);
    assert.equal(m.trades, 2);
    assert.equal(m.wins, 1);
    assert.equal(m.losses, 1);
    near(m.winRatePct, 50);
    near(m.realizedPnl, -25.944 + 49.041);
    near(m.profitFactor, 49.041 / 25.944);
    near(m.avgWin, 49.041);
    near(m.avgLoss, -25.944);
    // 06:15 -> 12:00 (5h45) and 12:15 -> 00:30 (12h15): 9 h on average
    assert.equal(m.avgHoldingMs, 9 * H);
    // 18 h of 72 h
    near(m.exposurePct, 25);
    near(m.feesPaid, 1.944 + 1.959);
    assert.equal(m.cancelled, 1);
    assert.equal(m.closedByStop, 1);
    assert.equal(m.closedByTarget, 1);
    assert.equal(m.openAtEnd, 0);
  });

  it('exposure of the portfolio is the union of the positions in time', () => {
    // BTC 5h45 + 12h15, ETH 6h15 + 17h45 (open until the end): no overlap, 42 h of 72 h
    near(exposurePct([...btcTrades(), ...ethTrades()], FROM, TO), (42 / 72) * 100);
    const m = tradeMetrics(ethTrades(), FROM, TO);
    assert.equal(m.openAtEnd, 1);
    assert.equal(m.trades, 1);
    assert.equal(m.profitFactor, null, 'no loss: no profit factor');
    near(m.feesPaid, 1 + 1.08 + 1.1, 8);
  });
});

describe('buy-and-hold and decisions', () => {
  it('buy-and-hold buys at the first open and values net of the sell fee', () => {
    const { candles } = windowCandles('BTCUSDT');
    const curve = buyAndHoldEquity([candles], 10_000, 0.001, 15 * 60_000);
    assert.equal(curve.length, candles.length);
    const last = candles[candles.length - 1]!;
    near(curve[curve.length - 1]!.equity, (10_000 * 0.999 / candles[0]!.open) * last.close * 0.999);
    assert.equal(curve[0]!.at, candles[0]!.timestamp + 15 * 60_000);
  });

  it('counts commands, rejections by code and stale decisions', () => {
    const run = sampleRun();
    const btc = decisionMetrics(run.strategists[0]!.symbols[0]!.decisions);
    assert.equal(btc.decisions, 288);
    assert.equal(btc.byCommand.PLAN_TRADE, 3);
    assert.equal(btc.byCommand.ADJUST_TRADE, 1);
    assert.equal(btc.byCommand.CANCEL_ORDER, 1);
    assert.equal(btc.rejected, 3);
    assert.deepEqual(btc.rejectedByCode, { ENTRY_TOO_FAR: 1, REWARD_RISK_TOO_LOW: 2 });
    assert.equal(btc.stale, 1);
  });
});

describe('report.json figures', () => {
  it('carries the portfolio, per-symbol, buy-and-hold and LLM figures and ranks by net %', () => {
    const report = buildReport(sampleRun(), new Date(0));
    const llm = report.strategists[0]!;
    assert.equal(report.startEquity, START);
    near(llm.portfolio.realizedPnl, -25.944 + 49.041 + 77.92);
    assert.equal(llm.portfolio.trades, 3);
    assert.equal(llm.symbols[1]!.figures.openAtEnd, 1);
    assert.deepEqual(llm.llm, { calls: 400, cacheHits: 176, promptTokens: 518_400, completionTokens: 14_000, cost: 0.0862 });
    assert.equal(report.strategists[1]!.llm, null, 'the cash baseline asks no LLM');
    assert.deepEqual(report.leaderboard.map((r) => r.name), llm.portfolio.netPnlPct > 0 ? ['llm fake-model', 'cash'] : ['cash', 'llm fake-model']);
    assert.equal(report.buyAndHold.symbols.length, 2);
    assert.equal(report.conventions.riskFreeRate, 0);
    assert.equal(report.dataFiles[0]!.sha256.length, 64);
  });

  it('refuses a run without strategists or with an empty window, saying so', () => {
    const run = sampleRun();
    assert.throws(() => buildReport({ ...run, strategists: [] }, new Date(0)), /no strategist/);
    assert.throws(() => buildReport({ ...run, params: { ...run.params, to: run.params.from } }, new Date(0)), /window is empty/);
  });
});
