import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvents, ensureProtection, executeAiCommand, OrderTracker, reconcile } from '../../src/oms';
import { entryClientId, ocoListClientId, stopLegId, takeProfitLegId } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { Trade } from '../../src/domain/trade';
import { ctxFor, onBook, placeOldShapePlan, plan, restingStops, startHarness, sum, type Harness } from '../support/omsHarness';

const TRADE = 'T-BTCUSDT-000001';

// Trades with several targets here are placed the old way (entry alone), as they still exist on
// exchanges; slices are tracked and reconciled in oms-slices.test.ts.
describe('trackOrders', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reports each partial fill once per exchange trade, with ids a fresh tracker reproduces', async () => {
    const trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    const tracker = new OrderTracker(h.gateway);
    assert.deepEqual(await tracker.trackOrders([trade]), []);
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    await h.sim.setPrice('BTCUSDT', 64900);
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    const events = await tracker.trackOrders([trade]);
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.type === 'ENTRY_FILLED' && e.eventId.startsWith(`${entryClientId(TRADE)}:fill:`)));
    assert.equal(new Set(events.map((e) => e.eventId)).size, 2);
    assert.deepEqual(await tracker.trackOrders([trade]), [], 'nothing new since the last look');
    // after a crash: a new tracker re-reads and produces the same ids (harmless duplicates)
    const reread = await new OrderTracker(h.gateway).trackOrders([trade]);
    assert.deepEqual(reread.map((e) => e.eventId), events.map((e) => e.eventId));
    // once applied, they are not reported again
    assert.deepEqual(await new OrderTracker(h.gateway).trackOrders([applyEvents(trade, events)]), []);
  });

  it('reports a cancel made outside the system, and target fills with their target index', async () => {
    const pending = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]), 5);
    await h.gateway.cancelOrder('BTCUSDT', entryClientId(pending.id));
    const cancelled = await new OrderTracker(h.gateway).trackOrders([pending]);
    assert.deepEqual(cancelled.map((e) => [e.type, e.eventId]), [['ENTRY_CANCELLED', `${entryClientId(pending.id)}:canceled`]]);
    assert.equal(applyEvents(pending, cancelled).status, 'CANCELLED');

    let trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    await h.sim.setPrice('BTCUSDT', 64799);
    const tracker = new OrderTracker(h.gateway);
    trade = applyEvents(trade, await tracker.trackOrders([trade]));
    trade = applyEvents(trade, (await ensureProtection(h.gateway, trade)).events);
    await h.sim.setPrice('BTCUSDT', 67001);
    const first = await tracker.trackOrders([trade]);
    assert.deepEqual(first.map((e) => e.type === 'TARGET_FILLED' && e.targetIndex), [0]);
    assert.ok(first[0]!.eventId.startsWith(`${takeProfitLegId(ocoListClientId(TRADE, 0, 0, 0))}:fill:`));
    trade = applyEvents(trade, first);
    assert.equal(trade.status, 'ACTIVE');
    await h.sim.setPrice('BTCUSDT', 69001);
    const second = await tracker.trackOrders([trade]);
    assert.deepEqual(second.map((e) => e.type === 'TARGET_FILLED' && e.targetIndex), [1]);
    trade = applyEvents(trade, second);
    assert.equal(trade.status, 'CLOSED');
    assert.equal(tradeQuantities(trade).open, 0);
  });
});

describe('trackOrders: expiry', () => {
  it('an entry the exchange expired is reported as ENTRY_EXPIRED with a stable id', async () => {
    const h = await startHarness();
    try {
      const trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
      await h.gateway.cancelOrder('BTCUSDT', entryClientId(TRADE));
      // the same client id re-used by an immediate-or-cancel order that cannot fill: the exchange expires it
      await h.gateway.exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 60000, {
        newClientOrderId: entryClientId(TRADE),
        timeInForce: 'IOC',
      });
      const events = await new OrderTracker(h.gateway).trackOrders([trade]);
      assert.deepEqual(events.map((e) => [e.type, e.eventId]), [['ENTRY_EXPIRED', `${entryClientId(TRADE)}:expired`]]);
      assert.equal(applyEvents(trade, events).status, 'CANCELLED');
    } finally {
      await h.close();
    }
  });
});

