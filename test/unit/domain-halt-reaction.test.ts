import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flattenResultRow, haltReaction, haltSteps, type HaltNotice, type HaltStep } from '../../src/domain/envelope/haltReaction';
import type { OmsResult } from '../../src/domain/omsResult';
import type { OrderRef, Trade } from '../../src/domain/trade';

const NOW = Date.UTC(2021, 4, 19, 12, 0, 0);
const trade = (over: Partial<Trade> = {}): Trade => ({
  id: 'T-BTCUSDT-7', symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 100, stopLossPrice: 95, takeProfitPrices: [110, 120],
  quantity: 2, positionSizePercent: 5, entryFills: [], exitFills: [], orders: [], createdAt: NOW, ...over,
});
const fill = { eventId: 'f1', price: 100, quantity: 1, fee: 0, at: NOW };
const active = (over: Partial<Trade> = {}) => trade({ status: 'ACTIVE', entryFills: [fill], ...over });
const entry = (status: OrderRef['status']): OrderRef => ({ role: 'ENTRY', clientOrderId: 'de-T-BTCUSDT-7-e', quantity: 2, price: 100, status });
const oco: OrderRef = { role: 'OCO', clientOrderId: 'de-T-BTCUSDT-7-p', quantity: 1, status: 'OPEN' };

const daily: HaltNotice = { kind: 'DAILY_LOSS', reason: 'day loss 3.2% reached daily_loss_limit_percent 3', flatten: false };
const flattening: HaltNotice = { ...daily, flatten: true };

/** the options, counting how often a flatten was asked about (the workflow records a patch marker there) */
function asking(answer: boolean) {
  const options = {
    asked: 0,
    mayFlatten: () => {
      options.asked++;
      return answer;
    },
  };
  return options;
}

describe('the reaction to a portfolio halt: the first step', () => {
  it('cancels a PENDING entry, naming the halt, and asks nothing about flattening yet', () => {
    const t = trade();
    const options = asking(true);
    const step = haltReaction(t, flattening, null, options);
    assert.deepEqual(step, {
      step: 'CANCEL_ENTRY',
      row: { kind: 'CONTROL', detail: `portfolio HALTED (DAILY_LOSS): cancelling the PENDING entry; ${daily.reason}`, trade: t, action: 'PORTFOLIO_HALTED' },
      trade: t,
      reason: 'portfolio HALTED (DAILY_LOSS)',
    });
    assert.equal(options.asked, 0);
  });

  it('flattens an ACTIVE position when the notice asks and the flatten is allowed', () => {
    const t = active({ orders: [entry('FILLED'), oco] });
    const options = asking(true);
    const step = haltReaction(t, flattening, null, options);
    const reason = `portfolio HALTED (DAILY_LOSS): ${daily.reason}`;
    assert.deepEqual(step, {
      step: 'FLATTEN',
      row: { kind: 'CONTROL', detail: `${reason}; flatten_on_halt: closing the ACTIVE position at market`, trade: t, action: 'FLATTEN_ON_HALT' },
      trade: t,
      reason,
      cancelRemainder: false,
    });
    assert.equal(options.asked, 1);
  });

  it('cancels the working remainder of a partly filled entry before the close', () => {
    const step = haltReaction(active({ orders: [entry('OPEN'), oco] }), flattening, null, asking(true));
    assert.equal(step?.step === 'FLATTEN' && step.cancelRemainder, true);
  });

  it('keeps the protection of an ACTIVE position when the notice does not ask to flatten, without asking', () => {
    const t = active();
    const options = asking(true);
    assert.deepEqual(haltReaction(t, daily, null, options), {
      step: 'KEEP_PROTECTION',
      row: { kind: 'CONTROL', detail: `portfolio HALTED (DAILY_LOSS): the ACTIVE position keeps its stop 95 and targets 110/120; ${daily.reason}`, trade: t, action: 'PORTFOLIO_HALTED' },
    });
    assert.equal(options.asked, 0);
  });

  it('keeps the protection when a flatten is asked but not allowed (a workflow from before flatten-on-halt)', () => {
    const options = asking(false);
    assert.equal(haltReaction(active(), flattening, null, options)?.step, 'KEEP_PROTECTION');
    assert.equal(options.asked, 1);
  });

  it('journals that there is no open trade, for none and for an ended one', () => {
    const row = { kind: 'CONTROL', detail: `portfolio HALTED (DRAWDOWN): no open trade; dd`, trade: undefined, action: 'PORTFOLIO_HALTED' };
    const drawdown: HaltNotice = { kind: 'DRAWDOWN', reason: 'dd', flatten: true };
    const options = asking(true);
    assert.deepEqual(haltReaction(null, drawdown, null, options), { step: 'NO_OPEN_TRADE', row });
    assert.deepEqual(haltReaction(trade({ status: 'CLOSED' }), drawdown, null, options), { step: 'NO_OPEN_TRADE', row });
    assert.deepEqual(haltReaction(trade({ status: 'CANCELLED' }), drawdown, null, options), { step: 'NO_OPEN_TRADE', row });
    assert.equal(options.asked, 0);
  });
});

