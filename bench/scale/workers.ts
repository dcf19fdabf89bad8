import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ToCoordinator, WorkerReport, WorkerSettings } from './protocol';

/**
 * The scale bench's worker processes (bench/scale/workerProcess.ts), started with this process's
 * Node flags (tsx, --expose-gc) and an IPC channel. A worker that is still running when this
 * process exits is killed, so a failed bench never leaves one behind.
 */

const WORKER_SCRIPT = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));
/** a worker loads the prebuilt bundle, the candle files and connects: seconds, more on a busy machine */
const READY_TIMEOUT_MS = 120_000;
const REPORT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

export interface ScaleWorker {
  pid: number;
  /** what it ran and its memory (its RSS sampling ends here) */
  report(): Promise<WorkerReport>;
  /** graceful shutdown; SIGKILL when it does not end in time */
  stop(): Promise<void>;
}

function waitFor<T>(child: ChildProcess, what: string, timeoutMs: number, pick: (m: ToCoordinator) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      fn();
    };
    const onMessage = (m: ToCoordinator) => {
      const value = pick(m);
      if (value !== undefined) done(() => resolve(value));
    };
    const onExit = (code: number | null, signal: string | null) => done(() => reject(new Error(`scale worker ${child.pid} exited (${signal ?? code}) before ${what}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`scale worker ${child.pid}: no ${what} within ${timeoutMs / 1000} s`))), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startScaleWorker(settings: WorkerSettings, log: (line: string) => void): Promise<ScaleWorker> {
  const child = spawn(process.execPath, [...process.execArgv, WORKER_SCRIPT], {
    env: { ...process.env, BENCH_SCALE_WORKER: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(`  [worker ${child.pid}] ${line}`);
    });
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  try {
    await waitFor(child, 'polling', READY_TIMEOUT_MS, (m) => (m.type === 'ready' ? true : undefined));
  } catch (err) {
    if (alive()) child.kill('SIGKILL');
    throw err;
  }
  return {
    pid: child.pid!,
    async report() {
      const reply = waitFor(child, 'its report', REPORT_TIMEOUT_MS, (m) => (m.type === 'report' ? m : undefined));
      child.send({ type: 'report' });
      return reply;
    },
    async stop() {
      if (!alive()) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
