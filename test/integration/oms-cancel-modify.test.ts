import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { executeAiCommand } from '../../src/oms';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import { adjust as adjustCommand, ctxFor, insufficientBalanceFault, onBook, placeOldShapePlan, plan, restingStops, startHarness, sum, trackAndProtect, type Harness } from '../support/omsHarness';

const TRADE = 'T-BTCUSDT-000001';
const cancel = (reason = 'entry no longer valid'): AiCommand => ({ action: 'CANCEL_ORDER', order_id: TRADE, reasoning: reason });
const adjust = (stop: number, targets?: number[]): AiCommand => adjustCommand(TRADE, stop, targets);

async function activeTrade(h: Harness, targets: number[]): Promise<Trade> {
  const trade = (await executeAiCommand(plan(64800, 63500, targets), ctxFor(h, null))).trade!;
  await h.sim.setPrice('BTCUSDT', 64799);
  return trackAndProtect(h, trade);
}

describe('cancelPendingOrder', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('cancels a plain entry (an old-shape trade); the trade is CANCELLED; cancelling again changes nothing', async () => {
    const trade = await placeOldShapePlan(h, plan(64800, 63500, [67000, 69000]));
    const r = await executeAiCommand(cancel(), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal(r.trade!.status, 'CANCELLED');
    assert.deepEqual(r.events.map((e) => e.type), ['ENTRY_CANCELLED']);
    assert.equal((await onBook(h, TRADE)).length, 0);
    const again = await executeAiCommand(cancel(), ctxFor(h, trade));
    assert.equal(again.outcome, 'EXECUTED');
    assert.deepEqual(again.events.map((e) => e.eventId), r.events.map((e) => e.eventId), 'same facts, same event ids');
  });

  it('cancels an OTOCO with everything linked to it', async () => {
    const trade = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null))).trade!;
    const r = await executeAiCommand(cancel(), ctxFor(h, trade));
    assert.equal(r.trade!.status, 'CANCELLED');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 0);
    assert.equal((await onBook(h, TRADE)).length, 0);
    await h.sim.setPrice('BTCUSDT', 60000);
    assert.equal((await h.gateway.fetchBalance('BTC')).total, 0, 'nothing can fill any more');
  });

  it('after a partial fill the remainder is cancelled and the filled quantity stays protected', async () => {
    for (const targets of [[67000, 69000], [67000]]) {
      const seq = targets.length;
      const id = `T-BTCUSDT-00000${seq}`;
      // the old shape (entry alone) for two targets, the OTOCO for one; slices: oms-slices.test.ts
      const trade = targets.length > 1 ? await placeOldShapePlan(h, plan(64800, 63500, targets), seq) : (await executeAiCommand(plan(64800, 63500, targets), ctxFor(h, null, seq))).trade!;
      await h.sim.setPrice('BTCUSDT', 64799, 0.05);
      // the workflow has not seen the fill yet: its trade is still PENDING
      const r = await executeAiCommand({ action: 'CANCEL_ORDER', order_id: id, reasoning: 'changed my mind' }, ctxFor(h, trade, seq));
      assert.equal(r.outcome, 'EXECUTED');
      assert.deepEqual(r.events.map((e) => e.type), ['ENTRY_FILLED', 'ENTRY_CANCELLED', 'PROTECTION_PLACED']);
      assert.equal(r.trade!.status, 'ACTIVE');
      const open = tradeQuantities(r.trade!).open;
      assert.ok(open > 0);
      assert.equal(sum((await restingStops(h, id)).map((s) => s.quantity)), open, `targets ${targets}`);
      assert.equal((await onBook(h, id)).filter((o) => o.type === 'LIMIT' && o.side === 'BUY').length, 0);
      await h.sim.setPrice('BTCUSDT', 65000);
    }
  });

  it('an entry that already filled completely cannot be cancelled: REJECTED, reported, protected', async () => {
    const trade = (await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null))).trade!;
    await h.sim.setPrice('BTCUSDT', 64799);
    const r = await executeAiCommand(cancel(), ctxFor(h, trade));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'ENTRY_ALREADY_FILLED');
    assert.equal(r.trade!.status, 'ACTIVE');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(r.trade!).open);
  });

  it('a filled OTOCO entry keeps the protection its list placed when a cancel comes too late', async () => {
    const trade = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null))).trade!;
    await h.sim.setPrice('BTCUSDT', 64799);
    const before = (await restingStops(h, TRADE)).map((o) => o.exchangeOrderId);
    assert.equal(before.length, 1);
    const r = await executeAiCommand(cancel(), ctxFor(h, trade));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'ENTRY_ALREADY_FILLED');
    assert.deepEqual((await restingStops(h, TRADE)).map((o) => o.exchangeOrderId), before, 'the same stop, never cancelled');
  });
});

