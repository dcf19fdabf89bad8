import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBacktest } from '../../src/backtest/runBacktest';
import type { DecisionRecord, StrategistRun } from '../../src/backtest/runTypes';
import { parseConfig } from '../../src/config/load';
import type { AiCommand } from '../../src/domain/commands';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import type { Proposal, Strategist, StrategistRequest } from '../../src/strategist/strategist';
import { flattenClientId, otocoListClientId } from '../../src/oms/clientIds';
import { loadBacktestData } from '../../src/backtest/data';
import { runStrategist, type EngineOptions, type StrategistSpec } from '../../src/backtest/engine';
import { portfolioLimits, symbolEntryRules } from '../../src/config/envelope';

/**
 * The live risk envelope in the backtest, on two symbols of real candles: the portfolio's slots
 * (max_open_trades across symbols), the kill switch (a daily-loss halt on the 19 May 2021 crash:
 * PENDING entries cancelled, no entry until the next UTC day, then trading again) and the symbol
 * rules (entry expiry, trades per day). The config goes through the same path as the CLI's
 * (parseConfig -> runBacktest), and each limit is checked against its own arithmetic.
 */

const M15 = 15 * 60_000;
const DAY = 86_400_000;

/** wants a trade whenever it has none: a limit `below` % under the last price, stop 2 % under, target 3.5 % over */
class AlwaysIn implements Strategist {
  readonly kind = 'rules' as const;
  readonly description = 'always in';
  constructor(private readonly below: Record<string, number>, private readonly stopPct = 2, private readonly size = 10) {}
  async propose({ symbol, trade, snapshot }: StrategistRequest): Promise<Proposal> {
    if (trade) return { ok: true, source: 'rules', command: { action: 'DO_NOTHING', reasoning: 'holding' } };
    const e = snapshot.last * (1 - (this.below[symbol] ?? 0) / 100);
    const command: AiCommand = {
      action: 'PLAN_TRADE',
      trade_setup: { symbol, direction: 'LONG', entry_price: e, stop_loss_price: e * (1 - this.stopPct / 100), take_profit_prices: [e * (1 + (this.stopPct * 1.75) / 100)], position_size_percent: this.size },
      reasoning: 'always in',
    };
    return { ok: true, source: 'rules', command };
  }
}

async function run(yaml: string, strategist: Strategist, from: string, to: string) {
  const config = parseConfig(`symbols: [BTCUSDT, ETHUSDT]\ntimeframes: [15m, 1h]\n${yaml}`);
  const spec: StrategistSpec = { name: 'always-in', kind: 'custom', strategist };
  const { run: r, rows } = await runBacktest({
    config, configPath: 'test', candlesDir: sharedCandlesDir(), symbols: ['BTCUSDT', 'ETHUSDT'], from: Date.parse(from), to: Date.parse(to),
    strategists: [spec], decideEvery: 1, matching: 'none', indicators: 'incremental', concurrency: 1,
  });
  return { s: r.strategists[0]!, rows };
}

const trades = (s: StrategistRun) => s.symbols.flatMap((x) => x.trades);
const refusals = (s: StrategistRun, code: string): Array<DecisionRecord & { symbol: string }> =>
  s.symbols.flatMap((x) => x.decisions.filter((d) => d.rejection?.code === code).map((d) => ({ ...d, symbol: x.symbol })));
/** open from its creation until it ended (CLOSED or CANCELLED), else to the end */
const openAt = (t: { createdAt: number; closedAt?: number }, at: number) => t.createdAt <= at && (t.closedAt === undefined || t.closedAt > at);