describe('the reaction to a portfolio halt: the steps after', () => {
  const cancelled = (notice: HaltNotice) => haltReaction(trade(), notice, null, asking(true))!;

  it('after the entry cancel: done when the trade ended, asking nothing', () => {
    const options = asking(true);
    assert.equal(haltReaction(trade({ status: 'CANCELLED' }), flattening, cancelled(flattening), options), null);
    assert.equal(haltReaction(trade(), flattening, cancelled(flattening), options), null, 'the cancel failed: the entry is still PENDING');
    assert.equal(options.asked, 0);
  });

  it('after the entry cancel: an entry that filled first is flattened when asked and allowed', () => {
    const filled = active({ orders: [entry('CANCELLED'), oco] });
    const options = asking(true);
    const step = haltReaction(filled, flattening, cancelled(flattening), options);
    assert.equal(step?.step, 'FLATTEN');
    assert.equal(step?.step === 'FLATTEN' && step.trade, filled);
    assert.equal(options.asked, 1);
  });

  it('after the entry cancel: a filled entry keeps its protection when no flatten is asked, or it is not allowed', () => {
    const notAsked = asking(true);
    assert.equal(haltReaction(active(), daily, cancelled(daily), notAsked), null);
    assert.equal(notAsked.asked, 0);
    const notAllowed = asking(false);
    assert.equal(haltReaction(active(), flattening, cancelled(flattening), notAllowed), null);
    assert.equal(notAllowed.asked, 1);
  });

  it('after the flatten started: closes at market what is still ACTIVE, with the same reason', () => {
    const flatten = haltReaction(active({ orders: [entry('OPEN')] }), flattening, null, asking(true))!;
    const now = active({ orders: [entry('CANCELLED')] });
    const options = asking(true);
    assert.deepEqual(haltReaction(now, flattening, flatten, options), { step: 'CLOSE_AT_MARKET', trade: now, reason: `portfolio HALTED (DAILY_LOSS): ${daily.reason}` });
    assert.equal(options.asked, 0, 'the flatten was allowed once, at its start');
  });

  it('after the flatten started: nothing to close when the trade ended meanwhile', () => {
    const flatten = haltReaction(active(), flattening, null, asking(true))!;
    assert.equal(haltReaction(trade({ status: 'CANCELLED' }), flattening, flatten, asking(true)), null);
    assert.equal(haltReaction(trade({ status: 'CLOSED' }), flattening, flatten, asking(true)), null);
  });

  it('ends after the close and after a row-only step', () => {
    const close: HaltStep = { step: 'CLOSE_AT_MARKET', trade: active(), reason: 'r' };
    assert.equal(haltReaction(active(), flattening, close, asking(true)), null);
    const keep = haltReaction(active(), daily, null, asking(true))!;
    assert.equal(haltReaction(active(), daily, keep, asking(true)), null);
    const none = haltReaction(null, daily, null, asking(true))!;
    assert.equal(haltReaction(null, daily, none, asking(true)), null);
  });
});

describe('the flatten result row', () => {
  const held = active();
  const result = (over: Partial<OmsResult>): OmsResult => ({ outcome: 'EXECUTED', trade: null, events: [], alerts: [], ...over });

  it('an executed close is an ORDER row about the trade the OMS returned', () => {
    const after = { ...held, status: 'CLOSED' as const };
    assert.deepEqual(flattenResultRow(result({ trade: after }), held), { kind: 'ORDER', detail: 'flatten on halt EXECUTED', trade: after, action: 'FLATTEN_ON_HALT' });
    assert.equal(flattenResultRow(result({ outcome: 'NOTHING_TO_DO' }), held).detail, 'flatten on halt NOTHING_TO_DO');
    assert.equal(flattenResultRow(result({}), held).trade, held, 'without a trade in the result: the one it was asked about');
  });

  it('a refusal is a REJECTION row saying the position keeps its protection', () => {
    const refused = flattenResultRow(result({ outcome: 'REJECTED', rejection: { code: 'MIN_NOTIONAL', reason: 'below the minimum notional' } }), held);
    assert.deepEqual(refused, { kind: 'REJECTION', detail: 'flatten on halt REFUSED: below the minimum notional; the position keeps its protection', trade: held, action: 'FLATTEN_ON_HALT' });
    assert.equal(flattenResultRow(result({ outcome: 'REJECTED' }), held).detail, 'flatten on halt REFUSED: by the exchange; the position keeps its protection');
  });
});

describe('every step of a reaction, each from the trade as the previous one left it', () => {
  it('a PENDING entry that filled before its cancel landed: cancel, flatten, close; allowed once', () => {
    let current: Trade | null = trade({ orders: [entry('OPEN')] });
    // what the OMS would leave after each step
    const after: Record<string, Trade> = {
      CANCEL_ENTRY: active({ orders: [entry('OPEN'), oco] }),
      FLATTEN: active({ orders: [entry('CANCELLED'), oco] }),
      CLOSE_AT_MARKET: active({ status: 'CLOSED' }),
    };
    const options = asking(true);
    const taken: string[] = [];
    for (const step of haltSteps(() => current, flattening, options)) {
      taken.push(step.step === 'FLATTEN' ? `FLATTEN cancelRemainder=${step.cancelRemainder}` : step.step);
      current = after[step.step]!;
    }
    assert.deepEqual(taken, ['CANCEL_ENTRY', 'FLATTEN cancelRemainder=true', 'CLOSE_AT_MARKET']);
    assert.equal(options.asked, 1);
  });

  it('a PENDING entry the cancel ended: one step', () => {
    let current: Trade | null = trade();
    const taken: string[] = [];
    for (const step of haltSteps(() => current, flattening, asking(true))) {
      taken.push(step.step);
      current = trade({ status: 'CANCELLED' });
    }
    assert.deepEqual(taken, ['CANCEL_ENTRY']);
  });

  it('an ACTIVE position kept: one row-only step', () => {
    assert.deepEqual([...haltSteps(() => active(), daily, asking(true))].map((s) => s.step), ['KEEP_PROTECTION']);
  });
});
