import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';

export const API_KEY = 'test-key';
export const API_SECRET = 'test-secret';

export interface SimTestBed {
  sim: SimulatorHandle;
  ex: ReturnType<typeof createCcxtForSimulator>;
  close(): Promise<void>;
}

/** A simulator on 127.0.0.1 with one funded account and a real ccxt client with markets loaded. */
export async function simTestBed(opts: Partial<SimulatorOptions> = {}, ccxtExtra: Record<string, unknown> = {}): Promise<SimTestBed> {
  const sim = await startSimulator({
    feed: { kind: 'synthetic', seed: 7, start: { BTCUSDT: 50000, ETHUSDT: 3000 } },
    accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10000, BTC: 1 } }],
    ...opts,
  });
  const ex = createCcxtForSimulator(sim.url, API_KEY, API_SECRET, ccxtExtra);
  await ex.loadMarkets();
  return { sim, ex, close: () => sim.close() };
}

/** Writes a candle CSV in the shared format into a fresh temp dir and returns its path. */
export function writeCandles(rows: [number, number, number, number, number, number][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-candles-'));
  const path = join(dir, 'BTCUSDT-15m.csv');
  writeFileSync(path, ['timestamp_ms,open,high,low,close,volume', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return path;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