describe('the live risk envelope in a backtest, two symbols on real candles', () => {
  it('max_open_trades holds across symbols: a second trade waits until the first one ends', async () => {
    const { s, rows } = await run('risk: { max_open_trades: 1 }\n', new AlwaysIn({}), '2021-03-01', '2021-03-04');
    const all = trades(s);
    assert.ok(new Set(all.map((t) => t.symbol)).size === 2, 'both symbols traded');
    // never two open at once: at each trade's creation every other trade had ended
    for (const t of all) for (const o of all) if (o !== t) assert.ok(!openAt(o, t.createdAt) || o.createdAt === t.createdAt && o.id === t.id, `${t.id} opened while ${o.id} was open`);
    const refused = refusals(s, 'MAX_OPEN_TRADES');
    assert.ok(refused.length > 20, `refusals: ${refused.length}`);
    for (const d of refused) {
      // each refusal: exactly the one slot was taken by the other symbol's open trade
      const holders = all.filter((t) => openAt(t, d.at));
      assert.equal(holders.length, 1, `${d.symbol} at ${new Date(d.at).toISOString()}`);
      assert.notEqual(holders[0]!.symbol, d.symbol);
      assert.equal(d.outcome, 'REJECTED');
      assert.match(d.rejection!.reason, /1 of max_open_trades 1 slots are taken \(T-/);
    }
    // journaled as live: a REJECTION row with the code, nothing sent for a refused trade
    assert.equal(rows.filter((r) => r.kind === 'REJECTION' && r.action === 'MAX_OPEN_TRADES').length, refused.length);
    const ordered = new Set(s.symbols.flatMap((x) => x.orders.map((o) => o.tradeId)));
    assert.deepEqual([...ordered].sort(), all.map((t) => t.id).sort());
    assert.ok(rows.some((r) => r.symbol === 'PORTFOLIO' && r.action === 'SLOT_RELEASED'));
  });

  it('the daily loss limit halts on 19 May 2021: PENDING entries cancelled, no entry until the next UTC day, then trading again', async () => {
    const limit = 1.5;
    const { s, rows } = await run(
      `risk: { max_entry_distance_percent: 10, max_stop_distance_percent: 20, max_target_distance_percent: 30, daily_loss_limit_percent: ${limit}, max_drawdown_percent: 50, max_position_size_percent: 25, max_total_exposure_percent: 60, max_trades_per_symbol_per_day: 20, cooldown_cycles: 0 }\n`,
      // BTC buys at the market (it fills and falls); ETH bids 9.5 % under it (PENDING when the halt comes)
      new AlwaysIn({ BTCUSDT: 0, ETHUSDT: 9.5 }, 4, 25),
      '2021-05-19', '2021-05-21',
    );
    const halts = s.halts ?? [];
    assert.ok(halts.some((h) => new Date(h.since).toISOString().startsWith('2021-05-19')), JSON.stringify(halts));
    const all = trades(s);
    const halted = refusals(s, 'PORTFOLIO_HALTED');
    assert.ok(halted.length > 10);
    for (const d of halted) assert.ok(halts.some((h) => d.at >= h.since && d.at < h.since - (h.since % DAY) + DAY), 'refused only while HALTED');
    for (const halt of halts) {
      assert.equal(halt.kind, 'DAILY_LOSS');
      // the rule's arithmetic: the first reading of the UTC day is its start; the halt is the first reading at or past the limit
      const dayStart = halt.since - (halt.since % DAY);
      const day = s.equity.filter((p) => p.at >= dayStart && p.at < dayStart + DAY);
      const start = day[0]!.equity;
      const breach = day.find((p) => ((start - p.equity) / start) * 100 >= limit);
      assert.equal(breach?.at, halt.since, 'halted at the first reading past the limit');
      // no new trade while halted
      const resumeAt = dayStart + DAY;
      assert.ok(!all.some((t) => t.createdAt >= halt.since && t.createdAt < resumeAt), 'no trade created while HALTED');
      assert.ok(halted.some((d) => d.at >= halt.since && d.at < resumeAt), 'PLAN_TRADEs refused as PORTFOLIO_HALTED');
      // what was PENDING at the halt was cancelled right then; what was ACTIVE kept its protection and ended by it
      for (const t of all.filter((x) => openAt(x, halt.since) && x.createdAt < halt.since)) {
        if (t.entryFills.length === 0) {
          assert.equal(t.status, 'CANCELLED');
          assert.equal(t.closedAt, halt.since);
          assert.ok(rows.some((r) => r.tradeId === t.id && r.action === 'PORTFOLIO_HALTED' && r.detail.startsWith('portfolio HALTED (DAILY_LOSS): cancelling the PENDING entry')));
        } else {
          assert.ok(t.status === 'ACTIVE' || t.exitFills.length > 0, `${t.id} kept its stop and targets`);
        }
      }
      // the next UTC day: lifted, and trading again
      if (resumeAt < Date.parse('2021-05-21')) {
        assert.ok(rows.some((r) => r.symbol === 'PORTFOLIO' && r.action === 'RESUMED' && r.at === resumeAt));
        assert.ok(all.some((t) => t.createdAt >= resumeAt), 'a trade the next day');
      }
    }
    // the halt found ETH's entry PENDING and BTC's position ACTIVE
    assert.ok(rows.some((r) => r.symbol === 'ETHUSDT' && r.action === 'PORTFOLIO_HALTED' && r.detail.includes('cancelling the PENDING entry')));
    assert.ok(rows.some((r) => r.symbol === 'BTCUSDT' && r.action === 'PORTFOLIO_HALTED' && r.detail.includes('the ACTIVE position keeps its stop')));
  });

  it('entry expiry and trades per day: the engine cancels an entry after entry_timeout, and a fourth trade of the day is refused', async () => {
    // entries 1.9 % under the market rarely fill: each waits out its timeout
    const { s, rows } = await run('risk: { entry_timeout: 1h, max_trades_per_symbol_per_day: 3, max_open_trades: 2 }\n', new AlwaysIn({ BTCUSDT: 1.9, ETHUSDT: 1.9 }), '2021-03-01', '2021-03-03');
    const expired = trades(s).filter((t) => t.status === 'CANCELLED');
    assert.ok(expired.length >= 4);
    for (const t of expired) {
      assert.equal(t.closedAt! - t.createdAt, 3_600_000, `${t.id} cancelled exactly at its entry_timeout`);
      assert.ok(rows.some((r) => r.tradeId === t.id && r.action === 'ENTRY_EXPIRED'));
    }
    for (const sym of s.symbols) {
      const byDay = new Map<string, number>();
      for (const t of sym.trades) byDay.set(new Date(t.createdAt).toISOString().slice(0, 10), (byDay.get(new Date(t.createdAt).toISOString().slice(0, 10)) ?? 0) + 1);
      for (const [d, n] of byDay) assert.ok(n <= 3, `${sym.symbol} ${d}: ${n} trades`);
      const refused = sym.decisions.filter((d) => d.rejection?.code === 'MAX_TRADES_PER_DAY');
      assert.ok(refused.length > 0, `${sym.symbol}: the fourth of a day refused`);
      for (const d of refused) {
        // the decision at a candle close belongs to the day the close is in
        assert.equal(byDay.get(new Date(d.at).toISOString().slice(0, 10)), 3, 'refused only once 3 were placed that day');
      }
    }
    assert.ok(s.symbols.every((x) => x.decisions.length === (Date.parse('2021-03-03') - Date.parse('2021-03-01')) / M15));
  });

  it('flatten_on_halt on 19 May 2021: the daily-loss HALT closes the ACTIVE BTC position at market through the OMS flatten, journaled as live', async () => {
    const { s, rows } = await run(
      'risk: { max_entry_distance_percent: 10, max_stop_distance_percent: 20, max_target_distance_percent: 30, daily_loss_limit_percent: 1.5, max_drawdown_percent: 50, max_position_size_percent: 25, max_total_exposure_percent: 60, max_trades_per_symbol_per_day: 20, cooldown_cycles: 0, flatten_on_halt: true }\n',
      new AlwaysIn({ BTCUSDT: 0, ETHUSDT: 9.5 }, 4, 25),
      '2021-05-19', '2021-05-20',
    );
    const halt = (s.halts ?? [])[0]!;
    assert.equal(halt?.kind, 'DAILY_LOSS');
    const btc = s.symbols.find((x) => x.symbol === 'BTCUSDT')!;
    const flattened = btc.trades.filter((t) => t.closeReason?.includes('flatten_on_halt'));
    assert.equal(flattened.length, 1, 'the one BTC position open at the halt was flattened');
    const t = flattened[0]!;
    assert.ok(t.createdAt < halt.since);
    assert.equal(t.status, 'CLOSED');
    assert.equal(t.closedAt, halt.since, 'closed at the halt, not later by its stop');
    assert.match(t.closeReason!, /^flattened at market on a portfolio HALT \(flatten_on_halt\): portfolio HALTED \(DAILY_LOSS\): /);
    assert.ok(t.exitFills.length > 0 && t.exitFills.every((f) => f.reason === 'MANUAL'), 'closed by the market order');
    const bought = t.entryFills.reduce((n, f) => n + f.quantity, 0);
    const sold = t.exitFills.reduce((n, f) => n + f.quantity, 0);
    assert.ok(Math.abs(bought - sold) < 1e-9, `the whole position sold: ${bought} bought, ${sold} sold`);
    assert.ok(t.realizedPnl! < 0);
    // the exchange saw one market SELL under the flatten's deterministic id, at the halt, after the protection
    const markets = btc.orders.filter((o) => o.type === 'MARKET');
    assert.deepEqual(markets.map((o) => [o.clientOrderId, o.side, o.at]), [[flattenClientId(t.id), 'sell', halt.since]]);
    assert.ok(Math.abs(markets[0]!.quantity - sold) < 1e-9);
    // the trade log as the live trader writes it (the rows portfolio-flatten-on-halt reads from the CSV)
    const mine = rows.filter((r) => r.tradeId === t.id);
    assert.ok(mine.some((r) => r.kind === 'CONTROL' && r.action === 'FLATTEN_ON_HALT' && r.detail.includes('flatten_on_halt: closing the ACTIVE position at market')));
    assert.ok(mine.some((r) => r.kind === 'ORDER' && r.action === 'FLATTEN_ON_HALT' && r.detail === 'flatten on halt EXECUTED'));
    const orderRows = mine.filter((r) => r.kind === 'ORDER').map((r) => r.detail);
    assert.ok(orderRows.some((d) => d.includes(`cancelled protection ${otocoListClientId(t.id)} to flatten ${t.id}`)), orderRows.join(' | '));
    assert.ok(orderRows.some((d) => d.includes('market SELL') && d.includes(flattenClientId(t.id))), orderRows.join(' | '));
    // ETH's PENDING entry is cancelled as without flatten; no trade while HALTED; the slot went back
    assert.ok(rows.some((r) => r.symbol === 'ETHUSDT' && r.action === 'PORTFOLIO_HALTED' && r.detail.includes('cancelling the PENDING entry')));
    // the window ends on the next UTC day's first candle, when the halt lifts and BTC may enter again
    const resumeAt = halt.since - (halt.since % DAY) + DAY;
    assert.ok(!trades(s).some((x) => x.createdAt >= halt.since && x.createdAt < resumeAt), 'no trade created while HALTED');
    assert.ok(rows.some((r) => r.symbol === 'PORTFOLIO' && r.action === 'SLOT_RELEASED' && r.detail.includes(t.id)));
  });

  it('flatten_on_halt, the market order filled in part (thin candle): the rest gets its stop and targets back at once and ends by them', async () => {
    // one order takes at most 0.002 % of a candle's volume: entries fill over candles, the flatten's one market order cannot sell it all
    const config = parseConfig('symbols: [BTCUSDT]\ntimeframes: [15m, 1h]\nrisk: { max_entry_distance_percent: 10, max_stop_distance_percent: 20, max_target_distance_percent: 30, daily_loss_limit_percent: 1.5, max_drawdown_percent: 50, max_position_size_percent: 25, max_total_exposure_percent: 60, max_trades_per_symbol_per_day: 20, cooldown_cycles: 0, flatten_on_halt: true }\n');
    const from = Date.parse('2021-05-19');
    const to = Date.parse('2021-05-20');
    const { data } = loadBacktestData({ dir: sharedCandlesDir(), symbols: ['BTCUSDT'], decisionTimeframe: '15m', from, to, matching: 'none' });
    const engine: EngineOptions = {
      data, from, to, timeframes: config.timeframes, cycleIntervalMs: M15, decideEvery: 1, balances: { USDT: 10_000 }, quoteCurrency: 'USDT', feeRate: 0.001, risk: config.risk,
      envelope: { rules: symbolEntryRules(config.risk), portfolio: portfolioLimits(config.risk) }, participation: 2e-5,
    };
    const { run: s, rows } = await runStrategist(engine, { name: 'always-in', kind: 'custom', strategist: new AlwaysIn({ BTCUSDT: 0 }, 4, 25) });
    const halt = (s.halts ?? [])[0]!;
    assert.equal(halt?.kind, 'DAILY_LOSS');
    const btc = s.symbols[0]!;
    const t = btc.trades.find((x) => x.createdAt < halt.since && x.exitFills.some((f) => f.reason === 'MANUAL'))!;
    assert.ok(t, 'the position open at the halt was flattened (in part)');
    const bought = t.entryFills.reduce((n, f) => n + f.quantity, 0);
    const flat = t.exitFills.filter((f) => f.reason === 'MANUAL');
    const sold = flat.reduce((n, f) => n + f.quantity, 0);
    assert.ok(flat.every((f) => f.at === halt.since), 'the market order filled at the halt');
    assert.ok(sold > 0 && sold < bought - 1e-9, `in part: ${sold} of ${bought}`);
    // one market SELL for the whole position; what the candle could not fill expired (it is never placed again)
    const markets = btc.orders.filter((o) => o.type === 'MARKET');
    assert.deepEqual(markets.map((o) => [o.clientOrderId, o.side, o.at]), [[flattenClientId(t.id), 'sell', halt.since]]);
    assert.ok(Math.abs(markets[0]!.quantity - bought) < 1e-9);
    const mine = rows.filter((r) => r.tradeId === t.id);
    assert.ok(mine.some((r) => r.kind === 'ORDER' && r.detail.includes(`(${flattenClientId(t.id)}) to flatten ${t.id}: EXPIRED, filled ${sold}`)), mine.map((r) => r.detail).join(' | '));
    // the rest is protected again at once, at the trade's own stop and target (the state machine's ENSURE_PROTECTION after a manual close)
    const rest = Math.round((bought - sold) * 1e8) / 1e8;
    const reprotected = mine.find((r) => r.kind === 'ORDER' && r.action === 'ENSURE_PROTECTION' && r.at === halt.since);
    assert.ok(reprotected, mine.map((r) => `${r.kind} ${r.action} ${r.detail}`).join(' | '));
    assert.match(reprotected.detail, new RegExp(`^protection placed: OCO SELL ${rest} at [0-9.]+ / stop ${t.stopLossPrice} `));
    const restOrders = btc.orders.filter((o) => o.tradeId === t.id && o.at === halt.since && o.type !== 'MARKET');
    assert.ok(restOrders.some((o) => o.type === 'STOP_LOSS' && Math.abs(o.quantity - rest) < 1e-9), JSON.stringify(restOrders));
    // it stays open through the halt and ends by that protection, all of it sold
    assert.equal(t.status, 'CLOSED');
    const later = t.exitFills.filter((f) => f.reason !== 'MANUAL');
    assert.ok(later.length > 0 && later.every((f) => f.at > halt.since && (f.reason === 'STOP' || f.reason === 'TARGET')), JSON.stringify(t.exitFills));
    assert.ok(Math.abs(t.exitFills.reduce((n, f) => n + f.quantity, 0) - bought) < 1e-9);
  });

  it('strategist.max_reasoning_chars bounds the reasoning the strategist step lets through, as live', async () => {
    class Verbose implements Strategist {
      readonly kind = 'rules' as const;
      readonly description = 'verbose';
      async propose(): Promise<Proposal> {
        return { ok: true, source: 'rules', command: { action: 'DO_NOTHING', reasoning: 'x'.repeat(5_000) } };
      }
    }
    const { s, rows } = await run('strategist: { max_reasoning_chars: 120 }\n', new Verbose(), '2021-03-01', '2021-03-01T02:00:00Z');
    const decisions = s.symbols.flatMap((x) => x.decisions).filter((d) => d.command.action === 'DO_NOTHING' && d.accepted);
    assert.ok(decisions.length > 0);
    // live (src/domain/answerBounds.ts capText): the first 120 characters kept, then a marker saying how many were cut
    const cut = `${'x'.repeat(120)}…[cut: 4880 more characters]`;
    for (const d of decisions) assert.equal(d.command.reasoning, cut);
    const decisionRows = rows.filter((r) => r.kind === 'DECISION');
    assert.equal(decisionRows.length, decisions.length);
    for (const r of decisionRows) assert.ok(r.detail.includes(cut) && !r.detail.includes('x'.repeat(121)), `the DECISION row carries the cut reasoning: ${r.detail.slice(0, 300)}`);
  });
});
