import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextDueTime } from '../../src/workflows/cadence';

const M = 15 * 60_000;

test('the next cycle is one interval after the due one, whatever the small lateness', () => {
  assert.equal(nextDueTime(0, M, 0), M);
  assert.equal(nextDueTime(0, M, 2_000), M, 'a cycle that started 2 s late does not shift the grid');
  assert.equal(nextDueTime(0, M, M - 1), M);
});

test('after downtime the missed cycles are skipped, not run in a burst, and the grid is kept', () => {
  assert.equal(nextDueTime(0, M, M), 2 * M, 'exactly on the next grid point: that one is already due now, so the one after');
  assert.equal(nextDueTime(0, M, 3 * M + 5), 4 * M);
  for (const now of [M + 1, 7 * M - 1, 7 * M, 100 * M + 12_345]) {
    const next = nextDueTime(0, M, now);
    assert.ok(next > now && next - now <= M, `next ${next} for now ${now}`);
    assert.equal(next % M, 0);
  }
});

test('a non-positive interval is refused', () => {
  assert.throws(() => nextDueTime(0, 0, 0), /must be positive/);
});
