import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import type { ActivityDeps } from './activities/deps';
import { portfolioInput } from './cli/traders';
import { loadConfig } from './config/load';
import type { TradingConfig } from './config/schema';
import { ccxtOptionsFromConfig, createCcxtProBinance, credentialsFromEnv, paperCredentials, sharedCcxt, closeSharedCcxt } from './exchange/ccxtClient';
import { CcxtUserStream } from './exchange/userStream';
import { ExchangeGateway } from './exchange/gateway';
import { openTradeLog } from './journal/tradeLog';
import { checkStrategistEndpoint, createStrategist } from './strategist/createStrategist';
import { SpendLedger } from './strategist/spendLedger';
import { PortfolioSpendBook } from './activities/llmSpendBook';
import { journalTaskQueue, TASK_QUEUE } from './contract/ids';
import { journalActivities } from './activities/journal';
import { WithoutJournalWorkerNotice } from './journalWorkerNotice';
import { marketLimitsFrom } from './activities/marketGuard';
import { FeedWatch } from './marketdata/feedWatch';

/** what a paper trader reads when the market data is refused */
export const PAPER_RESET_HINT =
  'Paper mode: if the simulator keeps a clock or prices of another feed, start the paper account afresh with `npm start -- --reset-paper` ' +
  '(the old account is kept aside as data/simulator-state.json.<time>.bak)';

/**
 * The worker hosts the symbol workflows and the order monitor, and the activities that do their
 * I/O. Dependencies are built once per process and injected: ONE rate-limited ccxt client per
 * account (exchanges ban per IP and key), one strategist, one trade log writer.
 */

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/**
 * What a worker process serves. `trading`: the workflows and every activity but the journal's, on
 * the task queue; any number of processes may. `journal`: appendTradeLog on the trade log's own
 * queue, writing the CSV; exactly ONE process of a deployment may (deploy/README.md).
 */
export type WorkerRole = 'trading' | 'journal';
export const WORKER_ROLES: readonly WorkerRole[] = ['trading', 'journal'];

/** DE_WORKER_ROLES ("trading", "journal" or "trading,journal"; default both, as one machine runs it) */
export function workerRolesFrom(env: NodeJS.ProcessEnv = process.env): WorkerRole[] {
  const raw = env.DE_WORKER_ROLES?.trim();
  if (!raw) return [...WORKER_ROLES];
  const roles = raw.split(',').map((r) => r.trim());
  const bad = roles.filter((r) => !(WORKER_ROLES as readonly string[]).includes(r));
  if (bad.length > 0 || roles.length === 0) {
    throw new Error(`DE_WORKER_ROLES="${raw}": unknown role ${bad.map((b) => `"${b}"`).join(', ')}; use trading, journal or trading,journal`);
  }
  return [...new Set(roles)] as WorkerRole[];
}

/**
 * The SDK workers of one process, one per role, run and stopped together (the Worker calls the
 * callers use: run, shutdown, getState).
 */
export class WorkerGroup {
  constructor(readonly workers: readonly Worker[]) {}

  /** runs every worker; when one fails the others are shut down and its error is thrown */
  async run(): Promise<void> {
    const runs = this.workers.map((w) =>
      w.run().catch((err) => {
        this.shutdown();
        throw err;
      }),
    );
    await Promise.all(runs);
  }

  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** RUNNING while every worker runs; else the state of the first that does not */
  getState(): ReturnType<Worker['getState']> {
    return this.workers.find((w) => w.getState() !== 'RUNNING')?.getState() ?? 'RUNNING';
  }
}

export interface WorkerDeps {
  /** default: both (trading and journal) */
  roles?: readonly WorkerRole[];
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activityDeps: ActivityDeps;
  /** extra Worker options (tests: e.g. a bundle; benchmarks: concurrency) */
  options?: Partial<WorkerOptions>;
}

export async function createWorker(deps: WorkerDeps): Promise<WorkerGroup> {
  const roles = deps.roles ?? WORKER_ROLES;
  const namespace = deps.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const workers: Worker[] = [];
  if (roles.includes('trading')) {
    // the journal's activity stays registered here too: histories from before the journal had its
    // own queue schedule it on this one (src/workflows/tradeLogOutbox.ts, JOURNAL_TASK_QUEUE_PATCH)
    workers.push(
      await Worker.create({
        connection: deps.connection,
        namespace,
        taskQueue,
        // a bundle prebuilt by scripts/bundle-workflows.ts (the Docker image), else bundled at start
        ...(process.env.DE_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: process.env.DE_WORKFLOW_BUNDLE } } : { workflowsPath: WORKFLOWS_PATH }),
        activities: createActivities(deps.activityDeps),
        // running activities get this long to finish on shutdown before they are cancelled
        shutdownGraceTime: '20s',
        ...deps.options,
      }),
    );
  }
  if (roles.includes('journal')) {
    workers.push(
      await Worker.create({
        connection: deps.connection,
        namespace,
        taskQueue: journalTaskQueue(taskQueue),
        activities: journalActivities(deps.activityDeps),
        shutdownGraceTime: '20s',
      }),
    );
  }
  if (workers.length === 0) throw new Error('a worker needs at least one role (trading, journal)');
  return new WorkerGroup(workers);
}

