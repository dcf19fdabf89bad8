import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterTradeEnded, countEntry, EMPTY_SYMBOL_BOOK, entryExpired, entryRefusal } from '../../src/domain/envelope/entryRules';
import { assessHalt, breachOf, markEquity, resumedBook, resumeProblem, riskFigures } from '../../src/domain/envelope/killSwitch';
import type { PortfolioLimits, SymbolEntryRules } from '../../src/domain/envelope/limits';
import { reconcileGrants } from '../../src/domain/envelope/reconcileGrants';
import { decideSlot, exposureOf, slotRequestProblem, type Grants } from '../../src/domain/envelope/slots';
import { nextUtcDayStart, utcDay } from '../../src/domain/envelope/utcDay';
import type { Trade } from '../../src/domain/trade';

const LIMITS: PortfolioLimits = {
  maxOpenTrades: 2,
  maxTotalExposurePercent: 30,
  maxSymbolExposurePercent: { ETHUSDT: 10 },
  dailyLossLimitPercent: 3,
  maxDrawdownPercent: 10,
  flattenOnHalt: false,
};
const NOW = Date.UTC(2021, 4, 19, 12, 0, 0);
const ctx = { limits: LIMITS, equity: 10_000, halt: null, now: NOW };
const req = (tradeId: string, symbol: string, notional: number) => ({ tradeId, symbol, sequence: Number(tradeId.split('-').pop()), notional });

describe('utc days', () => {
  it('names the UTC day and finds the next one, whatever the local zone', () => {
    assert.equal(utcDay(Date.UTC(2021, 4, 19, 23, 59, 59, 999)), '2021-05-19');
    assert.equal(utcDay(Date.UTC(2021, 4, 20)), '2021-05-20');
    assert.equal(nextUtcDayStart(Date.UTC(2021, 4, 19, 0, 0)), Date.UTC(2021, 4, 20));
    assert.equal(nextUtcDayStart(Date.UTC(2021, 4, 19, 23, 59)), Date.UTC(2021, 4, 20));
  });
});

describe('slots', () => {
  it('grants within the limits and gives the same grant to a repeated request', () => {
    const first = decideSlot({}, req('T-BTCUSDT-1', 'BTCUSDT', 1_000), ctx);
    assert.equal(first.granted, true);
    if (!first.granted) return;
    assert.equal(first.repeated, false);
    const grants: Grants = { [first.grant.tradeId]: first.grant };
    const again = decideSlot(grants, req('T-BTCUSDT-1', 'BTCUSDT', 1_000), { ...ctx, now: NOW + 5 });
    assert.deepEqual(again, { granted: true, grant: first.grant, repeated: true });
  });

  it('refuses the slot over max_open_trades, with the code', () => {
    const grants: Grants = {
      'T-BTCUSDT-1': { ...req('T-BTCUSDT-1', 'BTCUSDT', 500), grantedAt: NOW },
      'T-ETHUSDT-1': { ...req('T-ETHUSDT-1', 'ETHUSDT', 500), grantedAt: NOW },
    };
    const d = decideSlot(grants, req('T-SOLUSDT-1', 'SOLUSDT', 100), ctx);
    assert.equal(d.granted, false);
    assert.equal(!d.granted && d.code, 'MAX_OPEN_TRADES');
  });

  it('counts pending and active notional against the total and the per-symbol caps', () => {
    const grants: Grants = { 'T-BTCUSDT-1': { ...req('T-BTCUSDT-1', 'BTCUSDT', 2_500), grantedAt: NOW } };
    assert.deepEqual(exposureOf(grants), { openTrades: 1, total: 2_500, bySymbol: { BTCUSDT: 2_500 } });
    const total = decideSlot(grants, req('T-SOLUSDT-1', 'SOLUSDT', 600), ctx);
    assert.equal(!total.granted && total.code, 'MAX_TOTAL_EXPOSURE');
    assert.equal(decideSlot(grants, req('T-SOLUSDT-1', 'SOLUSDT', 500), ctx).granted, true, 'exactly 30% is allowed');
    const symbol = decideSlot({}, req('T-ETHUSDT-1', 'ETHUSDT', 1_001), ctx);
    assert.equal(!symbol.granted && symbol.code, 'MAX_SYMBOL_EXPOSURE');
  });

  it('refuses everything while halted, and without an equity reading', () => {
    const halted = decideSlot({}, req('T-BTCUSDT-1', 'BTCUSDT', 10), { ...ctx, halt: { kind: 'DRAWDOWN', reason: 'dd', since: NOW, day: '2021-05-19' } });
    assert.equal(!halted.granted && halted.code, 'PORTFOLIO_HALTED');
    const blind = decideSlot({}, req('T-BTCUSDT-1', 'BTCUSDT', 10), { ...ctx, equity: null });
    assert.equal(!blind.granted && blind.code, 'NO_EQUITY');
  });

  it('validates a request before it reaches the workflow', () => {
    assert.equal(slotRequestProblem(req('T-BTCUSDT-1', 'BTCUSDT', 10)), null);
    assert.match(slotRequestProblem({ ...req('T-BTCUSDT-1', 'BTCUSDT', 10), notional: Number.NaN })!, /notional/);
    assert.match(slotRequestProblem({ ...req('T-BTCUSDT-1', 'BTCUSDT', 10), notional: -1 })!, /notional/);
    assert.match(slotRequestProblem({ symbol: 'BTCUSDT', sequence: 1, notional: 1 })!, /tradeId/);
    assert.match(slotRequestProblem(null)!, /object/);
  });
});

