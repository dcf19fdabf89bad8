import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { tradeIdFor } from '../../src/domain/newTrade';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import type { OrderMonitorState } from '../../src/contract/monitorState';
import { monitorStateQuery, stateQuery, stopSignal } from '../../src/contract/signals';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { withWorker } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { traderSuite } from '../support/traderHarness';

/**
 * The order monitor with symbol traders, end to end: fills exist only on the (model) exchange, the
 * monitor finds them by polling and signals the owning trader. The monitor polls every 50 ms of
 * real time; the traders' 15-minute cycles only move when the test skips time.
 */

const suite = traderSuite();

function monitorState(client: Client): Promise<OrderMonitorState> {
  return client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID).query(monitorStateQuery);
}

/** the monitor outlives a test's worker: end it (whichever run is current) so the next test starts its own */
async function terminateMonitor(): Promise<void> {
  const monitor = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await monitor.describe()).status.name !== 'RUNNING') return;
    try {
      await monitor.terminate('test done');
    } catch (err) {
      // it continued as new between describe and terminate: try the new run
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  assert.notEqual((await monitor.describe()).status.name, 'RUNNING', 'the monitor could not be terminated');
}

/** resolves once the monitor has polled again after this call (each poll is a trackOrders call) */
function nextPolls(model: ExchangeModel, n = 2): Promise<void> {
  const target = model.callsOf('trackOrders').length + n;
  return model.until(() => model.callsOf('trackOrders').length >= target, `${n} more monitor polls`);
}

test('fills found by the monitor drive a trade PENDING -> ACTIVE -> CLOSED; a lost monitor re-sends harmlessly', async () => {
  const symbol = 'BTCUSDT';
  const tradeId = tradeIdFor(symbol, 1);
  const model = new ExchangeModel();
  model.script = (i) => (i.sequence === 1 ? planLong(symbol) : doNothing());

  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    model.monitor = { client: suite.env.client, taskQueue, intervalMs: 50 };
    const handle = await suite.startTrader(taskQueue, symbol);
    // the trade's entry started the monitor (signal-with-start) and is watched
    await model.until(() => model.callsOf('trackOrders').some((i) => i.trades.some((t: any) => t.id === tradeId)), 'entry watched');
    const monitor = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);

    const fill = model.fillEntry(tradeId);
    await model.until(() => model.callsOf('ensureProtection').length === 1, 'fill reached the trader and protection was asked for');
    let s = await handle.query(stateQuery);
    assert.equal(s.trade?.status, 'ACTIVE');
    assert.deepEqual(s.trade?.entryFills.map((f) => f.eventId), [fill.eventId]);

    // the monitor learns about the protection, keeps re-reading the fill, and does not re-send it
    await model.until(() => model.callsOf('trackOrders').some((i) => i.trades.some((t: any) => t.orders.some((o: any) => o.role === 'OCO'))), 'protection watched');
    await nextPolls(model, 6);
    assert.deepEqual((await monitorState(suite.env.client)).sent[tradeId], [fill.eventId]);

    // an operator terminates the monitor; the next registration (the trader re-sends its open trade
    // every cycle, see workflow-trader.test.ts) starts a fresh one, which knows nothing and re-sends
    // the fill; the trader ignores it
    const lostRun = (await monitor.describe()).runId;
    await monitor.terminate('test: monitor lost');
    await model.watchOrders({ trade: (await handle.query(stateQuery)).trade! });
    const restarted = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    await nextPolls(model, 2);
    const fresh = await restarted.query(monitorStateQuery);
    assert.notEqual((await restarted.describe()).runId, lostRun, 'a new monitor, with no memory of what was sent');
    assert.deepEqual(fresh.sent[tradeId], [fill.eventId], 'the fresh monitor re-sent the fill');
    await nextPolls(model, 1);
    s = await handle.query(stateQuery);
    assert.equal(s.trade?.entryFills.length, 1);
    assert.equal(model.callsOf('ensureProtection').length, 1, 'a re-sent fill changes nothing');

    // the stop fills on the exchange; the trade closes and leaves the watch set
    model.hitStop(tradeId);
    await model.until(() => model.hasRow((r) => r.action === 'ACTIVE->CLOSED'), 'closed by the stop');
    await model.until(() => model.callsOf('watchOrders').some((i) => i.trade.status === 'CLOSED'), 'monitor told');
    assert.deepEqual((await monitorState(suite.env.client)).watched, {});
    assert.equal((await handle.query(stateQuery)).trade?.status, 'CLOSED');

    await handle.signal(stopSignal);
    await handle.result();
    await recordHistory(handle, 'trader-with-monitor');
    await terminateMonitor();
  });
});

test('a trade whose symbol workflow is gone is dropped by the monitor; the others stay watched', async () => {
  const model = new ExchangeModel();
  model.script = (i) => (i.sequence === 1 ? planLong(i.symbol) : doNothing());

  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    model.monitor = { client: suite.env.client, taskQueue, intervalMs: 50 };
    const start = (symbol: string) => suite.startTrader(taskQueue, symbol);
    const gone = await start('ETHUSDT');
    await start('SOLUSDT');
    const goneTrade = tradeIdFor('ETHUSDT', 1);
    const keptTrade = tradeIdFor('SOLUSDT', 1);
    const watched = (id: string) => model.callsOf('trackOrders').some((i) => i.trades.some((t: any) => t.id === id));
    await model.until(() => watched(goneTrade) && watched(keptTrade), 'both entries watched');

    await gone.signal(stopSignal); // its PENDING entry stays on the exchange, with nobody to tell
    await gone.result();
    model.fillEntry(goneTrade);

    const monitor = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    for (let polls = 0; ; polls++) {
      const m = await monitor.query(monitorStateQuery);
      if (!m.watched[goneTrade]) {
        assert.ok(m.watched[keptTrade], 'the other symbol is still watched');
        break;
      }
      assert.ok(polls < 100, 'the monitor kept a trade nobody owns');
      await nextPolls(model, 1);
    }
    await terminateMonitor();
  });
});

test('the monitor continues as new with its watch set, its history bounded', async () => {
  const model = new ExchangeModel();
  const trade = {
    id: 'T-BTCUSDT-000007', symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 100, stopLossPrice: 95,
    takeProfitPrices: [110], quantity: 1, positionSizePercent: 5, entryFills: [], exitFills: [], createdAt: 0,
    orders: [{ role: 'ENTRY', clientOrderId: 'T-BTCUSDT-000007-E', quantity: 1, price: 100, status: 'OPEN' }],
  } as const;
  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    model.monitor = { client: suite.env.client, taskQueue, intervalMs: 20, maxPollsPerRun: 3 };
    await model.watchOrders({ trade: structuredClone(trade) as any });
    const monitor = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    const firstRun = (await monitor.describe()).runId;
    await model.until(() => model.callsOf('trackOrders').length >= 7, 'two runs worth of polls');
    const first = suite.env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID, firstRun);
    assert.equal((await first.describe()).status.name, 'CONTINUED_AS_NEW');
    assert.ok(model.callsOf('trackOrders').slice(3).every((i) => i.trades.length === 1 && i.trades[0].id === trade.id), 'the watch set came along');
    await recordHistory(first, 'order-monitor-first-run');
    await terminateMonitor();
  });
});
