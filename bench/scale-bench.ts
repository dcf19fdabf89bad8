/**
 * Scale (issue 4, benchmark 2; issue 10 on the cluster): 100, 500 and 1000 symbolTrader workflows on
 * 1 and on 2 workers, instant activities. Measures
 *   - cycle lateness: when a cycle's first step (fetchMarketData) started, on the worker's wall
 *     clock, minus when it was due. The due times are the ones the workflow really used, read from
 *     each workflow's history after the run (bench/scale/cycleDue.ts: candle close + the symbol's
 *     offset, src/domain/cycleSchedule.ts, checked against the workflow's own cycle timers);
 *   - peak RSS of each worker process, sampled every 100 ms in that process.
 *
 * Processes: this one is the coordinator. It keeps the Temporal server (a fresh one per case), the
 * trade log's queue (the journal worker, as exactly one process of a deployment serves it; its
 * DECISION rows tell when every workflow has run its cycles) and the client that starts the
 * workflows. Each worker is a process of its own (bench/scale/workerProcess.ts) on the one task
 * queue, so its RSS is the worker's alone.
 *
 * Cadence: cycles aligned to candle closes with a per-symbol offset, as the product starts traders
 * (first_cycle: aligned). The offsets spread over 90 s, the product's spread at its default
 * 15-minute cycles (cycle_offset_max 2 min, capped at a tenth of the interval), so the cycles come
 * due at the rate they do in production just after each close (1000 symbols: 11 cycles/s for 90 s).
 * Only the quiet time between those bursts is shortened: a cycle every 2 minutes instead of 15.
 *
 * Run alone: `node --import tsx --expose-gc bench/scale-bench.ts` (or `npm run bench scale`);
 * on the cluster: `BENCH_TEMPORAL_STORE=cluster BENCH_SCALE_WORKERS=1,2 node --import tsx --expose-gc bench/scale-bench.ts`
 * (needs bash scripts/setup-cluster.sh). Env:
 *   BENCH_SCALE=100,500,1000 (sizes), BENCH_SCALE_WORKERS=1,2 (worker processes), BENCH_SCALE_CYCLES (3 per workflow),
 *   BENCH_SCALE_INTERVAL_MS (120000), BENCH_SCALE_OFFSET_MS (the most a symbol's cycles come after the close, 90000;
 *   below the interval), BENCH_TEMPORAL_STORE=file|cluster (default file: the dev server with its SQLite file, as
 *   `npm start` runs it; `memory` is refused: that server lives inside this process's SDK, out of the workers' reach).
 * Writes its section of bench/results/orchestration.md (`scale`, on the cluster `scale-cluster`) only for a measurement:
 * every size at least 100, at least 2 cycles, the cadence at its defaults (BENCH_SCALE_INTERVAL_MS and _OFFSET_MS unset);
 * anything smaller is a check that prints its table and writes nothing.
 * Duration: a case (one size on one number of workers) waits up to an interval for its first close and then
 * (cycles - 1) intervals more: about 7 minutes with 3 cycles, 5 with BENCH_SCALE_CYCLES=2, plus the start and reading
 * the histories. The defaults (6 cases) take about 40 minutes on the dev server; on the cluster about 45-50 (PostgreSQL
 * and the server start afresh for each case). A check:
 * `BENCH_SCALE=20 BENCH_SCALE_CYCLES=2 BENCH_SCALE_INTERVAL_MS=10000 BENCH_SCALE_OFFSET_MS=3000` takes about a minute.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { journalTaskQueue, traderWorkflowId } from '../src/contract/ids';
import type { CycleAlignment } from '../src/contract/traderState';
import { cycleGrid, offsetCapMs } from '../src/domain/cycleSchedule';
import type { symbolTrader } from '../src/workflows/symbolTrader';
import { ActivityRecorder, instantActivities } from './support/instantActivities';
import { publishSection, runBench } from './support/report';
import { serverStore, startBenchStack, workflowBundle } from './support/stack';
import { summarize } from './support/stats';
import { cycleDuesFromHistory } from './scale/cycleDue';
import { scaleReport, type CaseResult } from './scale/report';
import { startScaleWorker, type ScaleWorker } from './scale/workers';

const list = (raw: string) => raw.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const SIZES = list(process.env.BENCH_SCALE ?? '100,500,1000');
const WORKER_COUNTS = list(process.env.BENCH_SCALE_WORKERS ?? '1,2');
const CYCLES = Number(process.env.BENCH_SCALE_CYCLES ?? 3);
const INTERVAL_MS = Number(process.env.BENCH_SCALE_INTERVAL_MS ?? 120_000);
/** the product's spread at its default cadence: offsetCapMs(15 min) with the default cycle_offset_max */
const OFFSET_MS = Number(process.env.BENCH_SCALE_OFFSET_MS ?? offsetCapMs(15 * 60_000));
const ALIGNMENT: CycleAlignment = { firstCycle: 'aligned', maxOffsetMs: OFFSET_MS };
/** a check, not a measurement: it prints its table and writes nothing */
const CHECK_ONLY = SIZES.some((s) => s < 100) || CYCLES < 2 || ['BENCH_SCALE_INTERVAL_MS', 'BENCH_SCALE_OFFSET_MS'].some((k) => process.env[k] !== undefined);
/** workflow starts in flight at once while ramping up */
const START_CONCURRENCY = 50;
/** after the last cycle was due: how long a worker that fell behind gets before the case stops waiting */
const SLACK_MS = 120_000;

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** what each worker is given: its cache holds every symbol (an evicted workflow replays its history on its next timer) */
function workerOptionsFor(size: number) {
  return { maxCachedWorkflows: size + 100, maxConcurrentWorkflowTaskExecutions: 40, maxConcurrentActivityTaskExecutions: 100 };
}