describe('reconciling grants with the traders', () => {
  const grants: Grants = {
    'T-BTCUSDT-3': { ...req('T-BTCUSDT-3', 'BTCUSDT', 500), grantedAt: NOW },
    'T-ETHUSDT-7': { ...req('T-ETHUSDT-7', 'ETHUSDT', 500), grantedAt: NOW },
    'T-SOLUSDT-2': { ...req('T-SOLUSDT-2', 'SOLUSDT', 500), grantedAt: NOW },
  };

  it('frees a grant whose trade is gone, keeps one still being placed or held, keeps unknown ones', () => {
    const changes = reconcileGrants(
      grants,
      [
        { symbol: 'BTCUSDT', known: true, holding: { symbol: 'BTCUSDT', sequence: 5, openTrade: null, heldSlot: null } },
        { symbol: 'ETHUSDT', known: true, holding: { symbol: 'ETHUSDT', sequence: 7, openTrade: null, heldSlot: null } },
        { symbol: 'SOLUSDT', known: false },
      ],
      NOW,
    );
    assert.deepEqual(changes.freed.map((f) => f.grant.tradeId), ['T-BTCUSDT-3']);
    assert.match(changes.freed[0]!.why, /no open trade T-BTCUSDT-3/);
    assert.deepEqual(changes.adopted, []);
  });

  it('frees grants of a trader that does not exist and adopts an open trade that has none', () => {
    const changes = reconcileGrants(
      grants,
      [
        { symbol: 'SOLUSDT', known: true, holding: null },
        { symbol: 'ETHUSDT', known: true, holding: { symbol: 'ETHUSDT', sequence: 9, openTrade: { tradeId: 'T-ETHUSDT-9', sequence: 9, notional: 800 }, heldSlot: null } },
        { symbol: 'BTCUSDT', known: true, holding: { symbol: 'BTCUSDT', sequence: 4, openTrade: null, heldSlot: 'T-BTCUSDT-3' } },
      ],
      NOW,
    );
    assert.deepEqual(changes.freed.map((f) => f.grant.tradeId).sort(), ['T-ETHUSDT-7', 'T-SOLUSDT-2']);
    assert.deepEqual(changes.adopted, [{ tradeId: 'T-ETHUSDT-9', symbol: 'ETHUSDT', sequence: 9, notional: 800, grantedAt: NOW }]);
  });
});

