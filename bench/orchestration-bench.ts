/**
 * Orchestration overhead per cycle, strategist and exchange time excluded (issue 4, benchmark 1).
 *
 * The real symbolTrader workflow runs on a local Temporal dev server at a compressed cadence, with
 * activities that answer at once (bench/support/instantActivities.ts: real-size market snapshot,
 * DO_NOTHING decisions) and record their wall-clock start and end. A cycle is
 *   due (the workflow's own grid, from its `state` query) -> timer fires -> fetchMarketData ->
 *   askStrategist -> decision journaled (appendTradeLog, the cycle's last step)
 * and its overhead is that wall time minus the time spent inside activities.
 *
 * A few symbols run side by side, their grids staggered so that cycles do not overlap: each cycle
 * is measured alone, as on a worker that is not saturated (saturation is scale-bench.ts's subject).
 * The cadence is 2 s: the dev server fires timers shorter than about 1 s only after about 1 s, so
 * a sub-second cadence would measure that rounding, not the orchestration (timers of 1 s and more
 * fire within a few ms; the product's 15-minute timer is far above it). Continue-as-new is made to
 * happen during the run (every BENCH_OVERHEAD_RUN_CYCLES cycles) and its cycles are reported apart.
 *
 * Run alone: `node --import tsx --expose-gc bench/orchestration-bench.ts` (or `npm run bench orchestration`).
 * Env: BENCH_OVERHEAD_SYMBOLS (5), BENCH_OVERHEAD_CYCLES per symbol (60), BENCH_OVERHEAD_INTERVAL_MS (2000),
 * BENCH_OVERHEAD_RUN_CYCLES (25); BENCH_TEMPORAL_STORE=file|memory|cluster (the dev server's SQLite file, default; its
 * in-memory store; the production cluster, the Temporal server on PostgreSQL: the per-cycle overhead against the dev server).
 * Fewer symbols or cycles than the defaults is a check: it prints its table and writes nothing.
 */
import { traderWorkflowId } from '../src/contract/ids';
import { stateQuery, stopSignal } from '../src/contract/signals';
import type { SymbolTraderState } from '../src/contract/traderState';
import type { symbolTrader } from '../src/workflows/symbolTrader';
import { ActivityRecorder, instantActivities, now, type ActivityRecord } from './support/instantActivities';
import { machineLine, markdownTable, publishSection, runBench, storeText } from './support/report';
import { cycleDueTimes } from './support/schedule';
import { serverStore, startBenchStack } from './support/stack';
import { ms, summarize } from './support/stats';

const SYMBOLS = Number(process.env.BENCH_OVERHEAD_SYMBOLS ?? 5);
const CYCLES = Number(process.env.BENCH_OVERHEAD_CYCLES ?? 60);
const INTERVAL_MS = Number(process.env.BENCH_OVERHEAD_INTERVAL_MS ?? 2000);
const RUN_CYCLES = Number(process.env.BENCH_OVERHEAD_RUN_CYCLES ?? 25);
const TARGET_P50_MS = 50;
/** fewer symbols or cycles than the defaults: a check that the bench runs, not a measurement (nothing written) */
const CHECK_ONLY = SYMBOLS < 5 || CYCLES < 60;

interface CycleTiming {
  workflowId: string;
  sequence: number;
  /** due -> last step done, minus activity time */
  overhead: number;
  /** first activity start -> last step done, minus activity time */
  inCycle: number;
  /** due -> first activity start (timer, workflow task; after continue-as-new also the new run's start) */
  startDelay: number;
  activityTime: number;
  /** the first cycle of a new run (continue-as-new happened, with the new run's reconcile, before it was due) */
  afterContinueAsNew: boolean;
}