/** one case: `size` workflows on `workers` worker processes, against a fresh Temporal server */
async function runCase(size: number, workers: number, bundlePath: string): Promise<CaseResult> {
  const wallStart = Date.now();
  const cpuStart = process.cpuUsage();
  const stack = await startBenchStack(`scale${size}x${workers}`);
  const namespace = stack.client.options.namespace;
  const processes: ScaleWorker[] = [];
  let journal: Worker | undefined;
  let journalRun: Promise<void> | undefined;
  try {
    const recorder = new ActivityRecorder();
    journal = await Worker.create({
      connection: stack.connection,
      namespace,
      taskQueue: journalTaskQueue(stack.taskQueue),
      activities: { appendTradeLog: instantActivities(recorder).appendTradeLog },
    });
    journalRun = journal.run();
    const options = workerOptionsFor(size);
    const settings = { address: stack.address, namespace, taskQueue: stack.taskQueue, bundlePath, options };
    const launches = await Promise.allSettled(Array.from({ length: workers }, () => startScaleWorker(settings, console.log)));
    for (const w of launches) if (w.status === 'fulfilled') processes.push(w.value);
    const failed = launches.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;

    const symbols = Array.from({ length: size }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);
    const rampStart = Date.now();
    await forEachLimited(symbols, START_CONCURRENCY, async (symbol) => {
      await stack.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue: stack.taskQueue,
        workflowId: traderWorkflowId(symbol),
        args: [{ symbol, cycleIntervalMs: INTERVAL_MS, mode: 'paper', cycleAlignment: ALIGNMENT }],
      });
    });
    const rampMs = Date.now() - rampStart;
    console.log(`  started ${size} workflows in ${(rampMs / 1000).toFixed(1)} s; the first cycles come due at the next close (every ${INTERVAL_MS / 1000} s) + offset`);
    // the first cycle is due within an interval of the start, the last CYCLES - 1 intervals later
    await recorder.until(() => recorder.workflowsAt(CYCLES) === size, CYCLES * INTERVAL_MS + SLACK_MS);
    const completed = recorder.workflowsAt(CYCLES);
    const reports = await Promise.all(processes.map((p) => p.report()));
    await Promise.all(processes.map((p) => p.stop()));
    console.log(`  ${completed}/${size} workflows completed ${CYCLES} cycles; reading their histories ...`);

    // when each cycle's first step started (its first attempt: the earliest), by activity
    const started = new Map<string, number>();
    for (const r of reports) {
      for (const s of r.starts) {
        const key = `${s.workflowId}/${s.activityId}`;
        started.set(key, Math.min(s.at, started.get(key) ?? Infinity));
      }
    }
    const all: number[] = [];
    const steady: number[] = [];
    const first: number[] = [];
    let mismatches = 0;
    let notRun = 0;
    await forEachLimited(symbols, 20, async (symbol) => {
      const workflowId = traderWorkflowId(symbol);
      const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const dues = cycleDuesFromHistory(events, cycleGrid(symbol, INTERVAL_MS, OFFSET_MS), ALIGNMENT.firstCycle);
      mismatches += dues.mismatches;
      for (let k = 0; k < CYCLES; k++) {
        const cycle = dues.cycles[k];
        const at = cycle && started.get(`${workflowId}/${cycle.activityId}`);
        if (!cycle || at === undefined) {
          notRun++;
          continue;
        }
        const lateness = at - cycle.dueAt;
        all.push(lateness);
        (k === 0 ? first : steady).push(lateness);
      }
    });
    const cpu = process.cpuUsage(cpuStart);
    return {
      size,
      workers,
      intervalMs: INTERVAL_MS,
      offsetMs: OFFSET_MS,
      cycles: CYCLES,
      options,
      rampMs,
      completed,
      mismatches,
      notRun,
      all: summarize(all),
      steady: summarize(steady),
      first: summarize(first),
      workerProcesses: reports.map((r) => ({
        peakRss: r.peakRss,
        baselineRss: r.baselineRss,
        cpuSeconds: r.cpuSeconds,
        workflows: new Set(r.starts.map((s) => s.workflowId)).size,
      })),
      coordinatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      serverCpuSeconds: stack.serverCpuSeconds(),
      cyclesRun: all.length,
      wallSeconds: (Date.now() - wallStart) / 1000,
    };
  } finally {
    await Promise.allSettled(processes.map((p) => p.stop()));
    if (journal?.getState() === 'RUNNING') journal.shutdown();
    await journalRun?.catch((err) => console.error(`journal worker: ${(err as Error).message}`));
    await stack.close();
  }
}