describe('kill switch', () => {
  const at = (h: number, day = 19) => Date.UTC(2021, 4, day, h);

  it('starts each UTC day from its first reading and keeps the peak', () => {
    let book = markEquity(null, { equity: 10_000, at: at(0) });
    book = markEquity(book, { equity: 10_400, at: at(6) });
    book = markEquity(book, { equity: 10_100, at: at(12) });
    assert.deepEqual({ start: book.dayStartEquity, peak: book.peakEquity }, { start: 10_000, peak: 10_400 });
    assert.equal(Math.round(riskFigures(book).drawdownPercent * 100) / 100, 2.88);
    book = markEquity(book, { equity: 10_050, at: at(1, 20) });
    assert.deepEqual({ day: book.day, start: book.dayStartEquity, peak: book.peakEquity }, { day: '2021-05-20', start: 10_050, peak: 10_400 });
  });

  it('halts on the daily loss limit and lifts only when the UTC day changes', () => {
    let book = markEquity(null, { equity: 10_000, at: at(0) });
    book = markEquity(book, { equity: 9_690, at: at(13) });
    const halted = assessHalt(book, null, LIMITS);
    assert.equal(halted.change?.type, 'HALTED');
    assert.equal(halted.halt?.kind, 'DAILY_LOSS');
    assert.match(halted.halt!.reason, /day loss 3\.1% .*next UTC day/);
    // equity recovers the same day: still halted
    book = markEquity(book, { equity: 10_500, at: at(23) });
    assert.deepEqual(assessHalt(book, halted.halt, LIMITS), { halt: halted.halt, change: null });
    assert.match(resumeProblem(halted.halt)!, /resumes by itself at the next UTC day/);
    book = markEquity(book, { equity: 10_500, at: at(0, 20) });
    const lifted = assessHalt(book, halted.halt, LIMITS);
    assert.equal(lifted.halt, null);
    assert.equal(lifted.change?.type, 'LIFTED');
  });

  it('halts on drawdown from the peak, across days, until resumed', () => {
    let book = markEquity(null, { equity: 11_000, at: at(0, 18) });
    book = markEquity(book, { equity: 10_000, at: at(0, 19) });
    book = markEquity(book, { equity: 9_900, at: at(10, 19) });
    assert.equal(breachOf(book, LIMITS)?.kind, 'DRAWDOWN');
    const { halt } = assessHalt(book, null, LIMITS);
    book = markEquity(book, { equity: 9_900, at: at(0, 21) });
    assert.equal(assessHalt(book, halt, LIMITS).halt, halt, 'a new day does not lift a drawdown halt');
    assert.equal(resumeProblem(halt), null);
    assert.equal(resumeProblem(null), 'the portfolio is not halted');
    const resumed = resumedBook(book);
    assert.equal(assessHalt(resumed, null, LIMITS).halt, null, 'after resume the peak restarts from equity');
  });

  it('a drawdown breach replaces a daily-loss halt (it must not lift by itself tomorrow)', () => {
    let book = markEquity(null, { equity: 10_000, at: at(0) });
    book = markEquity(book, { equity: 9_650, at: at(2) });
    const daily = assessHalt(book, null, LIMITS).halt;
    book = markEquity(book, { equity: 8_900, at: at(4) });
    const next = assessHalt(book, daily, LIMITS);
    assert.equal(next.halt?.kind, 'DRAWDOWN');
    assert.equal(next.change?.type, 'HALTED');
  });
});

