import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { omsActivities } from '../../src/activities/oms';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { applyEvents, belongsTo, OrderTracker } from '../../src/oms';

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}
const act = () => new MockActivityEnvironment();

const API_KEY = 'oms-act-key-4c1d8e2b';
const API_SECRET = 'oms-act-secret-93af07e6';
const risk = RiskConfig.parse({});
const TRADE = 'T-BTCUSDT-000005';

const plan = (targets: number[]): AiCommand => ({
  action: 'PLAN_TRADE',
  trade_setup: {
    symbol: 'BTCUSDT',
    direction: 'LONG',
    entry_price: 64800,
    stop_loss_price: 63500,
    take_profit_prices: targets,
    position_size_percent: 10,
  },
  reasoning: 'pullback entry',
});

describe('OMS activities (real ccxt through the gateway against the simulator)', () => {
  let sim: SimulatorHandle;
  let exchange: ReturnType<typeof createCcxtBinance>;
  let gateway: ExchangeGateway;
  let activities: ReturnType<typeof omsActivities>;

  const connect = (secret: string) => {
    exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret }, timeoutMs: 2_000, rateLimitMs: 1 });
    gateway = new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    activities = omsActivities({ gateway, risk, secrets: [API_KEY, secret] });
  };
  const ours = async () => (await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, TRADE));
  const stops = async () => (await ours()).filter((o) => o.type.startsWith('STOP_LOSS') && !o.pending);
  /**
   * Both slices' entries fill in part: an OTOCO places its pair only on a complete fill, so this is
   * the window the engine protects itself (ensureProtection cancels the remainders and places the
   * OCOs). The simulator fills each order up to 10% of a candle's volume.
   */
  const fillSlicesInPart = async (trade: Trade) => {
    const smallest = Math.min(...trade.orders.filter((o) => o.role === 'ENTRY').map((o) => o.quantity));
    await sim.setPrice('BTCUSDT', 64799, smallest / 2 / 0.1);
  };
  const execute = (command: AiCommand, trade: Trade | null = null) =>
    run(act(), activities.executeAiCommand, { symbol: 'BTCUSDT', sequence: 5, command, trade, lastPrice: 65000 });

  beforeEach(async () => {
    sim = await startSimulator({
      feed: { kind: 'synthetic', seed: 3, start: { BTCUSDT: 65000 } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    await sim.setPrice('BTCUSDT', 65000);
    connect(API_SECRET);
  });
  afterEach(async () => {
    await exchange.close();
    await sim.close();
  });

  it('PLAN_TRADE places the entry once, however often the step runs', async () => {
    const first = await execute(plan([67000, 69000]));
    assert.equal(first.outcome, 'EXECUTED');
    assert.equal(first.trade?.id, TRADE);
    assert.equal(first.trade?.status, 'PENDING');
    const retried = await execute(plan([67000, 69000]));
    assert.deepEqual(retried.trade?.orders, first.trade?.orders);
    // two targets: two slices, one OTOCO each; the retry adopted both
    const book = await ours();
    assert.equal(book.length, 2, `exactly one entry per slice on the book: ${JSON.stringify(book)}`);
    assert.equal(new Set(book.map((o) => o.clientOrderId)).size, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(first)), first, 'a plain JSON payload');
  });

  it("a retried placement keeps the workflow's clock: the trade's createdAt is the `now` it was given", async () => {
    const now = Date.UTC(2021, 4, 19, 12, 0, 0);
    const input = { symbol: 'BTCUSDT', sequence: 5, command: plan([67000, 69000]), trade: null, lastPrice: 65000, now };
    const first = await run(act(), activities.executeAiCommand, input);
    const retried = await run(act(), activities.executeAiCommand, input);
    assert.equal(first.trade?.createdAt, now);
    assert.equal(retried.trade?.createdAt, now, 'the same on every attempt, not the wall clock of the retry');
    assert.deepEqual(retried.trade, first.trade);
  });

  it('a command the state forbids is REJECTED with the reason, and nothing reaches the exchange', async () => {
    const before = sim.requests().filter((r) => r.method !== 'GET').length;
    const r = await execute({ action: 'CANCEL_ORDER', order_id: 'T-BTCUSDT-000001', reasoning: 'stale' });
    assert.equal(r.outcome, 'REJECTED');
    assert.deepEqual([r.rejection?.stage, r.rejection?.code], ['oms', 'NO_OPEN_TRADE']);
    assert.equal(sim.requests().filter((r) => r.method !== 'GET').length, before);
  });

  it('a permanent exchange refusal is a REJECTED result, nothing half-placed', async () => {
    sim.faults.add({
      method: 'POST',
      path: '/api/v3/orderList/otoco',
      kind: 'status',
      status: 400,
      body: JSON.stringify({ code: -2010, msg: 'Account has insufficient balance for requested action.' }),
    });
    // two targets go out as two slices (one OTOCO each): one refused, nothing of the plan may stay
    const r = await execute(plan([67000, 69000]));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.stage, 'exchange');
    assert.equal(r.rejection?.code, 'EXCHANGE_INSUFFICIENTFUNDS');
    assert.equal((await ours()).length, 0);
  });

  it('an exchange that stays unavailable fails the step retryably; the retry then places exactly one entry', async () => {
    sim.faults.add({ method: 'GET', path: '/api/v3/order', kind: 'status', status: 503, times: 2 });
    await assert.rejects(
      execute(plan([67000, 69000])),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === false && /^executeAiCommand: /.test(err.message),
    );
    const r = await execute(plan([67000, 69000]));
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal((await ours()).length, 2, 'one entry per slice, none twice');
  });

  it('after a fill, ensureProtection puts a stop under the held quantity once; cancelProtection takes it off', async () => {
    let trade = (await execute(plan([67000, 69000]))).trade!;
    await fillSlicesInPart(trade);
    trade = applyEvents(trade, await new OrderTracker(gateway).trackOrders([trade]));
    assert.equal(trade.status, 'ACTIVE');

    const env = act();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const p = await run(env, activities.ensureProtection, { trade, quantity: trade.entryFills.reduce((s, f) => s + f.quantity, 0) });
    assert.equal(p.outcome, 'EXECUTED');
    assert.ok(beats >= 1);
    assert.deepEqual((await stops()).map((s) => s.stopPrice), [63500, 63500]);
    assert.equal(p.trade?.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN').length, 2);
    const again = await run(act(), activities.ensureProtection, { trade: p.trade!, quantity: 1 });
    assert.equal(again.outcome, 'NOTHING_TO_DO');
    assert.equal((await stops()).length, 2);

    const c = await run(act(), activities.cancelProtection, { trade: p.trade!, reason: 'trade over' });
    assert.equal(c.outcome, 'EXECUTED');
    assert.equal((await stops()).length, 0);
    assert.ok(c.trade!.orders.filter((o) => o.role === 'OCO').every((o) => o.status === 'CANCELLED'));
  });

  it('a position the exchange will not protect nor close is never reported done: the step fails retryably until it is protected', async () => {
    let trade = (await execute(plan([67000, 69000]))).trade!;
    await fillSlicesInPart(trade);
    trade = applyEvents(trade, await new OrderTracker(gateway).trackOrders([trade]));
    const refused = JSON.stringify({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
    sim.faults.add({ method: 'POST', path: '/api/v3/orderList/oco', kind: 'status', status: 400, body: refused, times: 10 });
    sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 400, body: refused, times: 10 });
    await assert.rejects(
      run(act(), activities.ensureProtection, { trade, quantity: 1 }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'PositionUnprotected' && err.nonRetryable === false && /is UNPROTECTED/.test(err.message),
    );
    assert.equal((await stops()).length, 0);
    sim.faults.clear();
    const retried = await run(act(), activities.ensureProtection, { trade, quantity: 1 });
    assert.equal(retried.outcome, 'EXECUTED');
    assert.equal((await stops()).length, 2);
  });

  it('protection refused for good: what cannot be protected is closed at market, never left without a stop', async () => {
    let trade = (await execute(plan([67000, 69000]))).trade!;
    await fillSlicesInPart(trade);
    trade = applyEvents(trade, await new OrderTracker(gateway).trackOrders([trade]));
    // the first target's OCO is refused; the second is accepted
    sim.faults.add({
      method: 'POST',
      path: '/api/v3/orderList/oco',
      kind: 'status',
      status: 400,
      body: JSON.stringify({ code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' }),
    });
    const r = await run(act(), activities.ensureProtection, { trade, quantity: 1 });
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal(r.rejection?.stage, 'exchange');
    assert.ok(r.alerts.some((a) => /CLOSED AT MARKET/.test(a)), r.alerts.join('\n'));
    // the slices' remainders were cancelled first, so that their filled parts could be protected
    assert.deepEqual(r.events.map((e) => e.type).sort(), ['ENTRY_CANCELLED', 'ENTRY_CANCELLED', 'MANUAL_CLOSE', 'PROTECTION_PLACED']);
    const closed = r.trade!.exitFills.reduce((s, f) => s + f.quantity, 0);
    const held = r.trade!.entryFills.reduce((s, f) => s + f.quantity, 0) - closed;
    const resting = await stops();
    assert.equal(resting.length, 1);
    assert.ok(Math.abs(resting[0]!.quantity - held) < 1e-5, `stop ${resting[0]!.quantity} covers what is still held (${held})`);
  });

  it('cancelProtection returns the fills its lists made since the last look, a completed list and a partly filled one alike', async () => {
    let trade = (await execute(plan([67000, 69000]))).trade!;
    await sim.setPrice('BTCUSDT', 64799);
    trade = applyEvents(trade, await new OrderTracker(gateway).trackOrders([trade]));
    const protectedTrade = (await run(act(), activities.ensureProtection, { trade, quantity: 1 })).trade!;
    const [first, second] = protectedTrade.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN');
    // nobody tracks now: target 1 fills completely (its list is over), then target 2 fills in part
    await sim.setPrice('BTCUSDT', 67001);
    await sim.setPrice('BTCUSDT', 69001, 0.02);
    const c = await run(act(), activities.cancelProtection, { trade: protectedTrade, reason: 'trade over' });
    assert.equal(c.outcome, 'EXECUTED');
    assert.deepEqual(
      c.events.map((e) => e.type === 'TARGET_FILLED' && [e.targetIndex, e.eventId.split(':')[0]]),
      [
        [0, `${first!.clientOrderId}t`],
        [1, `${second!.clientOrderId}t`],
      ],
    );
    assert.equal(c.events[0]!.type === 'TARGET_FILLED' && c.events[0]!.quantity, first!.quantity, 'the first list filled completely');
    const part = c.events[1]!.type === 'TARGET_FILLED' ? c.events[1]!.quantity : 0;
    assert.ok(part > 0 && part < second!.quantity, `the second in part: ${part} of ${second!.quantity}`);
    assert.deepEqual(c.trade!.exitFills.map((f) => f.eventId), c.events.map((e) => e.eventId), 'the returned trade has them applied');
    assert.equal((await ours()).length, 0, 'nothing rests');
  });

  it('cancelPendingOrder cancels the entry and reports the trade CANCELLED', async () => {
    const trade = (await execute(plan([67000]))).trade!;
    const r = await run(act(), activities.cancelPendingOrder, { trade, reason: 'manual cancel from the CLI' });
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal(r.trade?.status, 'CANCELLED');
    assert.ok(r.events.some((e) => e.type === 'ENTRY_CANCELLED'));
    assert.equal((await ours()).length, 0);
    assert.equal((await gateway.fetchOpenOrderLists()).length, 0);
  });

  it('with a wrong API secret the command is refused, and neither key nor secret appears anywhere', async () => {
    await exchange.close();
    const wrong = 'wrong-secret-d41d8cd98f';
    connect(wrong);
    let outcome: unknown;
    try {
      outcome = await execute(plan([67000, 69000]));
    } catch (err) {
      outcome = err;
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
    }
    const text = outcome instanceof Error ? `${outcome.message}\n${outcome.stack}` : JSON.stringify(outcome);
    assert.match(text, /AUTHENTICATION|Authentication|Signature/i);
    for (const secret of [API_KEY, wrong, API_SECRET]) assert.ok(!text.includes(secret), 'no credential in the result or failure');
    assert.equal(sim.requests().filter((r) => r.method === 'POST').length, 0, 'no order reached the book');
  });

  it('an exchange error that echoes the credentials is scrubbed before it leaves the activity', async () => {
    sim.faults.add({
      method: 'GET',
      path: '/api/v3/order',
      kind: 'status',
      status: 401,
      body: JSON.stringify({ code: -2015, msg: `Invalid API-key ${API_KEY}, IP, or permissions for action (secret ${API_SECRET}).` }),
    });
    const r = await execute(plan([67000, 69000]));
    assert.equal(r.outcome, 'REJECTED');
    const text = JSON.stringify(r);
    assert.match(text, /Invalid API-key \*\*\*, IP/);
    assert.ok(!text.includes(API_KEY) && !text.includes(API_SECRET));
  });
});
