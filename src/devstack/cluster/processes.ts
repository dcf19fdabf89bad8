import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * A long-running program of the cluster (PostgreSQL, the Temporal server, the UI server) as a
 * child process with its output in a log file. Its own process group, so a Ctrl-C in the terminal
 * reaches only us and we stop the parts in order; and it is SIGKILLed if this process exits
 * without stopping it, so nothing is left behind.
 */
export interface ClusterProcess {
  name: string;
  pid: number;
  logFile: string;
  /** why it ended, once it has; undefined while it runs */
  exitInfo(): string | undefined;
  /** SIGTERM (or `signal`), then SIGKILL after graceMs; resolves once it is gone */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** SIGKILL: no shutdown of any kind */
  kill(): Promise<void>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number },
): ClusterProcess {
  const out = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    const spawnOpts: SpawnOptions = { stdio: ['ignore', out, out], detached: true, env: opts.env ?? process.env, cwd: opts.cwd };
    if (opts.uid !== undefined) Object.assign(spawnOpts, { uid: opts.uid, gid: opts.gid });
    child = spawn(command, args, spawnOpts);
  } finally {
    closeSync(out);
  }
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `${name} exited (${signal ?? `code ${code}`}); see ${opts.logFile}`;
      resolve();
    });
    child.once('error', (err) => {
      exitInfo = `cannot run ${command}: ${err.message}`;
      resolve();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) => {
    if (exitInfo) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    name,
    pid: child.pid ?? -1,
    logFile: opts.logFile,
    exitInfo: () => exitInfo,
    stop,
    kill: () => stop('SIGKILL'),
  };
}

/**
 * Polls `ready` (a real probe: a connection, an RPC, pg_isready) until it holds; fails early when
 * the process died, and at the deadline with the last reason. The pause is between probes only.
 */
export async function waitUntil(
  what: string,
  ready: () => Promise<true | string>,
  opts: { timeoutMs: number; process?: ClusterProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: string;
  for (;;) {
    const gone = opts.process?.exitInfo();
    if (gone) throw new Error(`${what}: ${gone}`);
    const result = await ready().catch((err: Error) => err.message);
    if (result === true) return;
    last = result;
    if (Date.now() > deadline) throw new Error(`${what} within ${opts.timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