describe('per-symbol entry rules', () => {
  const rules: SymbolEntryRules = { cooldownCycles: 3, maxTradesPerDay: 2, entryTimeoutMs: 4 * 3_600_000 };
  const trade = (over: Partial<Trade>): Trade => ({
    id: 'T-BTCUSDT-4', symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 100, stopLossPrice: 95, takeProfitPrices: [110],
    quantity: 1, positionSizePercent: 5, entryFills: [], exitFills: [], orders: [], createdAt: NOW, ...over,
  });

  it('cools down for N cycles after a stop-out, not after a target', () => {
    const stopped = trade({ status: 'CLOSED', exitFills: [{ eventId: 'e', price: 95, quantity: 1, fee: 0, at: NOW, reason: 'STOP' }] });
    const book = afterTradeEnded(EMPTY_SYMBOL_BOOK, stopped, 10, rules);
    assert.equal(entryRefusal(book, rules, 13, NOW)?.code, 'COOLDOWN');
    assert.match(entryRefusal(book, rules, 11, NOW)!.reason, /3 more cycle/);
    assert.equal(entryRefusal(book, rules, 14, NOW), null);
    assert.equal(afterTradeEnded(book, stopped, 12, rules), book, 'one stop-out counts once');
    const target = trade({ status: 'CLOSED', exitFills: [{ eventId: 'e', price: 110, quantity: 1, fee: 0, at: NOW, reason: 'TARGET' }] });
    assert.equal(afterTradeEnded(EMPTY_SYMBOL_BOOK, target, 10, rules), EMPTY_SYMBOL_BOOK);
  });

  it('caps new trades per symbol per UTC day', () => {
    let book = countEntry(EMPTY_SYMBOL_BOOK, 'T-BTCUSDT-1', NOW);
    book = countEntry(book, 'T-BTCUSDT-1', NOW);
    assert.equal(entryRefusal(book, rules, 2, NOW), null, 'a trade counted twice counts once');
    book = countEntry(book, 'T-BTCUSDT-2', NOW);
    assert.equal(entryRefusal(book, rules, 3, NOW)?.code, 'MAX_TRADES_PER_DAY');
    assert.equal(entryRefusal(book, rules, 3, Date.UTC(2021, 4, 20)), null, 'the next UTC day starts at 0');
  });

  it('expires a PENDING entry after the timeout, never a filled one', () => {
    assert.equal(entryExpired(trade({}), NOW + rules.entryTimeoutMs - 1, rules), false);
    assert.equal(entryExpired(trade({}), NOW + rules.entryTimeoutMs, rules), true);
    assert.equal(entryExpired(trade({ status: 'ACTIVE' }), NOW + 10 * rules.entryTimeoutMs, rules), false);
    assert.equal(entryExpired(null, NOW, rules), false);
  });
});

describe('notional and equity', async () => {
  const { markToMarket, tradeNotional } = await import('../../src/domain/envelope/notional');
  const base: Trade = {
    id: 'T-BTCUSDT-1', symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 100, stopLossPrice: 95, takeProfitPrices: [110],
    quantity: 2, positionSizePercent: 5, entryFills: [], exitFills: [], orders: [], createdAt: NOW,
  };
  it('counts a pending entry at its limit and a position at its average entry', () => {
    assert.equal(tradeNotional(base), 200);
    const partly = { ...base, status: 'ACTIVE' as const, entryFills: [{ eventId: 'f', price: 99, quantity: 1, fee: 0, at: NOW }] };
    assert.equal(tradeNotional(partly), 100 + 99);
    assert.equal(tradeNotional({ ...partly, entryEndedAt: NOW }), 99);
    assert.equal(tradeNotional({ ...base, status: 'CANCELLED' }), 0);
  });
  it('marks balances to last prices and names what it could not price', () => {
    const r = markToMarket(
      [{ asset: 'USDT', total: 5_000 }, { asset: 'BTC', total: 0.1 }, { asset: 'DOGE', total: 10 }, { asset: 'ETH', total: 0 }],
      'USDT',
      new Map([['BTC', 40_000]]),
    );
    assert.deepEqual(r, { equity: 9_000, unpriced: ['DOGE'] });
  });
  it('never lets a clock stepping back restart the UTC day', () => {
    const book = markEquity(markEquity(null, { equity: 100, at: Date.UTC(2021, 4, 20, 1) }), { equity: 90, at: Date.UTC(2021, 4, 19, 23) });
    assert.deepEqual({ day: book.day, start: book.dayStartEquity, last: book.lastEquity }, { day: '2021-05-20', start: 100, last: 90 });
  });
});
