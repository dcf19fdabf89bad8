import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contract/searchAttributes';

/**
 * docker-compose.yml must stay in step with the code: the services exist, every command it runs is
 * a file of this repo, and the search attributes it creates are the workflows' own.
 */

const SERVICES = ['postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui', 'simulator', 'worker', 'journal', 'symbols'];
const composeFile = join(PROJECT_ROOT, 'docker-compose.yml');
// .env holds the secrets and is not in the repo; the example has every key with empty values.
// scripts/setup-compose.sh installs Compose v2 as a docker CLI plugin under .tools/docker (CI runs it).
const projectDockerConfig = join(PROJECT_ROOT, '.tools/docker');
const composeEnv = {
  ...process.env,
  DE_ENV_FILE: '.env.example',
  ...(existsSync(join(projectDockerConfig, 'cli-plugins/docker-compose')) ? { DOCKER_CONFIG: projectDockerConfig } : {}),
};

type Service = { image?: string; build?: unknown; command?: string[]; entrypoint?: string[]; env_file?: unknown; environment?: Record<string, string> };

function compose(): { services: Record<string, Service> } {
  return parse(readFileSync(composeFile, 'utf8'), { merge: true });
}

/** `docker compose` (v2 plugin), else `docker-compose`; undefined when neither runs here. */
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', env: composeEnv }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  return undefined;
}

describe('docker-compose.yml', () => {
  it('has the production services: Temporal on PostgreSQL, the Web UI, the setup one-shots, simulator, worker', () => {
    const { services } = compose();
    for (const name of SERVICES) assert.ok(services[name], `service ${name} is missing`);
    assert.match(services.temporal!.image!, /^temporalio\/server:/);
    assert.equal(services.temporal!.environment!.DB, 'postgres12');
    assert.match(services['temporal-ui']!.image!, /^temporalio\/ui:/);
    assert.match(services['temporal-setup']!.image!, /^temporalio\/admin-tools:/);
    assert.ok(services.worker!.build, 'the worker is built from the repo');
    // several trading workers, one journal writer with the data volume
    assert.equal(services.worker!.environment!.DE_WORKER_ROLES, 'trading');
    assert.equal(services.journal!.environment!.DE_WORKER_ROLES, 'journal');
  });

  it('runs only files that exist in the repo', () => {
    const { services } = compose();
    const files = new Set<string>();
    for (const svc of Object.values(services)) {
      for (const part of [...(svc.entrypoint ?? []), ...(svc.command ?? [])]) {
        if (/^(src|\/deploy)\/.*\.(ts|sh)$/.test(part)) files.add(part.replace(/^\/deploy\//, 'deploy/temporal/'));
      }
    }
    assert.ok(files.has('src/worker.ts') && files.has('src/client.ts'));
    for (const f of files) assert.ok(existsSync(join(PROJECT_ROOT, f)), `${f} (named in docker-compose.yml) does not exist`);
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20/m);
    assert.match(dockerfile, /npm ci/);
  });

  it('creates exactly the search attributes the workflows use', () => {
    const script = readFileSync(join(PROJECT_ROOT, 'deploy/temporal/create-namespace.sh'), 'utf8');
    const line = /^attributes="([^"]+)"/m.exec(script);
    assert.ok(line, 'create-namespace.sh lists its attributes as NAME:Type');
    const created = line[1]!.trim().split(/\s+/).sort();
    const typeName = (t: string) => t.toLowerCase().replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase());
    const wanted = SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name}:${typeName(k.type)}`).sort();
    assert.deepEqual(created, wanted);
  });

  it('keeps secrets out of the file: they come from the env file', () => {
    const text = readFileSync(composeFile, 'utf8');
    assert.doesNotMatch(text, /(BINANCE_API_KEY|BINANCE_API_SECRET|OPENAI_API_KEY)\s*:/, 'no real key is set in docker-compose.yml');
    assert.ok(compose().services.worker!.env_file, 'the worker reads its secrets from the env file');
    const ignore = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8');
    assert.match(ignore, /^\.env$/m, '.env never goes into the image');
  });

  it('passes `docker compose config` (the compose implementation validates it)', (t) => {
    const cmd = composeCommand();
    if (!cmd) {
      // CI installs Compose (scripts/setup-compose.sh): there, a missing implementation is a failure
      if (process.env.CI) assert.fail('CI must check docker-compose.yml with `docker compose config`; run scripts/setup-compose.sh');
      t.skip('SKIPPED: neither `docker compose` nor `docker-compose` runs on this machine; the file was checked statically only');
      return;
    }
    const run = spawnSync(cmd[0]!, [...cmd.slice(1), 'config', '--quiet'], { cwd: PROJECT_ROOT, env: composeEnv, encoding: 'utf8' });
    assert.equal(run.status, 0, `${cmd.join(' ')} config failed:\n${run.stderr}`);
    const listed = spawnSync(cmd[0]!, [...cmd.slice(1), 'config', '--services'], { cwd: PROJECT_ROOT, env: composeEnv, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const services = listed.stdout.split('\n').filter(Boolean);
    for (const name of SERVICES) assert.ok(services.includes(name), `${cmd.join(' ')} does not list service ${name}`);
  });
});
