import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { buildActivityDeps, createWorker, workerRolesFrom } from '../../src/worker';

/**
 * The worker as a child process that a crash test kills with SIGKILL: the product's createWorker
 * with the dependencies buildActivityDeps makes from the config, exactly as src/worker.ts does (one
 * real ccxt gateway pointed at the simulator, the configured strategist, the CSV trade log).
 *
 * Environment: TEMPORAL_ADDRESS, TRADING_CONFIG, DE_SIMULATOR_URL (read by buildActivityDeps),
 * DE_WORKER_ROLES (as src/worker.ts reads it).
 *
 * The one test-only knob is the sticky queue's schedule-to-start timeout: after a SIGKILL the server
 * only moves a workflow task off the dead worker's sticky queue when it expires (default 10 s), so
 * it is short here to keep the test quick. It changes no behaviour, only how soon a restart helps.
 */

async function main(): Promise<void> {
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set');
  const connection = await NativeConnection.connect({ address });
  const activityDeps = buildActivityDeps(config, { warn: (m) => console.log(`crash-worker: warning: ${m}`) });
  const worker = await createWorker({
    connection,
    roles: workerRolesFrom(),
    activityDeps,
    options: { stickyQueueScheduleToStartTimeout: '1s' },
  });
  console.log(`crash-worker: polling (pid ${process.pid})`);
  await worker.run();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`crash-worker: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
