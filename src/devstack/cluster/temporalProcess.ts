import { tryConnect } from '../temporalServer';
import { hostPathOf, serviceEnvironment } from './compose';
import { startProcess, waitUntil, type ClusterProcess } from './processes';

/**
 * `temporal-server start` with no flags, as the temporalio/server image runs it: the server renders
 * its built-in config template from the environment, and that environment is the `temporal`
 * service's in docker-compose.yml. Only addresses differ (everything on 127.0.0.1, ports from the
 * OS), and the dynamic config path goes through compose's bind mount to the same file.
 */

/** the ports the template reads; compose leaves them at the template's defaults */
export const SERVER_PORT_KEYS = [
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;
export type ServerPorts = Record<(typeof SERVER_PORT_KEYS)[number], number>;

export interface ServerEnvOptions {
  postgresPort: number;
  ports: ServerPorts;
}

/** compose's environment for the server, with this machine's addresses */
export function serverEnvironment(opts: ServerEnvOptions): Record<string, string> {
  const env = serviceEnvironment('temporal');
  const dynamicConfig = env.DYNAMIC_CONFIG_FILE_PATH;
  if (!dynamicConfig) throw new Error('docker-compose.yml: the temporal service sets no DYNAMIC_CONFIG_FILE_PATH');
  return {
    ...env,
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(opts.postgresPort),
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: hostPathOf('temporal', dynamicConfig),
    ...Object.fromEntries(Object.entries(opts.ports).map(([k, v]) => [k, String(v)])),
  };
}

export async function startTemporalServer(binary: string, env: Record<string, string>, logFile: string): Promise<ClusterProcess> {
  // the template's other defaults (e.g. a file archival URI under /tmp) need nothing from us
  const proc = startProcess('Temporal server', binary, ['start'], { logFile, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  const address = `127.0.0.1:${env.FRONTEND_GRPC_PORT}`;
  await waitUntil(
    `the Temporal server to answer at ${address}`,
    async () => {
      const connection = await tryConnect(address, 2_000);
      if (!connection) return 'no answer';
      await connection.close();
      return true;
    },
    { timeoutMs: 120_000, process: proc, intervalMs: 500 },
  );
  return proc;
}
