import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { startTraders } from '../../src/cli/traders';
import { registerSearchAttributes } from '../../src/cli/searchAttributes';
import { loadConfig } from '../../src/config/load';
import type { TradingConfig } from '../../src/config/schema';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contract/searchAttributes';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { freePort } from '../../src/devstack/freePort';
import { findTemporalCli, startDevServer, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../../src/worker';
import { FakeLlmServer, structured } from './fakeLlmServer';
import { eventually } from './portfolioHarness';
// the SDK's INFO chatter off (Runtime.install there), as in every workflow test
import './temporalEnv';
import { quietCadence } from './quietCadence';

/**
 * The product as a newcomer runs it, for the Web UI tests: the Temporal CLI's dev server WITH its
 * Web UI (started the way npm start starts it), the paper exchange simulator on real BTCUSDT
 * candles, the product's own worker (createWorker, buildActivityDeps: keys from the environment)
 * and the symbols started by the product's startTraders (static summary and details included).
 * The strategist is the LLM strategist against the scripted OpenAI-compatible server. The worker's
 * environment holds real-looking keys, so a test can assert they appear nowhere in what the UI shows.
 */

export const SECRETS = {
  OPENAI_API_KEY: 'sk-webui-openai-9d8c7b6a5f',
  BINANCE_API_KEY: 'webui-binance-key-1a2b3c4d',
  BINANCE_API_SECRET: 'webui-binance-secret-5e6f7a8b',
} as const;
const PAPER_KEY = 'webui-paper-key';
const PAPER_SECRET = 'webui-paper-secret';
const TASK_QUEUE = 'webui-test';

export interface WebUiStack {
  dir: string;
  server: TemporalServerHandle;
  /** the dev server's Web UI, e.g. http://localhost:45123 */
  uiUrl: string;
  client: Client;
  sim: SimulatorHandle;
  llm: FakeLlmServer;
  config: TradingConfig;
  ex: ReturnType<typeof createCcxtForSimulator>;
  start(symbols: string[]): ReturnType<typeof startTraders>;
  trader(symbol: string): WorkflowHandle;
  traderState(symbol: string): Promise<SymbolTraderState>;
  close(): Promise<void>;
}

export async function webUiStack(): Promise<WebUiStack> {
  const dir = mkdtempSync(join(tmpdir(), 'de-webui-'));
  const cliPath = findTemporalCli();
  if (!cliPath) throw new Error('the Temporal CLI must be installed (bash scripts/setup-temporal.sh)');
  const uiPort = await freePort();
  const server = await startDevServer({
    cliPath,
    address: `127.0.0.1:${await freePort()}`,
    uiPort,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
  });
  await registerSearchAttributes(server.connection, 'default', SEARCH_ATTRIBUTE_KEYS);
  const sim = await startSimulator({
    feed: { kind: 'candles', files: { BTCUSDT: join(sharedCandlesDir(), 'BTCUSDT-15m.csv') }, startAt: Date.UTC(2021, 1, 1) },
    accounts: [{ apiKey: PAPER_KEY, apiSecret: PAPER_SECRET, balances: { USDT: 10_000 } }],
    stateFile: join(dir, 'simulator-state.json'),
  });
  const llm = await FakeLlmServer.start();
  const configPath = join(dir, 'trading_config.yaml');
  writeFileSync(
    configPath,
    [
      'symbols: [BTCUSDT]',
      ...quietCadence().lines, // cycle 1 at once, and no grid point while the test runs
      'timeframes: [15m, 1h]',
      `exchange: { mode: paper, simulator_url: "${sim.url}" }`,
      `strategist: { kind: llm, model: fake-model, base_url: "${llm.baseUrl}", timeout: 10s, max_retries: 0, budget: { state_file: "${join(dir, 'llm-spend.json')}" } }`,
      `market_data: { watch_file: "${join(dir, 'feed-watch.json')}" }`,
      `trade_log: ${join(dir, 'trade_log.csv')}`,
    ].join('\n') + '\n',
  );
  const config = loadConfig(configPath);
  // the worker's environment: the paper account's key pair, and the real keys a live trader would hold
  const env = { ...process.env, DE_PAPER_API_KEY: PAPER_KEY, DE_PAPER_API_SECRET: PAPER_SECRET, ...SECRETS };
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker: WorkerGroup = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    activityDeps: buildActivityDeps(config, { simulatorUrl: sim.url, env, warn: () => undefined }),
  });
  const running = worker.run().finally(() => nativeConnection.close());
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const ex = createCcxtForSimulator(sim.url, PAPER_KEY, PAPER_SECRET);
  await ex.loadMarkets();
  const trader = (symbol: string) => client.workflow.getHandle(`trader-${symbol}`);
  return {
    dir,
    server,
    uiUrl: server.uiUrl!,
    client,
    sim,
    llm,
    config,
    ex,
    start: (symbols) => startTraders(client, config, symbols, TASK_QUEUE),
    trader,
    traderState: (symbol) => trader(symbol).query(stateQuery),
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await ex.close();
      await connection.close();
      await llm.close();
      await sim.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** a PLAN_TRADE a little under the market: one target, so the OMS places one OTOCO */
export function planAt(last: number, reasoning: string) {
  const tick = (p: number) => Math.round(p * 100) / 100;
  const entry = tick(last * 0.999);
  return {
    entry,
    answer: structured({
      action: 'PLAN_TRADE',
      trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: entry, stop_loss_price: tick(last * 0.985), take_profit_prices: [tick(last * 1.03)], position_size_percent: 10 },
      reasoning,
    }),
  };
}

/** until the trader's trade has this status (the dev server runs in real time: polled) */
export function untilTradeStatus(stack: WebUiStack, symbol: string, status: string): Promise<SymbolTraderState> {
  return eventually(`${symbol} ${status}`, () => stack.traderState(symbol), (s) => s.trade?.status === status, 60_000);
}

/** every summary (activities, timers) in a workflow's history, in history order */
export async function summariesOf(handle: WorkflowHandle): Promise<Array<{ event: string; summary: string | undefined }>> {
  const history = await handle.fetchHistory();
  const out: Array<{ event: string; summary: string | undefined }> = [];
  for (const e of history.events ?? []) {
    const kind = e.activityTaskScheduledEventAttributes ? `activity ${e.activityTaskScheduledEventAttributes.activityType?.name}` : e.timerStartedEventAttributes ? 'timer' : null;
    if (!kind) continue;
    const payload = e.userMetadata?.summary;
    out.push({ event: kind, summary: payload ? defaultPayloadConverter.fromPayload<string>(payload as never) : undefined });
  }
  return out;
}

/** the current details a workflow shows (Temporal's built-in metadata query) */
export async function currentDetailsOf(handle: WorkflowHandle): Promise<string> {
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}
