import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { oneShotScript, startCluster } from '../../src/devstack/cluster/cluster';
import { CLUSTER_ADDRESS_KEYS, composeVersions, serviceEnvironment } from '../../src/devstack/cluster/compose';
import { SERVER_PORT_KEYS, serverEnvironment, type ServerPorts } from '../../src/devstack/cluster/temporalProcess';
import { findClusterTools } from '../../src/devstack/cluster/tools';
import { uiEnvironment } from '../../src/devstack/cluster/uiServer';
import { freePort } from '../../src/devstack/freePort';
import { PROJECT_ROOT, tryConnect } from '../../src/devstack/temporalServer';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contract/searchAttributes';
import { clusterSkip } from '../support/clusterEnv';

/**
 * Issue 10: the plain-process cluster (src/devstack/cluster, `npm run cluster`) is docker-compose.yml
 * run without Docker. These tests fail when the two drift apart (versions, the server's
 * environment and dynamic config, the setup scripts, the search attributes), and prove the harness
 * runs the parts and stops everything it started.
 */

const ports = Object.fromEntries(SERVER_PORT_KEYS.map((k, i) => [k, 20000 + i])) as ServerPorts;

describe('the cluster harness and docker-compose.yml stay in step', () => {
  it('builds the versions compose pins: scripts/cluster-versions.sh reads them from docker-compose.yml', () => {
    const v = composeVersions();
    assert.equal(v.adminTools, v.temporal, 'the schema and namespace one-shots (admin-tools) run the server version');
    const sh = spawnSync('bash', ['-c', 'source scripts/cluster-versions.sh && echo "$TEMPORAL_VERSION $TEMPORAL_UI_VERSION $POSTGRESQL_VERSION"'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.equal(sh.status, 0, sh.stderr);
    assert.equal(sh.stdout.trim(), `${v.temporal} ${v.ui} ${v.postgresql}`);
    const setup = readFileSync(join(PROJECT_ROOT, 'scripts/setup-cluster.sh'), 'utf8');
    assert.match(setup, /source scripts\/cluster-versions\.sh/);
    assert.doesNotMatch(setup, /@v?\d+\.\d+\.\d+/, 'setup-cluster.sh pins no version of its own');
  });

  it("runs the server with compose's environment and dynamic config; only addresses and ports differ", () => {
    const compose = serviceEnvironment('temporal');
    const ours = serverEnvironment({ postgresPort: 5999, ports });
    const differs = Object.keys({ ...compose, ...ours }).filter((k) => compose[k] !== ours[k]).sort();
    const allowed = new Set<string>([...CLUSTER_ADDRESS_KEYS, ...SERVER_PORT_KEYS, 'DYNAMIC_CONFIG_FILE_PATH']);
    assert.deepEqual(differs.filter((k) => !allowed.has(k)), [], 'every other key is compose’s own value');
    assert.equal(ours.DB, 'postgres12');
    // compose mounts ./deploy/temporal/dynamicconfig at /etc/temporal/config/dynamicconfig
    assert.equal(ours.DYNAMIC_CONFIG_FILE_PATH, join(PROJECT_ROOT, 'deploy/temporal/dynamicconfig/production-sql.yaml'));
    const dynamic = parse(readFileSync(ours.DYNAMIC_CONFIG_FILE_PATH!, 'utf8')) as Record<string, Array<{ value: unknown }>>;
    assert.ok(dynamic['limit.maxIDLength'], 'the production dynamic config is the one loaded');
  });

  it("runs compose's own one-shot scripts, and the UI with compose's environment", () => {
    assert.equal(oneShotScript('temporal-schema'), join(PROJECT_ROOT, 'deploy/temporal/setup-postgres.sh'));
    assert.equal(oneShotScript('temporal-setup'), join(PROJECT_ROOT, 'deploy/temporal/create-namespace.sh'));
    const schema = readFileSync(oneShotScript('temporal-schema'), 'utf8');
    assert.match(schema, /pg_isready/, 'waits for PostgreSQL with pg_isready');
    const compose = serviceEnvironment('temporal-ui');
    const ours = uiEnvironment('127.0.0.1:1234', 5678);
    for (const [k, v] of Object.entries(compose)) {
      if (!(CLUSTER_ADDRESS_KEYS as readonly string[]).includes(k)) assert.equal(ours[k], v, `UI ${k}`);
    }
  });
});

describe('the cluster harness runs the parts and stops everything it started', { skip: clusterSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-cluster-harness-'));

  it('serves the pinned server on PostgreSQL with the search attributes and the Web UI', async () => {
    const cluster = await startCluster({ dir });
    try {
      const connection = (await tryConnect(cluster.address, 5_000))!;
      try {
        const info = await connection.workflowService.getSystemInfo({});
        assert.equal(info.serverVersion, composeVersions().temporal, 'the server is the version compose pins');
        const attrs = await connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
        for (const key of SEARCH_ATTRIBUTE_KEYS) {
          assert.equal(attrs.customAttributes?.[key.name], encodeSearchAttributeIndexedValueType(key.type), `search attribute ${key.name}`);
        }
      } finally {
        await connection.close();
      }
      const namespaces = await (await fetch(`${cluster.uiUrl}/api/v1/namespaces`)).json() as { namespaces: Array<{ namespaceInfo: { name: string } }> };
      assert.ok(namespaces.namespaces.some((n) => n.namespaceInfo.name === cluster.namespace), 'the Web UI reads the namespaces from the server');
      assert.match(readFileSync(join(dir, 'postgres/postgres.log'), 'utf8'), /ready to accept connections/);
    } finally {
      await cluster.stop();
    }
    assert.equal(await tryConnect(cluster.address, 1_000), undefined, 'the server is stopped');
  });

  it('`npm run cluster` starts again on the same data and stops everything on Ctrl-C (SIGINT)', async () => {
    findClusterTools();
    const [port, uiPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/devstack/cluster/main.ts', '--dir', dir, '--port', String(port), '--ui-port', String(uiPort)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 180 s:\n${out}`)), 180_000);
      child.stdout.on('data', () => /Temporal cluster ready/.test(out) && (clearTimeout(timer), resolve()));
      void exited.then(() => (clearTimeout(timer), reject(new Error(`exited early:\n${out}`))));
    });
    const postgresPort = Number(/PostgreSQL on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    assert.ok((await tryConnect(`127.0.0.1:${port}`, 2_000)) !== undefined, 'the server answers at --port');
    assert.ok((await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).ok, 'the Web UI answers at --ui-port');
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /cluster: stopped/);
    assert.equal(await tryConnect(`127.0.0.1:${port}`, 1_000), undefined, 'the server is gone');
    await assert.rejects(fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`), 'the Web UI is gone');
    const tools = findClusterTools();
    const probe = spawnSync(join(tools.postgresBin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(postgresPort)]);
    assert.notEqual(probe.status, 0, 'PostgreSQL is gone');
    assert.ok(existsSync(join(dir, 'postgres/data/PG_VERSION')), 'the data stays');
    rmSync(dir, { recursive: true, force: true });
  });
});