/** one workflow's cycles, from its activity records and its due grid */
function cycleTimings(
  workflowId: string,
  records: readonly ActivityRecord[],
  state: SymbolTraderState,
  startRequestedAt: number,
  upTo: number,
  runCycles: number,
): { cycles: CycleTiming[]; consistent: boolean } {
  const mine = records.filter((r) => r.workflowId === workflowId);
  const fetches = mine.filter((r) => r.name === 'fetchMarketData').slice(0, state.sequence);
  const { due, consistent } = cycleDueTimes(fetches.map((f) => f.start), state.nextCycleAt, INTERVAL_MS, startRequestedAt);
  const cycles: CycleTiming[] = [];
  for (let k = 1; k <= Math.min(upTo, fetches.length); k++) {
    const dueAt = due[k - 1]!;
    const fetch = fetches[k - 1]!;
    const done = mine.find((r) => r.name === 'appendTradeLog' && r.sequence === k);
    if (!done) continue;
    const within = (from: number) => mine.filter((r) => r.start >= from && r.end <= done.end);
    const busy = (from: number) => within(from).reduce((s, r) => s + (r.end - r.start), 0);
    const activityTime = busy(dueAt);
    cycles.push({
      workflowId,
      sequence: k,
      overhead: done.end - dueAt - activityTime,
      inCycle: done.end - fetch.start - busy(fetch.start),
      startDelay: fetch.start - dueAt,
      activityTime,
      afterContinueAsNew: k > 1 && (k - 1) % runCycles === 0,
    });
  }
  return { cycles, consistent };
}

