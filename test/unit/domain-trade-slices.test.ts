import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TradeEvent } from '../../src/domain/events';
import { applyTradeEvent, type Transition } from '../../src/domain/stateMachine';
import type { OrderRef, Trade } from '../../src/domain/trade';
import { pendingTrade } from '../support/tradeFixture';

/**
 * The state machine's rules for a sliced trade (one OTOCO per target, so one entry order per
 * slice): each slice's entry fills and ends on its own, and the trade's entry as a whole has ended
 * only when every slice's has. The plain-trade rules are in domain-state-machine.test.ts.
 */

const ID = 'T-BTCUSDT-000077';
const SLICE = 0.01;

/** a PENDING trade of n slices: entry `s<i>e` in OTOCO list `s<i>`, whose OCO rests with it */
function sliced(n: number): Trade {
  const orders: OrderRef[] = [];
  for (let i = 0; i < n; i++) {
    orders.push({ role: 'ENTRY', clientOrderId: `s${i}e`, quantity: SLICE, price: 65000, status: 'OPEN', listClientOrderId: `s${i}` });
    orders.push({ role: 'OCO', clientOrderId: `s${i}`, quantity: SLICE, targetIndex: i, price: 67500 + i * 1000, stopPrice: 63500, status: 'OPEN' });
  }
  const takeProfitPrices = orders.filter((o) => o.role === 'OCO').map((o) => o.price!);
  return pendingTrade({ id: ID, quantity: SLICE * n, takeProfitPrices, orders });
}

const fill = (eventId: string, entryOrder: string, quantity: number, entryComplete = false): TradeEvent => ({
  type: 'ENTRY_FILLED', eventId, tradeId: ID, price: 65000, quantity, fee: 0.5, at: 2_000, entryOrder, entryComplete,
});
const expired = (eventId: string, entryOrder: string, at = 2_500): TradeEvent => ({ type: 'ENTRY_EXPIRED', eventId, tradeId: ID, at, entryOrder });
const cancelled = (eventId: string, entryOrder: string, at = 2_600): TradeEvent => ({
  type: 'ENTRY_CANCELLED', eventId, tradeId: ID, reason: 'CANCEL_ORDER by strategist', at, entryOrder,
});

/** apply events in order, asserting none is ignored */
function run(trade: Trade, events: TradeEvent[]): Transition {
  let tr: Transition = { trade, effects: [] };
  for (const e of events) {
    tr = applyTradeEvent(tr.trade, e);
    assert.equal(tr.ignored, undefined, `${e.eventId} was ignored: ${tr.ignored}`);
  }
  return tr;
}
const status = (trade: Trade, clientOrderId: string) => trade.orders.find((o) => o.clientOrderId === clientOrderId)?.status;

