import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unreachableMessage } from '../../src/cli/unreachable';
import { settleLeftoverServer } from '../../src/devstack/leftoverServer';
import { claimStack, StackBusy } from '../../src/devstack/stackLock';
import { processIdentity } from '../../src/localStack/processIdentity';
import { findServer, findStack, serverPidFile, stackLockFile, writeRecord, type ServerRecord } from '../../src/localStack/stackFiles';

/**
 * The pid files with real processes: one that exited, a pid that now belongs to another program,
 * a live owner. A pid file is only believed when pid, start time and command line all match.
 */

/** a real process that runs until killed (with extra argv, e.g. to look like a dev server on a database) */
function longRunning(...argv: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30); console.log("up")', ...argv], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve) => child.stdout!.once('data', () => resolve(child)));
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

describe('pid files of the local stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-pidfiles-'));
  const dbFile = join(dir, 'temporal.db');
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (pid: number, startTime: string, owner = { pid: 1, startTime: 'x' }): ServerRecord => ({
    pid,
    startTime,
    command: ['temporal', 'server', 'start-dev', '--db-filename', dbFile],
    address: '127.0.0.1:1',
    uiPort: null,
    dbFile,
    owner,
  });

  it('a pid file whose process is gone is stale, and the next start removes it', async () => {
    const gone = await longRunning();
    const identity = processIdentity(gone.pid!)!;
    gone.kill('SIGKILL');
    await exited(gone);
    writeRecord(serverPidFile(dbFile), record(identity.pid, identity.startTime));
    const found = findServer(dbFile);
    assert.equal(found.kind, 'stale');
    assert.match(found.kind === 'stale' ? found.reason : '', new RegExp(`process ${identity.pid} .* is gone`));
    const lines: string[] = [];
    await settleLeftoverServer(dbFile, (l) => lines.push(l));
    assert.equal(existsSync(serverPidFile(dbFile)), false);
    assert.match(lines.join('\n'), /removing that stale pid file/);
  });

  it('a pid now used by another program is not mistaken for the server (and is never signalled)', async () => {
    const other = await longRunning();
    children.push(other);
    const identity = processIdentity(other.pid!)!;
    // same pid and start time, but not a dev server on this database: the pid was reused
    writeRecord(serverPidFile(dbFile), record(identity.pid, identity.startTime));
    assert.match(JSON.stringify(findServer(dbFile)), /now belongs to another program/);
    // right command line but another start time: an older process with the same pid
    writeRecord(serverPidFile(dbFile), record(identity.pid, `${identity.startTime}0`));
    assert.equal(findServer(dbFile).kind, 'stale');
    await settleLeftoverServer(dbFile, () => undefined);
    assert.equal(other.exitCode, null, 'the other program still runs');
    assert.ok(processIdentity(other.pid!), 'and was not signalled');
    writeFileSync(serverPidFile(dbFile), 'not json');
    assert.equal(findServer(dbFile).kind, 'stale');
  });

  it('a leftover server whose owner still runs is refused; once its owner is gone it is stopped', async () => {
    const server = await longRunning('start-dev', '--db-filename', dbFile);
    const owner = await longRunning();
    children.push(server, owner);
    const s = processIdentity(server.pid!)!;
    const o = processIdentity(owner.pid!)!;
    writeRecord(serverPidFile(dbFile), record(s.pid, s.startTime, { pid: o.pid, startTime: o.startTime }));
    assert.equal(findServer(dbFile).kind, 'running');
    await assert.rejects(settleLeftoverServer(dbFile, () => undefined), new RegExp(`belongs to process ${o.pid}, which still runs`));
    assert.equal(server.exitCode, null);

    owner.kill('SIGKILL');
    await exited(owner);
    const lines: string[] = [];
    await settleLeftoverServer(dbFile, (l) => lines.push(l));
    assert.match(lines.join('\n'), new RegExp(`left over from a killed run still runs on ${dbFile} \\(pid ${s.pid}`));
    await exited(server);
    assert.equal(server.signalCode, 'SIGTERM', 'stopped with SIGTERM');
    assert.equal(existsSync(serverPidFile(dbFile)), false);
  });

  it("the CLI's message when Temporal does not answer: down while a stack or its server runs, else nothing is running", async () => {
    const env = { DE_DATA_DIR: dir };
    assert.match(unreachableMessage('127.0.0.1:1', 'default', 'refused', env), /Nothing is running — start it with npm start/);
    const server = await longRunning('start-dev', '--db-filename', dbFile);
    children.push(server);
    const s = processIdentity(server.pid!)!;
    writeRecord(serverPidFile(dbFile), record(s.pid, s.startTime));
    assert.match(
      unreachableMessage('127.0.0.1:1', 'default', 'refused', env),
      new RegExp(`the Temporal server at 127\\.0\\.0\\.1:1 is down \\(refused\\): its dev server process \\(pid ${s.pid}\\) runs but does not answer`),
    );
    const where = { address: '127.0.0.1:1', namespace: 'default', dbFile };
    const release = claimStack(dir, where);
    try {
      assert.match(unreachableMessage('127.0.0.1:1', 'default', 'refused', env), new RegExp(`is down \\(refused\\); npm start \\(pid ${process.pid}\\) is running`));
      assert.match(unreachableMessage('127.0.0.1:2', 'default', 'refused', env), /npm start \(pid \d+\) runs its Temporal server at 127\.0\.0\.1:1: use --address/);
    } finally {
      release();
    }
    server.kill('SIGKILL');
    await exited(server);
    assert.match(unreachableMessage('127.0.0.1:1', 'default', 'refused', env), /Nothing is running/, 'stale pid files do not count');
  });

  it('one npm start per data dir: a live one refuses a second; a dead one is replaced', async () => {
    const first = await longRunning();
    children.push(first);
    const identity = processIdentity(first.pid!)!;
    const where = { address: '127.0.0.1:7233', namespace: 'default', dbFile };
    writeRecord(stackLockFile(dir), { pid: identity.pid, startTime: identity.startTime, ...where });
    assert.throws(() => claimStack(dir, where), (e: Error) => e instanceof StackBusy && new RegExp(`already running this stack \\(pid ${identity.pid}`).test(e.message));
    first.kill('SIGKILL');
    await exited(first);
    assert.equal(findStack(dir).kind, 'stale');
    const release = claimStack(dir, where);
    const mine = findStack(dir);
    assert.equal(mine.kind === 'running' && mine.record.pid, process.pid);
    release();
    assert.equal(existsSync(stackLockFile(dir)), false, 'released on a clean stop');
  });
});
