import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { omsActivities } from '../../src/activities/oms';
import { reconcileActivities } from '../../src/activities/reconcile';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { belongsTo } from '../../src/oms';
import { isEntryClientId, listIdOfEntry, listIdOfLeg } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

const API_KEY = 'rec-act-key-a0e1f2d3';
const API_SECRET = 'rec-act-secret-77c6b5a4';
const TRADE = 'T-BTCUSDT-000003';

const plan: AiCommand = {
  action: 'PLAN_TRADE',
  trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: 64800, stop_loss_price: 63500, take_profit_prices: [67000, 69000], position_size_percent: 10 },
  reasoning: null,
};

describe('reconcileSymbol activity (real ccxt against the simulator)', () => {
  let sim: SimulatorHandle;
  let exchange: ReturnType<typeof createCcxtBinance>;
  let gateway: ExchangeGateway;
  let reconcileSymbol: ReturnType<typeof reconcileActivities>['reconcileSymbol'];
  let placePlan: () => Promise<Trade>;

  beforeEach(async () => {
    sim = await startSimulator({
      feed: { kind: 'synthetic', seed: 9, start: { BTCUSDT: 65000 } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    await sim.setPrice('BTCUSDT', 65000);
    exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret: API_SECRET }, timeoutMs: 2_000, rateLimitMs: 1 });
    gateway = new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    ({ reconcileSymbol } = reconcileActivities({ gateway, secrets: [API_KEY, API_SECRET] }));
    const { executeAiCommand } = omsActivities({ gateway, risk: RiskConfig.parse({}), secrets: [] });
    placePlan = async () =>
      (await run(new MockActivityEnvironment(), executeAiCommand, { symbol: 'BTCUSDT', sequence: 3, command: plan, trade: null, lastPrice: 65000 })).trade!;
  });
  afterEach(async () => {
    await exchange.close();
    await sim.close();
  });

  it('a clean account gives a clean report', async () => {
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: null });
    assert.deepEqual(r, { trade: null, events: [], report: [], highestSequence: 0 });
  });

  it('reports the highest trade sequence the exchange has seen, so a trader started fresh never reuses a trade id', async () => {
    const { executeAiCommand, cancelPendingOrder } = omsActivities({ gateway, risk: RiskConfig.parse({}), secrets: [] });
    for (const sequence of [41, 7]) {
      const trade: Trade = (await run(new MockActivityEnvironment(), executeAiCommand, { symbol: 'BTCUSDT', sequence, command: plan, trade: null, lastPrice: 65000 })).trade!;
      const cancelled: Trade | null = (await run(new MockActivityEnvironment(), cancelPendingOrder, { trade, reason: 'old trade' })).trade;
      assert.equal(cancelled?.status, 'CANCELLED');
    }
    assert.deepEqual(await gateway.fetchOpenOrders('BTCUSDT'), [], 'nothing of the old trades rests any more');
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTC/USDT', trade: null });
    assert.equal(r.trade, null);
    assert.equal(r.highestSequence, 41);
  });

  it('a filled entry the workflow did not know about is caught up; every slice was protected by the exchange itself', async () => {
    const pending = await placePlan();
    // two targets are two slices (one OTOCO each)
    const entries = pending.orders.filter((o) => o.role === 'ENTRY');
    assert.equal(entries.length, 2, `one entry per slice: ${JSON.stringify(pending.orders)}`);
    await sim.setPrice('BTCUSDT', 64799);
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: pending });
    assert.equal(r.trade?.status, 'ACTIVE');
    // a fill is a fill: each slice's, once; nothing for the engine to place
    assert.deepEqual(r.events.map((e) => e.type), ['ENTRY_FILLED', 'ENTRY_FILLED']);
    assert.deepEqual(r.events.map((e) => (e.type === 'ENTRY_FILLED' ? e.entryOrder : null)).sort(), entries.map((o) => o.clientOrderId).sort());
    assert.equal(r.report.filter((l) => /^caught up: T-BTCUSDT-000003 ENTRY_FILLED/.test(l)).length, 2, r.report.join('\n'));
    assert.ok(!r.report.some((l) => /position was not fully protected/.test(l)), `the exchange placed each slice's stop when it filled: ${r.report.join('\n')}`);
    const stops = (await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, TRADE) && o.type.startsWith('STOP_LOSS'));
    assert.deepEqual(stops.map((o) => listIdOfLeg(o.clientOrderId)).sort(), entries.map((o) => listIdOfEntry(o.clientOrderId)).sort(), 'one stop per slice, its own');
    assert.equal(sum(stops.map((o) => o.quantity)).toFixed(8), tradeQuantities(r.trade!).open.toFixed(8), 'the stops cover what the trade holds');
  });

  it('slices filled in part that the workflow did not know about are caught up and protected by the engine', async () => {
    const pending = await placePlan();
    const entries = pending.orders.filter((o) => o.role === 'ENTRY');
    // the simulator fills each resting order up to 10% of a candle's volume: each slice fills about half
    await sim.setPrice('BTCUSDT', 64799, Math.min(...entries.map((o) => o.quantity)) / 2 / 0.1);
    for (const e of entries) {
      const o = await gateway.findOrder('BTCUSDT', e.clientOrderId);
      assert.ok(o && o.filled > 0 && o.filled < o.quantity, `slice ${e.clientOrderId} filled in part: ${JSON.stringify(o)}`);
    }
    assert.equal((await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => o.type.startsWith('STOP_LOSS')).length, 0, 'the exchange protects no partly filled slice (the one window)');
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: pending });
    assert.equal(r.trade?.status, 'ACTIVE');
    assert.deepEqual([...new Set(r.events.map((e) => e.type))].sort(), ['ENTRY_CANCELLED', 'ENTRY_FILLED', 'PROTECTION_PLACED']);
    assert.equal(r.events.filter((e) => e.type === 'ENTRY_FILLED').length, 2, 'each slice\'s fill, once');
    assert.ok(r.report.some((l) => /T-BTCUSDT-000003: position was not fully protected; placed/.test(l)), r.report.join('\n'));
    const open = await gateway.fetchOpenOrders('BTCUSDT');
    assert.ok(!open.some((o) => isEntryClientId(o.clientOrderId)), 'the remainders were cancelled');
    const stops = open.filter((o) => belongsTo(o.clientOrderId, TRADE) && o.type.startsWith('STOP_LOSS'));
    assert.ok(stops.every((o) => o.stopPrice === 63500));
    assert.equal(sum(stops.map((o) => o.quantity)).toFixed(8), tradeQuantities(r.trade!).open.toFixed(8), 'the stops cover what the trade holds');
  });

  it('our orphan order is cancelled; an order placed by someone else is left alone and reported', async () => {
    await placePlan();
    await gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60000, clientOrderId: 'by-hand-1' });
    // the workflow believes nothing is open (e.g. its state was lost): the entry is nobody's
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: null });
    assert.equal(r.trade, null);
    // the orphan is a sliced plan: each slice's OTOCO list goes, with its entry and waiting pair
    const cancelled = r.report.filter((l) => /^orphan order list de-T-BTCUSDT-000003-s0\.[01] on BTCUSDT cancelled: orphan entry, nothing filled/.test(l));
    assert.equal(cancelled.length, 2, r.report.join('\n'));
    assert.ok(r.report.some((l) => /\(by-hand-1\) BUY LIMIT 0.001 BTCUSDT @ 60000 was not placed by this system: left alone/.test(l)), r.report.join('\n'));
    const open = await gateway.fetchOpenOrders('BTCUSDT');
    assert.deepEqual(open.map((o) => o.clientOrderId), ['by-hand-1']);
    assert.ok(!JSON.stringify(r).includes(API_KEY));
  });

  it('started without state while an ACTIVE trade rests protected: the trade is returned to be adopted, its protection untouched', async () => {
    const pending = await placePlan();
    await sim.setPrice('BTCUSDT', 64799);
    const caughtUp = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: pending });
    assert.equal(caughtUp.trade?.status, 'ACTIVE');
    const stopsBefore = (await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => o.type.startsWith('STOP_LOSS')).map((o) => o.clientOrderId).sort();
    assert.equal(stopsBefore.length, 2);

    // the workflow was stopped and is started again without its state
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: null });
    assert.equal(r.trade?.id, TRADE);
    assert.equal(r.trade?.status, 'ACTIVE');
    assert.deepEqual([r.trade?.stopLossPrice, r.trade?.takeProfitPrices], [63500, [67000, 69000]]);
    assert.deepEqual(r.trade?.entryFills.map((f) => f.eventId), caughtUp.trade?.entryFills.map((f) => f.eventId));
    assert.deepEqual(r.events, [], 'the facts come applied to the trade (its appliedEventIds), not as events to apply twice');
    assert.ok(r.report.some((l) => l === `${TRADE}: adopted as the symbol's trade (ACTIVE, recovered from the exchange)`), r.report.join('\n'));
    const stopsAfter = (await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => o.type.startsWith('STOP_LOSS')).map((o) => o.clientOrderId).sort();
    assert.deepEqual(stopsAfter, stopsBefore);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'a plain JSON payload');
  });

  it('several recovered trades on one symbol: the newest is returned, every other one is reported loudly and keeps its protection', async () => {
    const { executeAiCommand } = omsActivities({ gateway, risk: RiskConfig.parse({}), secrets: [] });
    const first = await placePlan();
    await sim.setPrice('BTCUSDT', 64799);
    await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: first });
    await sim.setPrice('BTCUSDT', 65000);
    const placedNewer = await run(new MockActivityEnvironment(), executeAiCommand, { symbol: 'BTCUSDT', sequence: 4, command: plan, trade: null, lastPrice: 65000 });
    // the older trade's two stops rest; its filled slice entries are no waiting pairs: room for two slices
    assert.deepEqual(placedNewer.alerts, []);
    const newer = placedNewer.trade!;
    await sim.setPrice('BTCUSDT', 64799);
    await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: newer });

    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: null });
    assert.equal(r.trade?.id, 'T-BTCUSDT-000004');
    assert.ok(
      r.report.some((l) => /^ALERT T-BTCUSDT-000003: recovered from the exchange \(ACTIVE .* but NOT adopted: T-BTCUSDT-000004 is the symbol's open trade/.test(l)),
      r.report.join('\n'),
    );
    const stopsOf = async (id: string) => (await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, id) && o.type.startsWith('STOP_LOSS'));
    assert.equal((await stopsOf(TRADE)).length, 2, 'the older trade stays protected');
    assert.equal((await stopsOf('T-BTCUSDT-000004')).length, 2);
  });

  it('a PENDING trade whose entry the exchange does not know is reported and cancelled', async () => {
    const ghost: Trade = {
      ...(await placePlan()),
      id: 'T-BTCUSDT-000099',
      orders: [],
    };
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: ghost });
    assert.equal(r.trade?.status, 'CANCELLED');
    assert.ok(r.report.some((l) => /T-BTCUSDT-000099 \(PENDING\): entry order .* does not exist on the exchange; trade cancelled/.test(l)), r.report.join('\n'));
  });

  // the stuck-ACTIVE trade: an ACTIVE trade whose coins and protection are gone must end
  async function activeTrade(): Promise<Trade> {
    const pending = await placePlan();
    await sim.setPrice('BTCUSDT', 64799);
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: pending });
    assert.equal(r.trade?.status, 'ACTIVE');
    return r.trade!;
  }

  it('coins and protection removed behind the engine\'s back: the ACTIVE trade ends CLOSED with the reason (not left ACTIVE)', async () => {
    const trade = await activeTrade();
    assert.ok(sim.admin.cancelAllOrders(API_KEY, 'BTCUSDT') >= 2, 'the protection was resting');
    assert.ok(sim.admin.withdraw(API_KEY, 'BTC') > 0);
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade });
    assert.equal(r.trade?.id, trade.id);
    assert.equal(r.trade?.status, 'CLOSED');
    assert.match(r.trade!.closeReason!, /no BTC for this trade and no protection rests; the position was closed outside the engine/);
    const closedAt = r.trade!.closedAt!;
    assert.ok(closedAt <= sim.now() && closedAt > sim.now() - 60_000, `closed at the exchange's time (the market clock ${sim.now()}, not the wall clock): ${closedAt}`);
    assert.deepEqual(r.events.map((e) => e.type), ['POSITION_GONE']);
    assert.deepEqual(r.findings?.map((f) => f.code), ['POSITION_GONE']);
    assert.ok(r.report.some((l) => l.startsWith(`${trade.id}: ACTIVE with `) && l.endsWith('CLOSED (exit unknown)')), r.report.join('\n'));
    assert.deepEqual(await gateway.fetchOpenOrders('BTCUSDT'), [], 'nothing was placed for coins that are not there');
  });

  it('the stops filled while the trade did not know its protection: the fills are found in the account\'s trades and close it with its PnL', async () => {
    const trade = await activeTrade();
    // the record lost its protection refs (e.g. the result of ensureProtection never reached the workflow)
    const forgetful: Trade = { ...trade, orders: trade.orders.filter((o) => o.role === 'ENTRY') };
    await sim.setPrice('BTCUSDT', 63400);
    assert.deepEqual((await gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, TRADE)), [], 'the stops filled');
    const r = await run(new MockActivityEnvironment(), reconcileSymbol, { symbol: 'BTCUSDT', trade: forgetful });
    assert.equal(r.trade?.status, 'CLOSED');
    assert.deepEqual([...new Set(r.events.map((e) => e.type))], ['STOP_FILLED']);
    assert.deepEqual(r.findings?.map((f) => f.code), ['EXIT_FILLS_RECOVERED']);
    assert.ok(r.trade!.realizedPnl! < 0, 'a stop-out loses money, and the PnL says how much');
    assert.equal(r.trade!.exitFills.reduce((s, f) => s + f.quantity, 0).toFixed(8), trade.entryFills.reduce((s, f) => s + f.quantity, 0).toFixed(8));
  });
});
