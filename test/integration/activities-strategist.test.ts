import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { RiskConfig } from '../../src/config/schema';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot, type MarketSnapshot } from '../../src/strategist/marketSnapshot';
import { LlmStrategist } from '../../src/strategist/llmStrategist';
import { RulesStrategist } from '../../src/strategist/rulesStrategist';
import { strategistActivities } from '../../src/activities/strategist';
import type { Trade } from '../../src/domain/trade';
import { FakeLlmServer, httpError, structured, text } from '../support/fakeLlmServer';

/** env.run with the activity's own result type (the SDK's signature does not infer it) */
function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

const OPENAI_KEY = 'sk-test-openai-key-0123456789';
const EXCHANGE_SECRET = 'exchange-secret-5f2d9c1e7a';
const risk = RiskConfig.parse({});

/** A real 15m snapshot of BTCUSDT at candle `index` of the shared data set. */
function snapshotAt(index: number): MarketSnapshot {
  const candles = readCandleFile(`${sharedCandlesDir()}/BTCUSDT-15m.csv`).slice(0, index + 1);
  const last = candles.at(-1)!;
  return buildMarketSnapshot({
    symbol: 'BTCUSDT',
    ticker: { last: last.close, bid: last.close - 0.01, ask: last.close + 0.01, timestamp: last.timestamp + 15 * 60_000 },
    candles: [{ timeframe: '15m', candles: candles.slice(-200) }],
  });
}

