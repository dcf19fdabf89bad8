import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { AllActivities } from '../../src/activities';
import type { TradeLogRow } from '../../src/domain/tradeLogRow';
import { RiskConfig } from '../../src/config/schema';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import { openTradeLog } from '../../src/journal/tradeLog';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { LlmStrategist, type LlmStrategistOptions } from '../../src/strategist/llmStrategist';
import type { Strategist } from '../../src/strategist/strategist';
import { FakeLlmServer } from './fakeLlmServer';

/**
 * The real activities the worker registers, over the real parts: the simulator replaying the shared
 * real candles, real ccxt through the gateway, the real openai client against the scripted LLM
 * server, the trade log in a temp dir. For tests that run the real symbolTrader workflow end to end.
 * The only addition is an observer on appendTradeLog, so a test can wait for the rows of a cycle
 * (the real activity runs first; nothing is replaced).
 */

export const BED_KEY = 'bed-key-31f0a9';
export const BED_SECRET = 'bed-secret-c84d27';
export const BED_OPENAI_KEY = 'sk-bed-openai-5e6f7a8b9c';

export interface RealTraderBed {
  sim: SimulatorHandle;
  llm: FakeLlmServer;
  dir: string;
  activities: AllActivities;
  /** every row the workflow appended so far */
  rows: TradeLogRow[];
  /** resolves when a row matching `check` has been appended */
  untilRow(check: (row: TradeLogRow) => boolean, what: string, timeoutMs?: number): Promise<TradeLogRow>;
  close(): Promise<void>;
}

export interface BedOptions {
  risk?: RiskConfig;
  sim?: Partial<SimulatorOptions>;
  llm?: Partial<LlmStrategistOptions>;
  /** wrap the LLM strategist (e.g. in the budget guard); default: the LLM strategist itself */
  strategist?: (llm: LlmStrategist, deps: { dir: string }) => Strategist;
  deps?: Partial<ActivityDeps>;
}

export async function realTraderBed(opts: BedOptions = {}): Promise<RealTraderBed> {
  const dir = mkdtempSync(join(tmpdir(), 'de-real-trader-'));
  const llm = await FakeLlmServer.start();
  const sim = await startSimulator({
    feed: { kind: 'candles', files: { BTCUSDT: join(sharedCandlesDir(), 'BTCUSDT-15m.csv') } },
    accounts: [{ apiKey: BED_KEY, apiSecret: BED_SECRET, balances: { USDT: 10_000 } }],
    ...opts.sim,
  });
  const exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: BED_KEY, secret: BED_SECRET }, timeoutMs: 5_000, rateLimitMs: 1 });
  const secrets = [BED_KEY, BED_SECRET, BED_OPENAI_KEY];
  const llmStrategist = new LlmStrategist({
    baseUrl: llm.baseUrl, apiKey: BED_OPENAI_KEY, model: 'fake-model', temperature: 0, timeoutMs: 10_000, maxRetries: 0, maxPromptTokens: 4_000,
    ...opts.llm,
  });
  const real = createActivities({
    gateway: new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } }),
    strategist: opts.strategist ? opts.strategist(llmStrategist, { dir }) : llmStrategist,
    tradeLog: openTradeLog(join(dir, 'trade_log.csv'), { secrets }),
    timeframes: ['15m', '1h'],
    risk: opts.risk ?? RiskConfig.parse({}),
    secrets,
    ...opts.deps,
  });
  const rows: TradeLogRow[] = [];
  const waiters: Array<() => void> = [];
  const activities: AllActivities = {
    ...real,
    async appendTradeLog(input: { rows: TradeLogRow[] }) {
      await real.appendTradeLog(input);
      rows.push(...input.rows);
      for (const w of [...waiters]) w();
    },
  };
  return {
    sim,
    llm,
    dir,
    activities,
    rows,
    untilRow(check, what, timeoutMs = 60_000) {
      const found = rows.find(check);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for: ${what}\nrows: ${rows.map((r) => `${r.kind} ${r.detail.slice(0, 120)}`).join('\n')}`));
        }, timeoutMs);
        const waiter = () => {
          const row = rows.find(check);
          if (!row) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(row);
        };
        waiters.push(waiter);
      });
    },
    async close() {
      await exchange.close();
      await sim.close();
      await llm.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** bytes of every payload in one history event (inputs, results, signals, memo, search attributes) */
export function payloadBytes(node: unknown): number {
  if (node instanceof Uint8Array) return node.byteLength;
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + payloadBytes(x), 0);
  if (node && typeof node === 'object') return Object.values(node).reduce((n: number, x) => n + payloadBytes(x), 0);
  return 0;
}
