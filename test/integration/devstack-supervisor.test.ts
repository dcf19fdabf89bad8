import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseDevServer, type SupervisedServer } from '../../src/devstack/devServerSupervisor';
import { freePort } from '../../src/devstack/freePort';
import { findTemporalCli, tryConnect } from '../../src/devstack/temporalServer';
import { isSameProcess, processIdentity } from '../../src/localStack/processIdentity';
import { findServer } from '../../src/localStack/stackFiles';

/**
 * The supervisor with a real dev server: it brings a killed server back, and when the server cannot
 * be started again (here its database path has become a directory) it gives up after its bounded
 * attempts with a reason, instead of retrying forever.
 */
describe('dev server supervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-supervise-'));
  let server: SupervisedServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a killed server, then gives up with a reason when it cannot start again', async () => {
    const cliPath = findTemporalCli();
    assert.ok(cliPath, 'the Temporal CLI must be installed (bash scripts/setup-temporal.sh)');
    const dbFile = join(dir, 'temporal.db');
    const address = `127.0.0.1:${await freePort()}`;
    const lines: string[] = [];
    let downs = 0;
    let cameBack!: () => void;
    const back = new Promise<void>((r) => (cameBack = r));
    server = await superviseDevServer(
      { cliPath, address, uiPort: null, dbFile, logFile: join(dir, 'temporal.log') },
      { maxAttempts: 2, firstBackoffMs: 50, stableAfterMs: 0, log: (l) => lines.push(l), onDown: () => downs++, onBack: () => (cameBack(), 'summary') },
    );
    const first = server.pid!;
    const firstExit = server.exited!;
    process.kill(first, 'SIGKILL');
    assert.equal(await firstExit, 'SIGKILL');
    await back;
    assert.equal(downs, 1);
    assert.notEqual(server.pid, first);
    assert.ok(isSameProcess(processIdentity(server.pid!)!), 'a new server process');
    const found = findServer(dbFile);
    assert.equal(found.kind === 'running' && found.record.pid, server.pid, 'its pid file names the new process');
    const answering = await tryConnect(address, 2_000);
    assert.ok(answering, 'the restarted server answers at the same address');
    await answering.close();
    assert.match(lines.join('\n'), new RegExp(`Temporal dev server died \\(pid ${first}, SIGKILL\\): restarting it on ${dbFile} at ${address}`));
    assert.match(lines.join('\n'), /Temporal dev server is back \(pid \d+\): summary/);

    // the database path becomes unusable: every restart fails, and the supervisor stops trying
    renameSync(dbFile, join(dir, 'moved.db'));
    mkdirSync(dbFile);
    const second = server.exited!;
    process.kill(server.pid!, 'SIGKILL');
    await second;
    const reason = await server.gaveUp;
    assert.match(reason.message, /could not be brought back after 2 attempts .*the last: Temporal dev server exited \(code 1\).*; see .*temporal\.log/);
    assert.equal(lines.filter((l) => /restart attempt \d failed/.test(l)).length, 2, lines.join('\n'));
    assert.equal(lines.filter((l) => /died/.test(l)).length, 2, 'one line per death');
  });
});
