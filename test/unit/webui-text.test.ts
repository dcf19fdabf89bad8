import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AiCommand } from '../../src/domain/commands';
import type { OrderRef, Trade } from '../../src/domain/trade';
import type { SymbolTraderState } from '../../src/contract/traderState';
import type { OrderMonitorState } from '../../src/contract/monitorState';
import { cadenceText, count, oneLineOf, plainMarkdown, usd, utcClock } from '../../src/contract/displayText';
import { describeView, llmSpendLine } from '../../src/contract/portfolioDescribe';
import type { LlmBudgetShown, PortfolioView } from '../../src/contract/portfolioState';
import { monitorStartMetadata, portfolioStartMetadata, strategistWords, traderStartMetadata } from '../../src/contract/startMetadata';
import * as s from '../../src/workflows/summaries';
import { DETAILS_REASONING_CHARS, monitorDetails, tradeLine, traderDetails } from '../../src/workflows/traderDetails';

/** What the Web UI shows, built by pure functions from workflow state (src/workflows/summaries.ts, traderDetails.ts). */

const AT = Date.UTC(2026, 11, 2, 12, 30);
const plan: AiCommand = {
  action: 'PLAN_TRADE',
  trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: 65000, stop_loss_price: 63500, take_profit_prices: [67000, 69000], position_size_percent: 10 },
  reasoning: 'EMA20 above EMA50 on 1h; pullback to support',
};

const entry: OrderRef = { role: 'ENTRY', clientOrderId: 'de-T-BTCUSDT-7-e', exchangeOrderId: '12', quantity: 0.0152, price: 65000, status: 'OPEN' };
const otoco: OrderRef = { role: 'OCO', clientOrderId: 'de-T-BTCUSDT-7-l', exchangeOrderId: '3', targetIndex: 0, quantity: 0.01518, price: 67000, stopPrice: 63500, status: 'OPEN' };

function trade(overrides: Partial<Trade> = {}): Trade {
  return {
    id: 'T-BTCUSDT-7', symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 65000, stopLossPrice: 63500,
    takeProfitPrices: [67000, 69000], quantity: 0.0152, positionSizePercent: 10, entryFills: [], exitFills: [], orders: [entry, otoco],
    createdAt: AT, ...overrides,
  };
}
const active = () => trade({ status: 'ACTIVE', orders: [{ ...entry, status: 'FILLED' }, otoco], entryFills: [{ eventId: 'f1', price: 65000, quantity: 0.0152, fee: 0.1, at: AT + 60_000 }] });

function traderState(overrides: Partial<SymbolTraderState> = {}): SymbolTraderState {
  return {
    symbol: 'BTCUSDT', mode: 'paper', phase: 'WAITING', trade: null, sequence: 7, nextCycleAt: AT + 15 * 60_000, lastCycleAt: AT,
    lastDecision: null, seenEventIds: [], journalSeq: 0, runs: 1, lastError: null, stopRequested: false, ...overrides,
  };
}