describe('askStrategist activity', () => {
  let llm: FakeLlmServer;
  let market: MarketSnapshot;
  const activities = () =>
    strategistActivities({
      strategist: new LlmStrategist({
        baseUrl: llm.baseUrl,
        apiKey: OPENAI_KEY,
        model: 'fake-model',
        temperature: 0,
        timeoutMs: 5_000,
        maxRetries: 1,
        maxPromptTokens: 4_000,
      }),
      risk,
      secrets: [OPENAI_KEY, EXCHANGE_SECRET],
    });

  before(async () => {
    llm = await FakeLlmServer.start();
    market = snapshotAt(5_000);
  });
  after(() => llm.close());
  beforeEach(() => llm.reset());

  it('returns the LLM command validated against the market, heartbeating while it waits', async () => {
    const entry = Math.round(market.last * 0.995);
    const plan = {
      action: 'PLAN_TRADE',
      trade_setup: {
        symbol: 'BTCUSDT',
        direction: 'LONG',
        entry_price: entry,
        stop_loss_price: Math.round(entry * 0.98),
        take_profit_prices: [Math.round(entry * 1.04), Math.round(entry * 1.06)],
        position_size_percent: 5,
      },
      reasoning: 'pullback to EMA20 in an uptrend',
    };
    llm.enqueue(structured(plan));
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const decision = await run(env, activities().askStrategist, { symbol: 'BTC/USDT', sequence: 7, trade: null, market });
    assert.equal(decision.accepted, true);
    assert.equal(decision.source, 'llm');
    assert.deepEqual(decision.command, plan);
    assert.ok(beats.length >= 1, 'heartbeats while the strategist is asked');
    // the real openai client sent the prompt with the symbol's state to the endpoint
    assert.match(JSON.stringify(llm.requests[0]!.body.messages), /No open trade on BTCUSDT/);
    assert.equal(llm.requests[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`);
    // payload is plain JSON (Temporal stores it) and carries no prompt
    assert.deepEqual(JSON.parse(JSON.stringify(decision)), decision);
    assert.equal('prompt' in decision, false);
  });

  it('a command the state forbids becomes DO_NOTHING with the rejection recorded', async () => {
    llm.enqueue(structured({ action: 'CANCEL_ORDER', order_id: 'T-BTCUSDT-000001', reasoning: 'stale' }));
    const decision = await run(new MockActivityEnvironment(), activities().askStrategist, {
      symbol: 'BTCUSDT',
      sequence: 8,
      trade: null,
      market,
    });
    assert.equal(decision.accepted, false);
    assert.equal(decision.command.action, 'DO_NOTHING');
    assert.deepEqual(
      { stage: decision.rejection?.stage, code: decision.rejection?.code },
      { stage: 'validation', code: 'NO_OPEN_TRADE' },
    );
  });

  it('max_open_trades counts the open trades across symbols the workflow reports', async () => {
    const entry = Math.round(market.last * 0.995);
    llm.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: {
          symbol: 'BTCUSDT',
          direction: 'LONG',
          entry_price: entry,
          stop_loss_price: Math.round(entry * 0.98),
          take_profit_prices: [Math.round(entry * 1.04)],
          position_size_percent: 5,
        },
        reasoning: null,
      }),
    );
    const decision = await run(new MockActivityEnvironment(), activities().askStrategist, {
      symbol: 'BTCUSDT',
      sequence: 9,
      trade: null,
      market,
      openTradesCount: risk.max_open_trades,
    });
    assert.equal(decision.rejection?.code, 'MAX_OPEN_TRADES');
  });

  it('no secret the worker holds reaches the result, whatever the model or the server echo', async () => {
    // an HTTP error whose body echoes the key (some proxies do), then an answer quoting a secret
    llm.enqueue(httpError(401, `invalid api key ${OPENAI_KEY}`));
    const failed = await run(new MockActivityEnvironment(), activities().askStrategist, { symbol: 'BTCUSDT', sequence: 10, trade: null, market });
    assert.equal(failed.rejection?.code, 'AUTH_FAILED');
    assert.ok(!JSON.stringify(failed).includes(OPENAI_KEY));

    llm.enqueue(text(JSON.stringify({ action: 'DO_NOTHING', reasoning: `the secret is ${EXCHANGE_SECRET}, waiting` })));
    const echoed = await run(new MockActivityEnvironment(), activities().askStrategist, { symbol: 'BTCUSDT', sequence: 11, trade: null, market });
    assert.equal(echoed.command.action, 'DO_NOTHING');
    assert.match(JSON.stringify(echoed), /the secret is \*\*\*, waiting/);
    assert.ok(!JSON.stringify(echoed).includes(EXCHANGE_SECRET));
  });

  it('the raw answer kept for the journal is bounded', async () => {
    llm.enqueue(text(`not json ${'x'.repeat(10_000)}`));
    const decision = await run(new MockActivityEnvironment(), activities().askStrategist, { symbol: 'BTCUSDT', sequence: 12, trade: null, market });
    assert.equal(decision.rejection?.stage, 'parse');
    assert.ok(decision.rawAnswer!.length < 2_100);
    assert.match(decision.rawAnswer!, /more characters\]$/);
  });
});

describe('askStrategist activity with the rules strategist', () => {
  it('answers with a command that passed validation, for an ACTIVE trade too', async () => {
    const { askStrategist } = strategistActivities({ strategist: new RulesStrategist(), risk, secrets: [] });
    const market = snapshotAt(9_000);
    const none = await run(new MockActivityEnvironment(), askStrategist, { symbol: 'BTCUSDT', sequence: 1, trade: null, market });
    assert.equal(none.source, 'rules');
    assert.equal(none.accepted, true);

    const entry = market.last * 0.99;
    const trade: Trade = {
      id: 'T-BTCUSDT-000001',
      symbol: 'BTCUSDT',
      direction: 'LONG',
      status: 'ACTIVE',
      entryPrice: entry,
      stopLossPrice: entry * 0.97,
      takeProfitPrices: [entry * 1.1],
      quantity: 0.01,
      positionSizePercent: 5,
      entryFills: [{ eventId: 'f1', price: entry, quantity: 0.01, fee: 0.01, at: market.at - 60_000 }],
      exitFills: [],
      orders: [],
      createdAt: market.at - 3_600_000,
      activatedAt: market.at - 60_000,
    };
    const active = await run(new MockActivityEnvironment(), askStrategist, { symbol: 'BTCUSDT', sequence: 2, trade, market });
    assert.equal(active.accepted, true);
    assert.ok(['ADJUST_TRADE', 'DO_NOTHING'].includes(active.command.action), active.command.action);
  });
});
