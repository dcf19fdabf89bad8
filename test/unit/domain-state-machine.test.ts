import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TradeEvent } from '../../src/domain/events';
import { applyTradeEvent, tradeQuantities, type TradeEffect, type Transition } from '../../src/domain/stateMachine';
import type { OrderRef, Trade } from '../../src/domain/trade';
import { pendingTrade } from '../support/tradeFixture';

const ID = 'T-BTCUSDT-000042';

const pending = (overrides: Partial<Trade> = {}): Trade => pendingTrade({ id: ID, ...overrides });

const entryFill = (eventId: string, quantity: number, price: number, fee: number, at = 2_000): TradeEvent => ({
  type: 'ENTRY_FILLED', eventId, tradeId: ID, price, quantity, fee, at,
});
const targetFill = (eventId: string, targetIndex: number, quantity: number, price: number, fee: number, at = 3_000): TradeEvent => ({
  type: 'TARGET_FILLED', eventId, tradeId: ID, targetIndex, price, quantity, fee, at,
});
const stopFill = (eventId: string, quantity: number, price: number, fee: number, at = 3_000): TradeEvent => ({
  type: 'STOP_FILLED', eventId, tradeId: ID, price, quantity, fee, at,
});
const manualClose = (eventId: string, quantity: number, price: number, fee: number, at = 3_000): TradeEvent => ({
  type: 'MANUAL_CLOSE', eventId, tradeId: ID, price, quantity, fee, at,
});
const entryCancelled = (eventId: string, at = 2_500): TradeEvent => ({ type: 'ENTRY_CANCELLED', eventId, tradeId: ID, reason: 'CANCEL_ORDER by strategist', at });
const entryExpired = (eventId: string, at = 2_500): TradeEvent => ({ type: 'ENTRY_EXPIRED', eventId, tradeId: ID, at });

const oco = (clientOrderId: string, quantity: number, targetIndex: number, status: OrderRef['status'] = 'OPEN'): OrderRef => ({
  role: 'OCO', clientOrderId, quantity, targetIndex, price: [67500, 69000][targetIndex], stopPrice: 63500, status,
});

/** apply events in order, asserting none is ignored; returns every transition */
function run(trade: Trade, events: TradeEvent[]): Transition[] {
  const out: Transition[] = [];
  let t = trade;
  for (const e of events) {
    const tr = applyTradeEvent(t, e);
    assert.equal(tr.ignored, undefined, `${e.eventId} was ignored: ${tr.ignored}`);
    out.push(tr);
    t = tr.trade;
  }
  return out;
}
const last = (ts: Transition[]) => ts[ts.length - 1]!;
const types = (effects: TradeEffect[]) => effects.map((e) => e.type);

