/**
 * The test stacks' cadence (test/support/quietCadence.ts): a test that wants one cycle must not get a
 * second one from the candle grid, whatever the hour it starts at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load';
import { cycleGrid, nextCycleAfter } from '../../src/domain/cycleSchedule';
import { QUIET_HORIZON_MS, quietCadence } from '../support/quietCadence';

const at = (iso: string) => Date.parse(iso);

describe('quietCadence', () => {
  it('keeps 1 h when the next hour close is far, and moves off it in the last half hour', () => {
    assert.equal(quietCadence(at('2026-12-02T13:10:00Z')).interval, '1h');
    // 13:59: the 1 h grid's next point is 14:00, and 14 is even, so 3 h (15:00 is next)
    assert.equal(quietCadence(at('2026-12-02T13:59:00Z')).interval, '3h');
    // 14:45: 15:00 is odd, so 2 h (16:00 is next)
    assert.equal(quietCadence(at('2026-12-02T14:45:00Z')).interval, '2h');
  });

  it('never has a grid point within the horizon, minute by minute over two days', () => {
    const start = at('2026-12-01T00:00:00Z');
    for (let now = start; now < start + 2 * 86_400_000; now += 60_000) {
      const cadence = quietCadence(now);
      const next = nextCycleAfter(cycleGrid('BTCUSDT', cadence.intervalMs, 0), now);
      assert.ok(next - now >= QUIET_HORIZON_MS, `${new Date(now).toISOString()}: ${cadence.interval} comes due again at ${new Date(next).toISOString()}`);
    }
  });

  it('writes config lines the product loads as the cadence it names', () => {
    const cadence = quietCadence(at('2026-12-02T13:59:00Z'));
    const config = parseConfig(['symbols: [BTCUSDT]', ...cadence.lines].join('\n'));
    assert.equal(config.cycle_interval, cadence.intervalMs);
    assert.equal(config.cycle_offset_max, 0);
    assert.equal(config.first_cycle, 'immediate');
    assert.equal(cadence.cadenceText, 'every 3 h');
  });
});
