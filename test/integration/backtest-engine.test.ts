import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBacktestData } from '../../src/backtest/data';
import { runStrategist, type EngineOptions } from '../../src/backtest/engine';
import { loadCustomStrategist } from '../../src/backtest/strategists';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand } from '../../src/domain/commands';
import type { Candle } from '../../src/domain/market';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import type { Proposal, Strategist, StrategistRequest } from '../../src/strategist/strategist';

const M15 = 15 * 60_000;
const M5 = 5 * 60_000;

function engine(data: EngineOptions['data'], from: number, to: number, timeframes = ['15m', '1h', '4h']): EngineOptions {
  return { data, from, to, timeframes, cycleIntervalMs: M15, decideEvery: 1, balances: { USDT: 10_000 }, quoteCurrency: 'USDT', feeRate: 0.001, risk: RiskConfig.parse({}) };
}

/** answers with a function of the request, remembering every request */
class Scripted implements Strategist {
  readonly kind = 'rules' as const;
  readonly description = 'scripted';
  readonly requests: StrategistRequest[] = [];
  constructor(private readonly answer: (r: StrategistRequest) => AiCommand) {}
  async propose(r: StrategistRequest): Promise<Proposal> {
    this.requests.push(structuredClone(r));
    return { ok: true, source: 'rules', command: this.answer(r) };
  }
}

