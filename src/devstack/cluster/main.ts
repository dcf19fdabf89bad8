import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { dataDir } from '../../config/dataDir';
import { startCluster } from './cluster';
import { ClusterToolsMissing } from './tools';

/**
 * `npm run cluster`: docker-compose.yml's Temporal cluster without Docker, in the foreground, until
 * Ctrl-C (or SIGTERM), which stops everything it started. Workers, symbols and the CLI then point
 * at it with TEMPORAL_ADDRESS, as they point at compose's `temporal` service.
 */

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port`);
  return n;
}

const program = new Command('npm run cluster --')
  .description("docker-compose.yml's Temporal on PostgreSQL and its Web UI as plain processes (tools: bash scripts/setup-cluster.sh)")
  .option('--dir <dir>', 'PostgreSQL data and the logs (kept: a later start carries on)', join(dataDir(), 'cluster'))
  .option('--port <port>', 'Temporal frontend gRPC port, as compose publishes it', port, 7233)
  .option('--ui-port <port>', 'Web UI port, as compose publishes it', port, 8080)
  .option('--postgres-port <port>', 'PostgreSQL port (default: a free one)', port)
  .option('--no-ui', 'no Web UI');

async function main(): Promise<void> {
  const opts = program.parse().opts<{ dir: string; port: number; uiPort: number; postgresPort?: number; ui: boolean }>();
  const cluster = await startCluster({
    dir: opts.dir,
    port: opts.port,
    uiPort: opts.ui ? opts.uiPort : null,
    postgresPort: opts.postgresPort,
    log: console.log,
  });
  console.log(
    [
      '',
      `Temporal cluster ready. In another terminal:`,
      `  TEMPORAL_ADDRESS=${cluster.address} npm run worker      # as many as you like, on any machine that reaches it`,
      `  TEMPORAL_ADDRESS=${cluster.address} npm run cli -- start`,
      ...(cluster.uiUrl ? [`Web UI: ${cluster.uiUrl}`] : []),
      'Ctrl-C stops the cluster; its data stays in ' + opts.dir,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('cluster: stopping (Web UI, Temporal server, PostgreSQL) ...');
  await cluster.stop();
  console.log('cluster: stopped');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof ClusterToolsMissing ? `cluster: ${err.message}` : `cluster: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