async function main(): Promise<void> {
  console.log(
    `orchestration overhead: ${SYMBOLS} symbolTraders x ${CYCLES} cycles every ${INTERVAL_MS} ms (staggered), instant activities ` +
      `(about ${Math.round((CYCLES * INTERVAL_MS) / 1000)} s)`,
  );
  const stack = await startBenchStack('overhead');
  try {
    const recorder = new ActivityRecorder();
    await stack.startWorker(instantActivities(recorder));
    const ids = Array.from({ length: SYMBOLS }, (_, i) => traderWorkflowId(`SYM${i}USDT`));
    // Absorb the one-time costs (workflow bundle load into the isolate, snapshot template, JIT) before measuring.
    const warmup = traderWorkflowId('WARMUPUSDT');
    const warm = await stack.client.workflow.start<typeof symbolTrader>('symbolTrader', {
      taskQueue: stack.taskQueue,
      workflowId: warmup,
      args: [{ symbol: 'WARMUPUSDT', cycleIntervalMs: 60 * 60_000, mode: 'paper' }],
    });
    await recorder.until(() => (recorder.completedCycles.get(warmup) ?? 0) >= 1, 60_000);
    await warm.signal(stopSignal);
    await warm.result();

    const cpuStart = process.cpuUsage();
    const serverCpuStart = stack.serverCpuSeconds();
    const stagger = INTERVAL_MS / SYMBOLS;
    const requested = new Map<string, number>();
    for (const [i, workflowId] of ids.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, stagger)); // spreads the grids; not a synchronisation
      requested.set(workflowId, now());
      await stack.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue: stack.taskQueue,
        workflowId,
        args: [{ symbol: workflowId.replace('trader-', ''), cycleIntervalMs: INTERVAL_MS, mode: 'paper', maxCyclesPerRun: RUN_CYCLES }],
      });
    }
    const reached = await recorder.until(
      () => ids.every((id) => (recorder.completedCycles.get(id) ?? 0) >= CYCLES),
      CYCLES * INTERVAL_MS * 2 + 60_000,
    );
    const cpu = process.cpuUsage(cpuStart);
    const workerCpuMs = (cpu.user + cpu.system) / 1e3;
    const serverCpuMs = (stack.serverCpuSeconds() - serverCpuStart) * 1e3;
    const cyclesRun = ids.reduce((n, id) => n + (recorder.completedCycles.get(id) ?? 0), 0);
    const states = new Map<string, SymbolTraderState>();
    for (const id of ids) states.set(id, await stack.client.workflow.getHandle(id).query(stateQuery));
    await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).signal(stopSignal)));
    await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()));

    const cycles: CycleTiming[] = [];
    let inconsistent = 0;
    for (const id of ids) {
      const got = cycleTimings(id, recorder.records, states.get(id)!, requested.get(id)!, CYCLES, RUN_CYCLES);
      cycles.push(...got.cycles);
      if (!got.consistent) inconsistent++;
    }
    // cycle 1 is due when the workflow starts (not timer-driven, reconcile first): reported apart
    const steady = cycles.filter((c) => !c.afterContinueAsNew && c.sequence > 1);
    const firsts = cycles.filter((c) => c.sequence === 1);
    const can = cycles.filter((c) => c.afterContinueAsNew);
    const overhead = summarize(steady.map((c) => c.overhead));
    const inCycle = summarize(steady.map((c) => c.inCycle));
    const startDelay = summarize(steady.map((c) => c.startDelay));
    const canOverhead = summarize(can.map((c) => c.overhead));
    const firstOverhead = summarize(firsts.map((c) => c.overhead));
    const all = summarize(cycles.map((c) => c.overhead));
    const activity = summarize(cycles.map((c) => c.activityTime));
    const verdict = overhead.p50 <= TARGET_P50_MS ? 'met' : 'NOT met';
    const runs = [...states.values()].reduce((s, st) => s + st.runs, 0);

    const rows: string[][] = [
      [
        'overhead per cycle (timer-driven cycles): due -> decision journaled, minus activity time',
        `${overhead.count} cycles`,
        `p50 ${ms(overhead.p50)}, p99 ${ms(overhead.p99)}, max ${ms(overhead.max)}`,
        `p50 <= ${TARGET_P50_MS} ms: ${verdict}`,
      ],
      ['  part: due -> first activity starts (timer fires, workflow task)', `${startDelay.count} cycles`, `p50 ${ms(startDelay.p50)}, p99 ${ms(startDelay.p99)}`, ''],
      ['  part: first activity -> decision journaled (3 activities scheduled, run, completed)', `${inCycle.count} cycles`, `p50 ${ms(inCycle.p50)}, p99 ${ms(inCycle.p99)}`, ''],
      [
        'first cycle of a new run (continue-as-new and reconcile ran between cycles)',
        `${canOverhead.count} cycles`,
        canOverhead.count ? `p50 ${ms(canOverhead.p50)}, max ${ms(canOverhead.max)}` : 'none in this run',
        '',
      ],
      [
        'first cycle of a workflow (due at start; reconcile first)',
        `${firstOverhead.count} cycles`,
        `p50 ${ms(firstOverhead.p50)}, max ${ms(firstOverhead.max)}`,
        '',
      ],
      ['all cycles together', `${all.count} cycles`, `p50 ${ms(all.p50)}, p99 ${ms(all.p99)}`, ''],
      [
        'CPU per cycle: worker process / dev server (load-independent cost)',
        `${cyclesRun} cycles`,
        `${(workerCpuMs / cyclesRun).toFixed(0)} ms / ${(serverCpuMs / cyclesRun).toFixed(0)} ms`,
        '',
      ],
      ['time inside the (instant) activities, per cycle', `${activity.count} cycles`, `p50 ${ms(activity.p50)}, max ${ms(activity.max)}`, 'subtracted'],
    ];
    const expected = SYMBOLS * CYCLES;
    const notes = [
      !reached ? `**Incomplete:** not every symbol completed ${CYCLES} cycles in time.` : '',
      inconsistent > 0 ? `**${inconsistent} workflows**: the reconstructed grid disagrees with the workflow's own next due time; figures suspect.` : '',
      cycles.length < expected ? `Measured ${cycles.length} of ${expected} cycles.` : '',
    ].filter(Boolean);
    const body = [
      `## Orchestration overhead per cycle (\`bench/orchestration-bench.ts\`)${{ file: '', memory: ', in-memory dev server', cluster: ', on the cluster (PostgreSQL)' }[serverStore()]}`,
      '',
      `Run: ${machineLine()}. Dev server: ${storeText()}.`,
      '',
      `${SYMBOLS} \`symbolTrader\` workflows x ${CYCLES} cycles at a ${INTERVAL_MS} ms cadence, grids staggered so cycles do not overlap; ` +
        `continue-as-new every ${RUN_CYCLES} cycles for the run (product default 200), ${runs} runs in all; one worker with default options. ` +
        'Continue-as-new runs right after a cycle, off the next cycle\'s path; the first cycle of each new run is reported apart. ' +
        'A cycle is due at its grid time (bench/support/schedule.ts: phase from the workflow\'s `state` query, checked against its next due time) and done when its decision reached the trade log ' +
        '(`appendTradeLog`, its last step). Activities answer at once with real-size payloads; their time is subtracted. ' +
        'The cadence is 2 s because the dev server fires timers shorter than about 1 s only after about 1 s (measured: a 12 ms timer ' +
        'fired after 983 ms, 599 ms after 967 ms; timers of 1.2 s and more within 1-3 ms), which at a sub-second cadence would be measured instead of the orchestration.',
      '',
      markdownTable(['measure', 'sample', 'result', 'target'], rows),
      ...(notes.length ? ['', ...notes] : []),
    ].join('\n');
    if (CHECK_ONLY) console.log(`\n${body}\n\n(a check on a small input: nothing written)`);
    else publishSection('overhead', body);
  } finally {
    await stack.close();
  }
}

runBench(main);