describe('timeline summaries', () => {
  it('say each step of the cycle in one line, as the seed reads', () => {
    assert.equal(s.marketDataSummary('BTCUSDT'), 'market data BTCUSDT');
    assert.equal(s.marketDataSummary('BTCUSDT', { price: 64702.020000001, at: AT, timeframes: ['15m', '1h', '4h'] }), 'market data BTCUSDT 15m/1h/4h, last 64702.02 at 12:30 UTC');
    assert.equal(s.strategistSummary('BTCUSDT', 64702.02, null), 'strategist BTCUSDT at 64702.02: no open trade');
    assert.equal(s.omsSummary(plan), 'OMS: PLAN_TRADE LONG 65000 / SL 63500 / TP 67000, 69000, 10%');
    assert.equal(s.omsSummary({ action: 'ADJUST_TRADE', order_id: 'T-BTCUSDT-7', new_stop_loss_price: 65100, new_take_profit_prices: [70000], reasoning: 'x' }), 'OMS: ADJUST_TRADE T-BTCUSDT-7 SL 65100 / TP 70000');
    assert.equal(s.watchSummary(trade()), 'order monitor: watch T-BTCUSDT-7 PENDING: entry placed, OTOCO');
    assert.equal(s.tradeLogSummary([{ kind: 'DECISION', action: 'PLAN_TRADE' }, { kind: 'ORDER', action: 'PLAN_TRADE' }]), 'trade log: 2 rows (DECISION PLAN_TRADE, ORDER PLAN_TRADE)');
    assert.equal(s.protectionSummary(active(), 0.0152), 'OMS: protect T-BTCUSDT-7, 0.0152 filled: stop 63500, targets 67000/69000');
    assert.equal(s.reconcileSummary('BTCUSDT', active()), 'reconcile BTCUSDT with the exchange: ACTIVE T-BTCUSDT-7');
  });

  it('the cycle timer names the next cycle and how the last one ended', () => {
    const next = AT + 15 * 60_000;
    assert.equal(s.cycleTimerSummary(next, next, null, null), 'wait for next cycle 12:45 UTC');
    const decided = { sequence: 7, at: AT, action: 'PLAN_TRADE' as const, command: plan, source: 'llm' as const, accepted: true, outcome: 'EXECUTED' as const };
    assert.equal(
      s.cycleTimerSummary(next, next, decided, trade()),
      'wait for next cycle 12:45 UTC; cycle 7: PLAN_TRADE LONG 65000 / SL 63500 / TP 67000, 69000, 10% -> EXECUTED, entry placed, OTOCO',
    );
    assert.match(s.cycleTimerSummary(next, AT + 5 * 60_000, decided, trade()), /^wait for the entry of T-BTCUSDT-7 to expire at 12:35 UTC \(next cycle 12:45 UTC\)/);
  });

  it('orders read as a trader says them', () => {
    assert.equal(s.ordersLine(trade({ orders: [entry] })), 'entry placed, protection once it fills');
    assert.equal(s.ordersLine(active()), 'protected by OCO (stop 63500)');
    assert.equal(s.ordersLine(active().orders.length ? { ...active(), orders: [otoco, { ...otoco, clientOrderId: 'b', targetIndex: 1 }] } : active()), 'protected by 2 OCOs (stop 63500)');
    assert.equal(s.ordersLine({ ...active(), orders: [] }), 'NOT protected on the exchange yet');
  });

  it('are always one bounded line, whatever the state holds', () => {
    const long = 'x'.repeat(5_000);
    const lines = [
      s.strategistSummary(long, 1, null),
      s.cancelEntrySummary(trade(), `${long}\nsecond line`),
      s.releaseSlotSummary(long, long),
      s.trackOrdersSummary(Array.from({ length: 50 }, () => trade())),
      s.tradeLogSummary(Array.from({ length: 100 }, () => ({ kind: 'TRANSITION' as const, action: 'PENDING->ACTIVE' }))),
    ];
    for (const l of lines) {
      assert.ok(l.length <= 200, `${l.length} characters`);
      assert.doesNotMatch(l, /\n/);
    }
    assert.equal(oneLineOf('a \n\t b'), 'a b');
  });
});

