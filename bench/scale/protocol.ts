import type { WorkerOptions } from '@temporalio/worker';

/** What the scale bench's coordinator and its worker processes say to each other (IPC messages). */

/** how a worker process is started (JSON in BENCH_SCALE_WORKER) */
export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** the workflow bundle the coordinator built once (every worker runs the same code) */
  bundlePath: string;
  options: Partial<WorkerOptions>;
}

/** a cycle's first step (fetchMarketData) as a worker ran it */
export interface CycleStart {
  workflowId: string;
  activityId: string;
  attempt: number;
  /** when the activity began, on this machine's wall clock (epoch ms, sub-ms resolution) */
  at: number;
}

export interface WorkerReport {
  type: 'report';
  pid: number;
  starts: CycleStart[];
  /** the worker process's peak RSS (sampled every 100 ms) and its RSS before the worker was created */
  peakRss: number;
  baselineRss: number;
  cpuSeconds: number;
}

export type ToCoordinator = { type: 'ready'; pid: number } | WorkerReport;
export type FromCoordinator = { type: 'report' } | { type: 'stop' };
