import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { trackerActivities } from '../../src/activities/tracker';
import { userStreamActivities } from '../../src/activities/userStream';
import { ORDER_MONITOR_WORKFLOW_ID, traderWorkflowId } from '../../src/contract/ids';
import type { OrderMonitorInput } from '../../src/contract/monitorState';
import { monitorStateQuery, stopSignal, watchSignal } from '../../src/contract/signals';
import type { TradeEvent } from '../../src/domain/events';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { Trade } from '../../src/domain/trade';
import { createCcxtProBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { CcxtUserStream } from '../../src/exchange/userStream';
import { OrderTracker, entryClientId, ocoListClientId, stopLegId, takeProfitLegId } from '../../src/oms';
import { API_KEY, API_SECRET, simTestBed, type SimTestBed } from '../support/simulator';
import { devServerEnv } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { receivedQuery, type Received } from '../support/workflows/monitorBed';

/**
 * The streaming monitor end to end with real parts: the product's orderMonitor workflow on the
 * dev server, its real trackOrders and streamOrders activities over the simulator (REST through
 * ccxt, the user-data stream through ccxt's websocket client, made by the product's factory), and
 * in the place of the symbol workflow a listener workflow that keeps every signal it is sent.
 *
 * The monitor's safety poll is 10 minutes here, so everything that arrives came over the stream (or
 * its REST catch-up after a reconnect); the monitor's poll count stays 0 to prove it.
 */

const SYMBOL = 'BTCUSDT';
const MONITOR: OrderMonitorInput = { intervalMs: 60_000, streamPollIntervalMs: 600_000 };
const quiet = () => {};
const QUIET = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet };
const BED_WORKFLOWS = fileURLToPath(new URL('../support/workflows/monitorBed.ts', import.meta.url));

function pendingTrade(sequence: number, quantity: number, price: number): Trade {
  const id = tradeIdFor(SYMBOL, sequence);
  return {
    id, symbol: SYMBOL, direction: 'LONG', status: 'PENDING', entryPrice: price, stopLossPrice: Math.round(price * 0.9),
    takeProfitPrices: [Math.round(price * 1.1)], quantity, positionSizePercent: 5, entryFills: [], exitFills: [], createdAt: 0,
    orders: [{ role: 'ENTRY', clientOrderId: entryClientId(id), quantity, price, status: 'OPEN' }],
  };
}

/** what an event says, without the fields that depend on when it was read (entryComplete, time) */
const facts = (e: TradeEvent) => ({ type: e.type, eventId: e.eventId, ...('price' in e ? { price: e.price, quantity: e.quantity, fee: e.fee } : {}) });

