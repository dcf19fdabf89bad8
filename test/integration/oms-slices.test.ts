import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvents, ensureProtection, executeAiCommand, OrderTracker, reconcile } from '../../src/oms';
import { parseClientId, sliceEntryClientId, sliceListClientId } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import type { ExchangeOrder } from '../../src/exchange/types';
import { createPendingTrade } from '../../src/domain/newTrade';
import { placeSlices } from '../../src/oms/sliceOrders';
import { DEFAULT_PROTECTION } from '../../src/oms/types';
import { adjust as adjustCommand, ctxFor, onBook, plan, restingStops, startHarness, sum, trackAndProtect, type Harness } from '../support/omsHarness';

const TRADE = 'T-BTCUSDT-000001';
const TARGETS = [67000, 68000, 69000];
const adjust = (stop: number, targets?: number[]): AiCommand => adjustCommand(TRADE, stop, targets);

const sliceOf = (o: ExchangeOrder) => {
  const p = parseClientId(o.clientOrderId);
  return p?.leg.kind === 'slice' ? p.leg : null;
};
const live = (orders: ExchangeOrder[]) => orders.filter((o) => o.status === 'OPEN' && !o.pending);

/**
 * Issue 13: a plan with several targets is N slices, each its own OTOCO, so the exchange itself
 * protects every slice the instant its entry has filled (asserted from the simulator's book, before
 * the OMS is asked anything). A slice filled only in part is the one window: the OMS covers it.
 */
/**
 * An ACTIVE sliced trade with slice 0 filled and slices 1 and 2 still waiting. On an exchange the
 * queue fills the oldest order at a price first; the simulator gives every resting order its own
 * share of a candle's volume, so same-price slices always fill together. Slice 0 is therefore
 * placed (by the OMS's own placeSlices) one tick-band above the others, where a candle reaches it
 * alone: the state a queue produces, through the same code.
 */
async function sliceZeroFilledOthersWaiting(h: Harness): Promise<Trade> {
  const limits = await h.gateway.marketLimits('BTCUSDT');
  const command = plan(64800, 63500, TARGETS);
  if (command.action !== 'PLAN_TRADE') throw new Error('plan');
  const base = createPendingTrade({ id: TRADE, command, quantity: 0.01542, limits, now: Date.now() });
  const slice = (index: number) => ({ generation: 0, index, quantity: 0.00514, protectionQuantity: 0.00513, takeProfitPrice: TARGETS[index]! });
  const ahead = await placeSlices(h.gateway, base, [slice(0)], { entryPrice: 64900, stopLossPrice: 63500 }, limits, DEFAULT_PROTECTION);
  const rest = await placeSlices(h.gateway, base, [slice(1), slice(2)], base, limits, DEFAULT_PROTECTION);
  await h.sim.setPrice('BTCUSDT', 64850);
  const trade = await trackAndProtect(h, { ...base, orders: [...ahead, ...rest] });
  assert.equal(trade.status, 'ACTIVE');
  return trade;
}

