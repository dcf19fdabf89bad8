import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candleFilePath, indexAtOrBefore, readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';

describe('candle files', () => {
  const btc = readCandleFile(candleFilePath(sharedCandlesDir(), 'BTCUSDT', '15m'));

  it('reads the shared real BTCUSDT 15m candles in full, gaps kept', () => {
    assert.equal(btc.length, 21_914); // SOURCES.md
    assert.deepEqual(btc[0], {
      timestamp: Date.UTC(2020, 11, 1, 0, 0),
      open: 19695.87,
      high: 19720,
      low: 19505.9,
      close: 19567.99,
      volume: 1756.786181,
    });
    const gaps = btc.slice(1).filter((c, i) => c.timestamp - btc[i]!.timestamp > 900_000).length;
    assert.equal(gaps, 6);
  });

  it('finds the candle at or before a time', () => {
    const t = btc[100]!.timestamp;
    assert.equal(indexAtOrBefore(btc, t), 100);
    assert.equal(indexAtOrBefore(btc, t + 899_999), 100);
    assert.equal(indexAtOrBefore(btc, btc[0]!.timestamp - 1), -1);
    assert.equal(indexAtOrBefore(btc, Number.MAX_SAFE_INTEGER), btc.length - 1);
  });

  it('says which line of which file is bad', () => {
    const dir = mkdtempSync(join(tmpdir(), 'de-candles-'));
    const file = join(dir, 'X-15m.csv');
    writeFileSync(file, 'timestamp_ms,open,high,low,close,volume\n1,1,1,1,1,1\n2,1,x,1,1,1\n');
    assert.throws(() => readCandleFile(file), new RegExp(`${file}:3: column high is not a number`));
    writeFileSync(file, 'timestamp_ms,open,high,low,close,volume\n2,1,1,1,1,1\n1,1,1,1,1,1\n');
    assert.throws(() => readCandleFile(file), /:3: timestamps must be strictly ascending/);
  });
});
