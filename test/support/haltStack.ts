import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { ActivityDeps } from '../../src/activities/deps';
import { journalActivities } from '../../src/activities/journal';
import { loadConfig } from '../../src/config/load';
import type { TradingConfig } from '../../src/config/schema';
import { journalTaskQueue, PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { portfolioQuery } from '../../src/contract/portfolioApi';
import type { PortfolioView } from '../../src/contract/portfolioState';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import type { TemporalServerHandle } from '../../src/devstack/temporalServer';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { buildActivityDeps } from '../../src/worker';
import { FakeLlmServer } from './fakeLlmServer';
import { devServerIn, workflowBundle } from './temporalEnv';
import { quietCadence } from './quietCadence';

/**
 * The portfolio's halt on a real day (portfolio-halt-real-candles, portfolio-flatten-on-halt): the
 * Temporal CLI dev server with the real workflows and the real worker activities (buildActivityDeps
 * from a config of the test's own: ccxt against the simulator replaying real 15m candles from `day`,
 * the openai client against the scripted LLM server, the CSV trade log), every file in a temp dir.
 * The risk envelope lets one trade take half the account and halts at a 2% daily loss.
 */

const KEY = 'halt-paper-key-4e1a';
const SECRET = 'halt-paper-secret-77c0';

export interface HaltStackOptions {
  /** the temp dir's prefix and the task queue's name */
  name: string;
  symbols: string[];
  /** the simulator's market time at start */
  day: number;
  flattenOnHalt?: boolean;
}

export interface HaltStack {
  dir: string;
  sim: SimulatorHandle;
  llm: FakeLlmServer;
  client: Client;
  /** a ccxt client of the paper account, on the simulator */
  ex: ReturnType<typeof createCcxtForSimulator>;
  config: TradingConfig;
  deps: ActivityDeps;
  taskQueue: string;
  tradeLogPath: string;
  view(): Promise<PortfolioView>;
  traderState(symbol: string): Promise<SymbolTraderState>;
  close(): Promise<void>;
}

export async function startHaltStack(opts: HaltStackOptions): Promise<HaltStack> {
  const dir = mkdtempSync(join(tmpdir(), `de-${opts.name}-`));
  const taskQueue = `${opts.name}-test`;
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of closers.reverse()) await step().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const server: TemporalServerHandle = await devServerIn(dir);
    closers.push(() => server.stop());
    const candles = sharedCandlesDir();
    const sim = await startSimulator({
      feed: { kind: 'candles', files: Object.fromEntries(opts.symbols.map((s) => [s, join(candles, `${s}-15m.csv`)])), startAt: opts.day },
      accounts: [{ apiKey: KEY, apiSecret: SECRET, balances: { USDT: 10_000 } }],
      stateFile: join(dir, 'simulator-state.json'),
    });
    closers.push(() => sim.close());
    const llm = await FakeLlmServer.start();
    closers.push(() => llm.close());
    const tradeLogPath = join(dir, 'trade_log.csv');
    const configPath = join(dir, 'trading_config.yaml');
    const risk = [
      'max_position_size_percent: 50, max_entry_distance_percent: 50, max_total_exposure_percent: 90, daily_loss_limit_percent: 2',
      'max_drawdown_percent: 50, equity_check_interval: 1s, max_stop_distance_percent: 80, max_target_distance_percent: 60',
      ...(opts.flattenOnHalt ? ['flatten_on_halt: true'] : []),
    ].join(', ');
    writeFileSync(
      configPath,
      [
        `symbols: [${opts.symbols.join(', ')}]`,
        ...quietCadence().lines, // cycle 1 at once, and no grid point while the test runs
        'timeframes: [15m, 1h]',
        `exchange: { mode: paper, simulator_url: "${sim.url}" }`,
        // the worker's state files in the temp dir, not the project's data/
        `strategist: { kind: llm, model: fake-model, base_url: "${llm.baseUrl}", timeout: 10s, max_retries: 0, budget: { state_file: "${join(dir, 'llm-spend.json')}" } }`,
        `risk: { ${risk} }`,
        `market_data: { watch_file: "${join(dir, 'feed-watch.json')}" }`,
        `trade_log: ${tradeLogPath}`,
      ].join('\n') + '\n',
    );
    const config = loadConfig(configPath);
    const env = { ...process.env, DE_PAPER_API_KEY: KEY, DE_PAPER_API_SECRET: SECRET, OPENAI_API_KEY: 'sk-halt-test', BINANCE_API_KEY: '', BINANCE_API_SECRET: '' };
    const deps = buildActivityDeps(config, { simulatorUrl: sim.url, env });
    const connection = await Connection.connect({ address: server.address });
    closers.push(() => connection.close());
    const client = new Client({ connection });
    const ex = createCcxtForSimulator(sim.url, KEY, SECRET);
    closers.push(() => ex.close());
    await ex.loadMarkets();
    // the workers stop first (closers run last in, first out)
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    closers.push(() => nativeConnection.close());
    const worker = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), activities: createActivities(deps) });
    // the trade log's own queue (src/worker.ts serves it the same way)
    const journal = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: journalTaskQueue(taskQueue), activities: journalActivities(deps) });
    const running = Promise.all([worker.run(), journal.run()]);
    running.catch(() => undefined); // a worker that fails is seen by the test's waits; close() awaits it
    closers.push(async () => {
      worker.shutdown();
      journal.shutdown();
      await running;
    });
    return {
      dir,
      sim,
      llm,
      client,
      ex,
      config,
      deps,
      taskQueue,
      tradeLogPath,
      view: () => client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).query(portfolioQuery),
      traderState: (symbol) => client.workflow.getHandle(`trader-${symbol}`).query(stateQuery),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
