import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TradeEvent } from '../../src/domain/events';
import { reconcileTrade, type TradeOnExchange } from '../../src/domain/reconciliation';
import { applyTradeEvent } from '../../src/domain/stateMachine';
import type { Trade } from '../../src/domain/trade';

/**
 * The decision half of continuous reconciliation: one ACTIVE trade against what the exchange shows.
 * The stuck-ACTIVE trade (coins gone, protection gone) must always end.
 */

const ID = 'T-BTCUSDT-000007';
const HELD = 0.01536;

function active(overrides: Partial<Trade> = {}): Trade {
  return {
    id: ID,
    symbol: 'BTCUSDT',
    direction: 'LONG',
    status: 'ACTIVE',
    entryPrice: 65000,
    stopLossPrice: 63500,
    takeProfitPrices: [67500, 69000],
    quantity: 0.01538,
    positionSizePercent: 10,
    entryFills: [{ eventId: 'de-T-BTCUSDT-000007-e:fill:1', price: 65000, quantity: HELD, fee: 1, at: 2_000 }],
    exitFills: [],
    orders: [
      { role: 'ENTRY', clientOrderId: 'de-T-BTCUSDT-000007-e', quantity: 0.01538, price: 65000, status: 'FILLED' },
      { role: 'OCO', clientOrderId: 'de-T-BTCUSDT-000007-p0.0.0', quantity: HELD, targetIndex: 0, price: 67500, stopPrice: 63500, status: 'OPEN' },
    ],
    createdAt: 1_000,
    activatedAt: 2_000,
    appliedEventIds: ['de-T-BTCUSDT-000007-e:fill:1'],
    ...overrides,
  };
}

function seen(overrides: Partial<TradeOnExchange> = {}): TradeOnExchange {
  return { at: 9_000, held: HELD, protectedQuantity: HELD, minQuantity: 0.00001, exitFills: [], ...overrides };
}

const stop = (id: string, quantity: number, at: number): Extract<TradeEvent, { type: 'STOP_FILLED' }> => ({
  type: 'STOP_FILLED', eventId: `de-T-BTCUSDT-000007-p0.0.0s:fill:${id}`, tradeId: ID, price: 63490, quantity, fee: 0.9, at,
});

/** the trade after the decision's events, through the state machine as the workflow runs them */
function after(trade: Trade, events: readonly TradeEvent[]): Trade {
  return events.reduce((t, e) => {
    const tr = applyTradeEvent(t, e);
    assert.equal(tr.ignored, undefined, `${e.type} ignored: ${tr.ignored}`);
    return tr.trade;
  }, trade);
}

