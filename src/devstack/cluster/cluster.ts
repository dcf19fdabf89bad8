import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { freePort, freePortIn } from '../freePort';
import { tryConnect, type TemporalServerHandle } from '../temporalServer';
import { hostPathOf, readCompose, serviceEnvironment } from './compose';
import { startPostgres, type PostgresHandle } from './postgres';
import type { ClusterProcess } from './processes';
import { SERVER_PORT_KEYS, serverEnvironment, startTemporalServer, type ServerPorts } from './temporalProcess';
import { findClusterTools, type ClusterTools } from './tools';
import { startUiServer, uiEnvironment } from './uiServer';

/**
 * The production cluster of docker-compose.yml as plain processes on one machine, for users
 * without Docker (`npm run cluster`) and for the tests: PostgreSQL, the schema one-shot
 * (deploy/temporal/setup-postgres.sh), the Temporal server on PostgreSQL, the namespace one-shot
 * (deploy/temporal/create-namespace.sh), the Web UI. The same scripts and environment as compose
 * (read from docker-compose.yml); only addresses are this machine's. stop() ends what it started,
 * in reverse order; the data stays in `dir` and a later start carries on with it.
 */

export interface ClusterOptions {
  /** PostgreSQL's data, the logs */
  dir: string;
  /** frontend gRPC port (default: one the OS hands out) */
  port?: number;
  /** Web UI port; null = no UI (default: one the OS hands out) */
  uiPort?: number | null;
  postgresPort?: number;
  log?: (line: string) => void;
}

export interface ClusterHandle {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  tools: ClusterTools;
  postgres: PostgresHandle;
  /** the Temporal server's process (changes on restartServer) */
  serverProcess(): ClusterProcess;
  /** SIGKILL the Temporal server: no shutdown of any kind */
  killServer(): Promise<void>;
  /** start the server again on the same database and ports; resolves once it answers */
  startServer(): Promise<void>;
  /** the handle shape the rest of the devstack and the tests take (stop() stops the whole cluster) */
  asServerHandle(connection: Connection): TemporalServerHandle;
  stop(): Promise<void>;
}

/** a one-shot script to its end; its output goes to the log; a failure names the log */
function runScript(script: string, env: Record<string, string>, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn('sh', [script], { stdio: ['ignore', out, out], env });
    closeSync(out);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${script} failed (${signal ?? `code ${code}`}); see ${logFile}`)),
    );
  });
}

/** the file a compose one-shot runs (its command, through its bind mounts) */
export function oneShotScript(service: string): string {
  const svc = readCompose().services[service];
  const script = svc?.command?.find((part) => part.endsWith('.sh'));
  if (!script) throw new Error(`docker-compose.yml: service ${service} runs no script`);
  return hostPathOf(service, script);
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterHandle> {
  const log = opts.log ?? (() => {});
  const tools = findClusterTools();
  mkdirSync(opts.dir, { recursive: true });
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const part of started.splice(0).reverse()) await part.stop().catch(() => undefined);
  };
  try {
    const schemaEnv = serviceEnvironment('temporal-schema');
    const postgres = await startPostgres({
      bin: tools.postgresBin,
      dir: join(opts.dir, 'postgres'),
      port: opts.postgresPort ?? (await freePort()),
      user: schemaEnv.POSTGRES_USER!,
      password: schemaEnv.POSTGRES_PWD!,
    });
    started.push(postgres);
    log(`cluster: PostgreSQL on 127.0.0.1:${postgres.port} (data in ${join(opts.dir, 'postgres')})`);

    const path = [dirname(tools.sqlTool), tools.postgresBin, dirname(tools.temporalCli), process.env.PATH].join(':');
    await runScript(
      oneShotScript('temporal-schema'),
      { ...schemaEnv, POSTGRES_SEEDS: '127.0.0.1', DB_PORT: String(postgres.port), TEMPORAL_SCHEMA_DIR: tools.schemaDir, PATH: path },
      join(opts.dir, 'schema.log'),
    );
    log('cluster: schema ready');

    const ports = {} as ServerPorts;
    // below 32768: the server records its ports in PostgreSQL smallint columns (cluster membership)
    for (const key of SERVER_PORT_KEYS) ports[key] = key === 'FRONTEND_GRPC_PORT' && opts.port ? opts.port : await freePortIn(20_000, 32_000);
    const serverEnv = serverEnvironment({ postgresPort: postgres.port, ports });
    const serverLog = join(opts.dir, 'temporal-server.log');
    let server = await startTemporalServer(tools.temporalServer, serverEnv, serverLog);
    started.push({ stop: () => server.stop() });
    const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
    log(`cluster: Temporal server ${address} (log ${serverLog})`);

    const setupEnv = serviceEnvironment('temporal-setup');
    await runScript(oneShotScript('temporal-setup'), { ...setupEnv, TEMPORAL_ADDRESS: address, PATH: path }, join(opts.dir, 'setup.log'));
    const namespace = setupEnv.TEMPORAL_NAMESPACE!;
    log(`cluster: namespace ${namespace} and search attributes ready`);

    let uiUrl: string | undefined;
    if (opts.uiPort !== null) {
      const uiPort = opts.uiPort ?? (await freePort());
      const ui = await startUiServer(tools.uiServer, tools.uiConfigDir, uiEnvironment(address, uiPort), join(opts.dir, 'temporal-ui.log'));
      started.push(ui);
      uiUrl = `http://localhost:${uiPort}`;
      log(`cluster: Web UI ${uiUrl}`);
    }

    const handle: ClusterHandle = {
      address,
      namespace,
      uiUrl,
      tools,
      postgres,
      serverProcess: () => server,
      killServer: () => server.kill(),
      async startServer() {
        if (!server.exitInfo()) throw new Error('the Temporal server is still running');
        server = await startTemporalServer(tools.temporalServer, serverEnv, serverLog);
      },
      asServerHandle: (connection) => ({ address, namespace, uiUrl, startedHere: true, connection, pid: server.pid, stop: stopAll }),
      stop: stopAll,
    };
    return handle;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** a connection to the cluster's frontend that has answered */
export async function connectToCluster(cluster: ClusterHandle): Promise<Connection> {
  const connection = await tryConnect(cluster.address, 5_000);
  if (!connection) throw new Error(`the cluster's Temporal server at ${cluster.address} does not answer`);
  return connection;
}
