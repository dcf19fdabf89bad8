import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/devstack/freePort';
import { PROJECT_ROOT, tryConnect } from '../../src/devstack/temporalServer';
import { isSameProcess } from '../../src/localStack/processIdentity';
import { serverPidFile, stackLockFile, type ServerRecord } from '../../src/localStack/stackFiles';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { stateQuery } from '../../src/contract/signals';
import { npmStarts, paperStackEnv } from '../support/npmStart';
import { eventually } from '../support/watchProcess';

/**
 * The dev stack heals itself, shown with real processes: a real `npm start` (src/devstack/start.ts)
 * with its dev server, simulator, worker and symbol workflow; the dev server SIGKILLed under it;
 * npm start's whole process group SIGKILLed and started again; the CLI asked while its server is
 * down and when nothing runs.
 */

/** dev server processes (start-dev) whose command line names this database */
function serversOn(dbFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('start-dev') && argv.includes(dbFile)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

describe('npm start heals its Temporal dev server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-heal-'));
  const data = join(dir, 'data');
  const dbFile = join(data, 'temporal.db');
  let env: NodeJS.ProcessEnv;
  let address = '';
  let args: string[] = [];
  const runs = npmStarts(() => env);
  const stopped: number[] = [];

  const start = (detached = false) => runs.start(args, { detached });

  const cli = (cliArgs: string[]) =>
    new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/client.ts', ...cliArgs], {
        cwd: PROJECT_ROOT,
        env: { ...env, DE_CONNECT_TIMEOUT_MS: '1500' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  const serverRecord = (): ServerRecord => JSON.parse(readFileSync(serverPidFile(dbFile), 'utf8')) as ServerRecord;

  const withClient = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    try {
      return await fn(new Client({ connection }));
    } finally {
      await connection.close();
    }
  };

  const traderState = () => withClient((c) => c.workflow.getHandle('trader-BTCUSDT').query(stateQuery));
  const runIds = () =>
    withClient(async (c) => ({
      trader: (await c.workflow.getHandle('trader-BTCUSDT').describe()).runId,
      monitor: (await c.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID).describe()).runId,
    }));

  before(async () => {
    address = `127.0.0.1:${await freePort()}`;
    env = paperStackEnv(dir, { address, simPort: await freePort(), symbols: '[BTCUSDT]', cycleInterval: '3s', strategist: 'rules' });
    args = ['--feed', 'candles', '--candles-dir', sharedCandlesDir(), '--ui-port', String(await freePort())];
  });

  /** gracefully stops every npm start this suite started that still runs (a failed test's too) */
  const stopAll = async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await runs.stopAll();
  };

  after(async () => {
    await stopAll();
    // a server orphaned by a failed test must not outlive it
    for (const pid of serversOn(dbFile)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings a SIGKILLed dev server back by itself; the workflows carry on on their original runs', async () => {
    const stack = start();
    await stack.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    const before = await eventually('a first cycle', async () => {
      const s = await traderState();
      return s.lastCycleAt === null ? undefined : s;
    });
    const runs = await runIds();
    const first = serverRecord();
    assert.ok(isSameProcess(first), 'the pid file names the live dev server');

    process.kill(first.pid, 'SIGKILL');
    await stack.waitFor(new RegExp(`Temporal dev server died \\(pid ${first.pid}, SIGKILL\\): restarting it on ${dbFile}`), 30_000);
    const back = await stack.waitFor(
      /Temporal dev server is back \(pid (\d+)\): Temporal server unreachable for \d+ s, \d+ SDK retry warnings summarised/,
      60_000,
    );
    const second = serverRecord();
    assert.equal(second.pid, Number(back[1]));
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.address, address, 'the same ports');
    assert.deepEqual(serversOn(dbFile), [second.pid], 'one server on the database');

    const after = await eventually('a cycle after the restart', async () => {
      const s = await traderState();
      return s.lastCycleAt! > before.lastCycleAt! ? s : undefined;
    });
    assert.equal(after.phase === 'STOPPED', false);
    assert.deepEqual(await runIds(), runs, 'the symbol and the monitor workflows are on their original runs');
    assert.doesNotMatch(stack.output(), /retried \d+ times|temporalio_client::retry/, 'SDK retry warnings are summarised, not streamed');

    // the CLI while npm start runs and its server does not answer (stopped, not dead: no restart)
    process.kill(second.pid, 'SIGSTOP');
    stopped.push(second.pid);
    try {
      const down = await cli(['status']);
      assert.equal(down.code, 1);
      assert.match(down.stderr, new RegExp(`the Temporal server at ${address} is down .*npm start \\(pid ${stack.child.pid}\\) is running`));
    } finally {
      process.kill(second.pid, 'SIGCONT');
    }
    const status = await cli(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /BTCUSDT/);

    stack.child.kill('SIGTERM');
    assert.equal(await stack.exited, 0, stack.output());
    assert.equal(existsSync(serverPidFile(dbFile)), false, 'a graceful stop removes the server pid file');
    assert.equal(existsSync(stackLockFile(data)), false, 'and the stack lock');
    const nothing = await cli(['status']);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /Nothing is running — start it with npm start/);
  });

  it('exits with a clear error when the dev server cannot be brought back (bounded retries)', async () => {
    await stopAll();
    const stack = start();
    await stack.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    const server = serverRecord();
    // the database path becomes a directory: no restart can succeed
    renameSync(dbFile, join(dir, 'moved.db'));
    mkdirSync(dbFile);
    try {
      process.kill(server.pid, 'SIGKILL');
      assert.equal(await stack.exited, 1, stack.output());
    } finally {
      rmSync(dbFile, { recursive: true, force: true });
      renameSync(join(dir, 'moved.db'), dbFile);
    }
    const out = stack.output();
    assert.equal(out.match(/restart attempt \d failed/g)?.length, 5, out);
    assert.match(out, /error: the Temporal dev server could not be brought back after 5 attempts/);
    assert.equal(existsSync(stackLockFile(data)), false, 'the stack lock is released');
  });

  it("the next start stops the dev server left over after npm start's whole process group was killed", async () => {
    await stopAll();
    const killed = start(true);
    await killed.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    const orphan = serverRecord();
    process.kill(-killed.child.pid!, 'SIGKILL');
    await killed.exited;
    assert.ok(isSameProcess(orphan), 'the dev server (its own process group) outlives npm start');
    const answering = await tryConnect(address, 2_000);
    assert.ok(answering, 'and still answers');
    await answering.close();

    // the server answers, so the CLI works against it (no worker: list, from visibility)
    const list = await cli(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /trader-BTCUSDT/);

    const next = start();
    await next.waitFor(new RegExp(`left over from a killed run still runs on ${dbFile} \\(pid ${orphan.pid}, ${address}\\); stopping it`));
    await next.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    assert.equal(isSameProcess(orphan), false, 'the orphan was stopped');
    const owned = serverRecord();
    assert.notEqual(owned.pid, orphan.pid);
    assert.equal(owned.owner.pid, next.child.pid, 'the new server is owned by the new npm start');
    assert.deepEqual(serversOn(dbFile), [owned.pid], 'never a second server on the same database');
    assert.match(next.output(), /BTCUSDT +already running/, 'the workflows survived in the database');

    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0, next.output());
    assert.deepEqual(serversOn(dbFile), []);
  });
});