async function main(): Promise<void> {
  if (serverStore() === 'memory') {
    throw new Error('BENCH_TEMPORAL_STORE=memory: the in-memory dev server runs inside the SDK of this process, and the worker processes cannot reach it; use file or cluster');
  }
  if (!(OFFSET_MS >= 0 && OFFSET_MS < INTERVAL_MS)) throw new Error(`BENCH_SCALE_OFFSET_MS (${OFFSET_MS}) must be at least 0 and below BENCH_SCALE_INTERVAL_MS (${INTERVAL_MS})`);
  console.log(
    `scale: ${SIZES.join(', ')} symbol workflows on ${WORKER_COUNTS.join(' and ')} worker process(es), ${CYCLES} cycles each, ` +
      `a cycle every ${INTERVAL_MS / 1000} s at the candle close + an offset below ${OFFSET_MS / 1000} s${CHECK_ONLY ? ' (a check: nothing is written)' : ''}`,
  );
  // bundled once here: every worker process loads the same code
  const dir = mkdtempSync(join(tmpdir(), 'de-bench-scale-'));
  try {
    const bundlePath = join(dir, 'workflows.js');
    writeFileSync(bundlePath, (await workflowBundle()).code);
    const results: CaseResult[] = [];
    for (const workers of WORKER_COUNTS) {
      for (const size of SIZES) {
        console.log(`- ${size} workflows on ${workers} worker(s) ...`);
        results.push(await runCase(size, workers, bundlePath));
      }
    }
    const body = scaleReport(results);
    if (CHECK_ONLY) console.log(`\n${body}\n\n(a check on a small input or another cadence: nothing written)`);
    else publishSection('scale', body);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
