import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Order, Trade as CcxtTrade } from 'ccxt';
import { createActivities } from '../../src/activities';
import type { AllActivities } from '../../src/activities';
import { RiskConfig } from '../../src/config/schema';
import type { Candle } from '../../src/domain/market';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator } from '../../src/simulator';
import { openTradeLog, readTradeLog, type TradeLogRecord } from '../../src/journal/tradeLog';
import { ORDER_MONITOR_WORKFLOW_ID, stopSignal, traderWorkflowId } from '../../src/contract';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import type { Strategist } from '../../src/strategist/strategist';
import { withWorker } from './temporalEnv';

/**
 * The slow, faithful path of the parity test: the real symbolTrader and orderMonitor workflows on
 * the time-skipping Temporal server, the real activities (ccxt gateway over HTTP to the simulator,
 * the OMS, the trade log file), the simulator's candle replay stepped by the market clock.
 *
 * The market clock follows workflow time: every activity, before it runs, reveals (and matches) the
 * candles that have closed by `market(W)`, W being the time the server scheduled it. Cycle k runs at
 * W0 + (k-1) x 15 min and sees decision candle k closed; candle k+1 becomes visible 7.5 minutes of
 * workflow time before cycle k+1, so the order monitor (polling every 5 minutes) finds its fills and
 * the trader handles them before the next cycle, as the backtest does after every matched candle.
 */

export const CYCLE_MS = 15 * 60_000;
const LEAD_MS = CYCLE_MS / 2;
const MONITOR_INTERVAL_MS = 5 * 60_000;
const API_KEY = 'parity-key-1a2b3c4d';
const API_SECRET = 'parity-secret-5e6f7a8b';

export interface TemporalPathResult {
  orders: Order[];
  fills: CcxtTrade[];
  journal: TradeLogRecord[];
}

export interface TemporalPathInput {
  env: TestWorkflowEnvironment;
  symbol: string;
  candleFile: string;
  /** the decision candles: [seed, 1..cycles] (the seed is the last candle before the window) */
  candles: readonly Candle[];
  cycles: number;
  strategist: Strategist;
  timeframes: string[];
}

export async function runThroughTemporal(input: TemporalPathInput): Promise<TemporalPathResult> {
  const { env, symbol, candles, cycles } = input;
  const dir = await mkdtemp(join(tmpdir(), 'de-parity-'));
  const sim = await startSimulator({
    feed: { kind: 'candles', files: { [symbol]: input.candleFile }, startAt: candles[0]!.timestamp },
    accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
  });
  const exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret: API_SECRET }, timeoutMs: 10_000, rateLimitMs: 1 });
  const journalPath = join(dir, 'trade_log.csv');
  const real = createActivities({
    gateway: new ExchangeGateway(exchange, { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } }),
    strategist: input.strategist,
    tradeLog: openTradeLog(journalPath),
    timeframes: input.timeframes as never,
    risk: RiskConfig.parse({}),
    secrets: [API_KEY, API_SECRET],
    orderMonitor: { intervalMs: MONITOR_INTERVAL_MS },
  });

  // ---- the market clock, stepped by workflow time
  const seedClose = candles[0]!.timestamp + CYCLE_MS;
  const closes = candles.slice(1).map((c) => c.timestamp + CYCLE_MS);
  let revealed = 0;
  let w0: number | undefined;
  let step: Promise<void> = Promise.resolve();
  const catchUp = (): Promise<void> => {
    const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
    w0 ??= scheduled;
    const market = seedClose + CYCLE_MS + (scheduled - w0) + LEAD_MS;
    step = step.then(async () => {
      while (revealed < closes.length && closes[revealed]! <= market) {
        await sim.advance(1);
        revealed++;
      }
    });
    return step;
  };
  const waiters: Array<() => void> = [];
  const activities = Object.fromEntries(
    Object.entries(real).map(([name, fn]) => [
      name,
      async (arg: unknown) => {
        await catchUp();
        const out = await (fn as (a: unknown) => Promise<unknown>)(arg);
        if (name === 'appendTradeLog') {
          waiters.splice(0).forEach((w) => w());
        }
        return out;
      },
    ]),
  ) as unknown as AllActivities;

  try {
    await withWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId(symbol),
        // no reconciliation between cycles: the backtest has none, and here every activity advances the
        // market clock, so a between-cycles reconciliation would move the market the parity compares
        args: [{ symbol, cycleIntervalMs: CYCLE_MS, mode: 'paper', reconcileIntervalMs: 7 * 24 * 3_600_000 }],
      });
      for (let k = 1; k <= cycles; k++) {
        await until(async () => countCycles(await readTradeLog(journalPath, { symbol })) >= k, waiters, `cycle ${k} journaled`);
        if (k < cycles) await env.sleep(CYCLE_MS);
      }
      await handle.signal(stopSignal);
      await handle.result();
      const monitor = env.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
      await monitor.terminate('parity run done').catch(() => {});
    });
    return {
      orders: await exchange.fetchOrders('BTC/USDT', undefined, 1000),
      fills: await exchange.fetchMyTrades('BTC/USDT', undefined, 1000),
      journal: await readTradeLog(journalPath, { symbol }),
    };
  } finally {
    await exchange.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function countCycles(rows: TradeLogRecord[]): number {
  // one DECISION row per cycle carries the command (describeCommand); a second one only says "not carried out"
  return rows.filter((r) => r.kind === 'DECISION' && !r.detail.startsWith('not carried out')).length;
}

/** resolves when the check holds, re-checked after every trade log write; fails after 60 s of nothing */
async function until(check: () => Promise<boolean>, waiters: Array<() => void>, what: string): Promise<void> {
  for (;;) {
    if (await check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`parity harness: timed out waiting for ${what}`)), 60_000);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