describe('the streaming monitor: events over the user-data stream through the real ccxt websocket client', () => {
  let env: TestWorkflowEnvironment;
  let bed: SimTestBed;
  let gateway: ExchangeGateway;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `monitor-stream-${process.pid}`;

  before(async () => {
    env = await devServerEnv();
    bed = await simTestBed({ fillParticipation: 1 });
    await bed.sim.setPrice(SYMBOL, 50000);
    gateway = new ExchangeGateway(bed.ex);
    const credentials = { apiKey: API_KEY, secret: API_SECRET };
    const deps = {
      gateway,
      secrets: [API_KEY, API_SECRET],
      temporalClient: env.client,
      userStream: new CcxtUserStream(() => createCcxtProBinance({ mode: 'paper', simulatorUrl: bed.sim.url, credentials, timeoutMs: 5_000 })),
    };
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: BED_WORKFLOWS, logger: QUIET }),
      activities: { ...trackerActivities(deps), ...userStreamActivities(deps) },
    });
    running = worker.run();
    await env.client.workflow.start('signalListener', { taskQueue, workflowId: traderWorkflowId(SYMBOL) });
  });

  after(async () => {
    const monitor = env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    await monitor.terminate('test over').catch(() => undefined);
    await recordHistory(monitor, 'order-monitor-streaming');
    await env.client.workflow.getHandle(traderWorkflowId(SYMBOL)).signal(stopSignal).catch(() => undefined);
    worker.shutdown();
    await running;
    await env.teardown();
    await bed.close();
  });

  const watch = (trade: Trade) =>
    env.client.workflow.signalWithStart('orderMonitor', { workflowId: ORDER_MONITOR_WORKFLOW_ID, taskQueue, args: [MONITOR], signal: watchSignal, signalArgs: [trade] });
  const received = (): Promise<Received> => env.client.workflow.getHandle(traderWorkflowId(SYMBOL)).query(receivedQuery);
  const eventsOf = async (tradeId: string) => (await received()).events.filter((e) => e.tradeId === tradeId);

  /** reads the listener until `check` holds (each read is a real query), at most 20 s */
  async function until(what: string, check: (got: Received) => boolean): Promise<Received> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const got = await received();
      if (check(got)) return got;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; received: ${JSON.stringify(got).slice(0, 3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const has = (got: Received, eventId: string) => got.events.some((e) => e.eventId === eventId);
  const count = (got: Received, eventId: string) => got.events.filter((e) => e.eventId === eventId).length;
  const polls = async () => (await env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID).query(monitorStateQuery)).polls;

  it('fills, a partial fill, an OCO leg, a cancel and an expiry arrive as the poller\'s events (same ids, same facts), over the stream alone', async () => {
    const t1 = pendingTrade(1, 0.01, 49000);
    await watch(t1);
    await bed.sim.stream.waitForSubscriptions(1);
    await until('the stream connected: reconcileNow', (g) => g.reconciles.includes('user-data stream connected'));

    // an entry filled in two parts
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.01, price: 49000, clientOrderId: entryClientId(t1.id) });
    await bed.sim.setPrice(SYMBOL, 48900, 0.004);
    await bed.sim.setPrice(SYMBOL, 48800);
    const fills = (await until('both entry fills', (g) => g.events.filter((e) => e.tradeId === t1.id && e.type === 'ENTRY_FILLED').length === 2)).events.filter((e) => e.tradeId === t1.id);
    const polled = await new OrderTracker(gateway).trackOrders([t1]);
    assert.deepEqual(fills.map(facts), polled.map(facts), 'the stream\'s events are the poller\'s');
    assert.deepEqual(fills.map((e) => e.type === 'ENTRY_FILLED' && e.entryComplete === true), [false, true], 'the last fill completes the entry');

    // its OCO: the stop leg fills (the take-profit leg expires: no event, as with the poller)
    const list = ocoListClientId(t1.id, 0, 0, 0);
    const held = fills.reduce((q, e) => q + (e.type === 'ENTRY_FILLED' ? e.quantity : 0), 0);
    await gateway.placeOco({ symbol: SYMBOL, side: 'SELL', quantity: Number(held.toFixed(5)), takeProfitPrice: 52000, stopPrice: 47000, listClientOrderId: list, takeProfitClientOrderId: takeProfitLegId(list), stopClientOrderId: stopLegId(list) });
    await bed.sim.setPrice(SYMBOL, 46900);
    const got = await until('the stop leg\'s fill', (g) => g.events.some((e) => e.tradeId === t1.id && e.type === 'STOP_FILLED'));
    const active: Trade = { ...t1, status: 'ACTIVE', orders: [...t1.orders, { role: 'OCO', clientOrderId: list, quantity: held, status: 'OPEN' }] };
    const polledExit = (await new OrderTracker(gateway).trackOrders([active])).filter((e) => e.type === 'STOP_FILLED' || e.type === 'TARGET_FILLED');
    assert.deepEqual(got.events.filter((e) => e.tradeId === t1.id && e.type === 'STOP_FILLED').map(facts), polledExit.map(facts));
    assert.equal(got.events.filter((e) => e.tradeId === t1.id).length, 3, 'two entry fills and the stop: nothing else, nothing twice');

    // an entry cancelled on the exchange
    await bed.sim.setPrice(SYMBOL, 50000);
    const t2 = pendingTrade(2, 0.001, 40000);
    await watch(t2);
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.001, price: 40000, clientOrderId: entryClientId(t2.id) });
    await gateway.cancelOrder(SYMBOL, entryClientId(t2.id));
    await until('the cancel', (g) => has(g, `${entryClientId(t2.id)}:canceled`));
    assert.deepEqual((await eventsOf(t2.id)).map(facts), (await new OrderTracker(gateway).trackOrders([t2])).map(facts));

    // a market entry on a thin market: part fills, the rest expires
    const t3 = pendingTrade(3, 0.002, 50000);
    await watch(t3);
    await bed.sim.setPrice(SYMBOL, 49400, 0.0005);
    await gateway.placeMarketOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.002, clientOrderId: entryClientId(t3.id) });
    await until('the partial fill and the expiry', (g) => has(g, `${entryClientId(t3.id)}:expired`) && g.events.some((e) => e.tradeId === t3.id && e.type === 'ENTRY_FILLED'));
    assert.deepEqual((await eventsOf(t3.id)).map(facts), (await new OrderTracker(gateway).trackOrders([t3])).map(facts));

    assert.equal(await polls(), 0, 'the monitor never polled: all of it came over the stream');
  });

  it('a connection dropped during a fill: the fill is caught up from REST after the reconnect, delivered once, and reconcileNow follows', async () => {
    await bed.sim.setPrice(SYMBOL, 50000);
    const t4 = pendingTrade(4, 0.001, 45000);
    await watch(t4);
    const entry = entryClientId(t4.id);
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.001, price: 45000, clientOrderId: entry });
    const subscribed = bed.sim.stream.subscribeCount();
    bed.sim.stream.drop();
    await bed.sim.setPrice(SYMBOL, 44900);
    assert.equal(bed.sim.stream.subscriptions(), 0, 'the fill happened while nobody was subscribed: the stream never carried it');
    const fill = bed.sim.stream.events().filter((e) => e.e === 'executionReport' && e.c === entry && e.x === 'TRADE');
    assert.equal(fill.length, 1);
    const eventId = `${entry}:fill:${String(fill[0]!.t)}`;
    await until('the fill after the reconnect', (g) => has(g, eventId) && g.reconciles.includes('user-data stream reconnected'));
    assert.ok(bed.sim.stream.subscribeCount() > subscribed, 'a new subscription');

    // a later fill over the stream is the fence: a duplicate of the caught-up fill would be in before it
    const t5 = pendingTrade(5, 0.001, 44000);
    await watch(t5);
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.001, price: 44000, clientOrderId: entryClientId(t5.id) });
    await bed.sim.setPrice(SYMBOL, 43900);
    const got = await until('t5\'s fill', (g) => g.events.some((e) => e.tradeId === t5.id));
    assert.equal(count(got, eventId), 1, 'the fill during the drop was delivered once');
    assert.equal(await polls(), 0);
  });

  it('a duplicated event is delivered once; a subscription the venue ends (eventStreamTerminated) is followed by a fresh one that hears the next fill', async () => {
    await bed.sim.setPrice(SYMBOL, 50000);
    const t6 = pendingTrade(6, 0.001, 43000);
    await watch(t6);
    const entry6 = entryClientId(t6.id);
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.001, price: 43000, clientOrderId: entry6 });
    bed.sim.stream.duplicateNext(10);
    await bed.sim.setPrice(SYMBOL, 42900);
    await until('t6\'s fill', (g) => g.events.some((e) => e.tradeId === t6.id));

    const subscribed = bed.sim.stream.subscribeCount();
    bed.sim.stream.terminate();
    await until('a fresh subscription', () => bed.sim.stream.subscribeCount() > subscribed && bed.sim.stream.subscriptions() === 1);
    await bed.sim.setPrice(SYMBOL, 50000);
    const t7 = pendingTrade(7, 0.001, 42000);
    await watch(t7);
    await gateway.placeLimitOrder({ symbol: SYMBOL, side: 'BUY', quantity: 0.001, price: 42000, clientOrderId: entryClientId(t7.id) });
    await bed.sim.setPrice(SYMBOL, 41900);
    const got = await until('t7\'s fill over the new subscription', (g) => g.events.some((e) => e.tradeId === t7.id));
    const t6Fill = got.events.find((e) => e.tradeId === t6.id)!;
    assert.equal(count(got, t6Fill.eventId), 1, 'the report sent twice was delivered once');
    assert.equal(await polls(), 0);
  });
});
