import { Context } from '@temporalio/activity';
import type { SymbolTraderActivities } from '../../src/activities';
import type { OmsResult, ReconcileResult, StrategistDecision } from '../../src/contract/results';
import type { TradeLogRow } from '../../src/domain/tradeLogRow';
import type { MarketSnapshot } from '../../src/strategist/marketSnapshot';
import type { Candle } from '../../src/domain/market';
import { candleFilePath, readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot } from '../../src/strategist/marketSnapshot';
import { resampleCandles } from '../../src/strategist/resample';
import { Waiters } from './waiters';

/**
 * Activities that answer at once, for measuring the orchestration alone: no exchange, no strategist,
 * every cycle DO_NOTHING. Payloads keep their real size (the market snapshot is built by the
 * product's own code from real BTC/USDT 15m candles, on the config's 15m/1h/4h timeframes), since
 * what the workflow carries through history is part of its cost. Every call is recorded with its
 * wall-clock start and end in this process, so activity time can be subtracted exactly.
 */

export interface ActivityRecord {
  name: string;
  workflowId: string;
  start: number;
  end: number;
  /** askStrategist: the cycle's sequence; appendTradeLog: the highest sequence of a DECISION row in it */
  sequence?: number;
}

export class ActivityRecorder {
  readonly records: ActivityRecord[] = [];
  /** per workflow: sequences whose DECISION row reached the trade log (= cycles completed) */
  readonly completedCycles = new Map<string, number>();
  readonly #waiters = new Waiters();

  record(name: string, start: number, sequence?: number): void {
    const end = performance.timeOrigin + performance.now();
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '(none)';
    this.records.push({ name, workflowId, start, end, ...(sequence !== undefined ? { sequence } : {}) });
    if (name === 'appendTradeLog' && sequence !== undefined) {
      this.completedCycles.set(workflowId, Math.max(this.completedCycles.get(workflowId) ?? 0, sequence));
      this.#waiters.wake();
    }
  }

  /** how many workflows have completed at least `cycles` cycles */
  workflowsAt(cycles: number): number {
    let n = 0;
    for (const done of this.completedCycles.values()) if (done >= cycles) n++;
    return n;
  }

  /** resolves when the condition holds, checked after each completed cycle; false on timeout */
  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.until(check, timeoutMs);
  }
}

/** wall clock with sub-millisecond resolution, comparable with Date.now() */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

let snapshotTemplate: MarketSnapshot | undefined;

/** a snapshot of real size and shape, built once from the shared candle files */
export function realisticSnapshot(symbol: string): MarketSnapshot {
  if (!snapshotTemplate) {
    const candles15m = readCandleFile(candleFilePath(sharedCandlesDir(), 'BTCUSDT', '15m'));
    const until = candles15m[candles15m.length - 1]!.timestamp;
    const recent: Candle[] = candles15m.slice(-200 * 16);
    const last = recent[recent.length - 1]!;
    snapshotTemplate = buildMarketSnapshot({
      symbol: 'BTCUSDT',
      ticker: { last: last.close, bid: last.close - 0.01, ask: last.close + 0.01, timestamp: until },
      candles: [
        { timeframe: '15m', candles: recent.slice(-200) },
        { timeframe: '1h', candles: resampleCandles(recent, 3_600_000, until).slice(-200) },
        { timeframe: '4h', candles: resampleCandles(recent, 4 * 3_600_000, until).slice(-200) },
      ],
    });
  }
  return { ...snapshotTemplate, symbol };
}

const NOTHING: OmsResult = { outcome: 'NOTHING_TO_DO', trade: null, events: [], alerts: [] };

/** every activity the symbolTrader calls, answering at once; a cycle is always DO_NOTHING */
/** benchmarked traders run without the risk envelope: no slot activities */
export function instantActivities(recorder: ActivityRecorder): Omit<SymbolTraderActivities, 'requestSlot' | 'releaseSlot' | 'flattenPosition'> {
  return {
    async reconcileSymbol(input): Promise<ReconcileResult> {
      const start = now();
      recorder.record('reconcileSymbol', start);
      return { trade: input.trade, events: [], report: [] };
    },
    async fetchMarketData(input): Promise<MarketSnapshot> {
      const start = now();
      const snapshot = realisticSnapshot(input.symbol);
      recorder.record('fetchMarketData', start);
      return snapshot;
    },
    async askStrategist(input): Promise<StrategistDecision> {
      const start = now();
      const answer: StrategistDecision = {
        command: { action: 'DO_NOTHING', reasoning: `no setup on ${input.symbol}: price inside the range, RSI neutral, waiting for a break` },
        source: 'rules',
        accepted: true,
      };
      recorder.record('askStrategist', start, input.sequence);
      return answer;
    },
    async executeAiCommand(): Promise<OmsResult> {
      const start = now();
      recorder.record('executeAiCommand', start);
      return NOTHING;
    },
    async ensureProtection(input): Promise<OmsResult> {
      const start = now();
      recorder.record('ensureProtection', start);
      return { ...NOTHING, trade: input.trade };
    },
    async cancelPendingOrder(input): Promise<OmsResult> {
      const start = now();
      recorder.record('cancelPendingOrder', start);
      return { ...NOTHING, trade: input.trade };
    },
    async cancelProtection(input): Promise<OmsResult> {
      const start = now();
      recorder.record('cancelProtection', start);
      return { ...NOTHING, trade: input.trade };
    },
    async watchOrders(): Promise<void> {
      recorder.record('watchOrders', now());
    },
    async appendTradeLog(input: { rows: TradeLogRow[] }): Promise<void> {
      const start = now();
      let decided: number | undefined;
      for (const row of input.rows) if (row.kind === 'DECISION') decided = Math.max(decided ?? 0, row.sequence ?? 0);
      recorder.record('appendTradeLog', start, decided);
    },
  };
}
