import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvents, ensureProtection, executeAiCommand, OrderTracker } from '../../src/oms';
import { belongsTo, entryClientId, otocoListClientId } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { Trade } from '../../src/domain/trade';
import { ctxFor, insufficientBalanceFault, onBook, placeOldShapePlan, plan, restingStops, startHarness, sum, type Harness } from '../support/omsHarness';

const TRADE = 'T-BTCUSDT-000001';

describe('placeTradePlan', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('one target: an OTOCO whose entry fill puts the stop on the book with no OMS action', async () => {
    const r = await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    assert.equal(r.outcome, 'EXECUTED');
    const trade = r.trade!;
    assert.equal(trade.id, TRADE);
    assert.equal(trade.status, 'PENDING');
    // 10% of 10 000 USDT at 64 800, floored to the 0.00001 step
    assert.equal(trade.quantity, 0.01543);
    assert.deepEqual(trade.orders.map((o) => [o.role, o.clientOrderId]), [
      ['ENTRY', entryClientId(TRADE)],
      ['OCO', otocoListClientId(TRADE)],
    ]);
    const book = await onBook(h, TRADE);
    assert.equal(book.find((o) => o.clientOrderId === entryClientId(TRADE))?.orderListId, trade.orders[1]!.exchangeOrderId);
    assert.equal((await restingStops(h, TRADE)).length, 0, 'no stop before the entry fills');

    await h.sim.setPrice('BTCUSDT', 64799);
    const stops = await restingStops(h, TRADE);
    assert.equal(stops.length, 1, 'the exchange placed the stop itself');
    assert.equal(stops[0]!.stopPrice, 63500);
    // the fee (0.1%, paid in BTC) leaves 0.01541457 BTC; the OCO sells what can be sold
    assert.equal(stops[0]!.quantity, 0.01541);

    const events = await new OrderTracker(h.gateway).trackOrders([trade]);
    assert.deepEqual(events.map((e) => e.type), ['ENTRY_FILLED']);
    const active = applyEvents(trade, events);
    assert.equal(active.status, 'ACTIVE');
    assert.equal(tradeQuantities(active).open, 0.01541);
    const again = await ensureProtection(h.gateway, active);
    assert.equal(again.placed.length, 0, 'the OTOCO pair already protects the whole position');
    assert.equal(again.protectedQuantity, 0.01541);

    await h.sim.setPrice('BTCUSDT', 67001);
    const exits = await new OrderTracker(h.gateway).trackOrders([active]);
    assert.deepEqual(exits.map((e) => e.type), ['TARGET_FILLED']);
    const closed = applyEvents(active, exits);
    assert.equal(closed.status, 'CLOSED');
    assert.ok(closed.realizedPnl! > 0);
  });

  // Several targets are slices now (oms-slices.test.ts); trades placed the old way still rest on
  // exchanges and in running workflows, and their fills are still protected per target.
  it('an old-shape trade (several targets, the entry alone): one OCO per target for the filled quantity, sharing the stop', async () => {
    let trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    assert.deepEqual(trade.orders.map((o) => o.role), ['ENTRY']);
    await h.sim.setPrice('BTCUSDT', 64799);
    assert.equal((await restingStops(h, TRADE)).length, 0);
    const tracker = new OrderTracker(h.gateway);
    trade = applyEvents(trade, await tracker.trackOrders([trade]));
    const p = await ensureProtection(h.gateway, trade);
    assert.equal(p.status, 'PROTECTED');
    assert.equal(p.placed.length, 2);
    const stops = await restingStops(h, TRADE);
    assert.deepEqual(stops.map((s) => s.stopPrice), [63500, 63500]);
    assert.equal(sum(stops.map((s) => s.quantity)), 0.01541);
    const targets = (await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER').map((o) => o.price).sort();
    assert.deepEqual(targets, [67000, 69000]);
    trade = applyEvents(trade, p.events);
    assert.equal(trade.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN').length, 2);

    const second = await ensureProtection(h.gateway, trade);
    assert.equal(second.placed.length, 0, 'ensureProtection is idempotent');

    await h.sim.setPrice('BTCUSDT', 63400);
    const exits = await tracker.trackOrders([trade]);
    assert.deepEqual(exits.map((e) => e.type), ['STOP_FILLED', 'STOP_FILLED']);
    const closed = applyEvents(trade, exits);
    assert.equal(closed.status, 'CLOSED');
    assert.ok(closed.realizedPnl! < 0);
    assert.equal((await onBook(h, TRADE)).length, 0, 'OCO legs cancel each other');
  });

  it('partial fills of an old-shape entry: each fill is protected, and only the missing part is placed', async () => {
    let trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    const tracker = new OrderTracker(h.gateway);
    // a candle whose volume lets the order fill only part of its size
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    const first = await tracker.trackOrders([trade]);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.type, 'ENTRY_FILLED');
    trade = applyEvents(trade, first);
    assert.equal(trade.status, 'ACTIVE');
    const held1 = tradeQuantities(trade).open;
    assert.ok(held1 > 0 && held1 < 0.0154);
    trade = applyEvents(trade, (await ensureProtection(h.gateway, trade)).events);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), held1);

    await h.sim.setPrice('BTCUSDT', 64900);
    await h.sim.setPrice('BTCUSDT', 64799);
    const rest = await tracker.trackOrders([trade]);
    assert.ok(rest.length >= 1 && rest.every((e) => e.type === 'ENTRY_FILLED'));
    trade = applyEvents(trade, rest);
    const p = await ensureProtection(h.gateway, trade);
    assert.ok(p.placed.every((r) => r.clientOrderId.includes('-p0.1.')), 'the new part is chunk 1');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(trade).open);
  });

  it('more partial fills than the market allows stop orders: the protection is consolidated into one set', async () => {
    let trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 68000, 69000]));
    const tracker = new OrderTracker(h.gateway);
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    trade = applyEvents(trade, await tracker.trackOrders([trade]));
    trade = applyEvents(trade, (await ensureProtection(h.gateway, trade)).events);
    assert.equal((await restingStops(h, TRADE)).length, 3);
    await h.sim.setPrice('BTCUSDT', 64900);
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    trade = applyEvents(trade, await tracker.trackOrders([trade]));
    // three more stop legs would make 6, over Binance's 5 (MAX_NUM_ALGO_ORDERS)
    const p = await ensureProtection(h.gateway, trade);
    assert.equal(p.status, 'PROTECTED');
    const stops = await restingStops(h, TRADE);
    assert.equal(stops.length, 3);
    assert.equal(sum(stops.map((s) => s.quantity)), tradeQuantities(trade).open);
    assert.deepEqual((await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER').map((o) => o.price).sort(), [67000, 68000, 69000]);
  });

  it('a partly filled OTOCO entry: the remainder is cancelled and the filled part protected at once', async () => {
    let trade = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null))).trade!;
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    const events = await new OrderTracker(h.gateway).trackOrders([trade]);
    trade = applyEvents(trade, events);
    assert.equal(trade.status, 'ACTIVE');
    const p = await ensureProtection(h.gateway, trade);
    assert.equal(p.status, 'PROTECTED');
    assert.ok(p.events.some((e) => e.type === 'ENTRY_CANCELLED'));
    assert.ok(p.alerts.some((a) => a.includes('partly filled')));
    trade = applyEvents(trade, p.events);
    assert.equal(trade.status, 'ACTIVE');
    const book = await onBook(h, TRADE);
    assert.equal(book.find((o) => o.clientOrderId === entryClientId(TRADE)), undefined, 'the entry remainder is gone');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(trade).open);
  });

  it('executing the same command twice leaves exactly one set of orders', async () => {
    const a = await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    const b = await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    assert.equal(b.outcome, 'EXECUTED');
    assert.deepEqual(b.trade!.orders, a.trade!.orders);
    assert.equal((await onBook(h, TRADE)).length, 1, 'one entry (its OCO waits off the book)');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 1);
    const c = await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null, 2));
    const d = await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null, 2));
    assert.deepEqual(d.trade!.orders, c.trade!.orders, 'the retry adopts both slices, sized the same');
    assert.equal((await onBook(h, c.trade!.id)).length, 2, 'one entry per slice (their OCOs wait off the book)');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 3);
  });

  it('a lost response on the OTOCO and on the entry order each end with exactly one', async () => {
    h.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/otoco', kind: 'lostResponse' });
    const a = await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null, 1));
    assert.equal(a.outcome, 'EXECUTED');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 1);
    assert.equal((await onBook(h, a.trade!.id)).length, 1);

    h.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/otoco', kind: 'lostResponse' });
    const b = await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null, 2));
    assert.equal(b.outcome, 'EXECUTED');
    const open = (await h.gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, b.trade!.id));
    assert.equal(open.length, 2, 'one entry per slice');
    assert.equal(new Set(open.map((o) => o.clientOrderId)).size, 2, 'no client id with two orders');
  });

  it('a timeout and a 5xx on the entry are retried to exactly one order', async () => {
    h.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', holdMs: 5_000, execute: true });
    h.sim.faults.add({ method: 'GET', path: '/api/v3/orderList', kind: 'status', status: 503 });
    const r = await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null));
    assert.equal(r.outcome, 'EXECUTED');
    assert.ok(h.retries.some((x) => x.kind === 'RequestTimeout'));
    assert.equal((await onBook(h, TRADE)).length, 2, 'exactly one entry per slice');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 2);
  });

  it('a permanent refusal is a clear rejection with nothing placed', async () => {
    h.sim.faults.add(insufficientBalanceFault('/api/v3/orderList/otoco'));
    const r = await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'EXCHANGE_INSUFFICIENTFUNDS');
    assert.match(r.rejection!.reason, /insufficient balance/);
    assert.equal(r.trade, null);
    assert.equal((await h.gateway.fetchOpenOrders('BTCUSDT')).length, 0);
  });

  it('an invalid command is rejected by validation and never reaches the exchange', async () => {
    const posts = () => h.sim.requests().filter((r) => r.method === 'POST').length;
    const before = posts();
    const r = await executeAiCommand(plan(64800, 66000, [67000]), ctxFor(h, null));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'STOP_WRONG_SIDE');
    const small = await executeAiCommand(plan(64800, 63500, [67000], 0.0001), ctxFor(h, null));
    assert.equal(small.outcome, 'REJECTED');
    assert.equal(small.rejection?.code, 'BELOW_MIN_AMOUNT');
    assert.equal(posts(), before);
    const idle = await executeAiCommand({ action: 'DO_NOTHING', reasoning: 'wait' }, ctxFor(h, null));
    assert.equal(idle.outcome, 'NOTHING_TO_DO');
  });

  it('protection refused for good: the unprotected quantity is closed at market, loudly', async () => {
    let trade: Trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    await h.sim.setPrice('BTCUSDT', 64799);
    trade = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    h.sim.faults.add(insufficientBalanceFault('/api/v3/orderList/oco', 2));
    const logged: Array<{ message: string; meta?: Record<string, unknown> }> = [];
    const p = await ensureProtection(h.gateway, trade, { log: { error: (message, meta) => logged.push({ message, ...(meta ? { meta } : {}) }) } });
    assert.equal(p.status, 'CLOSED_AT_MARKET');
    assert.ok(p.alerts.some((a) => /CLOSED AT MARKET/.test(a)));
    // loudly: the alert goes to the logger the caller passed in (the activity's, in a worker) as it happens
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.match(logged[0]!.message, /^\[oms\] ALERT .*CLOSED AT MARKET/);
    assert.deepEqual(logged[0]!.meta, { tradeId: trade.id, symbol: 'BTCUSDT', status: 'CLOSED_AT_MARKET' });
    assert.deepEqual(p.events.map((e) => e.type), ['MANUAL_CLOSE']);
    const closed = applyEvents(trade, p.events);
    assert.equal(closed.status, 'CLOSED');
    assert.equal((await onBook(h, TRADE)).length, 0);
  });

  it('one OCO of a set refused: the rest stays protected, only the refused part is closed at market', async () => {
    let trade: Trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    await h.sim.setPrice('BTCUSDT', 64799);
    trade = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    h.sim.faults.add(insufficientBalanceFault('/api/v3/orderList/oco', 1));
    const p = await ensureProtection(h.gateway, trade);
    assert.equal(p.status, 'CLOSED_AT_MARKET');
    assert.deepEqual(p.events.map((e) => e.type).sort(), ['MANUAL_CLOSE', 'PROTECTION_PLACED']);
    const after = applyEvents(trade, p.events);
    assert.equal(after.status, 'ACTIVE');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(after).open);
  });
});
