import { machineLine, markdownTable, storeText } from '../support/report';
import { serverStore } from '../support/stack';
import { mib, ms, type Summary } from '../support/stats';

/** The scale bench's section of bench/results/orchestration.md. */

export const TARGET_LATENESS_P99_MS = 2_000;
export const TARGET_RSS_BYTES = 1024 ** 3;

export interface WorkerFigures {
  peakRss: number;
  baselineRss: number;
  cpuSeconds: number;
  /** workflows whose cycles this worker ran (at least one) */
  workflows: number;
}

export interface CaseResult {
  size: number;
  workers: number;
  intervalMs: number;
  offsetMs: number;
  cycles: number;
  options: { maxCachedWorkflows: number; maxConcurrentWorkflowTaskExecutions: number; maxConcurrentActivityTaskExecutions: number };
  rampMs: number;
  completed: number;
  /** cycle timers that disagree with the reconstructed due time (should be 0) */
  mismatches: number;
  /** cycles (of the first `cycles` per workflow) with no recorded start: not run in the time allowed */
  notRun: number;
  all: Summary;
  steady: Summary;
  first: Summary;
  workerProcesses: WorkerFigures[];
  coordinatorCpuSeconds: number;
  serverCpuSeconds: number;
  cyclesRun: number;
  wallSeconds: number;
}

function row(r: CaseResult): string[] {
  const peak = Math.max(...r.workerProcesses.map((w) => w.peakRss));
  const workerCpu = r.workerProcesses.reduce((s, w) => s + w.cpuSeconds, 0);
  const perCycle = ((workerCpu + r.serverCpuSeconds) * 1000) / Math.max(1, r.cyclesRun);
  const target =
    r.size >= 1000
      ? `lateness p99 <= 2 s: ${r.all.p99 <= TARGET_LATENESS_P99_MS ? 'met' : 'NOT met'}; RSS per worker <= 1 GiB: ${peak <= TARGET_RSS_BYTES ? 'met' : 'NOT met'}`
      : '';
  return [
    String(r.size),
    String(r.workers),
    `${r.intervalMs / 1000} s, offsets < ${r.offsetMs / 1000} s, x ${r.cycles} (${((r.size * 1000) / Math.max(1, r.offsetMs)).toFixed(1)} cycles/s after each close)`,
    `${(r.rampMs / 1000).toFixed(1)} s`,
    `${r.completed}/${r.size}`,
    `p50 ${ms(r.all.p50)}, p99 ${ms(r.all.p99)}, max ${ms(r.all.max)} (${r.all.count})`,
    `p50 ${ms(r.steady.p50)}, p99 ${ms(r.steady.p99)}`,
    `p99 ${ms(r.first.p99)}`,
    r.workerProcesses.map((w) => `${mib(w.peakRss)} (idle ${mib(w.baselineRss)}, ${w.workflows} wf)`).join('; '),
    `workers ${workerCpu.toFixed(0)} s, server ${r.serverCpuSeconds.toFixed(0)} s, coordinator ${r.coordinatorCpuSeconds.toFixed(0)} s ` +
      `in ${r.wallSeconds.toFixed(0)} s wall; ${perCycle.toFixed(0)} ms per cycle (workers + server)`,
    target,
  ];
}

export function scaleReport(results: readonly CaseResult[]): string {
  const opts = results[0]?.options;
  const store = serverStore();
  const notes = [
    ...results
      .filter((r) => r.mismatches > 0)
      .map((r) => `${r.size} on ${r.workers}: **${r.mismatches} cycle timers** disagree with the due times reconstructed from the history: the lateness figures are suspect.`),
    ...results
      .filter((r) => r.completed < r.size || r.notRun > 0)
      .map(
        (r) =>
          `${r.size} on ${r.workers}: **only ${r.completed} workflows completed ${r.cycles} cycles** in the time allowed (${r.notRun} cycles not run); ` +
          'cycles that never started are not in the lateness figures, so they understate it.',
      ),
  ];
  return [
    `## Scale: symbol workflows on 1 and 2 workers (\`bench/scale-bench.ts\`)${store === 'file' ? '' : `, ${store === 'memory' ? 'in-memory dev server' : 'on the cluster'}`}`,
    '',
    `Run: ${machineLine()}. Temporal: ${storeText()}${store === 'cluster' ? ' (server CPU is the Temporal server process, PostgreSQL not counted)' : ''}.`,
    '',
    'N `symbolTrader` workflows started together (50 starts in flight), instant activities, on 1 or 2 worker processes polling one task queue; ' +
      'the coordinating process keeps the server, the trade log\'s queue and the client. Cycles as the product runs them: on the candle grid, ' +
      `each symbol at its own offset after the close (first_cycle: aligned), the offsets spread over ${(results[0]?.offsetMs ?? 0) / 1000} s ` +
      '(the product\'s spread at its default 15-minute cadence is 90 s), so the cycles come due at the production rate after each close; ' +
      'only the quiet time between closes is shorter. ' +
      'Lateness = when a cycle\'s first step (`fetchMarketData`) started on the worker minus when it was due, the due time read from the ' +
      'workflow\'s history (bench/scale/cycleDue.ts, checked against its cycle timers); cycle 1 (after the first long timer) is also shown apart. ' +
      'Peak RSS per worker process, sampled every 100 ms in it (idle: before the worker was created; wf: workflows it ran cycles of). ' +
      `Each case runs against a fresh Temporal server on the same 2 cores. Worker options: maxCachedWorkflows = N + 100, ` +
      `maxConcurrentWorkflowTaskExecutions = ${opts?.maxConcurrentWorkflowTaskExecutions}, maxConcurrentActivityTaskExecutions = ${opts?.maxConcurrentActivityTaskExecutions}, ` +
      'the rest default. CPU is over the whole case (start-up and ramp included); per cycle it does not depend on what else the machine does, unlike lateness.',
    '',
    markdownTable(
      ['workflows', 'workers', 'cadence', 'start ramp', 'done', 'lateness, all cycles', 'lateness, cycles 2+', 'lateness, cycle 1', 'worker peak RSS', 'CPU used (whole case)', 'target (1000)'],
      results.map(row),
    ),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}
