import { resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/load';
import type { TradingConfig } from '../config/schema';
import { closeSharedCcxt } from '../exchange/ccxtClient';
import type { SimulatorHandle } from '../simulator';
import { startTraders } from '../cli/traders';
import { checkStrategistEndpoint } from '../strategist/createStrategist';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/searchAttributes';
import { journalTaskQueue, TASK_QUEUE } from '../contract/ids';
import { WithoutJournalWorkerNotice } from '../journalWorkerNotice';
import { cadenceText } from '../contract/displayText';
import { dataDir } from '../config/dataDir';
import { superviseDevServer, type SupervisedServer } from './devServerSupervisor';
import { settleLeftoverServer } from './leftoverServer';
import { OutageLogger } from './outageLogger';
import { playPaperFeed, startPaperExchange } from './paperExchange';
import { selectPriceFeed, probeBinancePublic, type SelectedFeed } from './priceFeed';
import { claimStack } from './stackLock';
import { refuseUnsafeMode, strategistSummary } from './startChecks';
import type { StartOptions } from './startOptions';
import { DEFAULT_TEMPORAL_ADDRESS, ensureTemporalCli, ensureTemporalServer, findTemporalCli, tryConnect, type TemporalServerHandle } from './temporalServer';
import { decisionLines, SHOWN_SYMBOLS, traderSchedules } from './firstDecision';
import { StartSteps } from './startProgress';

/**
 * The stack `npm start` runs, in order: Temporal (an existing server or the supervised dev server
 * with its Web UI), the paper exchange, the worker, one workflow per configured symbol; then the
 * summary. Each of them is a step with its progress lines (startProgress.ts); after the `ready:`
 * line, when each symbol's first decision comes (firstDecision.ts). Shutdown runs the other way
 * round: worker, simulator, then the server.
 */

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
  const sdkLog = new WithoutJournalWorkerNotice(new DefaultLogger((env.DE_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN'), journalTaskQueue(TASK_QUEUE));
  const outage: OutageLogger = new OutageLogger(sdkLog, {
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
    const paper = config.exchange.mode === 'paper';
    const steps = new StartSteps(2 + (paper ? 1 : 0) + (opts.symbols ? 1 : 0));
    // before the steps: a first start installs the Temporal CLI with progress lines of its own
    if (!findTemporalCli(env) && !(await tryConnect(address, 1_000))) ensureTemporalCli();
    let supervised: SupervisedServer | undefined;
    const server: TemporalServerHandle = await steps.run(
      'Temporal server',
      'the one at the address, else the dev server with its Web UI: a few seconds',
      () =>
        ensureTemporalServer({
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
        }),
      (s) => (s.startedHere ? `dev server at ${s.address}` : `using the one at ${s.address}`),
    );
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
    if (paper) {
      const hint = opts.feed === 'candles' ? 'reads the candle files into memory: a few seconds' : 'asks for live prices (3 s at most without internet), else reads the candle files: a few seconds';
      const opened = await steps.run(
        'paper exchange',
        hint,
        async () => {
          const selected = await selectPriceFeed({
            symbols: config.symbols,
            choice: opts.feed,
            candlesDir: candlesDirFrom(opts, config, env),
            ...(opts.replayFrom !== undefined ? { replayFrom: opts.replayFrom } : {}),
            probeLive: (url) => probeBinancePublic(url),
          });
          for (const w of selected.warnings) console.warn(`WARNING: ${w}`);
          return { feed: selected, sim: await startPaperExchange(config, selected, opts, env) };
        },
        (o) => `${o.feed.spec.kind === 'candles' ? 'candles read' : `${o.feed.spec.kind} prices`}, simulator at ${o.sim.url}`,
      );
      feed = opened.feed;
      sim = opened.sim;
      cleanups.push(() => opened.sim.close());
    }
    if (stopping) return;

    const strategist = strategistSummary(config, env);
    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const bundling = env.DE_WORKFLOW_BUNDLE
      ? `the prebuilt workflow bundle ${env.DE_WORKFLOW_BUNDLE}: a few seconds`
      : 'bundles the workflow code with webpack: 10-60 s, at every start (not cached; DE_WORKFLOW_BUNDLE names a prebuilt one)';
    worker = await steps.run('worker', bundling, async () => {
      const activityDeps = buildActivityDeps(config, { simulatorUrl: sim?.url, env, warn: () => undefined });
      // the LLM endpoint, checked once now: a trader hears at start that it cannot be reached
      const llmProblem = await checkStrategistEndpoint(activityDeps.strategist);
      if (llmProblem) console.warn(`WARNING: ${llmProblem}`);
      return createWorker({ connection, namespace: server.namespace, activityDeps });
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
    let traders: Awaited<ReturnType<typeof startTraders>>['traders'] = [];
    if (opts.symbols && !stopping) {
      const all = await steps.run(
        'workflows',
        'the order monitor, the portfolio and a trader per symbol: a second or two',
        () => startTraders(client, config, config.symbols),
        (r) => `${r.traders.filter((t) => t.outcome === 'started').length} started, ${r.traders.filter((t) => t.outcome !== 'started').length} already running`,
      );
      traders = all.traders;
      for (const t of traders) lines.push(`  ${t.symbol.padEnd(10)} ${t.outcome} (workflow ${t.workflowId})`);
      lines.push(`  order monitor: ${all.monitor}`);
    }
    if (sim && feed) playPaperFeed(sim, feed, opts);

    console.log('');
    console.log('Dynamic Executor is running');
    console.log(`  mode:        ${config.exchange.mode}${config.exchange.mode === 'live' ? ' (REAL MONEY)' : ''}`);
    console.log(`  Temporal:    ${server.address} (namespace ${server.namespace}, task queue ${TASK_QUEUE})`);
    console.log(`  Web UI:      ${server.uiUrl ?? "the running server's own Web UI (dev server: http://localhost:8233)"}`);
    if (feed && sim) console.log(`  prices:      ${feed.label}; paper exchange at ${sim.url}`);
    console.log(`  strategist:  ${strategist.line}`);
    if (strategist.warning) console.warn(`WARNING: ${strategist.warning}`);
    console.log(`  trade log:   ${config.trade_log}`);
    console.log(`  symbols (${cadenceText(config.cycle_interval)}):`);
    for (const line of lines) console.log(line);
    const cli = opts.cliPrefix ?? 'npm run cli --';
    console.log(`  CLI:         ${cli} status   (Ctrl-C here stops the stack; workflows resume next start)`);
    // one line, once every symbol's workflow is running: what a newcomer opens next
    const uiUrl = server.uiUrl ?? 'the Temporal Web UI';
    console.log(`ready: ${lines.length > 0 ? 'all symbols are running; ' : ''}open ${uiUrl} or run: ${cli} status`);
    if (traders.length > 0 && !stopping) {
      const schedules = await traderSchedules(client, server.connection, traders.slice(0, SHOWN_SYMBOLS), () => !stopping);
      for (const line of decisionLines(schedules, config, Date.now(), { demo: opts.demo === true, cli, symbols: traders.length })) console.log(line);
    }
    await running;
    console.log('worker stopped');
    if (fatal) throw fatal;
  } finally {
    await cleanup();
  }
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