describe('modifyActiveTrade', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('replaces stop and targets for the held quantity; repeating it places nothing', async () => {
    const trade = await activeTrade(h, [67000, 69000]);
    const held = tradeQuantities(trade).open;
    const r = await executeAiCommand(adjust(64000, [66000, 68000]), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    assert.deepEqual(r.events.map((e) => e.type), ['PROTECTION_ADJUSTED']);
    assert.equal(r.trade!.stopLossPrice, 64000);
    assert.deepEqual(r.trade!.takeProfitPrices, [66000, 68000]);
    const stops = await restingStops(h, TRADE);
    assert.deepEqual(stops.map((s) => s.stopPrice), [64000, 64000]);
    assert.equal(sum(stops.map((s) => s.quantity)), held);
    const tps = (await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER').map((o) => o.price).sort();
    assert.deepEqual(tps, [66000, 68000]);
    const postsBefore = h.sim.requests().filter((x) => x.method !== 'GET').length;
    const again = await executeAiCommand(adjust(64000, [66000, 68000]), ctxFor(h, trade));
    assert.equal(again.outcome, 'EXECUTED');
    assert.equal(again.events[0]!.eventId, r.events[0]!.eventId);
    assert.equal(h.sim.requests().filter((x) => x.method !== 'GET').length, postsBefore, 'nothing cancelled or placed');
  });

  it('moves only the stop when no targets are given, also for an OTOCO-protected trade', async () => {
    const trade = await activeTrade(h, [67000]);
    const r = await executeAiCommand(adjust(64500), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    const stops = await restingStops(h, TRADE);
    assert.deepEqual(stops.map((s) => s.stopPrice), [64500]);
    assert.equal(stops[0]!.quantity, tradeQuantities(trade).open);
    assert.deepEqual((await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER').map((o) => o.price), [67000]);
  });

  it('refused new protection: the previous levels are put back, never naked', async () => {
    const trade = await activeTrade(h, [67000, 69000]);
    const held = tradeQuantities(trade).open;
    // the first new OCO is refused for good
    h.sim.faults.add({ ...insufficientBalanceFault('/api/v3/orderList/oco'), times: 1 });
    const r = await executeAiCommand(adjust(64000, [66000, 68000]), ctxFor(h, trade));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'EXCHANGE_INSUFFICIENTFUNDS');
    assert.match(r.rejection!.reason, /previous stop 63500 and targets 67000\/69000 were put back/);
    const stops = await restingStops(h, TRADE);
    assert.deepEqual(stops.map((s) => s.stopPrice), [63500, 63500]);
    assert.equal(sum(stops.map((s) => s.quantity)), held);
    assert.deepEqual((await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER').map((o) => o.price).sort(), [67000, 69000]);
    assert.equal(r.trade!.stopLossPrice, 63500);
    assert.deepEqual(r.events.map((e) => e.type), ['PROTECTION_PLACED']);
  });

  it('an exit that filled on the old protection just before the adjust is reported, not lost', async () => {
    const trade = await activeTrade(h, [67000, 69000]);
    // target 1 fills in two trades (a thin candle, then the rest); the workflow has seen neither
    await h.sim.setPrice('BTCUSDT', 67001, 0.03);
    await h.sim.setPrice('BTCUSDT', 66000);
    const r = await executeAiCommand(adjust(64000), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    const exits = r.events.filter((e) => e.type === 'TARGET_FILLED');
    assert.equal(exits.length, 2);
    assert.ok(exits.every((e) => e.type === 'TARGET_FILLED' && e.targetIndex === 0));
    assert.equal(sum(exits.map((e) => (e.type === 'TARGET_FILLED' ? e.quantity : 0))), trade.orders.find((o) => o.targetIndex === 0 && o.role === 'OCO')!.quantity);
    const after = r.trade!;
    assert.ok(tradeQuantities(after).open < tradeQuantities(trade).open);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(after).open);
  });

  it('a lost response while placing the new protection still ends with one set', async () => {
    const trade = await activeTrade(h, [67000, 69000]);
    h.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/oco', kind: 'lostResponse' });
    const r = await executeAiCommand(adjust(64000), ctxFor(h, trade));
    assert.equal(r.outcome, 'EXECUTED');
    assert.equal((await h.gateway.fetchOpenOrderLists()).length, 2);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(trade).open);
  });
});
