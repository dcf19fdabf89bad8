import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RiskConfig } from '../../src/config/schema';
import type { Trade } from '../../src/domain/trade';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot, estimateTokens, renderMarketData } from '../../src/strategist/marketSnapshot';
import { buildPrompt, systemPrompt } from '../../src/strategist/prompt';
import { closedCandlesAt, resampleCandles } from '../../src/strategist/resample';

const candles = readCandleFile(join(sharedCandlesDir(), 'BTCUSDT-15m.csv'));
const risk = RiskConfig.parse({});
const at = Date.parse('2021-03-01T12:00Z');
const closed = closedCandlesAt(candles, 900_000, at).slice(-2_000);

function snapshot(recentCandles = 24) {
  return buildMarketSnapshot({
    symbol: 'BTCUSDT',
    ticker: { last: 47722.8, bid: 47722.79, ask: 47722.81, timestamp: at },
    candles: [
      { timeframe: '15m', candles: closed.slice(-500) },
      { timeframe: '1h', candles: resampleCandles(closed, 3_600_000, at) },
      { timeframe: '4h', candles: resampleCandles(closed, 4 * 3_600_000, at) },
    ],
    recentCandles,
  });
}

function trade(status: 'PENDING' | 'ACTIVE'): Trade {
  return {
    id: 'T-BTCUSDT-000007',
    symbol: 'BTCUSDT',
    direction: 'LONG',
    status,
    entryPrice: 47000,
    stopLossPrice: 46000,
    takeProfitPrices: [49000, 51000],
    quantity: 0.02,
    positionSizePercent: 5,
    entryFills: status === 'ACTIVE' ? [{ eventId: 'e1', price: 47000, quantity: 0.02, fee: 0, at }] : [],
    exitFills: [],
    orders: [],
    createdAt: at - 3_600_000,
  };
}

describe('market data section and token budget', () => {
  it('fits the stated budget by dropping the oldest candles, and keeps every indicator', () => {
    const big = snapshot(200);
    const full = renderMarketData(big, 100_000);
    assert.ok(estimateTokens(full) > 4_000, 'the untrimmed section is larger than the budgets below');
    for (const budget of [4_000, 2_000, 1_000, 500]) {
      const text = renderMarketData(big, budget);
      assert.ok(estimateTokens(text) <= budget, `${estimateTokens(text)} tokens for a budget of ${budget}`);
      assert.equal(text.match(/RSI14 [\d.]+ {2}EMA20 [\d.]+ {2}EMA50 [\d.]+ {2}ATR14 [\d.]+/g)?.length, 3, 'indicators of all 3 timeframes');
      // the newest candle of the primary timeframe is always the one kept
      assert.ok(text.includes('2021-03-01 11:45,'), 'newest 15m candle kept');
    }
    const rows = (t: string) => t.split('\n').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d,/.test(l)).length;
    assert.equal(rows(full), big.timeframes.reduce((n, tf) => n + tf.candles.length, 0));
    assert.equal(big.timeframes[0]!.candles.length, 200);
    assert.ok(rows(renderMarketData(big, 1_000)) < rows(renderMarketData(big, 2_000)));
  });

  it('shows only candles that had closed at the decision time', () => {
    const snap = snapshot();
    const [m15, h1, h4] = snap.timeframes;
    assert.equal(m15!.candles.at(-1)!.timestamp, Date.parse('2021-03-01T11:45Z'));
    assert.equal(h1!.candles.at(-1)!.timestamp, Date.parse('2021-03-01T11:00Z'));
    assert.equal(h4!.candles.at(-1)!.timestamp, Date.parse('2021-03-01T08:00Z'));
    assert.equal(snap.spread, 0.02);
  });

  it('resamples 15m into 1h candles: open of the first, extremes, close of the last, summed volume', () => {
    const hour = Date.parse('2021-03-01T10:00Z');
    const quarter = candles.filter((c) => c.timestamp >= hour && c.timestamp < hour + 3_600_000);
    assert.equal(quarter.length, 4);
    const [resampled] = resampleCandles(quarter, 3_600_000);
    assert.deepEqual(resampled, {
      timestamp: hour,
      open: quarter[0]!.open,
      high: Math.max(...quarter.map((c) => c.high)),
      low: Math.min(...quarter.map((c) => c.low)),
      close: quarter[3]!.close,
      volume: quarter.reduce((s, c) => s + c.volume, 0),
    });
    assert.equal(resampleCandles(quarter.slice(0, 3), 3_600_000, hour + 45 * 60_000).length, 0, 'an unfinished hour is left out');
  });
});

describe('buildPrompt', () => {
  it('no open trade: asks for an entry and states the risk limits', () => {
    const { system, user } = buildPrompt({ symbol: 'BTCUSDT', trade: null, snapshot: snapshot(), risk, now: at });
    assert.equal(system, systemPrompt());
    assert.match(system, /PLAN_TRADE/);
    assert.match(user, /No open trade on BTCUSDT\. Is there an entry\?/);
    assert.match(user, /position_size_percent: more than 0, at most 10/);
    assert.match(user, /within 2% of the last price \(47722\.8\)/);
    assert.match(user, /reward:risk to the first target at least 1\.5/);
    assert.match(user, /Time: 2021-03-01T12:00:00\.000Z/);
  });

  it('PENDING: names the resting entry and the trade id order_id must be', () => {
    const { user } = buildPrompt({ symbol: 'BTCUSDT', trade: trade('PENDING'), snapshot: snapshot(), risk, now: at });
    assert.match(user, /PENDING LONG BTCUSDT: limit entry 47000 resting, stop 46000, targets 49000\/51000, size 5%, trade id T-BTCUSDT-000007\. What now\?/);
    assert.match(user, /CANCEL_ORDER with order_id "T-BTCUSDT-000007"/);
  });

  it('ACTIVE: entry, stop, targets, unrealized PnL against the last price, trade id', () => {
    const { user } = buildPrompt({ symbol: 'BTCUSDT', trade: trade('ACTIVE'), snapshot: snapshot(), risk, now: at });
    // (47722.8 - 47000) / 47000 = +1.54%
    assert.match(user, /ACTIVE LONG BTCUSDT: entry 47000, stop 46000, targets 49000\/51000, unrealized \+1\.54%, trade id T-BTCUSDT-000007\. What now\?/);
  });

  it('the whole prompt stays near the budget and never carries secrets from the environment', () => {
    const secret = 'sk-test-should-never-appear-0123456789';
    process.env.OPENAI_API_KEY = secret;
    try {
      const { system, user } = buildPrompt({ symbol: 'BTCUSDT', trade: null, snapshot: snapshot(200), risk, now: at, maxPromptTokens: 1_000 });
      assert.ok(!system.includes(secret) && !user.includes(secret));
      assert.ok(estimateTokens(user) <= 1_000 + 200, 'state and limits add only a little to the market data');
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });
});
