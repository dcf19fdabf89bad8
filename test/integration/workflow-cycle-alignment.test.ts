import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { traderWorkflowId } from '../../src/contract/ids';
import { stateQuery, stopSignal } from '../../src/contract/signals';
import type { CycleAlignment } from '../../src/contract/traderState';
import { cycleGrid, gridPointAtOrAfter, onGrid, type CycleGrid } from '../../src/domain/cycleSchedule';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { CANDLE_ALIGNED_CYCLES_PATCH } from '../../src/workflows/cycleClock';
import { devServerEnv, withWorker } from '../support/temporalEnv';
import { ExchangeModel } from '../support/temporalExchange';
import { recordHistory } from '../support/temporalHistories';

/**
 * Candle-aligned cycles on the Temporal CLI dev server (real time), through the real symbolTrader:
 * two symbols started together come due at the candle close (a UTC multiple of the interval) plus
 * each its own offset, cycle 1 included, never before it; a third, started with an immediate first
 * cycle, runs cycle 1 at once and is on its grid from cycle 2. Due times are read from the history
 * (each cycle timer's start plus its duration is the time the workflow waited for), so the figures
 * do not depend on how busy the machine is.
 */

const INTERVAL_MS = 4_000;
const MAX_OFFSET_MS = 3_000;
const CYCLES = 3;
const ALIGNED: CycleAlignment = { firstCycle: 'aligned', maxOffsetMs: MAX_OFFSET_MS };

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServerEnv();
});
after(async () => {
  await env?.teardown();
});

type Long = { toNumber(): number };
type Ts = { seconds?: number | Long | null; nanos?: number | null } | null | undefined;
/** a proto Timestamp or Duration in ms, as the workflow SDK reads it (whole ms) */
function ms(t: Ts): number {
  const s = t?.seconds ?? 0;
  return (typeof s === 'object' ? s.toNumber() : Number(s)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

interface CycleTimes {
  /** the workflow's clock at its first task: the start its first cycle is timed from */
  firstTaskAt: number;
  /** the times the workflow's cycle timers were set for, in order */
  timersDueAt: number[];
  /** per cycle (its fetchMarketData), the time the cycle timer before it was set for; null: it did not wait */
  cycleDueAt: Array<number | null>;
  patched: boolean;
}

/** what the history says the workflow waited for (a timer's start on the workflow's clock plus its duration) */
async function cycleTimes(handle: { fetchHistory(): Promise<{ events?: any[] | null }> }): Promise<CycleTimes> {
  const events = (await handle.fetchHistory()).events ?? [];
  let taskStartedAt = NaN;
  let firstTaskAt = NaN;
  let waitingFor: number | null = null;
  let patched = false;
  const timersDueAt: number[] = [];
  const cycleDueAt: Array<number | null> = [];
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes) {
      taskStartedAt = ms(e.eventTime);
      if (Number.isNaN(firstTaskAt)) firstTaskAt = taskStartedAt;
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker) {
      const payloads = Object.values(marker.details ?? {}).flatMap((p: any) => p?.payloads ?? []);
      patched ||= payloads.some((p: any) => Buffer.from(p.data ?? []).toString().includes(CANDLE_ALIGNED_CYCLES_PATCH));
    }
    const timer = e.timerStartedEventAttributes;
    if (timer) {
      waitingFor = taskStartedAt + ms(timer.startToFireTimeout);
      timersDueAt.push(waitingFor);
    }
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchMarketData') {
      cycleDueAt.push(waitingFor);
      waitingFor = null;
    }
  }
  return { firstTaskAt, timersDueAt, cycleDueAt, patched };
}

