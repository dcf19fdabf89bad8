import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cycleGrid,
  DEFAULT_MAX_CYCLE_OFFSET_MS,
  firstCycleAt,
  gridPointAtOrAfter,
  nextCycleAfter,
  offsetCapMs,
  onGrid,
  symbolOffsetMs,
} from '../../src/domain/cycleSchedule';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);

describe('cycle schedule: candle closes plus a per-symbol offset', () => {
  it('caps the offset at a tenth of the interval, and at the configured maximum', () => {
    assert.equal(DEFAULT_MAX_CYCLE_OFFSET_MS, 2 * M);
    assert.equal(offsetCapMs(15 * M), 90 * S, '15-minute cycles: 90 s, not 2 min');
    assert.equal(offsetCapMs(H), 2 * M);
    assert.equal(offsetCapMs(M), 6 * S);
    assert.equal(offsetCapMs(4 * H, 30 * S), 30 * S);
    assert.equal(offsetCapMs(15 * M, 0), 0, '0 turns the offset off');
    assert.throws(() => offsetCapMs(0), /interval must be positive/);
    assert.throws(() => offsetCapMs(M, -1), /0 or more/);
  });

  it('gives each symbol its own offset, the same every time, inside the cap', () => {
    const cap = offsetCapMs(15 * M);
    const btc = symbolOffsetMs('BTCUSDT', cap);
    assert.equal(symbolOffsetMs('BTCUSDT', cap), btc, 'deterministic');
    assert.notEqual(symbolOffsetMs('ETHUSDT', cap), btc);
    const offsets = Array.from({ length: 1000 }, (_, i) => symbolOffsetMs(`S${String(i).padStart(4, '0')}USDT`, cap));
    for (const o of offsets) assert.ok(Number.isInteger(o) && o >= 0 && o < cap, `offset ${o}`);
    // similar names spread over the whole window: no second of it holds more than a few dozen of 1000 symbols
    const perSecond = new Map<number, number>();
    for (const o of offsets) perSecond.set(Math.floor(o / S), (perSecond.get(Math.floor(o / S)) ?? 0) + 1);
    assert.ok(perSecond.size >= 80, `1000 symbols over ${perSecond.size} of 90 seconds`);
    assert.ok(Math.max(...perSecond.values()) <= 30, `at most ${Math.max(...perSecond.values())} in one second`);
    assert.equal(symbolOffsetMs('BTCUSDT', 0), 0);
  });

  it('puts the cycles on UTC candle closes plus the offset, weekly ones on Mondays', () => {
    const grid = cycleGrid('BTCUSDT', 15 * M, offsetCapMs(15 * M));
    const due = gridPointAtOrAfter(grid, at('2024-03-05T10:07:12Z'));
    assert.equal(due, at('2024-03-05T10:15:00Z') + grid.offsetMs);
    assert.ok(onGrid(grid, due) && !onGrid(grid, due + 1));
    const hourly = cycleGrid('ETHUSDT', H, 0);
    assert.equal(gridPointAtOrAfter(hourly, at('2024-03-05T10:00:00Z')), at('2024-03-05T10:00:00Z'), 'on a close exactly: that one');
    const daily = cycleGrid('ETHUSDT', D, 0);
    assert.equal(gridPointAtOrAfter(daily, at('2024-03-05T10:00:00Z')), at('2024-03-06T00:00:00Z'));
    const weekly = cycleGrid('ETHUSDT', 7 * D, 0);
    const monday = gridPointAtOrAfter(weekly, at('2024-03-06T10:00:00Z'));
    assert.equal(new Date(monday).toISOString(), '2024-03-11T00:00:00.000Z');
    assert.throws(() => cycleGrid('BTCUSDT', M, M), /below the interval/);
    assert.throws(() => cycleGrid('BTCUSDT', M, -1), /at least 0/);
  });

  it('the first cycle: aligned waits for the next close + offset, immediate runs at once', () => {
    const grid = cycleGrid('BTCUSDT', H, offsetCapMs(H));
    const start = at('2024-03-05T10:20:00Z');
    assert.equal(firstCycleAt(grid, start, 'aligned'), at('2024-03-05T11:00:00Z') + grid.offsetMs);
    assert.equal(firstCycleAt(grid, start, 'immediate'), start);
    // just after a close, inside the symbol's offset: this close's cycle is still ahead
    const justAfter = at('2024-03-05T11:00:00Z') + Math.floor(grid.offsetMs / 2);
    assert.equal(firstCycleAt(grid, justAfter, 'aligned'), at('2024-03-05T11:00:00Z') + grid.offsetMs);
  });

  it('the next cycle stays on the grid: lateness does not shift it, downtime skips the missed ones', () => {
    const grid = cycleGrid('ETHUSDT', 15 * M, offsetCapMs(15 * M));
    const due = at('2024-03-05T10:15:00Z') + grid.offsetMs;
    assert.equal(nextCycleAfter(grid, due), due + 15 * M);
    assert.equal(nextCycleAfter(grid, due + 2 * S), due + 15 * M, 'a cycle 2 s late does not move the grid');
    assert.equal(nextCycleAfter(grid, due + 15 * M), due + 30 * M, 'exactly on the next point: that one is running, the one after');
    assert.equal(nextCycleAfter(grid, due + 3 * H + 5), due + 3 * H + 15 * M, 'after 3 h down: the next point, no burst');
    // an immediate first cycle off the grid: the next one is back on it
    const offGrid = at('2024-03-05T10:20:00Z');
    const next = nextCycleAfter(grid, offGrid);
    assert.ok(onGrid(grid, next) && next > offGrid && next - offGrid <= 15 * M);
  });
});
