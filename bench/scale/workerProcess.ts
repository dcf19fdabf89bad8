import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ActivityRecorder, instantActivities, now, realisticSnapshot } from '../support/instantActivities';
import { RssSampler } from '../support/rss';
import type { CycleStart, FromCoordinator, ToCoordinator, WorkerSettings } from './protocol';

/**
 * One worker of the scale bench, in a process of its own (started by bench/scale/workers.ts), so
 * that its RSS is the worker's alone: the workflows (the prebuilt bundle of src/workflows) and the
 * bench's instant activities, on the bench's task queue. The trade log's queue is served by the
 * coordinator, as one process of a deployment serves it. It records when each cycle's first step
 * (fetchMarketData) started, on this machine's wall clock, and samples its own RSS; the
 * coordinator asks for both over the IPC channel and then tells it to stop.
 */

function send(message: ToCoordinator): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const settings = JSON.parse(process.env.BENCH_SCALE_WORKER ?? 'null') as WorkerSettings | null;
  if (!settings || !process.send) throw new Error('bench/scale/workerProcess.ts is started by bench/scale-bench.ts (BENCH_SCALE_WORKER and an IPC channel)');
  // the coordinator gone: nothing to report to
  process.once('disconnect', () => process.exit(1));

  const connection = await NativeConnection.connect({ address: settings.address });
  realisticSnapshot('warm'); // built once, before the clock runs
  (globalThis as { gc?: () => void }).gc?.();
  const rss = new RssSampler(100).start();
  const cpuStart = process.cpuUsage();

  const starts: CycleStart[] = [];
  const activities = instantActivities(new ActivityRecorder());
  const fetchMarketData = activities.fetchMarketData;
  activities.fetchMarketData = async (input) => {
    const info = Context.current().info;
    starts.push({ workflowId: info.workflowExecution?.workflowId ?? '(none)', activityId: info.activityId, attempt: info.attempt, at: now() });
    return fetchMarketData(input);
  };
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    workflowBundle: { codePath: settings.bundlePath },
    activities,
    ...settings.options,
  });
  const running = worker.run();

  process.on('message', (message: FromCoordinator) => {
    if (message.type === 'report') {
      const cpu = process.cpuUsage(cpuStart);
      send({ type: 'report', pid: process.pid, starts, peakRss: rss.stop(), baselineRss: rss.baseline, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    } else if (message.type === 'stop') {
      worker.shutdown();
    }
  });
  send({ type: 'ready', pid: process.pid });
  await running;
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`scale worker ${process.pid}: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
