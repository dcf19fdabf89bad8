import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startProcess, waitUntil, type ClusterProcess } from './processes';

/**
 * Temporal's PostgreSQL as a plain process: a data directory made by initdb on first use, the
 * server on 127.0.0.1:<port> with password auth over TCP (as the postgres image sets it up), its
 * socket inside the directory. PostgreSQL refuses to run as root: as root it runs as the
 * distribution's `postgres` user (or `nobody`), which owns the data directory.
 */

export interface PostgresOptions {
  bin: string;
  /** holds data/ (the cluster), the socket and postgres.log */
  dir: string;
  port: number;
  user: string;
  password: string;
}

export interface PostgresHandle {
  port: number;
  process(): ClusterProcess;
  /** a fast shutdown (SIGINT) and a start on the same data and port */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('PostgreSQL will not run as root and there is no postgres or nobody user to run it as');
}

function initdb(opts: PostgresOptions, data: string, owner: { uid: number; gid: number } | undefined): void {
  const pwfile = join(opts.dir, 'pwfile');
  writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  mkdirSync(data, { recursive: true, mode: 0o700 });
  if (owner) chownSync(data, owner.uid, owner.gid);
  const run = spawnSync(
    join(opts.bin, 'initdb'),
    ['-D', data, '-U', opts.user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-instructions'],
    { encoding: 'utf8', ...(owner ?? {}) },
  );
  rmSync(pwfile, { force: true });
  if (run.status !== 0) throw new Error(`initdb ${data} failed: ${run.stderr || run.error?.message}`);
}

/** the other user must be able to pass through every directory above its own (e.g. a 0700 mkdtemp) */
function letThrough(dir: string): void {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    if (d === dirname(d)) break;
  }
}

export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const owner = runAs();
  mkdirSync(opts.dir, { recursive: true, mode: 0o755 });
  if (owner) letThrough(opts.dir);
  if (owner) chownSync(opts.dir, owner.uid, owner.gid);
  const data = join(opts.dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) initdb(opts, data, owner);
  const logFile = join(opts.dir, 'postgres.log');
  const start = async () => {
    const proc = startProcess(
      'PostgreSQL',
      join(opts.bin, 'postgres'),
      // the socket in our own directory: /var/run/postgresql may not be ours to write
      ['-D', data, '-p', String(opts.port), '-h', '127.0.0.1', '-k', opts.dir, '-c', 'max_connections=300'],
      { logFile, ...(owner ?? {}) },
    );
    await waitUntil(
      `PostgreSQL to accept connections on 127.0.0.1:${opts.port}`,
      async () => {
        const probe = spawnSync(join(opts.bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(opts.port), '-U', opts.user], { encoding: 'utf8' });
        return probe.status === 0 || `pg_isready: status ${probe.status}`;
      },
      { timeoutMs: 60_000, process: proc },
    );
    return proc;
  };
  let proc = await start();
  return {
    port: opts.port,
    process: () => proc,
    async restart() {
      await proc.stop('SIGINT', 30_000);
      proc = await start();
    },
    // SIGINT is PostgreSQL's fast shutdown: sessions end, the data is consistent on disk
    stop: () => proc.stop('SIGINT', 30_000),
  };
}
