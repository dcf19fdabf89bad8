#!/usr/bin/env -S node --import tsx
/**
 * Runs the simulator standalone for paper trading:
 *   npx tsx src/simulator/main.ts --state data/simulator.json --candles-dir ../shared/data/candles --speed 1
 * Point ccxt at the printed URL (see ccxtForSimulator.ts). The paper account's key and secret come
 * from SIM_API_KEY / SIM_API_SECRET (defaults: "paper-api-key" / "paper-api-secret", the same as the gateway's paperCredentials).
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { candleFilePath, sharedCandlesDir } from '../marketdata/candleFile';
import { startSimulator } from './index';
import type { PriceFeedSpec } from './types';

const number = (label: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${label} must be a number, got "${v}"`);
  return n;
};

const program = new Command()
  .name('simulator')
  .description('Binance-spot-compatible exchange simulator for paper trading (HTTP on 127.0.0.1)')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <port>', 'port (0 = any free port)', number('--port'), 8765)
  .option('--state <file>', 'JSON file keeping accounts and orders across restarts', 'data/simulator-state.json')
  .option('--candles-dir <dir>', 'replay candle files <SYMBOL>-<timeframe>.csv from this folder')
  .option('--timeframe <tf>', 'candle file timeframe to replay', '15m')
  .option('--symbols <list>', 'comma separated symbols', 'BTCUSDT,ETHUSDT')
  .option('--speed <n>', 'replay speed in candles per second (0 = stepped only)', number('--speed'), 1)
  .option('--synthetic <seed>', 'use a seeded synthetic random walk instead of real prices', number('--synthetic'))
  .option('--live <baseUrl>', 'poll live prices from a Binance-compatible public API, e.g. https://api.binance.com')
  .option('--balance <list>', 'starting balances of a NEW paper account', 'USDT=10000')
  .option('--fee-rate <rate>', 'fee rate per fill', number('--fee-rate'), 0.001);

program.parse();
const o = program.opts<{
  host: string; port: number; state: string; candlesDir?: string; timeframe: string; symbols: string;
  speed: number; synthetic?: number; live?: string; balance: string; feeRate: number;
}>();

const symbols = o.symbols.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
let feed: PriceFeedSpec;
if (o.live) {
  feed = { kind: 'live', baseUrl: o.live, symbols };
} else if (o.synthetic !== undefined) {
  feed = { kind: 'synthetic', seed: o.synthetic, start: Object.fromEntries(symbols.map((s) => [s, s.startsWith('BTC') ? 65000 : 3000])) };
} else {
  const dir = o.candlesDir ?? sharedCandlesDir();
  const files = Object.fromEntries(symbols.map((s) => [s, candleFilePath(dir, s, o.timeframe)]));
  const missing = Object.values(files).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.error(`simulator: candle file(s) not found: ${missing.join(', ')} (use --candles-dir, or --synthetic <seed>)`);
    process.exit(2);
  }
  feed = { kind: 'candles', files };
}

const balances: Record<string, number> = {};
for (const part of o.balance.split(',')) {
  const [asset, amount] = part.split('=');
  if (!asset || amount === undefined || !Number.isFinite(Number(amount))) {
    console.error(`simulator: --balance expects ASSET=AMOUNT[,ASSET=AMOUNT], got "${o.balance}"`);
    process.exit(2);
  }
  balances[asset.trim().toUpperCase()] = Number(amount);
}

const sim = await startSimulator({
  host: o.host,
  port: o.port,
  stateFile: o.state,
  feed,
  feeRate: o.feeRate,
  accounts: [{ apiKey: process.env.SIM_API_KEY ?? 'paper-api-key', apiSecret: process.env.SIM_API_SECRET ?? 'paper-api-secret', balances }],
  log: (line) => console.log(line),
});
if (o.speed > 0 && feed.kind !== 'live') sim.play(o.speed);
if (feed.kind === 'live') sim.play(0.5);
console.log(`simulator: ready at ${sim.url} (market clock ${new Date(sim.now()).toISOString()}); Ctrl-C stops`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
