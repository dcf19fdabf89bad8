import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  ensureTemporalServer,
  findTemporalCli,
  startDevServer,
  tryConnect,
  TemporalServerError,
  type TemporalServerHandle,
} from '../../src/devstack/temporalServer';
import { freePort } from '../../src/devstack/freePort';
import { registerSearchAttributes } from '../../src/cli/searchAttributes';

const keys = [
  defineSearchAttributeKey('DevstackTestSymbol', SearchAttributeType.KEYWORD),
  defineSearchAttributeKey('DevstackTestCycles', SearchAttributeType.INT),
];

describe('Temporal server launcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-devstack-'));
  const cliPath = findTemporalCli();
  let server: TemporalServerHandle | undefined;
  let address = '';
  let uiPort = 0;

  before(async () => {
    assert.ok(cliPath, 'the Temporal CLI must be installed (bash scripts/setup-temporal.sh)');
    address = `127.0.0.1:${await freePort()}`;
    uiPort = await freePort();
    server = await startDevServer({
      cliPath,
      address,
      uiPort,
      dbFile: join(dir, 'temporal.db'),
      logFile: join(dir, 'temporal.log'),
    });
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the CLI from TEMPORAL_CLI_PATH and refuses a path that is not executable', () => {
    const fake = join(dir, 'temporal-fake');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    assert.equal(findTemporalCli({ TEMPORAL_CLI_PATH: fake, PATH: '' }), fake);
    assert.throws(() => findTemporalCli({ TEMPORAL_CLI_PATH: join(dir, 'missing'), PATH: '' }), TemporalServerError);
    assert.equal(findTemporalCli({ PATH: dir }, dir), undefined, 'no CLI in an empty project and PATH');
  });

  it('reports nothing at an address where no server listens', async () => {
    const port = await freePort();
    assert.equal(await tryConnect(`127.0.0.1:${port}`, 500), undefined);
  });

  it('starts a dev server that answers, with its Web UI', async () => {
    assert.ok(server);
    assert.equal(server.startedHere, true);
    const info = await server.connection.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'the server reports its version');
    assert.equal(server.uiUrl, `http://localhost:${uiPort}`);
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await fetch(`http://127.0.0.1:${uiPort}/`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, 'the Web UI serves its page');
  });

  it('registers search attributes idempotently', async () => {
    assert.ok(server);
    const first = await registerSearchAttributes(server.connection, 'default', keys);
    assert.deepEqual(first.sort(), ['DevstackTestCycles', 'DevstackTestSymbol']);
    const second = await registerSearchAttributes(server.connection, 'default', keys);
    assert.deepEqual(second, []);
    const listed = await server.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.ok(listed.customAttributes?.DevstackTestSymbol !== undefined);
    await assert.rejects(
      registerSearchAttributes(server.connection, 'default', [
        defineSearchAttributeKey('DevstackTestSymbol', SearchAttributeType.INT),
      ]),
      /DevstackTestSymbol already exists .* another type/,
    );
  });

  it('re-uses a server that already answers instead of starting another', async () => {
    const reused = await ensureTemporalServer({ address, searchAttributes: keys, log: () => undefined });
    try {
      assert.equal(reused.startedHere, false);
      await reused.connection.workflowService.getSystemInfo({});
    } finally {
      await reused.stop();
    }
    assert.ok(await tryConnect(address, 1_000).then((c) => c?.close().then(() => true)), 'the reused server still runs');
  });

  it('stops cleanly, and its database keeps what was registered across a restart', async () => {
    assert.ok(server && cliPath);
    const pid = server.pid!;
    await server.stop();
    server = undefined;
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the dev server process is gone');
    assert.equal(await tryConnect(address, 500), undefined);

    server = await startDevServer({
      cliPath,
      address,
      uiPort: null,
      dbFile: join(dir, 'temporal.db'),
      logFile: join(dir, 'temporal.log'),
    });
    const added = await registerSearchAttributes(server.connection, 'default', keys);
    assert.deepEqual(added, [], 'the attributes survived the restart in the SQLite file');
  });
});