describe('backtest engine over real candles', () => {
  it('gives a strategist no future data: one that would trade on the next candle never sees it', async () => {
    const file = readCandleFile(join(sharedCandlesDir(), 'BTCUSDT-15m.csv'));
    const from = Date.parse('2021-03-01T00:00:00Z');
    const to = Date.parse('2021-03-03T00:00:00Z');
    const byOpen = new Map(file.map((c) => [c.timestamp, c]));
    let peeked = 0;
    // it buys only when the snapshot holds the candle that is still forming, whose close it would know
    const cheat = new Scripted(({ symbol, trade, snapshot }) => {
      const forming = snapshot.timeframes[0]!.candles.find((c) => c.timestamp + M15 > snapshot.at);
      if (!forming || trade) return { action: 'DO_NOTHING', reasoning: 'no peek' };
      peeked++;
      const e = snapshot.last;
      return { action: 'PLAN_TRADE', trade_setup: { symbol, direction: 'LONG', entry_price: e, stop_loss_price: e * 0.99, take_profit_prices: [e * 1.02], position_size_percent: 10 }, reasoning: 'peeked' };
    });
    const { data } = loadBacktestData({ dir: sharedCandlesDir(), symbols: ['BTCUSDT'], decisionTimeframe: '15m', from, to, matching: 'none' });
    const result = await runStrategist(engine(data, from, to), { name: 'cheat', kind: 'custom', strategist: cheat });
    assert.equal(cheat.requests.length, (to - from) / M15);
    assert.equal(peeked, 0, 'no snapshot held a candle that had not closed');
    assert.equal(result.run.symbols[0]!.trades.length, 0);
    for (const r of cheat.requests) {
      const decidedAt = r.snapshot.at + 1; // the simulator's ticker time is the clock minus 1 ms
      for (const tf of r.snapshot.timeframes) {
        const period = { '15m': M15, '1h': 4 * M15, '4h': 16 * M15 }[tf.timeframe]!;
        for (const c of tf.candles) assert.ok(c.timestamp + period <= decidedAt, `${tf.timeframe} candle ${new Date(c.timestamp).toISOString()} closed before ${new Date(decidedAt).toISOString()}`);
      }
      // the last price is the close of the candle that just closed, never anything later
      assert.equal(r.snapshot.last, byOpen.get(decidedAt - M15)!.close);
      assert.ok(r.snapshot.timeframes[0]!.history <= 200);
    }
  });

  it('runs the example custom strategy (strategies/breakout.ts) through validation, the OMS and the exchange', async () => {
    const strategist = await loadCustomStrategist('./strategies/breakout.ts');
    const from = Date.parse('2021-01-04T00:00:00Z');
    const to = Date.parse('2021-01-11T00:00:00Z');
    const { data } = loadBacktestData({ dir: sharedCandlesDir(), symbols: ['BTCUSDT'], decisionTimeframe: '15m', from, to, matching: 'none' });
    const { run, rows } = await runStrategist(engine(data, from, to), { name: 'breakout', kind: 'custom', strategist });
    const s = run.symbols[0]!;
    const planned = s.decisions.filter((d) => d.command.action === 'PLAN_TRADE');
    assert.ok(planned.length >= 3, `it planned trades (${planned.length})`);
    assert.ok(s.trades.some((t) => t.status === 'CLOSED' && t.realizedPnl !== undefined), 'a trade went all the way to CLOSED with its PnL');
    for (const t of s.trades.filter((x) => x.status !== 'CANCELLED')) assert.ok(s.orders.some((o) => o.tradeId === t.id && o.type === 'STOP_LOSS'), `${t.id} was protected by a stop`);
    // its commands went through the same semantic validation as an LLM's: some were refused, with the reason journaled
    const refused = s.decisions.filter((d) => !d.accepted);
    assert.ok(refused.some((d) => d.rejection?.stage === 'validation'), 'validation refused some of its commands');
    // the rest were cycles the live stale-data guard refuses: a 15m candle moving the last price over 3 % from the newest closed one
    for (const d of refused.filter((x) => x.rejection?.stage !== 'validation')) {
      assert.deepEqual([d.rejection?.stage, d.rejection?.code], ['market', 'INCONSISTENT_MARKET_DATA'], d.rejection?.reason);
    }
    assert.ok(rows.some((r) => r.kind === 'DECISION' && r.detail.includes('breakout:')));
  });

  it('matches fills on finer candles when there are any: a candle touching stop and target exits at the target the 5m candles reached first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-intrabar-'));
    const t0 = Date.parse('2021-01-01T00:00:00Z');
    const flat = (t: number): Candle => ({ timestamp: t, open: 100, high: 100.1, low: 99.95, close: 100, volume: 1000 });
    const history = Array.from({ length: 40 }, (_, i) => flat(t0 + i * M15));
    const p = t0 + 40 * M15; // the decision to plan is taken at P's close
    const a = p + M15; // the entry fills inside A
    const b = a + M15; // B touches the target and the stop
    const after = Array.from({ length: 3 }, (_, i) => flat(b + (i + 1) * M15));
    const coarse: Candle[] = [...history, flat(p), { timestamp: a, open: 100, high: 100.2, low: 99.5, close: 100, volume: 1000 }, { timestamp: b, open: 100, high: 103.5, low: 97.5, close: 100, volume: 1000 }, ...after];
    const fine: Candle[] = [];
    for (const c of coarse) {
      if (c.timestamp === b) {
        fine.push({ timestamp: b, open: 100, high: 103.5, low: 99.8, close: 103, volume: 300 }, { timestamp: b + M5, open: 103, high: 103, low: 97.5, close: 98, volume: 300 }, { timestamp: b + 2 * M5, open: 98, high: 100, low: 98, close: 100, volume: 300 });
      } else if (c.timestamp === a) {
        fine.push({ timestamp: a, open: 100, high: 100.2, low: 99.5, close: 100, volume: 300 }, { timestamp: a + M5, open: 100, high: 100.1, low: 99.95, close: 100, volume: 300 }, { timestamp: a + 2 * M5, open: 100, high: 100.1, low: 99.95, close: 100, volume: 300 });
      } else {
        for (let k = 0; k < 3; k++) fine.push({ timestamp: c.timestamp + k * M5, open: 100, high: 100.1, low: 99.95, close: 100, volume: 300 });
      }
    }
    const csv = (cs: Candle[]) => ['timestamp_ms,open,high,low,close,volume', ...cs.map((c) => [c.timestamp, c.open, c.high, c.low, c.close, c.volume].join(','))].join('\n') + '\n';
    writeFileSync(join(dir, 'BTCUSDT-15m.csv'), csv(coarse));
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), csv(fine));
    const plan = (): Scripted =>
      new Scripted(({ symbol, trade }) =>
        trade
          ? { action: 'DO_NOTHING', reasoning: 'holding' }
          : { action: 'PLAN_TRADE', trade_setup: { symbol, direction: 'LONG', entry_price: 99.9, stop_loss_price: 98, take_profit_prices: [103], position_size_percent: 5 }, reasoning: 'buy the dip' },
      );
    const outcome = async (matching: string) => {
      const { data } = loadBacktestData({ dir, symbols: ['BTCUSDT'], decisionTimeframe: '15m', from: p, to: after[2]!.timestamp + M15, matching });
      const { run } = await runStrategist(engine(data, p, after[2]!.timestamp + M15, ['15m']), { name: matching, kind: 'custom', strategist: plan() });
      return { matchingTimeframe: data[0]!.matchingTimeframe, trade: run.symbols[0]!.trades[0]! };
    };
    const onDecision = await outcome('none');
    assert.equal(onDecision.matchingTimeframe, '15m');
    assert.equal(onDecision.trade.status, 'CLOSED');
    assert.equal(onDecision.trade.exitFills.at(-1)!.reason, 'STOP', 'one 15m candle through both legs: the pessimistic rule exits at the stop');

    const intrabar = await outcome('auto');
    assert.equal(intrabar.matchingTimeframe, '5m');
    assert.equal(intrabar.trade.status, 'CLOSED');
    const exit = intrabar.trade.exitFills.at(-1)!;
    assert.equal(exit.reason, 'TARGET', 'the 5m candles reached the target before the stop');
    assert.equal(exit.price, 103);
    assert.equal(exit.at, b + M5, 'filled at the close of the first 5m candle of B');
    assert.ok(intrabar.trade.realizedPnl! > 0 && onDecision.trade.realizedPnl! < 0);
  });
});