describe('PENDING -> ACTIVE', () => {
  it('a partial fill activates the filled quantity and protects it at once', () => {
    const before = pending();
    const snapshot = structuredClone(before);
    const { trade, effects, ignored } = applyTradeEvent(before, entryFill('e1', 0.01, 65000, 0.65));
    assert.equal(ignored, undefined);
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.activatedAt, 2_000);
    assert.deepEqual(trade.entryFills, [{ eventId: 'e1', price: 65000, quantity: 0.01, fee: 0.65, at: 2_000 }]);
    assert.deepEqual(effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.01 });
    assert.deepEqual(types(effects), ['ENSURE_PROTECTION', 'JOURNAL']);
    assert.deepEqual(effects[1], {
      type: 'JOURNAL', tradeId: ID, from: 'PENDING', to: 'ACTIVE',
      detail: 'entry filled 0.01 at 65000 (fee 0.65); filled 0.01 of 0.01538, open 0.01',
    });
    assert.deepEqual(before, snapshot, 'the input trade is never mutated');
  });

  it('further partial fills while ACTIVE add quantity and re-protect the whole open quantity', () => {
    const ts = run(pending(), [entryFill('e1', 0.01, 65000, 0.65), entryFill('e2', 0.00538, 64999.99, 0.35, 2_100)]);
    const { trade, effects } = last(ts);
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.activatedAt, 2_000, 'activation time is the first fill');
    // 0.01 + 0.00538 is 0.015380000000000001 in floats; the protected quantity is the exact sum
    assert.notEqual(0.01 + 0.00538, 0.01538);
    assert.deepEqual(effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.01538 });
    assert.equal((effects[1] as Extract<TradeEffect, { type: 'JOURNAL' }>).from, 'ACTIVE');
    assert.deepEqual(tradeQuantities(trade), { filled: 0.01538, exited: 0, open: 0.01538 });
  });

  it('the ENTRY ref turns FILLED when the entry is complete, not before', () => {
    const entry: OrderRef = { role: 'ENTRY', clientOrderId: 'x-e', quantity: 0.01538, price: 65000, status: 'OPEN' };
    const status = (t: Trade) => t.orders.find((o) => o.role === 'ENTRY')!.status;
    const ts = run(pending({ orders: [entry] }), [entryFill('e1', 0.01, 65000, 0.65), entryFill('e2', 0.00538, 64999.99, 0.35, 2_100)]);
    assert.equal(status(ts[0]!.trade), 'OPEN', 'a partial fill leaves the entry working');
    assert.equal(status(ts[1]!.trade), 'FILLED', 'the fills reached the order quantity');
    // the fee was paid in the coin bought: 0.01536 held of 0.01538 bought, so only the exchange's word says "complete"
    const short = applyTradeEvent(pending({ orders: [entry] }), entryFill('e1', 0.01536, 65000, 1)).trade;
    assert.equal(status(short), 'OPEN');
    const told = applyTradeEvent(pending({ orders: [entry] }), { ...entryFill('e1', 0.01536, 65000, 1), entryComplete: true } as TradeEvent).trade;
    assert.equal(status(told), 'FILLED');
    assert.equal(told.status, 'ACTIVE');
  });
});

