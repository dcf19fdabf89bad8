import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { candleFilePath, readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { startSimulator } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { API_KEY, API_SECRET, tempDir, writeCandles } from '../support/simulator';
import { paperCredentials } from '../../src/exchange/ccxtClient';

const BTC_FILE = candleFilePath(sharedCandlesDir(), 'BTCUSDT', '15m');
const ETH_FILE = candleFilePath(sharedCandlesDir(), 'ETHUSDT', '15m');
const Q = 15 * 60_000;

/** Waits for a condition that a running timer makes true (bounded, so a broken timer fails the test). */
async function until(cond: () => boolean, what: string, limitMs = 5000) {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('simulator: candle replay of the shared Binance files', () => {
  it('serves only revealed candles and steps through the real file under the test\'s control', async () => {
    const real = readCandleFile(BTC_FILE);
    const start = real[1000]!.timestamp;
    const sim = await startSimulator({
      feed: { kind: 'candles', files: { BTCUSDT: BTC_FILE, ETHUSDT: ETH_FILE }, startAt: start },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 1000 } }],
    });
    try {
      const ex = createCcxtForSimulator(sim.url, API_KEY, API_SECRET);
      await ex.loadMarkets();
      assert.equal(sim.requests().filter((r) => r.path === '/api/v3/exchangeInfo').length, 1);
      assert.equal(sim.requests().length, 1, 'loadMarkets makes a single request');
      assert.equal(sim.now(), start + Q);
      assert.equal((await ex.fetchTicker('BTC/USDT')).last, real[1000]!.close);
      let bars = await ex.fetchOHLCV('BTC/USDT', '15m', undefined, 5);
      assert.deepEqual(bars.at(-1), [real[1000]!.timestamp, real[1000]!.open, real[1000]!.high, real[1000]!.low, real[1000]!.close, real[1000]!.volume]);

      await sim.advance(3);
      assert.equal(sim.now(), real[1003]!.timestamp + Q);
      bars = await ex.fetchOHLCV('BTC/USDT', '15m', undefined, 2);
      assert.deepEqual(bars.map((b) => b[0]), [real[1002]!.timestamp, real[1003]!.timestamp]);
      assert.equal((await ex.fetchTicker('BTC/USDT')).last, real[1003]!.close);
      // asking for the future returns nothing beyond the clock
      const future = await ex.fetchOHLCV('BTC/USDT', '15m', real[1003]!.timestamp, 10);
      assert.equal(future.length, 1);
      // 1h bars aggregate four 15m candles
      const hour = await ex.fetchOHLCV('BTC/USDT', '1h', real[996]!.timestamp, 1);
      const group = real.filter((c) => Math.floor(c.timestamp / 3_600_000) === Math.floor(real[996]!.timestamp / 3_600_000));
      assert.deepEqual(hour[0]!.slice(1, 5), [group[0]!.open, Math.max(...group.map((c) => c.high)), Math.min(...group.map((c) => c.low)), group.at(-1)!.close]);
      await assert.rejects(ex.fetchOHLCV('BTC/USDT', '5m'), /Invalid interval/);
    } finally {
      await sim.close();
    }
  });

  it('a resting order fills on the real candle that trades through it', async () => {
    const real = readCandleFile(BTC_FILE);
    // first candle after index 2000 whose low is below the previous close by at least 0.2%
    let k = 2001;
    while (real[k]!.low > real[k - 1]!.close * 0.998) k++;
    const price = Math.round(real[k - 1]!.close * 0.999 * 100) / 100;
    const sim = await startSimulator({
      feed: { kind: 'candles', files: { BTCUSDT: BTC_FILE }, startAt: real[k - 1]!.timestamp },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 1000 } }],
      fillParticipation: 1,
    });
    try {
      const ex = createCcxtForSimulator(sim.url, API_KEY, API_SECRET);
      await ex.loadMarkets();
      const order = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, price);
      assert.equal(order.status, 'open');
      await sim.advance(1);
      const filled = await ex.fetchOrder(order.id!, 'BTC/USDT');
      assert.equal(filled.status, 'closed');
      assert.equal(filled.timestamp, real[k - 1]!.timestamp + Q);
      assert.equal(filled.lastTradeTimestamp, real[k]!.timestamp + Q);
    } finally {
      await sim.close();
    }
  });

  it('play(speed) replays on its own until paused', async () => {
    const sim = await startSimulator({ feed: { kind: 'candles', files: { BTCUSDT: BTC_FILE } } });
    try {
      const t0 = sim.now();
      sim.play(200);
      await until(() => sim.now() >= t0 + 3 * Q, 'three replayed candles');
      sim.pause();
      await sim.advance(0); // lets an in-flight step finish
      const stopped = sim.now();
      await sim.advance(1);
      assert.equal(sim.now(), stopped + Q);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator: synthetic feed', () => {
  it('is deterministic for a seed and says it is synthetic', async () => {
    const a = await startSimulator({ feed: { kind: 'synthetic', seed: 42, start: { BTCUSDT: 30000 } } });
    const b = await startSimulator({ feed: { kind: 'synthetic', seed: 42, start: { BTCUSDT: 30000 } } });
    try {
      await a.advance(5);
      await b.advance(5);
      const kl = async (url: string) => (await fetch(`${url}/api/v3/klines?symbol=BTCUSDT&interval=15m&limit=20`)).json();
      assert.deepEqual(await kl(a.url), await kl(b.url));
      const info = (await (await fetch(`${a.url}/api/v3/exchangeInfo`)).json()) as { simulatorFeed: string };
      assert.match(info.simulatorFeed, /SYNTHETIC/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('simulator: live feed', () => {
  it('follows the prices of another Binance-compatible exchange (a second simulator on 127.0.0.1)', async () => {
    const t0 = Date.UTC(2024, 0, 1);
    const rows = Array.from({ length: 600 }, (_, i) => [t0 + i * 60_000, 100, 100.5, 99.5, 100, 10] as [number, number, number, number, number, number]);
    rows[501] = [t0 + 501 * 60_000, 100, 100.2, 90, 99, 10]; // a dip through 95
    const upstream = await startSimulator({ feed: { kind: 'candles', files: { BTCUSDT: writeCandles(rows) } } });
    const live = await startSimulator({
      feed: { kind: 'live', baseUrl: upstream.url, symbols: ['BTCUSDT'] },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 1000 } }],
    });
    try {
      const ex = createCcxtForSimulator(live.url, API_KEY, API_SECRET);
      await ex.loadMarkets();
      assert.equal((await ex.fetchTicker('BTC/USDT')).last, 100);
      assert.ok(Math.abs(live.now() - Date.now()) < 5000, 'a live feed runs on the wall clock');
      const order = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.1, 95);
      await live.advance(1); // nothing new upstream
      assert.equal((await ex.fetchOrder(order.id!, 'BTC/USDT')).status, 'open');
      await upstream.advance(1);
      await live.advance(1);
      const filled = await ex.fetchOrder(order.id!, 'BTC/USDT');
      assert.equal(filled.status, 'closed');
      assert.equal(filled.average, 95);
      assert.equal((await ex.fetchTicker('BTC/USDT')).last, 99);
      const upstreamHits = upstream.requests().filter((r) => r.path === '/api/v3/klines').length;
      assert.ok(upstreamHits >= 3);
    } finally {
      await live.close();
      await upstream.close();
    }
  });
});

describe('simulator: command line', () => {
  it('starts standalone, answers ping, and saves its state on SIGTERM', async () => {
    const dir = tempDir('sim-cli-');
    const state = join(dir, 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts', '--port', '0', '--synthetic', '5', '--speed', '0', '--state', state], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          out += d;
          const m = /ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`simulator CLI exited ${code}: ${out}`)));
      });
      assert.match(out, /SYNTHETIC/);
      const ping = await fetch(`${url}/api/v3/ping`);
      assert.equal(ping.status, 200);
      // the standalone simulator's default account is the one the gateway signs with in paper mode
      const paper = paperCredentials({});
      const ex = createCcxtForSimulator(url, paper.apiKey, paper.secret);
      await ex.loadMarkets();
      assert.equal((await ex.fetchBalance()).total!['USDT' as never], 10000);
      child.kill('SIGTERM');
      await once(child, 'exit');
      assert.ok(existsSync(state));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
