import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { carryOutEffects, executeAiCommand, OrderTracker } from '../../src/oms';
import { applyTradeEvent, tradeQuantities, type TradeEffect } from '../../src/domain/stateMachine';
import type { TradeEvent } from '../../src/domain/events';
import type { Trade } from '../../src/domain/trade';
import { ctxFor, onBook, plan, restingStops, startHarness, sum, type Harness } from './oms-harness';

const TRADE = 'T-BTCUSDT-000001';

/** what the symbol workflow does with order events: state machine, then the effects, until quiet */
async function settle(h: Harness, trade: Trade, incoming: TradeEvent[]): Promise<{ trade: Trade; effects: TradeEffect['type'][] }> {
  let current = trade;
  let queue = incoming;
  const seen: TradeEffect['type'][] = [];
  while (queue.length > 0) {
    const effects: TradeEffect[] = [];
    for (const e of queue) {
      const t = applyTradeEvent(current, e);
      current = t.trade;
      effects.push(...t.effects);
    }
    seen.push(...effects.map((e) => e.type));
    const done = await carryOutEffects(h.gateway, current, effects);
    queue = done.events;
  }
  return { trade: current, effects: seen };
}

describe('carryOutEffects: the state machine drives the exchange', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('partial fill -> protected; both targets hit -> CLOSED, the entry remainder cancelled', async () => {
    let trade = (await executeAiCommand(plan(64800, 63500, [67000, 69000]), ctxFor(h, null))).trade!;
    const tracker = new OrderTracker(h.gateway);
    await h.sim.setPrice('BTCUSDT', 64799, 0.05);
    let step = await settle(h, trade, await tracker.trackOrders([trade]));
    trade = step.trade;
    assert.ok(step.effects.includes('ENSURE_PROTECTION'));
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(trade).open);
    assert.equal((await onBook(h, TRADE)).filter((o) => o.type === 'LIMIT' && o.side === 'BUY').length, 1, 'the entry remainder still works');

    await h.sim.setPrice('BTCUSDT', 64900, 0); // away from the entry without trading
    await h.sim.setPrice('BTCUSDT', 69001);
    step = await settle(h, trade, await tracker.trackOrders([trade]));
    trade = step.trade;
    assert.equal(trade.status, 'CLOSED');
    assert.ok(step.effects.includes('CANCEL_ENTRY'));
    assert.equal((await onBook(h, TRADE)).length, 0, 'nothing of the trade rests on the exchange');
    assert.ok(trade.realizedPnl! > 0);
    assert.equal(trade.exitFills.filter((f) => f.reason === 'TARGET').length, 2);
  });
});
