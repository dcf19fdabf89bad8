import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import type { TradingConfig } from '../config/schema';
import { closeSharedCcxt, credentialsFromEnv, paperCredentials, tradingModeRefusal } from '../exchange/ccxtClient';
import { FeedMismatch, startSimulator, type SimulatorHandle } from '../simulator';
import { startTraders } from '../cli/traders';
import { checkStrategistEndpoint } from '../strategist/createStrategist';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/searchAttributes';
import { TASK_QUEUE } from '../contract/ids';
import { dataDir } from '../localStack/stackFiles';
import { superviseDevServer, type SupervisedServer } from './devServerSupervisor';
import { settleLeftoverServer } from './leftoverServer';
import { OutageLogger } from './outageLogger';
import { selectPriceFeed, probeBinancePublic, type FeedChoice, type SelectedFeed } from './priceFeed';
import { claimStack, StackBusy } from './stackLock';
import { DEFAULT_TEMPORAL_ADDRESS, ensureTemporalServer, tryConnect, type TemporalServerHandle } from './temporalServer';

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
  /** keep the paper account aside (data/simulator-state.json.<time>.bak) and start a fresh one */
  resetPaper?: boolean;
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

export { dataDir };

/** "every 20 s", "every 15 min", "every 4 h" */
function everyText(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}

/** Until the server at `address` answers again (a server we did not start: nobody tells us). */
async function untilAnswers(address: string, stillWanted: () => boolean): Promise<boolean> {
  while (stillWanted()) {
    const connection = await tryConnect(address, 1_000);
    if (connection) {
      await connection.close().catch(() => undefined);
      return true;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return false;
}

function candlesDirFrom(opts: StartOptions, config: TradingConfig, env: NodeJS.ProcessEnv): string | undefined {
  return opts.candlesDir ?? env.CANDLES_DIR ?? config.paper.candles_dir;
}

/** the paper account kept aside; returns where it went (null: there was none) */
export function resetPaperAccount(stateFile: string, now = Date.now()): string | null {
  if (!existsSync(stateFile)) return null;
  const aside = `${stateFile}.${new Date(now).toISOString().replace(/[:.]/g, '-')}.bak`;
  renameSync(stateFile, aside);
  return aside;
}

/**
 * The paper exchange as `npm start` runs it. A saved paper account of another price feed (its clock
 * and last prices are another market's) refuses the start, saying how to reset; --reset-paper keeps
 * the old account aside and starts afresh.
 */
export async function startPaperExchange(
  config: TradingConfig,
  feed: SelectedFeed,
  opts: Pick<StartOptions, 'replaySpeed' | 'resetPaper'>,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void = (line) => console.log(line),
): Promise<SimulatorHandle> {
  const where = new URL(config.exchange.simulator_url);
  const paper = paperCredentials(env);
  mkdirSync(dataDir(env), { recursive: true });
  const stateFile = resolve(dataDir(env), 'simulator-state.json');
  if (opts.resetPaper) {
    const aside = resetPaperAccount(stateFile);
    say(aside ? `paper account reset: a fresh one starts; the old one is kept at ${aside}` : 'paper account reset: there was none yet');
  }
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      host: where.hostname,
      port: Number(where.port || 80),
      stateFile,
      feed: feed.spec,
      accounts: [{ apiKey: paper.apiKey, apiSecret: paper.secret, balances: config.paper.starting_balances }],
      feeRate: config.paper.fee_rate,
      onFeedChange: 'refuse',
      log: (line) => {
        if (/does not say which feed/.test(line)) say(`WARNING: ${line}`);
      },
    });
  } catch (err) {
    if (err instanceof FeedMismatch) throw new StartRefused(err.message);
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

  const address = env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  const dbFile = resolve(dataDir(env), 'temporal.db');

  // We stop the worker ourselves, so shutdown runs in order: worker, simulator, then the server.
  // The console is the trader's summary: the SDK's own chatter (bundling, state changes) only from
  // WARN, and the core's native logs forwarded through the outage logger, which turns its stream of
  // retry warnings during an outage into one line when the server is back.
  let stopping = false;
  const outage: OutageLogger = new OutageLogger(new DefaultLogger((env.DE_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN'), {
    print: (line) => console.log(line),
    onUnannounced: () => {
      void untilAnswers(address, () => !stopping && outage.inOutage).then((back) => {
        const summary = back ? outage.end() : undefined;
        if (summary) console.log(`Temporal server at ${address} answers again; ${summary}`);
      });
    },
  });
  Runtime.install({
    shutdownSignals: [],
    logger: outage,
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
  let worker: WorkerGroup | undefined;
  let fatal: Error | undefined;
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
    const release = claimStack(dataDir(env), { address, namespace, dbFile });
    cleanups.push(async () => release());
    await settleLeftoverServer(dbFile);
    let supervised: SupervisedServer | undefined;
    const server: TemporalServerHandle = await ensureTemporalServer({
      address,
      namespace,
      uiPort: opts.uiPort,
      dbFile,
      logFile: resolve(dataDir(env), 'temporal-server.log'),
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      installCli: true,
      startServer: async (devOpts) => {
        supervised = await superviseDevServer(devOpts, {
          onDown: () => outage.begin(),
          onBack: () => outage.end(),
        });
        return supervised;
      },
    });
    void supervised?.gaveUp.then((err) => {
      if (stopping) return;
      fatal = err;
      stopping = true;
      console.error('Temporal dev server: giving up on it; stopping the stack');
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      // the worker drains against a server that is gone; do not let that hold the exit forever
      setTimeout(() => process.exit(1), 30_000).unref();
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
    const activityDeps = buildActivityDeps(config, { simulatorUrl: sim?.url, env, warn: () => undefined });
    // the LLM endpoint, checked once now: a trader hears at start that it cannot be reached
    const llmProblem = await checkStrategistEndpoint(activityDeps.strategist);
    if (llmProblem) console.warn(`WARNING: ${llmProblem}`);
    worker = await createWorker({ connection, namespace: server.namespace, activityDeps });
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
    console.log(`  symbols (every ${everyText(config.cycle_interval)}):`);
    for (const line of lines) console.log(line);
    console.log('  CLI:         npm run cli -- status   (Ctrl-C here stops the stack; workflows resume next start)');
    await running;
    console.log('worker stopped');
    if (fatal) throw fatal;
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
    .option('--no-symbols', 'run the worker without starting the symbol workflows')
    .option('--reset-paper', 'start a fresh paper account (the old one is kept aside as data/simulator-state.json.<time>.bak)');
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
    if (err instanceof ConfigError || err instanceof StartRefused || err instanceof StackBusy) {
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
