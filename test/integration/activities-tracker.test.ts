import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { trackerActivities } from '../../src/activities/tracker';
import { omsActivities } from '../../src/activities/oms';
import { RiskConfig } from '../../src/config/schema';
import type { Trade } from '../../src/domain/trade';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { applyEvents } from '../../src/oms';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { timeSkippingEnv } from '../support/temporalEnv';

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

const API_KEY = 'trk-act-key-61b0c3aa';
const API_SECRET = 'trk-act-secret-2e9f5d71';

describe('trackOrders activity', () => {
  let sim: SimulatorHandle;
  let exchange: ReturnType<typeof createCcxtBinance>;
  let gateway: ExchangeGateway;
  let trade: Trade;

  before(async () => {
    sim = await startSimulator({
      feed: { kind: 'synthetic', seed: 5, start: { BTCUSDT: 65000 } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    await sim.setPrice('BTCUSDT', 65000);
    exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret: API_SECRET }, timeoutMs: 2_000, rateLimitMs: 1 });
    gateway = new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    const placed = await run(new MockActivityEnvironment(), omsActivities({ gateway, risk: RiskConfig.parse({}), secrets: [] }).executeAiCommand, {
      symbol: 'BTCUSDT',
      sequence: 1,
      trade: null,
      lastPrice: 65000,
      command: {
        action: 'PLAN_TRADE',
        trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: 64800, stop_loss_price: 63500, take_profit_prices: [67000, 69000], position_size_percent: 10 },
      },
    });
    trade = placed.trade!;
  });
  after(async () => {
    await exchange.close();
    await sim.close();
  });

  const monitorPoll = (runId: string, attempt = 1) =>
    new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: ORDER_MONITOR_WORKFLOW_ID, runId } });

  it('reports a fill once per monitor run, and again to a retried attempt or a new run', async () => {
    const { trackOrders } = trackerActivities({ gateway, secrets: [] });
    // two targets are two slices (one OTOCO each): one entry order per slice
    const entries = trade.orders.filter((o) => o.role === 'ENTRY').map((o) => o.clientOrderId);
    assert.equal(entries.length, 2, `one entry per slice: ${JSON.stringify(trade.orders)}`);
    assert.deepEqual(await run(monitorPoll('run-1'), trackOrders, { trades: [trade] }), [], 'nothing happened yet');
    await sim.setPrice('BTCUSDT', 64799);

    const first = await run(monitorPoll('run-1'), trackOrders, { trades: [trade] });
    // a fill is a fill: each slice's entry filled once, and each fill is reported once, naming its slice
    assert.deepEqual(first.map((e) => e.type), ['ENTRY_FILLED', 'ENTRY_FILLED']);
    assert.deepEqual(first.map((e) => (e.type === 'ENTRY_FILLED' ? e.entryOrder : null)).sort(), [...entries].sort());
    assert.equal(new Set(first.map((e) => e.eventId)).size, first.length, 'no fill reported twice');
    // the same run asks again: its tracker knows the order has not changed since
    assert.deepEqual(await run(monitorPoll('run-1'), trackOrders, { trades: [trade] }), []);
    // a retried attempt may not have received the answer: the fact is reported again, same id
    const retried = await run(monitorPoll('run-1', 2), trackOrders, { trades: [trade] });
    assert.deepEqual(retried.map((e) => e.eventId), first.map((e) => e.eventId));
    // so is it to a monitor that continued as new (or was started afresh)
    const fresh = await run(monitorPoll('run-2'), trackOrders, { trades: [trade] });
    assert.deepEqual(fresh.map((e) => e.eventId), first.map((e) => e.eventId));
    // once the trade has applied it, it is not reported again
    const active = applyEvents(trade, first);
    assert.equal(active.status, 'ACTIVE');
    assert.deepEqual(await run(monitorPoll('run-3'), trackOrders, { trades: [active] }), []);
  });
});

describe('watchOrders activity (real Temporal test server)', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await timeSkippingEnv();
  });
  after(() => env?.teardown());

  const trade = (status: Trade['status']): Trade => ({
    id: 'T-ETHUSDT-000002',
    symbol: 'ETHUSDT',
    direction: 'LONG',
    status,
    entryPrice: 3000,
    stopLossPrice: 2900,
    takeProfitPrices: [3200],
    quantity: 0.3,
    positionSizePercent: 10,
    entryFills: [],
    exitFills: [],
    orders: [],
    createdAt: 1,
  });

  it('starts the order monitor on the worker task queue with the trade signalled, once', async () => {
    const { watchOrders } = trackerActivities({ gateway: undefined as never, secrets: [], orderMonitor: { intervalMs: 1_000 } });
    const activityEnv = () => new MockActivityEnvironment({ taskQueue: 'activities-tracker-test' }, { client: env.client });
    await run(activityEnv(), watchOrders, { trade: trade('PENDING') });
    await run(activityEnv(), watchOrders, { trade: trade('ACTIVE') });

    const handle = env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    const description = await handle.describe();
    assert.equal(description.type, 'orderMonitor');
    assert.equal(description.taskQueue, 'activities-tracker-test');
    assert.equal(description.status.name, 'RUNNING');
    const history = await handle.fetchHistory();
    const started = history.events!.filter((e) => e.workflowExecutionStartedEventAttributes);
    assert.equal(started.length, 1, 'one monitor, however many trades are watched');
    const signals = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'watch');
    assert.equal(signals.length, 2);
    await handle.terminate('test over');
  });
});