describe('ACTIVE -> CLOSED, PnL and fees', () => {
  // Entries: 0.01 @ 65000 (fee 0.65) + 0.00538 @ 64999.99 (fee 0.35)
  //   cost = 650 + 349.6999462 = 999.6999462
  const filled = () => last(run(pending(), [entryFill('e1', 0.01, 65000, 0.65), entryFill('e2', 0.00538, 64999.99, 0.35)])).trade;

  it('closes on the last target: PnL = exits - entries - all fees, computed exactly', () => {
    const ts = run(filled(), [targetFill('t1', 0, 0.00769, 67500, 0.52), targetFill('t2', 1, 0.00769, 69000, 0.53, 4_000)]);
    // first target: still ACTIVE for the rest, its own OCO consumed: nothing to place
    assert.equal(ts[0]!.trade.status, 'ACTIVE');
    assert.deepEqual(types(ts[0]!.effects), ['JOURNAL']);
    assert.equal(tradeQuantities(ts[0]!.trade).open, 0.00769);

    const { trade, effects } = ts[1]!;
    // exits = 0.00769*67500 + 0.00769*69000 = 519.075 + 530.61 = 1049.685
    // gross = 1049.685 - 999.6999462 = 49.9850538; fees = 0.65 + 0.35 + 0.52 + 0.53 = 2.05
    assert.equal(trade.status, 'CLOSED');
    assert.equal(trade.fees, 2.05);
    assert.equal(trade.realizedPnl, 47.9350538);
    assert.equal(trade.closedAt, 4_000);
    assert.equal(trade.closeReason, 'last target filled (target 2 at 69000)');
    assert.deepEqual(trade.exitFills.map((f) => [f.reason, f.targetIndex]), [['TARGET', 0], ['TARGET', 1]]);
    assert.deepEqual(effects, [
      { type: 'CANCEL_PROTECTION', tradeId: ID },
      { type: 'JOURNAL', tradeId: ID, from: 'ACTIVE', to: 'CLOSED', detail: 'target 2 filled 0.00769 at 69000 (fee 0.53); closed, realized PnL 47.9350538 after fees 2.05' },
    ]);
  });

  it('closes on the stop after a first target, cancelling the leftover legs', () => {
    const ts = run(filled(), [targetFill('t1', 0, 0.00769, 67500, 0.52), stopFill('s1', 0.00769, 63500, 0.49)]);
    const { trade, effects } = last(ts);
    // exits = 519.075 + 488.315 = 1007.39; gross = 7.6900538; fees = 2.01
    assert.equal(trade.realizedPnl, 5.6800538);
    assert.equal(trade.fees, 2.01);
    assert.equal(trade.closeReason, 'stop loss filled at 63500');
    assert.deepEqual(types(effects), ['CANCEL_PROTECTION', 'JOURNAL']);
  });

  it('a partially filled stop leaves the trade ACTIVE with its remaining stop resting', () => {
    const { trade, effects } = last(run(filled(), [stopFill('s1', 0.005, 63500, 0.32)]));
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(tradeQuantities(trade).open, 0.01038);
    assert.deepEqual(types(effects), ['JOURNAL']);
    assert.equal(trade.realizedPnl, undefined);
  });

  it('a partial manual close shrinks the protection to the position; the rest closes the trade', () => {
    const ts = run(filled(), [manualClose('m1', 0.00538, 66000, 0.36), manualClose('m2', 0.01, 66100, 0.66)]);
    assert.deepEqual(ts[0]!.effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.01 });
    const { trade } = ts[1]!;
    // exits = 355.08 + 661 = 1016.08; gross = 16.3800538; fees = 0.65 + 0.35 + 0.36 + 0.66 = 2.02
    assert.equal(trade.status, 'CLOSED');
    assert.equal(trade.realizedPnl, 14.3600538);
    assert.equal(trade.closeReason, 'closed manually at 66100');
    assert.deepEqual(trade.exitFills.map((f) => f.reason), ['MANUAL', 'MANUAL']);
  });

  it('a SHORT earns when it exits below its entry (reversed PnL)', () => {
    const short = pending({ direction: 'SHORT', entryPrice: 3000, stopLossPrice: 3100, takeProfitPrices: [2800], quantity: 0.5 });
    const { trade } = last(run(short, [entryFill('e1', 0.5, 3000, 1.5), stopFill('s1', 0.5, 3100, 1.55)]));
    // gross = 1500 - 1550 = -50; fees 3.05
    assert.equal(trade.realizedPnl, -53.05);
    const win = last(run(short, [entryFill('e1', 0.5, 3000, 1.5), targetFill('t1', 0, 0.5, 2800, 1.4)])).trade;
    // gross = 1500 - 1400 = 100; fees 2.9
    assert.equal(win.realizedPnl, 97.1);
  });

  it('quantities that reached us as floats still close the trade (exact sums, 1e-9 tolerance)', () => {
    const t = pending({ quantity: 0.3 });
    const exact = last(run(t, [entryFill('e1', 0.1, 100, 0), entryFill('e2', 0.2, 100, 0), stopFill('s1', 0.3, 90, 0)]));
    assert.equal(exact.trade.status, 'CLOSED');
    assert.equal(exact.trade.realizedPnl, -3);
    // an exit computed in floats elsewhere: 0.7 - 0.4 = 0.29999999999999993, a hair under 0.3
    assert.equal(0.7 - 0.4, 0.29999999999999993);
    const drift = last(run(t, [entryFill('e1', 0.3, 100, 0), stopFill('s1', 0.7 - 0.4, 90, 0)]));
    assert.equal(drift.trade.status, 'CLOSED');
    assert.equal(tradeQuantities(drift.trade).open, 7e-17);
    // a real remainder (one 0.00001 step) is not "flat"
    const step = last(run(t, [entryFill('e1', 0.3, 100, 0), stopFill('s1', 0.29999, 90, 0)]));
    assert.equal(step.trade.status, 'ACTIVE');
  });
});

