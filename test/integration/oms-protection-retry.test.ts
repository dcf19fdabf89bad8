import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvents, ensureProtection, OrderTracker } from '../../src/oms';
import { ocoListClientId, stopLegId, takeProfitLegId } from '../../src/oms/clientIds';
import { splitQuantity } from '../../src/domain/sizing';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { TradeEvent } from '../../src/domain/events';
import type { Trade } from '../../src/domain/trade';
import { onBook, placeOldShapePlan, plan, restingStops, startHarness, sum, type Harness } from '../support/omsHarness';

const TRADE = 'T-BTCUSDT-000001';
const STEP = 0.00001; // BTCUSDT amount step on the simulator (and Binance)
const TARGETS = [67000, 69000];

/**
 * ensureProtection retried after a crash: the attempt that died placed some or all of the set on
 * the exchange, and the retry runs with the trade record as it was before placing (the workflow
 * never got the crashed attempt's result).
 */
describe('ensureProtection retried after a crash in the middle of it', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /**
   * a two-target plan placed the old way (the entry alone; new plans are slices, protected by the
   * exchange itself) whose entry filled completely: ACTIVE, nothing protected yet
   */
  async function filledTrade(): Promise<Trade> {
    const placed = await placeOldShapePlan(h, plan(64800, 63500, TARGETS));
    await h.sim.setPrice('BTCUSDT', 64799);
    const trade = applyEvents(placed, await new OrderTracker(h.gateway).trackOrders([placed]));
    assert.equal(trade.status, 'ACTIVE');
    return trade;
  }

  /** what the crashed attempt got through: one OCO of generation 0, chunk 0, for `target` */
  async function acceptedBeforeCrash(target: number, quantity: number): Promise<string> {
    const list = ocoListClientId(TRADE, 0, 0, target);
    await h.gateway.placeOco({
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity,
      takeProfitPrice: TARGETS[target]!,
      stopPrice: 63500,
      listClientOrderId: list,
      takeProfitClientOrderId: takeProfitLegId(list),
      stopClientOrderId: stopLegId(list),
    });
    return list;
  }

  const takeProfitAt = async (price: number) => sum((await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT_MAKER' && o.price === price).map((o) => o.quantity));
  const protectionPlaced = (events: TradeEvent[]) => events.filter((e): e is Extract<TradeEvent, { type: 'PROTECTION_PLACED' }> => e.type === 'PROTECTION_PLACED');
  const openOcoIds = (t: Trade) => t.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN').map((o) => o.clientOrderId).sort();

  it('the whole set went through before the crash: the retry places nothing and reports both lists to the trade', async () => {
    const before = await filledTrade();
    assert.equal(before.orders.find((o) => o.role === 'ENTRY')?.status, 'FILLED', 'the completely filled entry is recorded FILLED');
    const crashed = await ensureProtection(h.gateway, before); // its result never reached the workflow
    assert.equal(crashed.placed.length, 2);
    const lists = crashed.placed.map((r) => r.clientOrderId).sort();
    const booked = (await onBook(h, TRADE)).map((o) => o.clientOrderId).sort();

    const retry = await ensureProtection(h.gateway, before);
    assert.equal(retry.status, 'PROTECTED');
    assert.deepEqual(retry.placed, [], 'nothing is missing');
    assert.deepEqual((await onBook(h, TRADE)).map((o) => o.clientOrderId).sort(), booked, 'nothing placed or cancelled');
    const reported = protectionPlaced(retry.events);
    assert.equal(reported.length, 1, `the retry reports the protection it found: ${JSON.stringify(retry.events)}`);
    assert.deepEqual(reported[0]!.orders.map((r) => r.clientOrderId).sort(), lists);
    assert.equal(sum(reported[0]!.orders.map((r) => r.quantity)), tradeQuantities(before).open);

    const after = applyEvents(before, retry.events);
    assert.equal(after.status, 'ACTIVE');
    assert.deepEqual(openOcoIds(after), lists, 'the trade records every list protecting it');

    // the same set reported again is the same event (a repeat is a duplicate), and once the trade
    // records it, there is nothing to report
    const repeat = await ensureProtection(h.gateway, before);
    assert.deepEqual(protectionPlaced(repeat.events).map((e) => e.eventId), [reported[0]!.eventId]);
    assert.deepEqual(applyEvents(after, repeat.events), after);
    const settled = await ensureProtection(h.gateway, after);
    assert.deepEqual(settled.events, []);
    assert.deepEqual(settled.placed, []);
  });

  it("only target 0's OCO went through: the retry places target 1's share alone, keeping the plan's 50/50", async () => {
    const before = await filledTrade();
    const held = tradeQuantities(before).open;
    const [share0, share1] = splitQuantity(held, 2, STEP);
    const first = await acceptedBeforeCrash(0, share0!);

    const retry = await ensureProtection(h.gateway, before);
    assert.equal(retry.status, 'PROTECTED');
    assert.deepEqual(
      retry.placed.map((r) => [r.targetIndex, r.quantity, r.price]),
      [[1, share1, TARGETS[1]]],
      `only target 1's share is placed: ${JSON.stringify(retry.placed)}`,
    );
    assert.equal(await takeProfitAt(TARGETS[0]!), share0);
    assert.equal(await takeProfitAt(TARGETS[1]!), share1);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), held, 'the stops cover exactly what is held');
    const after = applyEvents(before, retry.events);
    assert.deepEqual(openOcoIds(after), [first, retry.placed[0]!.clientOrderId].sort());
  });

  it('a target already over its share is not cut back: the stop covers exactly what is held, the rest goes to the other target', async () => {
    const before = await filledTrade();
    const held = tradeQuantities(before).open;
    // 75 % at target 0 (what the old per-call split left after a crash)
    const over = Math.round((held * 0.75) / STEP) * STEP;
    await acceptedBeforeCrash(0, over);

    const retry = await ensureProtection(h.gateway, before);
    const missing = Math.round((held - over) / STEP) * STEP;
    assert.deepEqual(retry.placed.map((r) => [r.targetIndex, r.quantity]), [[1, sum([missing])]]);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), held);
    assert.equal(await takeProfitAt(TARGETS[0]!), sum([over]));
  });

  it("a target's shortfall below the market minimum is merged into the other target's OCO", async () => {
    const before = await filledTrade();
    const held = tradeQuantities(before).open;
    const [share0, share1] = splitQuantity(held, 2, STEP);
    // target 0 lacks 0.00005 BTC (about 3 USDT at the stop: below the 5 USDT minimum notional)
    await acceptedBeforeCrash(0, sum([share0!, -0.00005]));

    const retry = await ensureProtection(h.gateway, before);
    assert.deepEqual(retry.placed.map((r) => [r.targetIndex, r.quantity]), [[1, sum([share1!, 0.00005])]]);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), held);
  });
});
