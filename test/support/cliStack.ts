import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { paperCredentials, closeSharedCcxt } from '../../src/exchange/ccxtClient';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { PROJECT_ROOT, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { eventually } from './watchProcess';
import { candleFilePath, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../../src/worker';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { FakeLlmServer, structured } from './fakeLlmServer';
import { devServerIn } from './temporalEnv';
import { quietCadence } from './quietCadence';

/**
 * What the CLI tests run the real CLI against: a Temporal dev server from the project's CLI, the
 * exchange simulator on real BTCUSDT and ETHUSDT candles, a worker, and an OpenAI-compatible test
 * server standing in for the LLM (its answers decide when a trade is planned). The CLI itself runs
 * as a user runs it, a separate process: node --import tsx src/client.ts ...
 */

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliStack {
  dir: string;
  server: TemporalServerHandle;
  sim: SimulatorHandle;
  llm: FakeLlmServer;
  client: Client;
  /** the CLI's environment: the stack's address and config */
  env: NodeJS.ProcessEnv;
  /** runs the CLI to its end */
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** starts the CLI and hands back the process (a long-running command such as status --watch) */
  spawnCli(args: string[], opts?: SpawnOptions): ChildProcess;
  state(symbol: string): Promise<SymbolTraderState>;
  /** a limit entry 1% under the simulator's last price, as the test LLM's next answer */
  pullbackPlan(symbol: string): Promise<ReturnType<typeof structured>>;
  worker: WorkerGroup;
  /** resolves when the worker has stopped (after worker.shutdown()) */
  workerDone: Promise<void>;
  close(): Promise<void>;
}

export const CLI_ENTRY = ['--import', 'tsx', 'src/client.ts'];

export async function startCliStack(opts: { prefix: string; symbols: readonly string[]; configLines?: string[] }): Promise<CliStack> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  const tradeLog = join(dir, 'trade_log.csv');
  const configFile = join(dir, 'trading_config.yaml');
  const server = await devServerIn(dir);
  const client = new Client({ connection: server.connection });

  const paper = paperCredentials({});
  const candles = sharedCandlesDir();
  const sim = await startSimulator({
    port: 0,
    stateFile: join(dir, 'simulator.json'),
    feed: {
      kind: 'candles',
      files: { BTCUSDT: candleFilePath(candles, 'BTCUSDT', '15m'), ETHUSDT: candleFilePath(candles, 'ETHUSDT', '15m') },
    },
    accounts: [{ apiKey: paper.apiKey, apiSecret: paper.secret, balances: { USDT: 10_000 } }],
  });
  const llm = await FakeLlmServer.start();

  writeFileSync(
    configFile,
    [
      `symbols: [${opts.symbols.join(', ')}]`,
      ...quietCadence().lines, // one cycle when a trader starts, at once, then none during the test
      `exchange: { mode: paper, simulator_url: "${sim.url}" }`,
      `strategist: { kind: llm, base_url: "${llm.baseUrl}", max_retries: 0, timeout: 10s, budget: { state_file: "${join(dir, 'llm-spend.json')}" } }`,
      `market_data: { watch_file: "${join(dir, 'feed-watch.json')}" }`,
      `trade_log: ${tradeLog}`,
      ...(opts.configLines ?? []),
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', TRADING_CONFIG: configFile, DE_DATA_DIR: join(dir, 'data') };
  const config = loadConfig(configFile);
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection: workerConnection,
    activityDeps: buildActivityDeps(config, { env: { OPENAI_API_KEY: 'test-key' }, warn: () => undefined }),
  });
  const workerDone = worker.run();

  const spawnCli = (args: string[], spawnOpts: SpawnOptions = {}) =>
    spawn(process.execPath, [...CLI_ENTRY, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });

  return {
    dir,
    server,
    sim,
    llm,
    client,
    env,
    worker,
    workerDone,
    spawnCli,
    cli: (args, extraEnv = {}) =>
      new Promise((resolve, reject) => {
        const child = spawnCli(args, { env: { ...env, ...extraEnv } });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      }),
    state: (symbol) => client.workflow.getHandle(`trader-${symbol}`).query(stateQuery),
    async pullbackPlan(symbol) {
      const ticker = (await (await fetch(`${sim.url}/api/v3/ticker/price?symbol=${symbol}`)).json()) as { price: string };
      const last = Number(ticker.price);
      const round = (x: number) => Number(x.toPrecision(6));
      return structured({
        action: 'PLAN_TRADE',
        trade_setup: {
          symbol,
          direction: 'LONG',
          entry_price: round(last * 0.99),
          stop_loss_price: round(last * 0.97),
          take_profit_prices: [round(last * 1.03)],
          position_size_percent: 5,
        },
        reasoning: `pullback entry for the CLI test (${symbol})`,
      });
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone.catch(() => undefined);
      await workerConnection.close();
      await closeSharedCcxt();
      await sim.close();
      await llm.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** polls a real condition (a query, visibility): watchProcess's `eventually`, bounded by tries of 200 ms */
export function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 150): Promise<T> {
  return eventually(what, probe, tries * 200);
}