describe('cancel and expiry', () => {
  it('PENDING -> CANCELLED when the entry is cancelled or expires with nothing filled', () => {
    const c = applyTradeEvent(pending(), entryCancelled('c1'));
    assert.equal(c.trade.status, 'CANCELLED');
    assert.equal(c.trade.closedAt, 2_500);
    assert.equal(c.trade.closeReason, 'entry cancelled: CANCEL_ORDER by strategist');
    assert.equal(c.trade.realizedPnl, undefined);
    assert.deepEqual(c.effects, [
      { type: 'JOURNAL', tradeId: ID, from: 'PENDING', to: 'CANCELLED', detail: 'entry cancelled: CANCEL_ORDER by strategist; nothing was filled' },
    ]);
    const x = applyTradeEvent(pending(), entryExpired('x1'));
    assert.equal(x.trade.status, 'CANCELLED');
    assert.equal(x.trade.closeReason, 'entry expired');
  });

  it('cancelling a PENDING entry also cancels protection resting with it (OTOCO legs)', () => {
    const withOco = pending({ orders: [{ role: 'ENTRY', clientOrderId: 'x-e', quantity: 0.01538, price: 65000, status: 'OPEN' }, oco('x-o0', 0.01538, 0)] });
    assert.deepEqual(types(applyTradeEvent(withOco, entryCancelled('c1')).effects), ['CANCEL_PROTECTION', 'JOURNAL']);
  });

  it('a cancel after a partial fill keeps the trade ACTIVE and protected for the filled quantity', () => {
    const ts = run(pending(), [entryFill('e1', 0.01, 65000, 0.65), entryCancelled('c1')]);
    const { trade, effects } = last(ts);
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.entryEndedAt, 2_500);
    assert.deepEqual(effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.01 });
    // and when it later closes, there is no entry left to cancel
    const closed = applyTradeEvent(trade, stopFill('s1', 0.01, 63500, 0.64));
    assert.equal(closed.trade.status, 'CLOSED');
    assert.deepEqual(types(closed.effects), ['CANCEL_PROTECTION', 'JOURNAL']);
    // 635 - 650 - (0.65 + 0.64)
    assert.equal(closed.trade.realizedPnl, -16.29);
  });

  it('closing while the entry is only partly filled cancels the entry remainder', () => {
    const { trade, effects } = last(run(pending(), [entryFill('e1', 0.01, 65000, 0.65), stopFill('s1', 0.01, 63500, 0.64)]));
    assert.equal(trade.status, 'CLOSED');
    assert.deepEqual(types(effects), ['CANCEL_PROTECTION', 'CANCEL_ENTRY', 'JOURNAL']);
    // the exchange confirms the remainder's cancel: remembered, the trade stays CLOSED
    const confirmed = applyTradeEvent(trade, entryCancelled('c1', 3_500));
    assert.equal(confirmed.ignored, undefined);
    assert.equal(confirmed.trade.status, 'CLOSED');
    assert.equal(confirmed.trade.entryEndedAt, 3_500);
    assert.equal(confirmed.trade.realizedPnl, -16.29);
    assert.deepEqual(types(confirmed.effects), ['JOURNAL']);
  });
});

