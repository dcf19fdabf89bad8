import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';
import { freePort } from '../../src/devstack/freePort';
import { findTemporalCli, startDevServer, TemporalServerError, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { registerSearchAttributes } from '../../src/cli/searchAttributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contract/searchAttributes';
import { journalTaskQueue } from '../../src/contract/ids';

/**
 * Real Temporal servers for workflow tests, from the project's own pinned binaries (installed by
 * scripts/setup-temporal.sh). The SDK is never allowed to download a server.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

export function binaryPath(envVar: string, name: string): string {
  const path = process.env[envVar] || `${ROOT}.tools/py/bin/${name}`;
  if (!existsSync(path)) {
    throw new Error(`${name} not found at ${path}: run scripts/setup-temporal.sh (or set ${envVar})`);
  }
  return path;
}

/**
 * The Java time-skipping test server: a workflow's timers fire when the test calls env.sleep, so a
 * 15-minute cycle takes no wall time. The product's search attributes are registered on it.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: binaryPath('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server') } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

/**
 * The CLI's dev server as `npm start` runs it (SQLite file), headless on a free 127.0.0.1 port with
 * its database and log in `dir`, and the product's search attributes registered.
 */
export async function devServerIn(dir: string): Promise<TemporalServerHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await devServerOn(dir, `127.0.0.1:${await freePort()}`);
    } catch (err) {
      // A port picked free can be taken before the server binds it (the dev server also binds
      // internal ports of its own choosing): once more on another port. Any other failure, or a
      // second one, is the test's.
      if (attempt >= 2 || !(err instanceof TemporalServerError) || !/exited \(code/.test(err.message)) throw err;
      console.error(`dev server start failed, once more on another port: ${err.message}`);
    }
  }
}

/** the same on a given address: a dev server started again on the database of one that died */
export async function devServerOn(dir: string, address: string): Promise<TemporalServerHandle> {
  const cliPath = findTemporalCli();
  if (!cliPath) throw new Error('the Temporal CLI must be installed (bash scripts/setup-temporal.sh)');
  const server = await startDevServer({
    cliPath,
    address,
    uiPort: null,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
  });
  await registerSearchAttributes(server.connection, 'default', SEARCH_ATTRIBUTE_KEYS);
  return server;
}

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (@temporalio/proto is not a direct dependency) */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

let queues = 0;
/**
 * a worker on a fresh task queue with these activities, for the duration of `fn`. `opts.taskQueue`:
 * a worker started again for workflows already running there; `opts.maxCachedWorkflows: 0`: no
 * sticky cache, so a worker that stops leaves no task behind on its own sticky queue (the
 * time-skipping server never hands such a task back to the shared queue)
 */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: object,
  fn: (taskQueue: string) => Promise<T>,
  opts: { taskQueue?: string; maxCachedWorkflows?: number } = {},
): Promise<T> {
  const taskQueue = opts.taskQueue ?? `test-${process.pid}-${++queues}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
  });
  // the trade log's own queue, served from the same activities (src/worker.ts does the same)
  const appendTradeLog = (activities as { appendTradeLog?: unknown }).appendTradeLog;
  if (typeof appendTradeLog !== 'function') return worker.runUntil(fn(taskQueue));
  const journal = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: journalTaskQueue(taskQueue),
    activities: { appendTradeLog: appendTradeLog.bind(activities) },
  });
  return journal.runUntil(worker.runUntil(fn(taskQueue)));
}

/** the Temporal CLI dev server (real time), with the product's search attributes registered */
export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binaryPath('TEMPORAL_CLI_PATH', 'temporal') },
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      ip: '127.0.0.1',
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** bundled once per test process and shared by every worker in it */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundle;
}

const noop = () => {};

const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

// The SDK's own INFO lines (worker state changes) drown test output; warnings and errors stay.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by another module of this process
}
