import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { durationText } from '../../src/contract/displayText';
import { decisionLines, type TraderSchedule } from '../../src/devstack/firstDecision';
import { elapsedText } from '../../src/devstack/startProgress';
import { cycleGrid, firstCycleAt, offsetCapMs, symbolOffsetMs } from '../../src/domain/cycleSchedule';

/**
 * The lines after npm start's `ready:` line: when each symbol's first decision comes, in the
 * traders' own times, how they are aligned, and the demo for a trade without the wait.
 */

type Cadence = Parameters<typeof decisionLines>[1];
const FIFTEEN: Cadence = { cycle_interval: 15 * 60_000, first_cycle: 'aligned', cycle_offset_max: 2 * 60_000 };
const now = Date.UTC(2026, 11, 2, 12, 29, 50);
const opts = { demo: false, cli: 'npm run cli --' };

/** what a fresh trader's state says: its first cycle where the workflow puts it */
function fresh(symbol: string, config = FIFTEEN, startedAt = now): TraderSchedule {
  const grid = cycleGrid(symbol, config.cycle_interval, offsetCapMs(config.cycle_interval, config.cycle_offset_max));
  return { symbol, outcome: 'started', state: { nextCycleAt: firstCycleAt(grid, startedAt, config.first_cycle), lastCycleAt: null } };
}

describe('when the first decision comes (the lines after ready:)', () => {
  it('aligned at 15-minute cycles: the time of each symbol, how long until it, the candle close and its offset; and the demo', () => {
    const btc = symbolOffsetMs('BTCUSDT', 90_000);
    const lines = decisionLines([fresh('BTCUSDT'), fresh('ETHUSDT')], FIFTEEN, now, opts);
    const at = Date.UTC(2026, 11, 2, 12, 30) + btc;
    assert.equal(lines[0], `  first decision: BTCUSDT at ${new Date(at).toISOString().slice(11, 19)} UTC (in ${elapsedText(at - now)}), aligned to the 15m candle close +${elapsedText(btc)}`);
    assert.match(lines[1]!, /^ {2}first decision: ETHUSDT at 12:3\d:\d\d UTC \(in [^)]+\), aligned to the 15m candle close \+.+ s$/);
    assert.equal(lines.length, 2, 'the first decisions come within two minutes: no pointer to the demo');
    // just after a close: the next one is nearly a quarter of an hour away, and the demo shows a trade at once
    const later = Date.UTC(2026, 11, 2, 12, 32);
    const waiting = decisionLines([fresh('BTCUSDT', FIFTEEN, later)], FIFTEEN, later, opts);
    assert.match(waiting[0]!, /^ {2}first decision: BTCUSDT at 12:45:\d\d UTC \(in 1\d min \d+ s\), aligned to the 15m candle close/);
    assert.match(waiting[1]!, /^ {2}to see a whole paper trade without the wait: npm start -- --demo /);
    assert.equal(decisionLines([fresh('BTCUSDT', FIFTEEN, later)], FIFTEEN, later, { ...opts, demo: true }).length, 1, 'the demo does not point to itself');
  });

  it('immediate, already running, under way, not answering, and many symbols', () => {
    const immediate: Cadence = { ...FIFTEEN, first_cycle: 'immediate' };
    assert.match(decisionLines([fresh('BTCUSDT', immediate)], immediate, now, opts)[0]!, /^ {2}first decision: BTCUSDT at 12:29:50 UTC \(due now\), first_cycle: immediate; the cycles after it aligned to the 15m candle close \+.+ s$/);
    const running: TraderSchedule = { symbol: 'BTCUSDT', outcome: 'already running', state: { nextCycleAt: now + 5 * 60_000, lastCycleAt: now - 10 * 60_000 } };
    assert.match(decisionLines([running], FIFTEEN, now, opts)[0]!, /^ {2}next decision: BTCUSDT at 12:34:50 UTC \(in 5 min 0 s\), aligned/);
    const underWay: TraderSchedule = { symbol: 'BTCUSDT', outcome: 'started', state: { nextCycleAt: now + 7_500, lastCycleAt: now - 200 } };
    assert.deepEqual(decisionLines([underWay], FIFTEEN, now, opts), ['  first decision: BTCUSDT at 12:29:49 UTC (under way)']);
    const silent: TraderSchedule = { symbol: 'BTCUSDT', outcome: 'started', state: null, why: 'its trader did not answer: deadline exceeded' };
    assert.deepEqual(decisionLines([silent], FIFTEEN, now, opts), ['  first decision: BTCUSDT: not known yet (its trader did not answer: deadline exceeded)']);
    const many = ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((s) => fresh(`${s}USDT`));
    const lines = decisionLines(many, FIFTEEN, now, opts);
    assert.equal(lines.filter((l) => l.includes('first decision')).length, 5);
    assert.equal(lines[5], "  ... and 2 more: npm run cli -- status shows every symbol's next cycle");
  });

  it("the demo's 7.5 s cycles sit on a cycle grid, not a candle close", () => {
    const demo: Cadence = { cycle_interval: 7_500, first_cycle: 'aligned', cycle_offset_max: 2 * 60_000 };
    assert.match(decisionLines([fresh('BTCUSDT', demo)], demo, now, { ...opts, demo: true })[0]!, /^ {2}first decision: BTCUSDT at 12:29:5\d UTC \((in [\d.]+ s|due now)\), aligned to the 7\.5 s cycle grid \+0\.\d s$/);
    assert.deepEqual([durationText(7_500), durationText(15 * 60_000), durationText(4 * 3_600_000)], ['7.5 s', '15 min', '4 h']);
  });
});