describe('late fills (the exchange filled just before the cancel landed)', () => {
  it('a fill on a CANCELLED trade re-opens it as ACTIVE and protects it', () => {
    const cancelled = applyTradeEvent(pending(), entryCancelled('c1')).trade;
    const { trade, effects, ignored } = applyTradeEvent(cancelled, entryFill('e1', 0.004, 65000, 0.26, 2_600));
    assert.equal(ignored, undefined);
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.closedAt, undefined);
    assert.equal(trade.closeReason, undefined);
    assert.equal(trade.activatedAt, 2_600);
    assert.deepEqual(effects[0], { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.004 });
    // the entry already ended, so there is no remainder to cancel
    assert.deepEqual(types(effects), ['ENSURE_PROTECTION', 'JOURNAL']);
    const journal = effects[1] as Extract<TradeEffect, { type: 'JOURNAL' }>;
    assert.equal(journal.from, 'CANCELLED');
    assert.equal(journal.to, 'ACTIVE');
    assert.match(journal.detail, /after the trade was CANCELLED, so it is re-opened and protected/);
  });

  it('a fill of the entry remainder on a CLOSED trade re-opens it, protects it and cancels the rest again', () => {
    const closed = last(run(pending(), [entryFill('e1', 0.01, 65000, 0.65), stopFill('s1', 0.01, 63500, 0.64)])).trade;
    const { trade, effects } = applyTradeEvent(closed, entryFill('e2', 0.002, 63600, 0.13, 3_100));
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.realizedPnl, undefined);
    assert.equal(trade.fees, undefined);
    assert.deepEqual(effects.slice(0, 2), [
      { type: 'ENSURE_PROTECTION', tradeId: ID, quantity: 0.002 },
      { type: 'CANCEL_ENTRY', tradeId: ID },
    ]);
    // and its PnL on the next close counts every fill
    const reclosed = applyTradeEvent(trade, stopFill('s2', 0.002, 63000, 0.13, 3_200)).trade;
    // entries 650 + 127.2 = 777.2; exits 635 + 126 = 761; fees 0.65 + 0.64 + 0.13 + 0.13 = 1.55
    assert.equal(reclosed.realizedPnl, -17.75);
  });
});

describe('at-least-once delivery and foreign events', () => {
  it('a repeated event id changes nothing and says so', () => {
    const once = applyTradeEvent(pending(), entryFill('e1', 0.01, 65000, 0.65)).trade;
    const again = applyTradeEvent(once, entryFill('e1', 0.01, 65000, 0.65));
    assert.equal(again.trade, once);
    assert.deepEqual(again.effects, []);
    assert.equal(again.ignored, 'event e1 (ENTRY_FILLED) was already applied to T-BTCUSDT-000042');
  });

  it('delivering every event twice ends in the same trade as delivering it once', () => {
    const events = [
      entryFill('e1', 0.01, 65000, 0.65),
      { type: 'PROTECTION_PLACED', eventId: 'p1', tradeId: ID, orders: [oco('x-o0', 0.005, 0), oco('x-o1', 0.005, 1)], at: 2_010 } as TradeEvent,
      entryCancelled('c1'),
      targetFill('t1', 0, 0.005, 67500, 0.34),
      targetFill('t2', 1, 0.005, 69000, 0.35),
    ];
    let once = pending();
    for (const e of events) once = applyTradeEvent(once, e).trade;
    let twice = pending();
    const ignored: string[] = [];
    for (const e of events) {
      twice = applyTradeEvent(twice, e).trade;
      const dup = applyTradeEvent(twice, e);
      assert.equal(dup.trade, twice);
      ignored.push(dup.ignored ?? '');
    }
    assert.deepEqual(twice, once);
    assert.equal(ignored.filter((r) => r.includes('already applied')).length, events.length);
    // 337.5 + 345 - 650 - (0.65 + 0.34 + 0.35)
    assert.equal(once.status, 'CLOSED');
    assert.equal(once.realizedPnl, 31.16);
  });

  it('also recognises fills recorded before appliedEventIds existed', () => {
    const legacy = pending({ status: 'ACTIVE', appliedEventIds: undefined, entryFills: [{ eventId: 'e1', price: 65000, quantity: 0.01, fee: 0.65, at: 2_000 }] });
    assert.match(applyTradeEvent(legacy, entryFill('e1', 0.01, 65000, 0.65)).ignored ?? '', /already applied/);
  });

  it('an event for another trade is ignored', () => {
    const t = pending();
    const r = applyTradeEvent(t, { ...entryFill('e1', 0.01, 65000, 0.65), tradeId: 'T-BTCUSDT-000041' } as TradeEvent);
    assert.equal(r.trade, t);
    assert.equal(r.ignored, 'event e1 (ENTRY_FILLED) is for trade T-BTCUSDT-000041, not T-BTCUSDT-000042');
  });
});