describe('cycles on the candle grid plus a per-symbol offset (dev server)', () => {
  test('two symbols come due at candle close + their own offsets; an immediate first cycle runs at once', async () => {
    const model = new ExchangeModel();
    const activities = model.activities();
    // when each cycle's first step really ran (wall clock), per workflow
    const ran = new Map<string, number[]>();
    const fetchMarketData = activities.fetchMarketData;
    activities.fetchMarketData = async (input) => {
      const id = Context.current().info.workflowExecution?.workflowId ?? '(none)';
      ran.set(id, [...(ran.get(id) ?? []), Date.now()]);
      return fetchMarketData(input);
    };
    const symbols = { BTCUSDT: ALIGNED, ETHUSDT: ALIGNED, SOLUSDT: { ...ALIGNED, firstCycle: 'immediate' } } as const;
    const grids = new Map<string, CycleGrid>(Object.keys(symbols).map((s) => [s, cycleGrid(s, INTERVAL_MS, MAX_OFFSET_MS)]));
    const [btc, eth] = [grids.get('BTCUSDT')!, grids.get('ETHUSDT')!];
    assert.ok(Math.abs(btc.offsetMs - eth.offsetMs) >= 200, `distinct offsets: ${btc.offsetMs} and ${eth.offsetMs} ms`);

    await withWorker(env, activities, async (taskQueue) => {
      const handles = await Promise.all(
        Object.entries(symbols).map(([symbol, cycleAlignment]) =>
          env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
            taskQueue,
            workflowId: traderWorkflowId(symbol),
            args: [{ symbol, cycleIntervalMs: INTERVAL_MS, mode: 'paper', cycleAlignment }],
          }),
        ),
      );
      await model.until(() => [...ran.values()].filter((r) => r.length >= CYCLES).length === handles.length, `${CYCLES} cycles of each symbol`, 60_000);

      for (const handle of handles) {
        const symbol = handle.workflowId.replace('trader-', '');
        const grid = grids.get(symbol)!;
        const state = await handle.query(stateQuery);
        assert.ok(onGrid(grid, state.nextCycleAt), `${symbol}: its next cycle ${state.nextCycleAt} is a candle close + ${grid.offsetMs} ms`);
        await handle.signal(stopSignal);
        await handle.result();
        const times = await cycleTimes(handle);
        assert.ok(times.patched, `${symbol}: the history carries the ${CANDLE_ALIGNED_CYCLES_PATCH} marker`);
        for (const due of times.timersDueAt) {
          // every wait was for exactly a candle close (a UTC multiple of the interval) + the symbol's offset
          const close = gridPointAtOrAfter(grid, due - 1);
          assert.ok(Math.abs(due - close) <= 1, `${symbol}: a cycle timer set for ${due}, not ${close} (a close + ${grid.offsetMs} ms)`);
        }
        const runs = ran.get(handle.workflowId)!;
        const immediate = symbols[symbol as keyof typeof symbols].firstCycle === 'immediate';
        const firstClose = gridPointAtOrAfter(grid, times.firstTaskAt);
        if (immediate) {
          assert.equal(times.cycleDueAt[0], null, `${symbol}: cycle 1 at once, without waiting`);
        } else {
          // aligned: cycle 1 is due at the first close + offset after the start, and not run before it
          if (times.cycleDueAt[0] !== null) assert.ok(Math.abs(times.cycleDueAt[0]! - firstClose) <= 1, `${symbol}: cycle 1 waited for ${times.cycleDueAt[0]}, not ${firstClose}`);
          assert.ok(runs[0]! >= firstClose - 1, `${symbol}: cycle 1 ran at ${runs[0]}, before the first close + offset ${firstClose}`);
        }
        // from cycle 2 on every cycle waited for its close + offset, and ran at or after it, never before
        for (let k = 1; k < CYCLES; k++) {
          const due = times.cycleDueAt[k];
          assert.ok(typeof due === 'number', `${symbol}: cycle ${k + 1} waited for its due time`);
          assert.ok(runs[k]! >= due - 1, `${symbol}: cycle ${k + 1} ran at ${runs[k]}, before its due time ${due}`);
        }
        if (symbol === 'BTCUSDT') await recordHistory(handle, 'trader-candle-aligned-cycles');
      }
      // the two aligned symbols, started together, come due apart: at the same close, each at its own offset
      const btcTimes = await cycleTimes(handles[0]!);
      const ethTimes = await cycleTimes(handles[1]!);
      const apart = btcTimes.cycleDueAt[1]! - ethTimes.cycleDueAt[1]!;
      const sameClose = Math.round((apart - (btc.offsetMs - eth.offsetMs)) / INTERVAL_MS) * INTERVAL_MS;
      assert.ok(Math.abs(apart - sameClose - (btc.offsetMs - eth.offsetMs)) <= 1, `cycle 2 of BTCUSDT and ETHUSDT ${apart} ms apart`);
    });
  });
});