describe('current details (markdown)', () => {
  it('open with the trade line', () => {
    const last = { price: 65780, at: AT };
    assert.equal(tradeLine(active(), 'BTCUSDT', last), 'ACTIVE LONG BTCUSDT: entry 65000, stop 63500, targets 67000/69000, filled 0.0152, unrealized +1.2% at 65780');
    assert.equal(tradeLine(trade({ direction: 'SHORT', status: 'ACTIVE', entryFills: active().entryFills }), 'BTCUSDT', last).match(/unrealized (\S+)/)?.[1], '-1.2%');
    assert.equal(tradeLine(trade(), 'BTCUSDT'), 'PENDING LONG BTCUSDT: entry 65000, stop 63500, targets 67000/69000, size 0.0152 (10%), not filled yet');
    assert.equal(tradeLine(null, 'BTCUSDT'), "NO TRADE BTCUSDT: waiting for the strategist's setup");
    const partly = trade({ status: 'ACTIVE', entryFills: [{ eventId: 'p1', price: 65000, quantity: 0.005, fee: 0, at: AT }] });
    assert.match(tradeLine(partly, 'BTCUSDT'), /, filled 0\.005 of 0\.0152$/, 'while the entry still works');
    const net = { ...active(), entryFills: [{ eventId: 'f1', price: 65000, quantity: 0.0151848, fee: 0, at: AT }] };
    assert.match(tradeLine(net, 'BTCUSDT'), /, filled 0\.0151848$/, 'a BUY that paid its fee in the coin is filled, not "of" its order');
    const closed = trade({ status: 'CLOSED', realizedPnl: 30.456, exitFills: [{ eventId: 'x', price: 67000, quantity: 0.0152, fee: 0.1, at: AT, reason: 'TARGET', targetIndex: 0 }] });
    assert.equal(tradeLine(closed, 'BTCUSDT'), 'CLOSED LONG BTCUSDT (T-BTCUSDT-7): entry 65000, stop 63500, targets 67000/69000; exits TARGET 67000, realized +30.46');
  });

  it('carry the last decision (command, verdict, bounded reasoning), the next cycle, the last error, the risk and the mode', () => {
    const reasoning = `Breakout **above** <b>resistance</b> | ${'because '.repeat(200)}`;
    const details = traderDetails(
      traderState({
        trade: active(),
        lastPrice: { price: 65780, at: AT },
        lastDecision: { sequence: 7, at: AT, action: 'PLAN_TRADE', command: { ...plan, reasoning }, source: 'llm', accepted: true, outcome: 'EXECUTED', outcomeDetail: 'T-BTCUSDT-7 PENDING' },
        lastError: 'watchOrders: server unavailable',
        envelope: { heldSlot: { tradeId: 'T-BTCUSDT-7' }, releases: [], released: [], book: { cooldownUntilSequence: 0, tradesDay: '2026-12-02', tradesToday: 1, counted: [] }, halt: null },
      }),
      { now: AT, cycleIntervalMs: 15 * 60_000, rules: { cooldownCycles: 4, maxTradesPerDay: 3, entryTimeoutMs: 4 * 3_600_000 } },
    );
    const lines = details.split('\n');
    assert.equal(lines[0], '**ACTIVE LONG BTCUSDT: entry 65000, stop 63500, targets 67000/69000, filled 0.0152, unrealized +1.2% at 65780**');
    assert.match(details, /^- \*\*Last decision\*\*: cycle 7 at 12:30 UTC \(llm\): PLAN_TRADE LONG 65000 \/ SL 63500 \/ TP 67000, 69000, 10%; accepted, EXECUTED: T-BTCUSDT-7 PENDING$/m);
    const reasoningLine = lines.find((l) => l.startsWith('- **Reasoning**: '))!;
    assert.ok(reasoningLine.startsWith('- **Reasoning**: Breakout \\*\\*above\\*\\* \\<b\\>resistance\\</b\\> \\| because'), 'markdown and HTML in the reasoning are escaped');
    assert.ok(reasoningLine.replace(/\\/g, '').length <= '- **Reasoning**: '.length + DETAILS_REASONING_CHARS, 'the reasoning is bounded');
    assert.ok(reasoningLine.endsWith('…'));
    assert.match(details, /^- \*\*Next cycle\*\*: 12:45 UTC \(every 15 min\)$/m);
    assert.match(details, /^- \*\*Last error\*\*: watchOrders: server unavailable$/m);
    assert.match(details, /^- \*\*Risk\*\*: holds the portfolio slot of T-BTCUSDT-7 · 1\/3 new trades today \(UTC\)$/m);
    assert.match(details, /^- \*\*Mode\*\*: paper · WAITING · run 1$/m);
    assert.match(details, /^- \*\*Orders\*\*: T-BTCUSDT-7: protected by OCO \(stop 63500\)$/m);
  });

  it('say when nothing happened yet, a halt, a PENDING entry expiring, and a stop', () => {
    const fresh = traderDetails(traderState(), { now: AT, cycleIntervalMs: 60_000 });
    assert.match(fresh, /^\*\*NO TRADE BTCUSDT/);
    assert.match(fresh, /Last decision\*\*: none yet/);
    assert.match(fresh, /Last error\*\*: none/);
    assert.doesNotMatch(fresh, /Risk/, 'no risk line for a trader outside the envelope');
    const halted = traderDetails(
      traderState({ trade: trade(), envelope: { heldSlot: null, releases: [], released: [], book: { cooldownUntilSequence: 9, tradesDay: '2026-12-01', tradesToday: 3, counted: [] }, halt: { kind: 'DAILY_LOSS', reason: 'day PnL -3.2%', flatten: false } } }),
      { now: AT, cycleIntervalMs: 15 * 60_000, rules: { cooldownCycles: 4, maxTradesPerDay: 3, entryTimeoutMs: 3_600_000 } },
    );
    assert.match(halted, /Risk\*\*: portfolio HALTED \(DAILY_LOSS\): day PnL -3.2% · no portfolio slot held · 0\/3 new trades today \(UTC\) · cooling down until cycle 10/);
    assert.match(halted, /Next cycle\*\*: 12:45 UTC \(every 15 min\); the PENDING entry expires at 13:30 UTC/);
    const live = traderDetails(traderState({ mode: 'live', phase: 'STOPPED', stopRequested: true }), { now: AT, cycleIntervalMs: 15 * 60_000 });
    assert.match(live, /Next cycle\*\*: none: the trader is stopping or stopped/);
    assert.match(live, /Mode\*\*: live \(REAL MONEY\)/);
  });

  it("the order monitor's page says what it watches", () => {
    const state: OrderMonitorState = { watched: { 'T-BTCUSDT-7': trade() }, sent: { 'T-BTCUSDT-7': ['e1'] }, polls: 12, lastPollAt: AT, lastError: null };
    const details = monitorDetails(state, 2_000);
    assert.match(details, /^\*\*Watching 1 open trade\*\*, polling the exchange every 2 s/);
    assert.match(details, /^- T-BTCUSDT-7 \(BTCUSDT PENDING LONG\): entry placed, OTOCO; open orders ENTRY #12, OCO #3; 1 events sent$/m);
    assert.match(details, /Polls\*\*: 12, last at 12:30 UTC/);
    assert.match(monitorDetails({ watched: {}, sent: {}, polls: 0, lastPollAt: null, lastError: 'boom' }, 2_000), /Watching no trades[\s\S]*Last error\*\*: boom/);
  });
});

describe('static summary and details at start', () => {
  it('name the symbol, mode, strategist and cadence', () => {
    const m = traderStartMetadata({ symbol: 'BTCUSDT', mode: 'paper', strategist: 'rules strategist', cycleIntervalMs: 15 * 60_000, timeframes: ['15m', '1h', '4h'] });
    assert.equal(m.staticSummary, 'BTCUSDT trader · paper · rules strategist · every 15 min');
    assert.match(m.staticDetails, /- \*\*Cadence\*\*: every 15 min on 15m\/1h\/4h candles/);
    assert.match(traderStartMetadata({ symbol: 'ETHUSDT', mode: 'live', strategist: 'x', cycleIntervalMs: 4 * 3_600_000, timeframes: ['4h'] }).staticSummary, /live \(REAL MONEY\) · x · every 4 h/);
    assert.match(monitorStartMetadata({}).staticSummary, /polls every 2 s/);
    const p = portfolioStartMetadata({ symbols: ['BTCUSDT', 'ETHUSDT'], equityIntervalMs: 60_000, limits: { maxOpenTrades: 3, maxTotalExposurePercent: 30, maxSymbolExposurePercent: {}, dailyLossLimitPercent: 3, maxDrawdownPercent: 10, flattenOnHalt: false } });
    assert.equal(p.staticSummary, 'portfolio risk envelope · BTCUSDT, ETHUSDT · max 3 open trades');
  });

  it("the strategist's endpoint shows its host only: a URL's user info or query may be a credential", () => {
    const words = strategistWords({ kind: 'llm', model: 'gpt-4o-mini', base_url: 'https://user:sk-secret-1@llm.example:8443/v1?api_key=sk-secret-2' });
    assert.equal(words, 'LLM gpt-4o-mini at llm.example:8443 (rules without OPENAI_API_KEY)');
    assert.equal(strategistWords({ kind: 'rules' }), 'rules strategist');
  });
});

describe('display text', () => {
  it('times in UTC, cadences in words, outside text escaped', () => {
    assert.equal(utcClock(AT), '12:30 UTC');
    assert.equal(utcClock(AT + 5_000), '12:30:05 UTC');
    assert.equal(cadenceText(20_000), 'every 20 s');
    assert.equal(cadenceText(3_600_000), 'every 1 h');
    assert.equal(cadenceText(5_400_000), 'every 90 min');
    assert.equal(plainMarkdown('[link](http://x) `code` _em_'), '\\[link\\](http://x) \\`code\\` \\_em\\_');
  });
});

describe("the portfolio's card and `cli risk`: the LLM spend of the day", () => {
  const budget: LlmBudgetShown = { dailyTokens: 200_000, dailyCost: 2, model: 'gpt-4o-mini', priced: true };
  const today = (tokens: number, cost: number, calls: number) => ({ day: '2026-12-02', tokens, cost, calls });

  it('tokens and USD against the budget the portfolio was started with, for the UTC day of the clock', () => {
    assert.equal(count(12_345), '12,345');
    assert.equal(count(1_000_000), '1,000,000');
    assert.equal(count(999), '999');
    assert.equal(usd(0.0234), '$0.02');
    assert.equal(usd(0.00042), '$0.00042');
    assert.equal(usd(0), '$0');
    assert.equal(llmSpendLine({ llmBudget: budget, llmSpend: today(12_345, 0.0234, 4) }, AT), 'LLM spend today (2026-12-02 UTC): 12,345 of 200,000 tokens (6%) in 4 calls · $0.02 of $2.00 (1%)');
    // 0.06 of 0.2 is 30% (not the 29.999...% of floating point); 99.6% is not yet all of it
    assert.match(llmSpendLine({ llmBudget: { ...budget, dailyCost: 0.2 }, llmSpend: today(199_200, 0.06, 1) }, AT) ?? '', /^LLM spend today \(2026-12-02 UTC\): 199,200 of 200,000 tokens \(99%\) in 1 call · \$0\.06 of \$0\.20 \(30%\)$/);
    assert.equal(llmSpendLine({ llmBudget: { ...budget, dailyCost: null }, llmSpend: today(500, 0.001, 2) }, AT), 'LLM spend today (2026-12-02 UTC): 500 of 200,000 tokens (0%) in 2 calls · $0.001');
  });

  it('says when the budget is spent, when the model has no price, and starts the day at 0', () => {
    assert.equal(llmSpendLine({ llmBudget: budget, llmSpend: today(200_150, 0.5, 9) }, AT), 'LLM spend today (2026-12-02 UTC): 200,150 of 200,000 tokens (100%) in 9 calls · $0.50 of $2.00 (25%) · budget spent: no LLM call until 00:00 UTC');
    assert.match(llmSpendLine({ llmBudget: budget, llmSpend: today(1_000, 2.1, 3) }, AT) ?? '', / · \$2\.10 of \$2\.00 \(105%\) · budget spent: no LLM call until 00:00 UTC$/);
    const unpriced = { ...budget, model: 'fake-model', priced: false };
    assert.equal(llmSpendLine({ llmBudget: unpriced, llmSpend: today(150, 0, 1) }, AT), 'LLM spend today (2026-12-02 UTC): 150 of 200,000 tokens (0%) in 1 call · no cost: llm_models has no price for fake-model');
    // yesterday's figure is not today's
    assert.equal(llmSpendLine({ llmBudget: budget, llmSpend: { ...today(150_000, 1, 70), day: '2026-12-01' } }, AT), 'LLM spend today (2026-12-02 UTC): 0 of 200,000 tokens (0%) in 0 calls · $0 of $2.00 (0%)');
    assert.equal(llmSpendLine({ llmBudget: budget }, AT), 'LLM spend today (2026-12-02 UTC): 0 of 200,000 tokens (0%) in 0 calls · $0 of $2.00 (0%)');
    // a run started before the budget travelled with the portfolio: the ledger's figure alone
    assert.equal(llmSpendLine({ llmSpend: today(12_345, 0.0234, 4) }, AT), 'LLM spend today (2026-12-02 UTC): 12,345 tokens in 4 calls · $0.02');
    // the rules strategist: no LLM, no line
    assert.equal(llmSpendLine({}, AT), null);
  });

  it('is a line of the portfolio text, after the slots', () => {
    const view: PortfolioView = {
      symbol: 'PORTFOLIO', status: 'ACTIVE', grants: {}, book: null, halt: null, released: [], lastRefusal: null, lastError: null, sequence: 0, journalSeq: 0, runs: 1,
      limits: { maxOpenTrades: 3, maxTotalExposurePercent: 30, maxSymbolExposurePercent: {}, dailyLossLimitPercent: 3, maxDrawdownPercent: 10, flattenOnHalt: false },
      figures: null, exposure: { openTrades: 0, total: 0, bySymbol: {}, totalPercent: null },
      llmBudget: budget, llmSpend: today(12_345, 0.0234, 4),
    };
    assert.deepEqual(describeView(view, AT).split('\n'), [
      'ACTIVE: new entries allowed within the limits',
      'equity: not read yet',
      'slots 0/3 used; exposure 0 = ? of equity (limit 30%)',
      'LLM spend today (2026-12-02 UTC): 12,345 of 200,000 tokens (6%) in 4 calls · $0.02 of $2.00 (1%)',
    ]);
  });
});
