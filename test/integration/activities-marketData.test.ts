import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { marketDataActivities } from '../../src/activities/marketData';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { readCandleFile, sharedCandlesDir, indexAtOrBefore } from '../../src/marketdata/candleFile';
import { computeIndicators } from '../../src/strategist/marketSnapshot';

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

const API_KEY = 'md-test-key-7f3a91c2';
const API_SECRET = 'md-test-secret-0b6e44d9';
const FILE = `${sharedCandlesDir()}/BTCUSDT-15m.csv`;

function gatewayFor(sim: SimulatorHandle, credentials = { apiKey: API_KEY, secret: API_SECRET }) {
  const exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials, timeoutMs: 2_000, rateLimitMs: 1 });
  return { exchange, gateway: new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } }) };
}

describe('fetchMarketData activity (real ccxt against the simulator replaying real candles)', () => {
  let sim: SimulatorHandle;
  let exchange: ReturnType<typeof gatewayFor>['exchange'];
  let gateway: ExchangeGateway;
  const candles = readCandleFile(FILE);

  before(async () => {
    sim = await startSimulator({
      feed: { kind: 'candles', files: { BTCUSDT: FILE } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    ({ exchange, gateway } = gatewayFor(sim));
  });
  after(async () => {
    await exchange.close();
    await sim.close();
  });

  it('builds the snapshot from closed candles only, with the library indicators of the real series', async () => {
    const { fetchMarketData } = marketDataActivities({ gateway, timeframes: ['15m', '1h'], secrets: [API_KEY, API_SECRET] });
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const snap = await run(env, fetchMarketData, { symbol: 'BTC/USDT' });

    assert.equal(snap.symbol, 'BTCUSDT');
    assert.deepEqual(snap.timeframes.map((t) => t.timeframe), ['15m', '1h']);
    assert.ok(beats >= 1);
    for (const tf of snap.timeframes) {
      const period = tf.timeframe === '15m' ? 15 * 60_000 : 3_600_000;
      assert.ok(tf.candles.every((c) => c.timestamp + period <= snap.at), `${tf.timeframe}: no candle still forming`);
      assert.ok(tf.history > 50, `${tf.timeframe}: enough history for EMA50 (${tf.history})`);
    }
    // the 15m series is the file's: same last close, same indicators over the same candles
    const primary = snap.timeframes[0]!;
    const lastIndex = indexAtOrBefore(candles, primary.candles.at(-1)!.timestamp);
    assert.equal(candles[lastIndex]!.timestamp, primary.candles.at(-1)!.timestamp);
    assert.equal(primary.lastClose, candles[lastIndex]!.close);
    const expected = computeIndicators(candles.slice(lastIndex + 1 - primary.history, lastIndex + 1));
    assert.deepEqual(primary.indicators, expected);
    assert.ok(snap.last > 0);
    assert.ok(!JSON.stringify(snap).includes(API_KEY) && !JSON.stringify(snap).includes(API_SECRET));
  });

  it('a market moving on is seen by the next cycle', async () => {
    const { fetchMarketData } = marketDataActivities({ gateway, timeframes: ['15m'], secrets: [] });
    const first = await run(new MockActivityEnvironment(), fetchMarketData, { symbol: 'BTCUSDT' });
    await sim.advance(4);
    const second = await run(new MockActivityEnvironment(), fetchMarketData, { symbol: 'BTCUSDT' });
    assert.equal(second.timeframes[0]!.candles.at(-1)!.timestamp - first.timeframes[0]!.candles.at(-1)!.timestamp, 4 * 15 * 60_000);
  });

  it('an exchange that keeps failing (HTTP 503) is a retryable failure for Temporal', async () => {
    const { fetchMarketData } = marketDataActivities({ gateway, timeframes: ['15m'], secrets: [API_KEY, API_SECRET] });
    sim.faults.add({ method: 'GET', path: '/api/v3/ticker/24hr', kind: 'status', status: 503, times: 2 });
    await assert.rejects(
      run(new MockActivityEnvironment(), fetchMarketData, { symbol: 'BTCUSDT' }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === false && /fetchMarketData: .*gave up after 2 attempts/.test(err.message),
    );
    sim.faults.clear();
  });

  it('an unknown symbol is a permanent failure that says which', async () => {
    const { fetchMarketData } = marketDataActivities({ gateway, timeframes: ['15m'], secrets: [] });
    await assert.rejects(
      run(new MockActivityEnvironment(), fetchMarketData, { symbol: 'DOGEUSDT' }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === true && /DOGEUSDT is not a spot market/.test(err.message),
    );
  });
});
