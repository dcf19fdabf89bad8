import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Candle } from '../../src/domain/market';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot, computeIndicators, IndicatorTracker } from '../../src/strategist/marketSnapshot';

/**
 * The snapshot's indicators (trading-signals) against textbook computations written here:
 * RSI and ATR with Wilder's smoothing (first value = simple mean of the first 14 changes / true
 * ranges, then avg = (avg * 13 + x) / 14), EMA with k = 2 / (n + 1) seeded with the first close,
 * which is how trading-signals documents and implements its EMA (not an SMA seed).
 */

const candles = readCandleFile(join(sharedCandlesDir(), 'BTCUSDT-15m.csv'));

function referenceEma(closes: number[], n: number): number {
  const k = 2 / (n + 1);
  let ema = closes[0]!;
  for (let i = 1; i < closes.length; i++) ema = closes[i]! * k + ema * (1 - k);
  return ema;
}

function wilder(values: number[], n: number): number {
  let avg = values.slice(0, n).reduce((a, b) => a + b, 0) / n;
  for (let i = n; i < values.length; i++) avg = (avg * (n - 1) + values[i]!) / n;
  return avg;
}

function referenceRsi(closes: number[], n = 14): number {
  const gains: number[] = [];
  const losses: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const change = closes[i]! - closes[i - 1]!;
    gains.push(Math.max(change, 0));
    losses.push(Math.max(-change, 0));
  }
  const avgGain = wilder(gains, n);
  const avgLoss = wilder(losses, n);
  return avgLoss === 0 ? 100 : 100 - 100 / (1 + avgGain / avgLoss);
}

function referenceAtr(window: Candle[], n = 14): number {
  const trueRanges = window.map((c, i) =>
    i === 0
      ? c.high - c.low
      : Math.max(c.high - c.low, Math.abs(c.high - window[i - 1]!.close), Math.abs(c.low - window[i - 1]!.close)),
  );
  return wilder(trueRanges, n);
}

function close(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  const tolerance = Math.abs(expected) * 1e-9;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs reference ${expected}`);
}

describe('market snapshot indicators on real BTCUSDT 15m candles', () => {
  // several points in time across the file, including its last candle, with 300 candles of history
  for (const end of [400, 5_000, 9_999, 15_432, candles.length]) {
    it(`match the independent computation at candle ${end}`, () => {
      const window = candles.slice(end - 300, end);
      const last = window[window.length - 1]!;
      const snapshot = buildMarketSnapshot({
        symbol: 'BTCUSDT',
        ticker: { last: last.close, bid: null, ask: null, timestamp: last.timestamp + 900_000 },
        candles: [{ timeframe: '15m', candles: window }],
      });
      const ind = snapshot.timeframes[0]!.indicators;
      const closes = window.map((c) => c.close);
      close(ind.ema20, referenceEma(closes, 20), 'EMA20');
      close(ind.ema50, referenceEma(closes, 50), 'EMA50');
      close(ind.rsi14, referenceRsi(closes), 'RSI14');
      close(ind.atr14, referenceAtr(window), 'ATR14');
      assert.ok(ind.rsi14! > 0 && ind.rsi14! < 100);
      assert.equal(snapshot.timeframes[0]!.lastClose, last.close);
      assert.equal(snapshot.timeframes[0]!.history, 300);
    });
  }

  it('the incremental tracker gives the same values as a fresh computation over the whole file', () => {
    const tracker = new IndicatorTracker();
    let values = tracker.values();
    for (const c of candles) values = tracker.add(c);
    const fresh = computeIndicators(candles);
    assert.deepEqual(values, fresh);
    close(values.atr14, referenceAtr(candles), 'ATR14 over the whole file');
  });

  it('reports no value until an indicator has enough history', () => {
    const few = computeIndicators(candles.slice(0, 16));
    assert.equal(few.ema20, null);
    assert.equal(few.ema50, null);
    assert.notEqual(few.rsi14, null, 'RSI14 needs 15 closes');
    assert.notEqual(few.atr14, null, 'ATR14 needs 14 candles');
    const tooFew = computeIndicators(candles.slice(0, 13));
    assert.equal(tooFew.rsi14, null);
    assert.equal(tooFew.atr14, null);
  });
});