export interface ActivityDepsOptions {
  /** paper mode: the simulator's URL (overrides exchange.simulator_url; e.g. the one npm start started) */
  simulatorUrl?: string;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}

/** The activities' dependencies from the config, with every secret from the environment. */
export function buildActivityDeps(config: TradingConfig, opts: ActivityDepsOptions = {}): ActivityDeps {
  const env = opts.env ?? process.env;
  const exchangeConfig = {
    ...config.exchange,
    simulator_url: opts.simulatorUrl ?? env.DE_SIMULATOR_URL ?? config.exchange.simulator_url,
  };
  const ccxtOptions = ccxtOptionsFromConfig(exchangeConfig, env);
  // Paper trading signs with the paper account's own key pair: a real key never goes to the simulator.
  if (config.exchange.mode === 'paper') ccxtOptions.credentials = paperCredentials(env);
  const realCredentials = credentialsFromEnv(env);
  const secrets = [realCredentials?.apiKey, realCredentials?.secret, env.OPENAI_API_KEY?.trim() || undefined];
  // the LLM budget's ledger is the portfolio workflow's, one for all workers; the state file is this worker's copy
  const warn = opts.warn ?? ((m: string) => console.warn(`WARNING: ${m}`));
  const spendLedger = (stateFile: string) => new PortfolioSpendBook({ portfolio: portfolioInput(config), copy: new SpendLedger(stateFile), warn });
  return {
    gateway: new ExchangeGateway(sharedCcxt(ccxtOptions)),
    strategist: createStrategist(config, env, opts.warn, spendLedger),
    tradeLog: openTradeLog(config.trade_log, { secrets: secrets.filter((s): s is string => !!s) }),
    timeframes: config.timeframes,
    risk: config.risk,
    maxReasoningChars: config.strategist.max_reasoning_chars,
    marketGuard: {
      limits: marketLimitsFrom(config.market_data, config.cycle_interval),
      wallClocked: config.exchange.mode !== 'paper',
      watch: new FeedWatch(config.market_data.watch_file),
      ...(config.exchange.mode === 'paper' ? { resetHint: PAPER_RESET_HINT } : {}),
    },
    portfolio: portfolioInput(config),
    // a fresh websocket client per connection (ccxt does not subscribe again on one the venue ended)
    ...(config.exchange.user_stream ? { userStream: new CcxtUserStream(() => createCcxtProBinance(ccxtOptions)) } : {}),
    secrets,
  };
}

/** `npm run worker` / the worker container: connect, run until SIGINT/SIGTERM, drain, exit. */
export async function runWorkerProcess(): Promise<void> {
  // we stop the worker ourselves on a signal, so that the order of shutdown is ours; the SDK's
  // default logger (INFO), less its notice that the journal's worker hosts no workflows
  Runtime.install({ shutdownSignals: [], logger: new WithoutJournalWorkerNotice(new DefaultLogger('INFO'), journalTaskQueue(TASK_QUEUE)) });
  const config = loadConfig();
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await NativeConnection.connect({ address });
  const roles = workerRolesFrom();
  const activityDeps = buildActivityDeps(config);
  const llmProblem = await checkStrategistEndpoint(activityDeps.strategist);
  if (llmProblem) console.warn(`WARNING: ${llmProblem}`);
  const worker = await createWorker({ connection, namespace, roles, activityDeps });
  const stop = (signal: string) => {
    console.log(`worker: ${signal} received, finishing running activities (up to 20 s) ...`);
    worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  console.log(
    `worker: ${roles.join(' + ')}: polling ${[...(roles.includes('trading') ? [TASK_QUEUE] : []), ...(roles.includes('journal') ? [journalTaskQueue(TASK_QUEUE)] : [])].join(' and ')} on ${address} (namespace ${namespace}), ${config.exchange.mode} mode, ` +
      `${config.symbols.length} configured symbols`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
    await closeSharedCcxt();
  }
  console.log('worker: stopped');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runWorkerProcess().then(
    () => process.exit(0),
    (err) => {
      console.error(`worker: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