describe('slices: one OTOCO per target', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('three targets are three OTOCOs; a full fill is protected by the exchange alone, slice k at target k', async () => {
    const r = await executeAiCommand(plan(64800, 63500, TARGETS), ctxFor(h, null));
    assert.equal(r.outcome, 'EXECUTED');
    const trade = r.trade!;
    assert.equal(trade.quantity, 0.01543);
    const entries = trade.orders.filter((o) => o.role === 'ENTRY');
    assert.deepEqual(entries.map((o) => o.clientOrderId), [0, 1, 2].map((k) => sliceEntryClientId(sliceListClientId(TRADE, 0, k))));
    assert.equal(sum(entries.map((o) => o.quantity)), trade.quantity, 'the slices add up to the sized quantity');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 3);
    assert.equal((await restingStops(h, TRADE)).length, 0, 'nothing is held, nothing rests as protection yet');

    await h.sim.setPrice('BTCUSDT', 64799);
    // the simulator's book right after the fill, before any OMS call
    const stops = await restingStops(h, TRADE);
    assert.equal(stops.length, 3, 'the exchange placed every slice its stop');
    assert.ok(stops.every((s) => s.stopPrice === 63500));
    const btc = await h.gateway.fetchBalance('BTC');
    assert.ok(sum(stops.map((s) => s.quantity)) <= btc.total && btc.total - sum(stops.map((s) => s.quantity)) < 0.00003, 'the stops cover what the fills brought (less sub-step fee dust)');
    const tps = live(await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER');
    for (const tp of tps) assert.equal(tp.price, TARGETS[sliceOf(tp)!.slice], `${tp.clientOrderId} sells at its slice's target`);

    const active = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    assert.equal(active.status, 'ACTIVE');
    assert.ok(active.orders.filter((o) => o.role === 'ENTRY').every((o) => o.status === 'FILLED'));
    const again = await ensureProtection(h.gateway, active);
    assert.equal(again.placed.length, 0, 'nothing for the OMS to place');
    assert.equal(again.protectedQuantity, tradeQuantities(active).open);

    await h.sim.setPrice('BTCUSDT', 67001);
    let t = applyEvents(active, await new OrderTracker(h.gateway).trackOrders([active]));
    assert.equal(t.status, 'ACTIVE', 'target 1 sold slice 0 only');
    await h.sim.setPrice('BTCUSDT', 69001);
    t = applyEvents(t, await new OrderTracker(h.gateway).trackOrders([t]));
    assert.equal(t.status, 'CLOSED');
    assert.ok(t.realizedPnl! > 0);
  });

  it('too small for one slice per target: fewer slices, and an alert says why', async () => {
    const r = await executeAiCommand(plan(64800, 63500, TARGETS, 0.15), ctxFor(h, null));
    assert.equal(r.outcome, 'EXECUTED');
    const entries = r.trade!.orders.filter((o) => o.role === 'ENTRY');
    // 0.15% of 10 000 USDT is 15 USDT: three 5 USDT slices would be under the 5 USDT notional at the stop
    assert.ok(entries.length >= 1 && entries.length < 3, `slices: ${entries.length}`);
    assert.ok(r.alerts.some((a) => /slice\(s\) for 3 targets/.test(a) && /minimum/.test(a)), r.alerts.join('\n'));
  });

  it('the market cap on stop orders leaves room for fewer slices', async () => {
    // another trade already holds 3 of the market's 5 stop orders (its waiting OTOCO pairs count)
    await executeAiCommand(plan(64800, 63500, TARGETS), ctxFor(h, null, 9));
    const r = await executeAiCommand(plan(64700, 63400, TARGETS), ctxFor(h, null, 1));
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal(r.trade!.orders.filter((o) => o.role === 'ENTRY').length, 2);
    assert.ok(r.alerts.some((a) => /MAX_NUM_ALGO_ORDERS/.test(a)));
  });

  it('slices filled fully and in part: the exchange protects the full ones; the partial one is the window the OMS closes at its target', async () => {
    let trade = (await executeAiCommand(plan(64800, 63500, TARGETS), ctxFor(h, null))).trade!;
    // slices of 0.00514, 0.00514 and 0.00515; the candle lets each order fill 0.00514 (10% of its volume)
    await h.sim.setPrice('BTCUSDT', 64799, 0.0514);
    const book = await onBook(h, TRADE);
    const partial = book.filter((o) => sliceOf(o)?.leg === 'entry' && o.filled > 0);
    assert.deepEqual(partial.map((o) => [sliceOf(o)!.slice, o.filled, o.quantity]), [[2, 0.00514, 0.00515]], 'slice 2 partly filled, still working');
    const stopsNow = await restingStops(h, TRADE);
    assert.deepEqual(stopsNow.map((s) => sliceOf(s)!.slice).sort(), [0, 1], 'at the fill, before any OMS call: the two full slices are protected by the exchange, the partial one is not (as Binance)');

    trade = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    assert.equal(trade.status, 'ACTIVE');
    const p = await ensureProtection(h.gateway, trade);
    assert.equal(p.status, 'PROTECTED');
    assert.ok(p.alerts.some((a) => /partly filled/.test(a)));
    assert.equal(p.placed.length, 1, 'one OCO for the partial slice');
    assert.equal(p.placed[0]!.targetIndex, 2, "at that slice's target");
    assert.equal(p.placed[0]!.price, TARGETS[2]);
    trade = applyEvents(trade, p.events);
    const stops = await restingStops(h, TRADE);
    assert.equal(sum(stops.map((s) => s.quantity)), tradeQuantities(trade).open, 'every filled quantity is protected');
    assert.equal((await onBook(h, TRADE)).filter((o) => sliceOf(o)?.leg === 'entry').length, 0, 'the partial slice\'s remainder is cancelled');
    assert.equal((await ensureProtection(h.gateway, trade)).placed.length, 0, 'idempotent');
  });

  it('cancel: every slice that may still fill is cancelled with its waiting pair', async () => {
    const trade = (await executeAiCommand(plan(64800, 63500, TARGETS), ctxFor(h, null))).trade!;
    const r = await executeAiCommand({ action: 'CANCEL_ORDER', order_id: TRADE, reasoning: 'no longer valid' }, ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal(r.trade!.status, 'CANCELLED');
    assert.deepEqual(r.events.map((e) => e.type), ['ENTRY_CANCELLED', 'ENTRY_CANCELLED', 'ENTRY_CANCELLED']);
    assert.equal((await onBook(h, TRADE)).length, 0);
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 0);
  });

  it('adjust: the filled slice and the waiting ones all get the new stop; the position is never without one longer than one cancel-and-place', async () => {
    let trade = await sliceZeroFilledOthersWaiting(h);
    const heldBefore = tradeQuantities(trade).open;
    assert.ok(heldBefore > 0);
    assert.equal((await onBook(h, TRADE)).filter((o) => sliceOf(o)?.leg === 'entry').length, 2);

    const mark = h.sim.requests().length;
    const r = await executeAiCommand(adjust(64000), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED', r.rejection?.reason);
    trade = r.trade!;
    assert.equal(trade.stopLossPrice, 64000);
    const book = await onBook(h, TRADE);
    assert.equal(sum(live(book).filter((o) => o.type.startsWith('STOP_LOSS')).map((s) => s.quantity)), heldBefore, 'the position is protected');
    assert.ok(live(book).filter((o) => o.type.startsWith('STOP_LOSS')).every((s) => s.stopPrice === 64000), 'at the new stop');
    const waiting = book.filter((o) => sliceOf(o)?.leg === 'entry');
    assert.deepEqual(waiting.map((o) => [sliceOf(o)!.generation, sliceOf(o)!.slice]).sort(), [[1, 1], [1, 2]], 'the waiting slices were placed again in the new generation');
    // the waiting slices are cancelled before the position's stop, which is cancelled and placed again in one round trip each
    const writes = h.sim.requests().slice(mark).filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
    assert.deepEqual(writes, [
      'DELETE /api/v3/orderList', 'DELETE /api/v3/orderList', // the waiting slices
      'DELETE /api/v3/orderList', // the filled slice's pair: from here the position has no stop...
      'POST /api/v3/orderList/oco', // ...until this one is placed
      'POST /api/v3/orderList/otoco', 'POST /api/v3/orderList/otoco', // the waiting slices again
    ]);

    const again = await executeAiCommand(adjust(64000), ctxFor(h, trade));
    assert.equal(again.outcome, 'EXECUTED');
    assert.deepEqual((await onBook(h, TRADE)).map((o) => o.clientOrderId).sort(), book.map((o) => o.clientOrderId).sort(), 'the same command twice changes nothing');

    await h.sim.setPrice('BTCUSDT', 64799);
    trade = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    const after = live(await onBook(h, TRADE)).filter((o) => o.type.startsWith('STOP_LOSS'));
    assert.equal(after.length, 3, JSON.stringify(await onBook(h, TRADE)) + JSON.stringify(await h.gateway.fetchBalance('BTC')));
    assert.ok(after.every((s) => s.stopPrice === 64000), 'the re-placed slices are protected at the new stop when they fill');
    assert.equal(sum(after.map((s) => s.quantity)), tradeQuantities(trade).open);
  });

  it('reconcile without the workflow: a sliced trade is recovered from the exchange, every slice accounted for', async () => {
    const trade = await sliceZeroFilledOthersWaiting(h);
    const report = await reconcile(h.gateway, [], { symbols: ['BTCUSDT'] });
    assert.equal(report.recovered.length, 1);
    const rec = report.recovered[0]!;
    assert.equal(rec.id, TRADE);
    assert.equal(rec.status, 'ACTIVE');
    assert.equal(rec.quantity, sum(trade.orders.filter((o) => o.role === 'ENTRY').map((o) => o.quantity)), 'the slices make the quantity');
    assert.deepEqual(rec.takeProfitPrices, TARGETS);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(rec).open, 'what it holds is protected');
    assert.equal((await onBook(h, TRADE)).filter((o) => sliceOf(o)?.leg === 'entry').length, 2, 'the waiting slices are kept');
    // the recovered trade keeps tracking the waiting slices
    await h.sim.setPrice('BTCUSDT', 64799);
    const t = applyEvents(rec, await new OrderTracker(h.gateway).trackOrders([rec]));
    assert.equal(tradeQuantities(t).filled > tradeQuantities(rec).filled, true);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(t).open);
  });
});