describe('reconcile', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ balances: { USDT: 10_000, BTC: 0.2 } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('a clean account reports clean', async () => {
    const trade = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null))).trade!;
    const report = await reconcile(h.gateway, [trade]);
    assert.equal(report.clean, true, JSON.stringify(report));
  });

  it('leaves resting our orphan OCO it cannot tie to a trade while the coins are held, and an order placed by someone else', async () => {
    const orphan = ocoListClientId('T-BTCUSDT-000042', 0, 0, 0);
    await h.gateway.placeOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: 0.01, takeProfitPrice: 70000, stopPrice: 60000,
      listClientOrderId: orphan, takeProfitClientOrderId: takeProfitLegId(orphan), stopClientOrderId: stopLegId(orphan),
    });
    await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 61000, clientOrderId: 'web_manual_1' });
    const report = await reconcile(h.gateway, []);
    // no entry order de-T-BTCUSDT-000042-e exists: the trade cannot be rebuilt, but the account
    // holds BTC, so the stop may be all that protects it: never cancelled blind
    assert.deepEqual(report.orphansCancelled, []);
    assert.deepEqual(report.orphansKept.map((o) => o.clientOrderId), [orphan]);
    assert.deepEqual(report.recovered, []);
    assert.ok(report.alerts.some((a) => a.includes(orphan) && /LEFT RESTING/.test(a)), report.alerts.join('\n'));
    assert.deepEqual(report.foreignOrders.map((o) => o.clientOrderId), ['web_manual_1']);
    assert.equal(report.clean, false);
    const left = await h.gateway.fetchOpenOrders('BTCUSDT');
    assert.deepEqual(left.map((o) => o.clientOrderId).sort(), [stopLegId(orphan), takeProfitLegId(orphan), 'web_manual_1']);
  });

  it('reports per symbol the highest trade sequence in the order history, open or over, ours only', async () => {
    const old = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null, 17))).trade!;
    await h.gateway.cancelOrder('BTCUSDT', entryClientId(old.id));
    await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null, 9));
    await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 61000, clientOrderId: 'T-BTCUSDT-000999' });
    await h.gateway.placeLimitOrder({ symbol: 'ETHUSDT', side: 'BUY', quantity: 0.01, price: 2900, clientOrderId: entryClientId('T-ETHUSDT-000023') });

    const btc = await reconcile(h.gateway, [], { symbols: ['BTCUSDT'] });
    assert.deepEqual(btc.highestSequences, { BTCUSDT: 17 }, 'the cancelled trade 17 counts; a foreign id that looks like a trade id does not');
    const both = await reconcile(h.gateway, [], { symbols: ['BTCUSDT', 'ETHUSDT'] });
    assert.deepEqual(both.highestSequences, { BTCUSDT: 17, ETHUSDT: 23 });
    // without a symbol list: the symbols with open orders or believed trades (the ETH orphan entry
    // was cancelled by the last look; the foreign BTC order still rests)
    const all = await reconcile(h.gateway, []);
    assert.deepEqual(all.highestSequences, { BTCUSDT: 17 });
  });

  it('an orphan entry of a trade that is no longer open is cancelled', async () => {
    const trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    const closedInMemory: Trade = { ...trade, status: 'CANCELLED' };
    const report = await reconcile(h.gateway, [closedInMemory]);
    assert.deepEqual(report.orphansCancelled.map((o) => [o.clientOrderId, o.kind]), [[entryClientId(TRADE), 'order']]);
    assert.equal((await onBook(h, TRADE)).length, 0);
  });

  it('a filled entry without protection gets it (fills found, applied, protected)', async () => {
    const trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    await h.sim.setPrice('BTCUSDT', 64799);
    // the workflow crashed before it saw the fill: it still believes PENDING
    const report = await reconcile(h.gateway, [trade]);
    assert.deepEqual(report.events.map((e) => e.type), ['ENTRY_FILLED', 'PROTECTION_PLACED']);
    assert.equal(report.protectionPlaced.length, 1);
    assert.equal(report.protectionPlaced[0]!.orders.length, 2);
    const updated = report.trades[0]!;
    assert.equal(updated.status, 'ACTIVE');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(updated).open);
    const again = await reconcile(h.gateway, [updated]);
    assert.equal(again.protectionPlaced.length, 0);
    assert.equal(again.clean, true, JSON.stringify(again));
  });

  it('a trade the exchange no longer knows is reported and marked', async () => {
    const pending = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    const ghost: Trade = { ...pending, id: 'T-BTCUSDT-000099' };
    const ghostActive: Trade = {
      ...pending,
      id: 'T-ETHUSDT-000007',
      symbol: 'ETHUSDT',
      status: 'ACTIVE',
      entryPrice: 3000,
      stopLossPrice: 2900,
      takeProfitPrices: [3200],
      quantity: 1,
      entryFills: [{ eventId: 'x', price: 3000, quantity: 1, fee: 3, at: 1 }],
      orders: [],
    };
    const report = await reconcile(h.gateway, [pending, ghost, ghostActive]);
    assert.deepEqual(report.unknownTrades.map((u) => [u.tradeId, u.action]), [['T-BTCUSDT-000099', 'CANCELLED']]);
    // an ACTIVE trade with no coins and no protection ends: CLOSED with the reason, never left ACTIVE
    assert.deepEqual(report.findings.map((f) => [f.tradeId, f.code]), [['T-ETHUSDT-000007', 'POSITION_GONE']]);
    const gone = report.trades.find((t) => t.id === 'T-ETHUSDT-000007')!;
    assert.equal(gone.status, 'CLOSED');
    assert.match(gone.closeReason!, /the account holds no ETH for this trade and no protection rests/);
    const marked = report.trades.find((t) => t.id === 'T-BTCUSDT-000099')!;
    assert.equal(marked.status, 'CANCELLED');
    assert.ok(report.events.some((e) => e.type === 'ENTRY_CANCELLED' && e.tradeId === 'T-BTCUSDT-000099'));
    assert.deepEqual(report.balanceMismatches, [], 'a trade that ended expects nothing held');
    assert.equal(report.trades.find((t) => t.id === pending.id)!.status, 'PENDING', 'the real trade is untouched');
  });
});
