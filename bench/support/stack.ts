import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startCluster, type ClusterHandle } from '../../src/devstack/cluster/cluster';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { freePort } from '../../src/devstack/freePort';
import { findTemporalCli, startDevServer, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { registerSearchAttributes } from '../../src/cli/searchAttributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contract/searchAttributes';
import { journalTaskQueue } from '../../src/contract/ids';

/**
 * A throw-away Temporal stack for one bench run: the project's pinned Temporal CLI dev server
 * (src/devstack, the same launcher `npm start` uses) on free 127.0.0.1 ports with a SQLite file in
 * a temp dir, the product's search attributes registered, a client, and a worker in this process
 * hosting the real workflows with the bench's fake activities. close() stops the worker, then the
 * server, and removes the temp dir; Ctrl-C does the same before exiting.
 */

// Our own signal handling: the server child must be stopped after the worker, never left behind.
Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });

/** src/workflows/index.ts, as src/worker.ts has it (not imported from there: it loads ccxt and openai, which would count in the RSS) */
const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

const quiet = () => {};
const bundleLogger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet };
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** the product's workflows (src/workflows/index.ts), bundled once per bench process */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: bundleLogger });
  return bundle;
}

export interface BenchStack {
  address: string;
  /** CPU seconds the dev server process has used so far (Linux /proc), NaN where unknown */
  serverCpuSeconds(): number;
  client: Client;
  connection: NativeConnection;
  taskQueue: string;
  /** starts the worker (it runs until close()) */
  startWorker(activities: object, options?: Partial<WorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

const open = new Set<BenchStack>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the worker and the Temporal server ...`);
    void Promise.allSettled([...open].map((s) => s.close())).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/**
 * Where the dev server keeps its state: `file` (SQLite on disk, as `npm start` runs it: the default)
 * or `memory` (the CLI's in-memory SQLite, through @temporalio/testing), to show the store's share.
 * BENCH_TEMPORAL_STORE chooses it.
 */
export type ServerStore = 'file' | 'memory' | 'cluster';

/** `cluster`: the production cluster (src/devstack/cluster: the Temporal server on PostgreSQL; needs scripts/setup-cluster.sh) */
export function serverStore(): ServerStore {
  const store = process.env.BENCH_TEMPORAL_STORE ?? 'file';
  if (store !== 'file' && store !== 'memory' && store !== 'cluster') {
    throw new Error(`BENCH_TEMPORAL_STORE must be file, memory or cluster, got "${store}"`);
  }
  return store;
}

export async function startBenchStack(name: string, store: ServerStore = serverStore()): Promise<BenchStack> {
  hookSignals();
  const cliPath = findTemporalCli();
  if (!cliPath) throw new Error('no Temporal CLI: run bash scripts/setup-temporal.sh (or set TEMPORAL_CLI_PATH)');
  const dir = mkdtempSync(join(tmpdir(), `de-bench-${name}-`));
  const address = `127.0.0.1:${await freePort()}`;
  let server: TemporalServerHandle | undefined;
  let memoryEnv: TestWorkflowEnvironment | undefined;
  let cluster: ClusterHandle | undefined;
  let clientConnection: Connection | undefined;
  let serverPid: number | undefined;
  let killOnExit: (() => void) | undefined;
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let journalWorker: Worker | undefined;
  let running: Promise<void> | undefined;
  const close = async () => {
    open.delete(stack);
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    if (journalWorker && journalWorker.getState() === 'RUNNING') journalWorker.shutdown();
    await running?.catch((err) => console.error(`worker: ${(err as Error).message}`));
    await connection?.close().catch(() => undefined);
    await server?.stop();
    await clientConnection?.close().catch(() => undefined);
    await cluster?.stop();
    await memoryEnv?.teardown();
    if (killOnExit) process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const stack: BenchStack = {
    address,
    client: undefined as unknown as Client,
    connection: undefined as unknown as NativeConnection,
    taskQueue: `bench-${name}`,
    serverCpuSeconds: () => processCpuSeconds(serverPid),
    async startWorker(activities, options = {}) {
      if (worker) throw new Error('one worker per bench stack');
      worker = await Worker.create({
        connection: stack.connection,
        namespace: 'default',
        taskQueue: stack.taskQueue,
        workflowBundle: await workflowBundle(),
        activities,
        ...options,
      });
      // the trade log's own queue (src/worker.ts serves it beside the workflows' one)
      const appendTradeLog = (activities as { appendTradeLog?: unknown }).appendTradeLog;
      const journal =
        typeof appendTradeLog === 'function'
          ? await Worker.create({
              connection: stack.connection,
              namespace: 'default',
              taskQueue: journalTaskQueue(stack.taskQueue),
              activities: { appendTradeLog: appendTradeLog.bind(activities) },
            })
          : undefined;
      const main = worker;
      running = journal
        ? Promise.all([main.run(), journal.run()]).then(() => undefined)
        : main.run();
      journalWorker = journal;
      return worker;
    },
    close,
  };
  open.add(stack);
  try {
    if (store === 'cluster') {
      cluster = await startCluster({ dir: join(dir, 'cluster'), uiPort: null });
      serverPid = cluster.serverProcess().pid;
      stack.address = cluster.address;
      connection = await NativeConnection.connect({ address: cluster.address });
      stack.connection = connection;
      clientConnection = await Connection.connect({ address: cluster.address });
      stack.client = new Client({ connection: clientConnection, namespace: cluster.namespace });
    } else if (store === 'file') {
      server = await startDevServer({ cliPath, address, uiPort: null, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'server.log') });
      serverPid = server.pid;
      await registerSearchAttributes(server.connection, 'default', SEARCH_ATTRIBUTE_KEYS);
      connection = await NativeConnection.connect({ address });
      stack.connection = connection;
      stack.client = new Client({ connection: server.connection, namespace: 'default' });
    } else {
      const before = childServers();
      memoryEnv = await TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'existing-path', path: cliPath }, searchAttributes: [...SEARCH_ATTRIBUTE_KEYS], ip: '127.0.0.1' },
      });
      serverPid = childServers().find((pid) => !before.includes(pid));
      // the SDK's server outlives a process that dies without teardown: never leave one behind
      const pid = serverPid;
      killOnExit = () => {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      process.once('exit', killOnExit);
      stack.connection = memoryEnv.nativeConnection;
      stack.client = memoryEnv.client;
      stack.address = '(in-memory dev server)';
    }
  } catch (err) {
    await close();
    throw err;
  }
  return stack;
}

/** utime + stime of a process from /proc/<pid>/stat (clock ticks of 1/100 s on Linux) */
function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** pids of Temporal CLI processes this process started (the in-memory server is spawned by the SDK's core) */
function childServers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'temporal' && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
