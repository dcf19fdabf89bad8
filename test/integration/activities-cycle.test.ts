import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { AllActivities } from '../../src/activities';
import type { TradeLogRow } from '../../src/domain/tradeLogRow';
import { RiskConfig } from '../../src/config/schema';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { openTradeLog, readTradeLog } from '../../src/journal/tradeLog';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { LlmStrategist } from '../../src/strategist/llmStrategist';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}
const act = () => new MockActivityEnvironment();

const API_KEY = 'cycle-key-5b4a3c2d1e';
const API_SECRET = 'cycle-secret-0f9e8d7c6b';
const OPENAI_KEY = 'sk-cycle-openai-1234567890';

/**
 * One symbolTrader cycle carried out by the activities the worker registers, in the workflow's
 * order, each step's output the next one's input: the shells fit together over the real parts.
 */
describe('createActivities: one cycle over the real parts', () => {
  let sim: SimulatorHandle;
  let llm: FakeLlmServer;
  let exchange: ReturnType<typeof createCcxtBinance>;
  let activities: AllActivities;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'de-cycle-'));
    llm = await FakeLlmServer.start();
    sim = await startSimulator({
      feed: { kind: 'candles', files: { BTCUSDT: join(sharedCandlesDir(), 'BTCUSDT-15m.csv') } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret: API_SECRET }, timeoutMs: 2_000, rateLimitMs: 1 });
    const secrets = [API_KEY, API_SECRET, OPENAI_KEY];
    activities = createActivities({
      gateway: new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } }),
      strategist: new LlmStrategist({ baseUrl: llm.baseUrl, apiKey: OPENAI_KEY, model: 'fake', temperature: 0, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 }),
      tradeLog: openTradeLog(join(dir, 'trade_log.csv'), { secrets }),
      timeframes: ['15m', '1h'],
      risk: RiskConfig.parse({}),
      secrets,
    });
  });
  after(async () => {
    await exchange.close();
    await sim.close();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers the seed steps under their names', () => {
    assert.deepEqual(Object.keys(activities).sort(), [
      'appendTradeLog',
      'askStrategist',
      'cancelPendingOrder',
      'cancelProtection',
      'ensureProtection',
      'executeAiCommand',
      'fetchMarketData',
      'flattenPosition',
      'listTraderHoldings',
      'readAccountEquity',
      'reconcileSymbol',
      'releaseSlot',
      'requestSlot',
      'streamOrders',
      'trackOrders',
      'watchOrders',
    ]);
  });

  it('reconcile, market data, strategist, OMS, journal: a PLAN_TRADE becomes a PENDING trade and its rows', async () => {
    const symbol = 'BTCUSDT';
    const sequence = 1;
    const reconciled = await run(act(), activities.reconcileSymbol, { symbol, trade: null });
    assert.deepEqual(reconciled.report, []);

    const market = await run(act(), activities.fetchMarketData, { symbol });
    const entry = Math.round(market.last * 0.997);
    llm.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: {
          symbol,
          direction: 'LONG',
          entry_price: entry,
          stop_loss_price: Math.round(entry * 0.98),
          take_profit_prices: [Math.round(entry * 1.04), Math.round(entry * 1.06)],
          position_size_percent: 5,
        },
        reasoning: 'higher lows, "buy the dip", RSI neutral',
      }),
    );
    const decision = await run(act(), activities.askStrategist, { symbol, sequence, trade: reconciled.trade, market });
    assert.equal(decision.accepted, true, JSON.stringify(decision.rejection));

    const result = await run(act(), activities.executeAiCommand, { symbol, sequence, command: decision.command, trade: null, lastPrice: market.last });
    assert.equal(result.outcome, 'EXECUTED');
    const trade = result.trade!;
    assert.equal(trade.status, 'PENDING');
    assert.equal(trade.entryPrice, entry);

    const rows: TradeLogRow[] = [
      { id: `trader-${symbol}:${sequence}:DECISION:0`, at: market.at, symbol, kind: 'DECISION', sequence, action: decision.command.action, detail: decision.command.action === 'PLAN_TRADE' ? decision.command.reasoning ?? '' : '' },
      { id: `trader-${symbol}:${sequence}:ORDER:0`, at: market.at, symbol, kind: 'ORDER', sequence, tradeId: trade.id, status: trade.status, action: 'PLACE_ENTRY', detail: `limit BUY ${trade.quantity} @ ${trade.entryPrice}` },
    ];
    // the journal step retried (e.g. the worker died before reporting it done) writes nothing twice
    await run(act(), activities.appendTradeLog, { rows });
    await run(new MockActivityEnvironment({ attempt: 2 }), activities.appendTradeLog, { rows });
    const log = await readTradeLog(join(dir, 'trade_log.csv'), { symbol });
    assert.deepEqual(log.map((r) => [r.kind, r.action, r.status, r.trade_id]), [
      ['DECISION', 'PLAN_TRADE', '', ''],
      ['ORDER', 'PLACE_ENTRY', 'PENDING', trade.id],
    ]);
    assert.equal(log[0]!.detail, 'higher lows, "buy the dip", RSI neutral');

    // no credential anywhere a person or the Web UI can read
    const shown = JSON.stringify([reconciled, market, decision, result]) + (await readFile(join(dir, 'trade_log.csv'), 'utf8'));
    for (const secret of [API_KEY, API_SECRET, OPENAI_KEY]) assert.ok(!shown.includes(secret));
  });
});