describe('events that do not fit the status', () => {
  const closed = () => last(run(pending(), [entryFill('e1', 0.01538, 65000, 1), stopFill('s1', 0.01538, 63500, 1)])).trade;

  it('exit fills on a CLOSED or CANCELLED trade are ignored with the reason', () => {
    const c = closed();
    const r = applyTradeEvent(c, targetFill('t9', 0, 0.001, 67500, 0.1));
    assert.equal(r.trade, c);
    assert.equal(r.ignored, 'target 1 filled 0.001 at 67500, but trade T-BTCUSDT-000042 is already CLOSED');
    const x = applyTradeEvent(pending(), entryCancelled('c1')).trade;
    assert.match(applyTradeEvent(x, stopFill('s9', 0.001, 63500, 0.1)).ignored ?? '', /already CANCELLED/);
  });

  it('a second cancel of a CANCELLED entry is ignored', () => {
    const x = applyTradeEvent(pending(), entryCancelled('c1')).trade;
    assert.match(applyTradeEvent(x, entryExpired('x2')).ignored ?? '', /entry expired, but trade T-BTCUSDT-000042 is already CANCELLED/);
  });

  it('an exit fill before any entry fill is refused (nothing is held)', () => {
    const t = pending();
    const r = applyTradeEvent(t, stopFill('s1', 0.01, 63500, 0.6));
    assert.equal(r.trade, t);
    assert.match(r.ignored ?? '', /holds nothing yet \(no entry fill recorded\)/);
  });

  it('a fill with no usable quantity or price is refused', () => {
    assert.match(applyTradeEvent(pending(), entryFill('e0', 0, 65000, 0)).ignored ?? '', /not a usable fill: quantity 0 is not positive/);
    assert.match(applyTradeEvent(pending(), entryFill('e0', 0.01, Number.NaN, 0)).ignored ?? '', /price NaN is not positive/);
    assert.match(applyTradeEvent(pending(), entryFill('e0', 0.01, 65000, Number.POSITIVE_INFINITY)).ignored ?? '', /fee Infinity is not a number/);
  });

  it('an exit larger than the position is recorded up to the open quantity (never negative)', () => {
    const active = applyTradeEvent(pending(), entryFill('e1', 0.01, 65000, 0.65)).trade;
    const { trade, effects } = applyTradeEvent(active, stopFill('s1', 0.012, 63500, 0.76));
    assert.equal(trade.status, 'CLOSED');
    assert.equal(trade.exitFills[0]!.quantity, 0.01);
    assert.deepEqual(tradeQuantities(trade), { filled: 0.01, exited: 0.01, open: 0 });
    // 635 - 650 - (0.65 + 0.76): PnL counts only this trade's 0.01
    assert.equal(trade.realizedPnl, -16.41);
    const journal = effects.find((e) => e.type === 'JOURNAL') as Extract<TradeEffect, { type: 'JOURNAL' }>;
    assert.match(journal.detail, /reported 0\.012, more than the 0\.01 open; the excess is not this trade's/);
  });
});

describe('protection', () => {
  const entryRef: OrderRef = { role: 'ENTRY', clientOrderId: 'x-e', quantity: 0.01538, price: 65000, status: 'OPEN' };

  it('PROTECTION_PLACED replaces the open protective refs and keeps the entry and finished legs', () => {
    const active = applyTradeEvent(pending({ orders: [entryRef] }), entryFill('e1', 0.01, 65000, 0.65)).trade;
    const first = applyTradeEvent(active, { type: 'PROTECTION_PLACED', eventId: 'p1', tradeId: ID, orders: [oco('x-o0-a', 0.005, 0), oco('x-o1-a', 0.005, 1)], at: 2_010 });
    assert.equal(first.trade.status, 'ACTIVE');
    assert.deepEqual(first.trade.orders.map((o) => o.clientOrderId), ['x-e', 'x-o0-a', 'x-o1-a']);
    assert.deepEqual(first.effects, [
      { type: 'JOURNAL', tradeId: ID, from: 'ACTIVE', to: 'ACTIVE', detail: 'protection placed: OCO 0.005 (limit 67500 stop 63500), OCO 0.005 (limit 69000 stop 63500)' },
    ]);
    const withFilledLeg = { ...first.trade, orders: first.trade.orders.map((o) => (o.clientOrderId === 'x-o0-a' ? { ...o, status: 'FILLED' as const } : o)) };
    const second = applyTradeEvent(withFilledLeg, { type: 'PROTECTION_PLACED', eventId: 'p2', tradeId: ID, orders: [oco('x-o1-b', 0.01, 1)], at: 2_020 });
    assert.deepEqual(second.trade.orders.map((o) => `${o.clientOrderId}:${o.status}`), ['x-e:OPEN', 'x-o0-a:FILLED', 'x-o1-b:OPEN']);
  });

  it('PROTECTION_PLACED on a PENDING trade (OTOCO legs resting with the entry) is recorded, status unchanged', () => {
    const { trade, effects } = applyTradeEvent(pending({ orders: [entryRef] }), {
      type: 'PROTECTION_PLACED', eventId: 'p0', tradeId: ID, orders: [oco('x-o0', 0.01538, 0)], at: 1_500,
    });
    assert.equal(trade.status, 'PENDING');
    assert.deepEqual(trade.orders.map((o) => o.clientOrderId), ['x-e', 'x-o0']);
    assert.deepEqual(types(effects), ['JOURNAL']);
  });

  it('PROTECTION_ADJUSTED sets the new stop and targets and stays ACTIVE', () => {
    const active = applyTradeEvent(pending(), entryFill('e1', 0.01538, 65000, 1)).trade;
    const { trade, effects } = applyTradeEvent(active, {
      type: 'PROTECTION_ADJUSTED', eventId: 'a1', tradeId: ID, stopLossPrice: 65100, takeProfitPrices: [70000],
      orders: [{ ...oco('x-o0-adj', 0.01538, 0), price: 70000, stopPrice: 65100 }], at: 5_000,
    });
    assert.equal(trade.status, 'ACTIVE');
    assert.equal(trade.stopLossPrice, 65100);
    assert.deepEqual(trade.takeProfitPrices, [70000]);
    assert.deepEqual(trade.orders.map((o) => o.clientOrderId), ['x-o0-adj']);
    assert.deepEqual(effects, [{ type: 'JOURNAL', tradeId: ID, from: 'ACTIVE', to: 'ACTIVE', detail: 'protection adjusted: stop 65100, targets 70000' }]);
  });

  it('protection that lands on a trade already over is recorded and cancelled at once', () => {
    const closed = last(run(pending(), [entryFill('e1', 0.01538, 65000, 1), manualClose('m1', 0.01538, 65500, 1)])).trade;
    const { trade, effects, ignored } = applyTradeEvent(closed, { type: 'PROTECTION_PLACED', eventId: 'p9', tradeId: ID, orders: [oco('x-o0-late', 0.01538, 0)], at: 3_100 });
    assert.equal(ignored, undefined);
    assert.equal(trade.status, 'CLOSED');
    assert.equal(trade.realizedPnl, closed.realizedPnl);
    assert.deepEqual(trade.orders.map((o) => o.clientOrderId), ['x-o0-late']);
    assert.deepEqual(types(effects), ['CANCEL_PROTECTION', 'JOURNAL']);
  });
});