describe('state machine: a sliced trade', () => {
  it("a slice's fill records its entry order and turns only that slice's entry FILLED", () => {
    const partly = run(sliced(2), [fill('f1', 's0e', SLICE / 2)]);
    assert.equal(partly.trade.status, 'ACTIVE');
    assert.equal(partly.trade.entryFills[0]!.entryOrder, 's0e');
    assert.equal(status(partly.trade, 's0e'), 'OPEN', 'half of its own quantity: still working');
    assert.deepEqual(partly.effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: SLICE / 2 });

    const { trade, effects } = run(partly.trade, [fill('f2', 's0e', SLICE / 2)]);
    assert.equal(status(trade, 's0e'), 'FILLED');
    // the trade's fills (0.01) reach slice 1's quantity too, but they are not slice 1's
    assert.equal(status(trade, 's1e'), 'OPEN');
    assert.deepEqual(effects.map((e) => e.type), ['ENSURE_PROTECTION', 'JOURNAL']);
  });

  it("one slice's entry ending leaves the trade PENDING and the other slice working; the last one cancels the trade", () => {
    const first = run(sliced(2), [expired('x0', 's0e')]);
    assert.equal(first.trade.status, 'PENDING');
    assert.equal(first.trade.entryEndedAt, undefined);
    assert.equal(status(first.trade, 's0e'), 'EXPIRED');
    assert.equal(status(first.trade, 's0'), 'CANCELLED', 'the OCO of its OTOCO ends with it');
    assert.equal(status(first.trade, 's1e'), 'OPEN');
    assert.equal(status(first.trade, 's1'), 'OPEN');
    assert.deepEqual(first.effects, [
      { type: 'JOURNAL', tradeId: ID, from: 'PENDING', to: 'PENDING', detail: 'slice entry expired (s0e); 1 slice entry still working' },
    ]);

    const last = run(first.trade, [cancelled('c1', 's1e', 2_600)]);
    assert.equal(last.trade.status, 'CANCELLED');
    assert.equal(last.trade.entryEndedAt, 2_600);
    assert.equal(last.trade.closedAt, 2_600);
    assert.equal(last.trade.closeReason, 'entry cancelled: CANCEL_ORDER by strategist');
    assert.equal(status(last.trade, 's1'), 'CANCELLED');
    // every OCO ended with its entry, so no protection is left to cancel
    assert.deepEqual(last.effects, [
      { type: 'JOURNAL', tradeId: ID, from: 'PENDING', to: 'CANCELLED', detail: 'entry cancelled: CANCEL_ORDER by strategist; nothing was filled' },
    ]);
  });

  it('on an ACTIVE trade a slice ending re-asserts the protection of what filled, and the last one ends the entry', () => {
    const active = run(sliced(3), [fill('f0', 's0e', SLICE, true)]).trade;
    const one = run(active, [expired('x1', 's1e')]);
    assert.equal(one.trade.status, 'ACTIVE');
    assert.equal(one.trade.entryEndedAt, undefined);
    assert.deepEqual(one.effects, [
      { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: SLICE },
      { type: 'JOURNAL', tradeId: ID, from: 'ACTIVE', to: 'ACTIVE', detail: 'slice entry expired (s1e); 1 slice entry still working' },
    ]);

    const both = run(one.trade, [expired('x2', 's2e', 2_700)]);
    assert.equal(both.trade.status, 'ACTIVE');
    assert.equal(both.trade.entryEndedAt, 2_700);
    assert.deepEqual(both.effects, [
      { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: SLICE },
      { type: 'JOURNAL', tradeId: ID, from: 'ACTIVE', to: 'ACTIVE', detail: 'entry expired; the 0.01 already filled stays ACTIVE and protected (open 0.01)' },
    ]);
  });

  it("an end for an order that is not the trade's entry, or for a slice already ended, changes nothing", () => {
    const trade = sliced(2);
    const stranger = applyTradeEvent(trade, expired('x9', 'nope'));
    assert.equal(stranger.ignored, `entry expired: nope is not an entry of ${ID}`);
    assert.equal(stranger.trade, trade);

    const once = run(trade, [expired('x0', 's0e')]).trade;
    const again = applyTradeEvent(once, cancelled('c0', 's0e'));
    assert.equal(again.ignored, `entry cancelled: CANCEL_ORDER by strategist: the slice entry s0e of ${ID} is already EXPIRED`);
    assert.deepEqual(again.effects, []);
  });

  it('a close cancels the entry while a slice works, and not once every slice is complete though the fills fall short', () => {
    const stop = (eventId: string, quantity: number): TradeEvent => ({ type: 'STOP_FILLED', eventId, tradeId: ID, price: 63500, quantity, fee: 0.5, at: 3_000 });

    const working = run(sliced(2), [fill('f0', 's0e', SLICE, true), stop('s', SLICE)]);
    assert.equal(working.trade.status, 'CLOSED');
    assert.deepEqual(working.effects.map((e) => e.type), ['CANCEL_PROTECTION', 'CANCEL_ENTRY', 'JOURNAL']);

    // the fee was paid in the coin bought: each slice's fills fall short of its quantity, but the
    // exchange reported both complete, so no entry is left to cancel
    const short = SLICE * 0.999;
    const done = run(sliced(2), [fill('f0', 's0e', short, true), fill('f1', 's1e', short, true), stop('s', short * 2)]);
    assert.equal(done.trade.status, 'CLOSED');
    assert.deepEqual(done.effects.map((e) => e.type), ['CANCEL_PROTECTION', 'JOURNAL']);
  });
});
