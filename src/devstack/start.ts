import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import type { TradingConfig } from '../config/schema';
import { closeSharedCcxt, credentialsFromEnv, paperCredentials, tradingModeRefusal } from '../exchange/ccxtClient';
import { startSimulator, type SimulatorHandle } from '../simulator';
import { startTraders } from '../cli/traders';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/searchAttributes';
import { TASK_QUEUE } from '../contract/ids';
import { selectPriceFeed, probeBinancePublic, type FeedChoice, type SelectedFeed } from './priceFeed';
import { ensureTemporalServer, PROJECT_ROOT, type TemporalServerHandle } from './temporalServer';

/**
 * `npm start`: the whole stack on one machine, in paper mode by default. Temporal (an existing
 * server or the dev server with its Web UI), the exchange simulator, the worker, and one workflow
 * per configured symbol. Ctrl-C stops what this process started; the workflows stay durable in
 * data/temporal.db and resume on the next start.
 */

export class StartRefused extends Error {
  override name = 'StartRefused';
}

export interface StartOptions {
  config?: string;
  feed: FeedChoice;
  candlesDir?: string;
  /** market seconds per wall-clock second for a candle replay (1 = real time) */
  replaySpeed: number;
  uiPort: number;
  /** start the worker but not the symbol workflows */
  symbols: boolean;
}

/** Live trading needs the explicit setting AND keys; testnet needs (testnet) keys. */
export function refuseUnsafeMode(config: TradingConfig, env: NodeJS.ProcessEnv): void {
  const { mode, confirm_live_trading } = config.exchange;
  const refusal = tradingModeRefusal(mode, confirm_live_trading, credentialsFromEnv(env) !== undefined);
  if (refusal) throw new StartRefused(refusal);
}

/** Which strategist runs, in one line, and the warning a trader must see. */
export function strategistSummary(config: TradingConfig, env: NodeJS.ProcessEnv): { line: string; warning?: string } {
  const s = config.strategist;
  if (s.kind === 'rules') return { line: 'rules strategist (EMA trend following with ATR stops), as configured' };
  if (!env.OPENAI_API_KEY?.trim()) {
    return {
      line: 'rules strategist (EMA trend following with ATR stops)',
      warning: 'strategist.kind is llm but OPENAI_API_KEY is not set: the RULES strategist decides, not the LLM',
    };
  }
  return { line: `LLM strategist: model ${s.model} at ${s.base_url}` };
}

/** where the dev server's database and the paper account live; DE_DATA_DIR moves them (tests) */
export function dataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.DE_DATA_DIR ?? resolve(PROJECT_ROOT, 'data'));
}

function candlesDirFrom(opts: StartOptions, config: TradingConfig, env: NodeJS.ProcessEnv): string | undefined {
  return opts.candlesDir ?? env.CANDLES_DIR ?? config.paper.candles_dir;
}

async function startPaperExchange(
  config: TradingConfig,
  feed: SelectedFeed,
  opts: StartOptions,
  env: NodeJS.ProcessEnv,
): Promise<SimulatorHandle> {
  const where = new URL(config.exchange.simulator_url);
  const paper = paperCredentials(env);
  mkdirSync(dataDir(env), { recursive: true });
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      host: where.hostname,
      port: Number(where.port || 80),
      stateFile: resolve(dataDir(env), 'simulator-state.json'),
      feed: feed.spec,
      accounts: [{ apiKey: paper.apiKey, apiSecret: paper.secret, balances: config.paper.starting_balances }],
      feeRate: config.paper.fee_rate,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartRefused(
        `the exchange simulator cannot listen on ${where.host}: the port is in use (another npm start?). ` +
          'Stop it, or change exchange.simulator_url in the config.',
      );
    }
    throw err;
  }
  // live prices are polled every 2 s; a replay advances at replaySpeed x real time
  const candlesPerSecond = feed.spec.kind === 'live' ? 0.5 : opts.replaySpeed / (feed.intervalMs / 1000);
  sim.play(candlesPerSecond);
  return sim;
}

