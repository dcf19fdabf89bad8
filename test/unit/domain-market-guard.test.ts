import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { checkSnapshot, defaultMarketGuard, marketLimitsFrom, type MarketGuardDeps } from '../../src/activities/marketGuard';
import { MarketDataConfig } from '../../src/config/schema';
import type { Candle } from '../../src/domain/market';
import { FeedWatch } from '../../src/marketdata/feedWatch';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot } from '../../src/strategist/marketSnapshot';
import { tempDir } from '../support/simulator';

/**
 * The stale-data guard on real candles: BTCUSDT 15m from the shared Binance files, on the day of
 * the May 2021 crash (19 May), where a last price that is not the market's is the most expensive.
 */

const M15 = 15 * 60_000;
const all = readCandleFile(join(sharedCandlesDir(), 'BTCUSDT-15m.csv'));
const crashAt = all.findIndex((c) => c.timestamp >= Date.UTC(2021, 4, 19, 12));

/** the snapshot the strategist would get at the close of candle i (price = its close unless given) */
function snapshotAt(i: number, last = all[i]!.close, priceAt = all[i]!.timestamp + M15) {
  const candles: Candle[] = all.slice(Math.max(0, i - 200), i + 1);
  return buildMarketSnapshot({ symbol: 'BTCUSDT', ticker: { last, bid: null, ask: null, timestamp: priceAt }, candles: [{ timeframe: '15m', candles }] });
}

const guard = (o: Partial<MarketGuardDeps> = {}): MarketGuardDeps => ({ ...defaultMarketGuard(), ...o });

describe('market data guard (real candles, May 2021)', () => {
  it('the replay moving on: every cycle of the crash day may trade', () => {
    const g = guard();
    const wallStart = Date.UTC(2026, 0, 1);
    for (let k = 0; k < 24; k++) {
      const i = crashAt + k;
      const v = checkSnapshot(g, snapshotAt(i), wallStart + k * M15);
      assert.equal(v.ok, true, `${new Date(all[i]!.timestamp).toISOString()}: ${!v.ok ? v.reason : ''}`);
    }
  });

  it('INCONSISTENT_MARKET_DATA: a last price 1.9x the newest candle (the synthetic price kept over real candles)', () => {
    const c = all[crashAt]!;
    const v = checkSnapshot(guard(), snapshotAt(crashAt, c.close * 1.9));
    assert.equal(!v.ok && v.code, 'INCONSISTENT_MARKET_DATA');
    assert.match(!v.ok ? v.reason : '', new RegExp(`the last price [0-9.]+ is 90\\.00% above the newest candle's close ${c.close} \\(limit 3%\\); no trade this cycle`));
    // 3% is the default tolerance: 2.9% passes, 3.1% does not
    assert.equal(checkSnapshot(guard(), snapshotAt(crashAt, c.close * 1.029)).ok, true);
    assert.equal(checkSnapshot(guard(), snapshotAt(crashAt, c.close * 0.969)).ok, false);
  });

  it('STALE_MARKET_DATA: a last price older than 3 cycles (live: wall clock), and candles lagging the price', () => {
    const i = crashAt;
    const priceAt = all[i]!.timestamp + M15;
    const live = guard({ wallClocked: true });
    assert.equal(checkSnapshot(live, snapshotAt(i), priceAt + 44 * 60_000).ok, true, '44 minutes old is within 3 x 15 min');
    const v = checkSnapshot(live, snapshotAt(i), priceAt + 46 * 60_000);
    assert.equal(!v.ok && v.code, 'STALE_MARKET_DATA');
    assert.match(!v.ok ? v.reason : '', /the last price [0-9.]+ is from 2021-05-19T12:15:00Z, 46 min old \(limit 45 min\)/);
    // paper replay (its own clock): the same age is not judged by the wall clock
    assert.equal(checkSnapshot(guard(), snapshotAt(i), priceAt + 46 * 60_000).ok, true);
    // the candles stopped while the price went on: newest candle 4 intervals before the price
    const lag = checkSnapshot(guard(), snapshotAt(i, all[i]!.close, priceAt + 4 * M15));
    assert.equal(!lag.ok && lag.code, 'STALE_MARKET_DATA');
    assert.match(!lag.ok ? lag.reason : '', /the newest candle closed at 2021-05-19T12:15:00Z, 4 intervals before the last price's time 2021-05-19T13:15:00Z \(limit 3\)/);
  });

  it('FROZEN_FEED: no new candle for 4 intervals of wall time; remembered across a worker restart', () => {
    const file = join(tempDir('feed-watch-'), 'feed-watch.json');
    const limits = marketLimitsFrom(MarketDataConfig.parse({}), M15);
    const wall = Date.UTC(2026, 0, 1);
    const g = guard({ limits, watch: new FeedWatch(file) });
    const frozen = snapshotAt(crashAt); // the same candle, cycle after cycle
    assert.equal(checkSnapshot(g, frozen, wall).ok, true);
    assert.equal(checkSnapshot(g, frozen, wall + 3 * M15).ok, true);
    // the worker restarts: a new watch over the same file still knows since when the feed has not moved
    const restarted = guard({ limits, watch: new FeedWatch(file) });
    const v = checkSnapshot(restarted, frozen, wall + 4 * M15 + 1);
    assert.equal(!v.ok && v.code, 'FROZEN_FEED');
    assert.match(!v.ok ? v.reason : '', /no new candle since 2021-05-19T12:15:00Z for 60 min of wall time \(limit 4 intervals of 15 min\): the price feed has stopped/);
    // a new candle and the feed is alive again
    assert.equal(checkSnapshot(restarted, snapshotAt(crashAt + 1), wall + 5 * M15).ok, true);
  });
});
