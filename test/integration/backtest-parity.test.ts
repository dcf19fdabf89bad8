import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadBacktestData } from '../../src/backtest/data';
import { runStrategist } from '../../src/backtest/engine';
import { wire } from '../../src/backtest/exchange/wireShapes';
import { RiskConfig } from '../../src/config/schema';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { CYCLE_MS, runThroughTemporal } from '../support/parityHarness';
import { ParityStrategist } from '../support/parityStrategist';
import { timeSkippingEnv } from '../support/temporalEnv';

/**
 * Parity: 16 hours of real BTCUSDT 15m candles (64 cycles) with a scripted strategist, once through
 * the real symbolTrader and orderMonitor workflows on a Temporal server with the simulator stepped
 * by the market clock (the live path, over HTTP and ccxt), once through the fast backtest path (in
 * process). The window has trades through PENDING -> CANCELLED, PENDING -> ACTIVE -> CLOSED by stop
 * and by target, and ADJUSTs (some refused by the exchange). Both must see the same snapshots, make
 * the same decisions, send the same orders, get the same fills, write the same trade log rows and
 * book the same realized PnL to the cent.
 */

const SYMBOL = 'BTCUSDT';
const FILE = join(sharedCandlesDir(), `${SYMBOL}-15m.csv`);
const FROM = Date.parse('2021-02-01T00:00:00Z');
const CYCLES = 64;
const TIMEFRAMES = ['15m', '1h', '4h'];

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

test('the backtest makes the live path\'s decisions, orders, fills and PnL over real candles', { timeout: 600_000 }, async () => {
  const all = readCandleFile(FILE);
  const first = all.findIndex((c) => c.timestamp === FROM);
  const window = all.slice(first - 1, first + CYCLES);
  assert.equal(window.length, CYCLES + 1);
  for (let i = 1; i < window.length; i++) assert.equal(window[i]!.timestamp - window[i - 1]!.timestamp, CYCLE_MS, 'a window without gaps');

  // ---- the live path, through Temporal
  const live = new ParityStrategist();
  const temporal = await runThroughTemporal({ env, symbol: SYMBOL, candleFile: FILE, candles: window, cycles: CYCLES, strategist: live, timeframes: TIMEFRAMES });

  // ---- the fast path
  const to = window[CYCLES]!.timestamp + CYCLE_MS;
  const { data } = loadBacktestData({ dir: sharedCandlesDir(), symbols: [SYMBOL], decisionTimeframe: '15m', from: FROM, to, matching: 'none' });
  const fast = new ParityStrategist();
  const result = await runStrategist(
    { data, from: FROM, to, timeframes: TIMEFRAMES, cycleIntervalMs: CYCLE_MS, decideEvery: 1, balances: { USDT: 10_000 }, quoteCurrency: 'USDT', feeRate: 0.001, risk: RiskConfig.parse({}) },
    { name: 'parity', kind: 'custom', strategist: fast },
  );
  const run = result.run.symbols[0]!;

  // the window exercises every lifecycle
  const trades = run.trades;
  assert.ok(trades.some((t) => t.status === 'CANCELLED'), 'a PENDING entry was cancelled');
  assert.ok(trades.some((t) => t.status === 'CLOSED' && t.exitFills.at(-1)?.reason === 'STOP'), 'a trade closed by its stop');
  assert.ok(trades.some((t) => t.status === 'CLOSED' && t.exitFills.at(-1)?.reason === 'TARGET'), 'a trade closed by its target');
  assert.ok(run.decisions.some((d) => d.command.action === 'ADJUST_TRADE' && d.outcome === 'EXECUTED'), 'an ADJUST was carried out');

  // the same market seen, the same decisions made
  assert.equal(live.seen.length, CYCLES);
  assert.equal(fast.seen.length, CYCLES);
  for (let i = 0; i < CYCLES; i++) assert.deepEqual(fast.seen[i], live.seen[i], `cycle ${i + 1}: what the strategist saw and answered`);

  // the same orders (type, side, price, quantity, status) and fills
  const liveOrders = temporal.orders.map((o) => {
    const info = o.info as Record<string, string>;
    return { id: Number(info.orderId), clientOrderId: info.clientOrderId, type: info.type, side: info.side, price: Number(info.price), stopPrice: Number(info.stopPrice), quantity: Number(info.origQty), filled: Number(info.executedQty), status: info.status };
  });
  const fastOrders = result.exchange.engine.state.orders.map((o) => ({
    id: o.orderId, clientOrderId: o.clientOrderId, type: o.type, side: o.side, price: wire(o.price), stopPrice: wire(o.stopPrice), quantity: wire(o.origQty), filled: wire(o.executedQty), status: o.status,
  }));
  assert.ok(fastOrders.length > 100, `orders were sent (${fastOrders.length})`);
  assert.deepEqual(fastOrders, liveOrders);
  const liveFills = temporal.fills.map((t) => {
    const info = t.info as Record<string, string>;
    return { id: Number(info.id), orderId: Number(info.orderId), price: Number(info.price), qty: Number(info.qty), commission: Number(info.commission), asset: info.commissionAsset, time: Number(info.time) };
  }).sort((a, b) => a.id - b.id); // ccxt sorts by time only
  const fastFills = result.exchange.engine.state.trades.map((t) => ({ id: t.id, orderId: t.orderId, price: wire(t.price), qty: wire(t.qty), commission: wire(t.commission), asset: t.commissionAsset, time: t.time }));
  assert.deepEqual(fastFills, liveFills);

  // the same realized PnL, trade by trade, to the cent
  const cents = (x: number) => Math.round(x * 100) / 100;
  const livePnl = temporal.journal.filter((r) => r.action === 'ACTIVE->CLOSED').map((r) => [r.trade_id, cents(Number(r.pnl))]);
  const fastPnl = trades.filter((t) => t.status === 'CLOSED').map((t) => [t.id, cents(t.realizedPnl!)]);
  assert.ok(fastPnl.length >= 10);
  assert.deepEqual(fastPnl, livePnl);

  // the same trade log rows (the live one also journals its start and stop)
  const shape = (r: { kind: string; action?: string; trade_id?: string; status?: string; detail: string }) => [r.kind, r.action ?? '', r.trade_id ?? '', r.status ?? '', r.detail];
  const liveRows = temporal.journal.filter((r) => r.kind !== 'RECONCILE' && r.kind !== 'CONTROL').map((r) => shape(r));
  const fastRows = result.rows.map((r) => shape({ ...r, trade_id: r.tradeId ?? '', action: r.action ?? '', status: r.status ?? '' }));
  assert.deepEqual(fastRows, liveRows);
});