export async function runStack(opts: StartOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (opts.config) env.TRADING_CONFIG = opts.config;
  const config = loadConfig();
  refuseUnsafeMode(config, env);

  // We stop the worker ourselves, so shutdown runs in order: worker, simulator, then the server.
  // The console is the trader's summary: the SDK's own chatter (bundling, state changes) only from WARN.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger((env.DE_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  let stopping = false;
  let worker: WorkerGroup | undefined;
  const onSignal = (signal: string) => {
    if (stopping) {
      console.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping (the workflows stay durable and resume on the next start) ...`);
    if (worker?.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((err) => console.error(`shutdown: ${(err as Error).message}`));
  };

  try {
    const server: TemporalServerHandle = await ensureTemporalServer({
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      uiPort: opts.uiPort,
      dbFile: resolve(dataDir(env), 'temporal.db'),
      logFile: resolve(dataDir(env), 'temporal-server.log'),
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      installCli: true,
    });
    cleanups.push(async () => {
      await server.stop();
      if (server.startedHere) console.log('Temporal dev server stopped');
    });
    if (stopping) return;

    let sim: SimulatorHandle | undefined;
    let feed: SelectedFeed | undefined;
    if (config.exchange.mode === 'paper') {
      feed = await selectPriceFeed({
        symbols: config.symbols,
        choice: opts.feed,
        candlesDir: candlesDirFrom(opts, config, env),
        probeLive: (url) => probeBinancePublic(url),
      });
      for (const w of feed.warnings) console.warn(`WARNING: ${w}`);
      sim = await startPaperExchange(config, feed, opts, env);
      cleanups.push(() => sim!.close());
    }
    if (stopping) return;

    const strategist = strategistSummary(config, env);
    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    worker = await createWorker({
      connection,
      namespace: server.namespace,
      activityDeps: buildActivityDeps(config, { simulatorUrl: sim?.url, env, warn: () => undefined }),
    });
    cleanups.push(() => closeSharedCcxt());
    const started = worker;
    const running = started.run();
    // a worker that fails while we are still starting symbols is reported by `await running` below
    running.catch(() => undefined);
    if (stopping && started.getState() === 'RUNNING') started.shutdown();
    cleanups.push(async () => {
      if (started.getState() === 'RUNNING') started.shutdown();
      await running.catch(() => undefined);
    });

    const client = new Client({ connection: server.connection, namespace: server.namespace });
    const lines: string[] = [];
    if (opts.symbols && !stopping) {
      const { traders, monitor } = await startTraders(client, config, config.symbols);
      for (const t of traders) lines.push(`  ${t.symbol.padEnd(10)} ${t.outcome} (workflow ${t.workflowId})`);
      lines.push(`  order monitor: ${monitor}`);
    }

    console.log('');
    console.log('Dynamic Executor is running');
    console.log(`  mode:        ${config.exchange.mode}${config.exchange.mode === 'live' ? ' (REAL MONEY)' : ''}`);
    console.log(`  Temporal:    ${server.address} (namespace ${server.namespace}, task queue ${TASK_QUEUE})`);
    console.log(`  Web UI:      ${server.uiUrl ?? "the running server's own Web UI (dev server: http://localhost:8233)"}`);
    if (feed && sim) console.log(`  prices:      ${feed.label}; paper exchange at ${sim.url}`);
    console.log(`  strategist:  ${strategist.line}`);
    if (strategist.warning) console.warn(`WARNING: ${strategist.warning}`);
    console.log(`  trade log:   ${config.trade_log}`);
    console.log(`  symbols (every ${Math.round(config.cycle_interval / 60_000)} min):`);
    for (const line of lines) console.log(line);
    console.log('  CLI:         npm run cli -- status   (Ctrl-C here stops the stack; workflows resume next start)');
    await running;
    console.log('worker stopped');
  } finally {
    await cleanup();
  }
}

export function startProgram(): Command {
  return new Command('npm start')
    .description('bring up the local stack: Temporal (dev server + Web UI), paper exchange, worker, symbol workflows')
    .option('-c, --config <FILE>', 'trading config (default: TRADING_CONFIG or config/trading_config.yaml)')
    .addOption(
      new Option('--feed <KIND>', 'paper price feed: auto tries live prices, then candles, then synthetic')
        .choices(['auto', 'live', 'candles', 'synthetic'])
        .default('auto')
        .env('DE_FEED'),
    )
    .option('--candles-dir <DIR>', 'candle CSV folder for the replay (else CANDLES_DIR, else paper.candles_dir)')
    .addOption(
      new Option('--replay-speed <N>', 'replay pace: market seconds per real second (1 = real time)')
        .default(1)
        .env('DE_REPLAY_SPEED')
        .argParser((v) => {
          const n = Number(v);
          if (!(n > 0)) throw new InvalidArgumentError('must be a number > 0');
          return n;
        }),
    )
    .addOption(
      new Option('--ui-port <PORT>', 'Web UI port of the dev server').default(8233).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
        return n;
      }),
    )
    .option('--no-symbols', 'run the worker without starting the symbol workflows');
}

async function main(argv: string[]): Promise<number> {
  const program = startProgram().exitOverride();
  let opts: StartOptions;
  try {
    program.parse(argv, { from: 'user' });
    opts = program.opts<StartOptions>();
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  try {
    await runStack(opts);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartRefused) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${(err as Error).message}`);
    if (process.env.DE_DEBUG) console.error(err);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