describe('reconcileTrade', () => {
  it('a trade the exchange agrees with: no event, nothing to repair, no finding', () => {
    assert.deepEqual(reconcileTrade(active(), seen()), { events: [], protect: false, findings: [] });
  });

  it('coins and protection gone, no fill explains it: POSITION_GONE ends the trade CLOSED with the reason, no PnL claimed', () => {
    const r = reconcileTrade(active(), seen({ held: 0, protectedQuantity: 0 }));
    assert.equal(r.protect, false);
    assert.deepEqual(r.findings.map((f) => f.code), ['POSITION_GONE']);
    assert.equal(r.events.length, 1);
    const gone = r.events[0]!;
    assert.equal(gone.type, 'POSITION_GONE');
    assert.equal(gone.at, 9_000, 'the exchange time of the look');
    const closed = after(active(), r.events);
    assert.equal(closed.status, 'CLOSED');
    assert.match(closed.closeReason!, /no BTC for this trade and no protection rests/);
    assert.equal(closed.realizedPnl, undefined);
    assert.equal(closed.fees, 1);
    const t = applyTradeEvent(active(), gone);
    assert.deepEqual(t.effects.map((e) => e.type), ['CANCEL_PROTECTION', 'JOURNAL'], 'the stale OCO ref is cleaned up; the entry is complete');
    const working = active({ orders: active().orders.map((o) => (o.role === 'ENTRY' ? { ...o, status: 'OPEN' as const } : o)) });
    assert.deepEqual(applyTradeEvent(working, gone).effects.map((e) => e.type), ['CANCEL_PROTECTION', 'CANCEL_ENTRY', 'JOURNAL'], 'a working rest of the entry is cancelled');
  });

  it('coins gone because the stop filled unseen: the fill is recovered and closes the trade with its real PnL', () => {
    const fill = stop('77', HELD, 5_000);
    const r = reconcileTrade(active(), seen({ held: 0, protectedQuantity: 0, exitFills: [fill] }));
    assert.deepEqual(r.events, [fill]);
    assert.deepEqual(r.findings.map((f) => f.code), ['EXIT_FILLS_RECOVERED']);
    const closed = after(active(), r.events);
    assert.equal(closed.status, 'CLOSED');
    assert.equal(closed.realizedPnl, Number((63490 * HELD - 65000 * HELD - 1.9).toFixed(8)));
  });

  it('fills in the account come out in exchange order, and an applied one is not applied again', () => {
    const first = stop('1', 0.006, 4_000);
    const second = stop('2', HELD - 0.006, 6_000);
    const trade = active({ exitFills: [{ ...first, reason: 'STOP' }], appliedEventIds: [...active().appliedEventIds!, first.eventId] });
    const r = reconcileTrade(trade, seen({ held: 0, protectedQuantity: 0, exitFills: [second, first] }));
    assert.deepEqual(r.events, [second]);
    assert.equal(after(trade, r.events).status, 'CLOSED');
  });

  it('part of the coins sold by a fill it had not seen, the rest gone by hand: the fill first, then POSITION_GONE for the rest', () => {
    const part = stop('3', 0.006, 4_000);
    const r = reconcileTrade(active(), seen({ held: 0, protectedQuantity: 0, exitFills: [part] }));
    assert.deepEqual(r.events.map((e) => e.type), ['STOP_FILLED', 'POSITION_GONE']);
    const gone = r.events[1] as Extract<TradeEvent, { type: 'POSITION_GONE' }>;
    assert.equal(gone.quantity, Number((HELD - 0.006).toFixed(8)));
    assert.equal(after(active(), r.events).status, 'CLOSED');
  });

  it('coins held but no stop rests: protect (it is not gone), and say so', () => {
    const r = reconcileTrade(active(), seen({ protectedQuantity: 0 }));
    assert.deepEqual(r.events, []);
    assert.equal(r.protect, true);
    assert.deepEqual(r.findings.map((f) => f.code), ['UNPROTECTED']);
  });

  it('stops rest but coins are missing: reported, never closed (the stops lock coins that are there)', () => {
    const r = reconcileTrade(active(), seen({ held: 0.01, protectedQuantity: HELD }));
    assert.deepEqual(r.events, []);
    assert.equal(r.protect, false);
    assert.deepEqual(r.findings.map((f) => f.code), ['BALANCE_SHORT']);
  });

  it('dust below the market minimum counts as nothing held', () => {
    const r = reconcileTrade(active(), seen({ held: 0.000004, protectedQuantity: 0 }));
    assert.deepEqual(r.events.map((e) => e.type), ['POSITION_GONE']);
  });

  it('more stops than the position: reported', () => {
    const r = reconcileTrade(active(), seen({ protectedQuantity: 0.03 }));
    assert.deepEqual(r.findings.map((f) => f.code), ['OVER_PROTECTED']);
  });

  it('a PENDING or CLOSED trade is not its business (entries are order tracking\'s)', () => {
    assert.deepEqual(reconcileTrade(active({ status: 'PENDING', entryFills: [] }), seen({ held: 0, protectedQuantity: 0 })).events, []);
    assert.deepEqual(reconcileTrade(active({ status: 'CLOSED' }), seen({ held: 0, protectedQuantity: 0 })).events, []);
  });

  it('POSITION_GONE on a trade that is not ACTIVE is ignored with a reason, and twice is a duplicate', () => {
    const [gone] = reconcileTrade(active(), seen({ held: 0, protectedQuantity: 0 })).events;
    const closed = applyTradeEvent(active(), gone!).trade;
    assert.match(applyTradeEvent(closed, gone!).ignored!, /already applied/);
    assert.match(applyTradeEvent({ ...active(), status: 'PENDING' }, gone!).ignored!, /is PENDING/);
  });
});
