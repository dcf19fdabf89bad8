import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { traderWorkflowId } from '../../src/contract/ids';
import { reconcileNowSignal, stateQuery, stopSignal } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { readTradeLog } from '../../src/journal/tradeLog';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { structured } from '../support/fakeLlmServer';
import { BED_KEY, realTraderBed, type RealTraderBed } from '../support/realTraderBed';
import { devServerEnv, withWorker } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';

/**
 * Continuous reconciliation on the Temporal CLI dev server (real time), through the real workflows
 * (the trader and the order monitor), the real activities, real ccxt and the simulator replaying
 * real BTCUSDT candles. An ACTIVE trade whose coins and protection are removed behind the engine's
 * back (the simulator's admin: orders cancelled in the app, coins withdrawn) is stuck no more: it
 * ends CLOSED with the reason, on a `reconcileNow` signal (what the streaming monitor sends after a
 * reconnect) and on the reconciliation's own durable timer, and the symbol plans its next trade.
 */

const CYCLE_MS = 30_000;
const RECONCILE_MS = 8_000;

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServerEnv();
});
after(async () => {
  await env?.teardown();
});

async function lastPrice(bed: RealTraderBed): Promise<number> {
  const res = await fetch(`${bed.sim.url}/api/v3/ticker/price?symbol=BTCUSDT`);
  return Number(((await res.json()) as { price: string }).price);
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function planNear(price: number, why: string) {
  return structured({
    action: 'PLAN_TRADE',
    trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: r2(price * 0.999), stop_loss_price: r2(price * 0.98), take_profit_prices: [r2(price * 1.03)], position_size_percent: 5 },
    reasoning: why,
  });
}

async function until(handle: { query: (q: typeof stateQuery) => Promise<SymbolTraderState> }, check: (s: SymbolTraderState) => boolean, what: string, ms = 40_000): Promise<SymbolTraderState> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await handle.query(stateQuery);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify({ trade: s.trade, lastReconciliation: s.lastReconciliation, lastError: s.lastError })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** fill the PENDING entry (a candle through it), then take the coins and the orders away by hand */
async function fillThenRemoveBehindItsBack(bed: RealTraderBed, handle: Parameters<typeof until>[0], tradeId: string, price: number): Promise<void> {
  await bed.sim.setPrice('BTCUSDT', r2(price * 0.998));
  await until(handle, (s) => s.trade?.id === tradeId && s.trade.status === 'ACTIVE' && s.trade.orders.some((o) => o.role !== 'ENTRY' && o.status === 'OPEN'), `${tradeId} ACTIVE and protected`);
  assert.ok(bed.sim.admin.cancelAllOrders(BED_KEY, 'BTCUSDT') >= 1, 'its protection was resting');
  assert.ok(bed.sim.admin.withdraw(BED_KEY, 'BTC') > 0, 'the coins were there');
}

describe('continuous reconciliation through the real workflows', () => {
  let bed: RealTraderBed;
  before(async () => {
    bed = await realTraderBed();
  });
  after(async () => {
    await bed?.close();
  });

  test('a stuck ACTIVE trade (coins and protection gone) ends CLOSED on reconcileNow and on the timer; the symbol trades again', async () => {
    await withWorker(env, bed.activities, async (taskQueue) => {
      const p1 = await lastPrice(bed);
      bed.llm.enqueue(planNear(p1, 'first trade'));
      const handle = await env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId('BTCUSDT'),
        args: [{ symbol: 'BTCUSDT', cycleIntervalMs: CYCLE_MS, reconcileIntervalMs: RECONCILE_MS, mode: 'paper' }],
      });
      const first = (await until(handle, (s) => s.trade?.status === 'PENDING', 'the first trade PENDING')).trade!;

      // 1. on request: the signal the streaming monitor sends after a reconnect
      await fillThenRemoveBehindItsBack(bed, handle, first.id, p1);
      const stuck = await handle.query(stateQuery);
      assert.equal(stuck.trade?.status, 'ACTIVE', 'nothing noticed yet: the order monitor sees no fill and no entry event');
      await handle.signal(reconcileNowSignal, { reason: 'user-data stream reconnected' });
      const ended = await until(handle, (s) => s.trade?.id === first.id && s.trade.status === 'CLOSED', 'the first trade CLOSED', 10_000);
      assert.match(ended.trade!.closeReason!, /no BTC for this trade and no protection rests; the position was closed outside the engine/);
      assert.equal(ended.lastReconciliation?.reason, 'user-data stream reconnected');
      assert.deepEqual(ended.lastReconciliation?.findings.map((f) => f.code), ['POSITION_GONE']);
      await bed.untilRow((r) => r.kind === 'TRANSITION' && r.action === 'ACTIVE->CLOSED' && r.tradeId === first.id, 'ACTIVE->CLOSED journaled');

      // 2. the next cycle plans a new trade: the symbol is not blocked
      const p2 = await lastPrice(bed);
      bed.llm.enqueue(planNear(p2, 'second trade'));
      const second = (await until(handle, (s) => s.trade?.status === 'PENDING' && s.trade.id !== first.id, 'a second trade planned', CYCLE_MS + 20_000)).trade!;
      assert.ok(second.id > first.id);

      // 3. on its own timer: nobody asks this time
      await fillThenRemoveBehindItsBack(bed, handle, second.id, p2);
      const byTimer = await until(handle, (s) => s.trade?.id === second.id && s.trade.status === 'CLOSED', 'the second trade CLOSED by the periodic reconciliation', RECONCILE_MS + 15_000);
      assert.equal(byTimer.lastReconciliation?.reason, 'periodic');
      assert.ok(byTimer.nextReconcileAt! > byTimer.lastReconciliation!.at);

      await handle.signal(stopSignal);
      await handle.result();
      await recordHistory(handle, 'trader-reconcile-position-gone');

      // the trade log the run wrote (the real file): rows in event order, exchange times, the closing reason
      const rows = await readTradeLog(join(bed.dir, 'trade_log.csv'), { symbol: 'BTCUSDT' });
      const closes = rows.filter((r) => r.kind === 'TRANSITION' && r.action === 'ACTIVE->CLOSED');
      assert.deepEqual(closes.map((r) => r.trade_id), [first.id, second.id]);
      assert.ok(closes.every((r) => /position was closed outside the engine/.test(r.detail)));
      const decision = rows.find((r) => r.kind === 'DECISION' && r.action === 'PLAN_TRADE')!;
      assert.deepEqual([decision.trade_id, decision.direction, decision.price, decision.stop_loss, decision.take_profits], [first.id, 'LONG', String(first.entryPrice), String(first.stopLossPrice), first.takeProfitPrices.join('/')]);
      assert.ok(Number(decision.size_percent) > 0, `the decision's size: ${decision.size_percent}`);
      const order = rows.find((r) => r.kind === 'ORDER' && r.action === 'PLAN_TRADE')!;
      assert.deepEqual([order.side, order.order_type, order.client_order_id], ['BUY', 'LIMIT', `de-${first.id}-e`]);
      assert.match(order.exchange_order_id, /^\d+$/);
      const fill = rows.find((r) => r.kind === 'TRANSITION' && r.action === 'PENDING->ACTIVE' && r.trade_id === first.id)!;
      assert.equal(fill.time, new Date(ended.trade!.entryFills[0]!.at).toISOString(), 'a fill row is stamped with the exchange\'s fill time');
      const times = rows.map((r) => Date.parse(r.time));
      assert.ok(times.every((t) => t < Date.now() - 365 * 86_400_000), 'the market clock of the candle replay, not the wall clock');
      // in event order; the simulator stamps a forced price's fills 1 ms before the candle's open, hence the slack
      times.forEach((t, i) => assert.ok(i === 0 || t >= times[i - 1]! - 1_000, `row ${i} (${rows[i]!.kind} ${rows[i]!.detail}) is out of event order`));
      const recon = rows.filter((r) => r.kind === 'RECONCILE' && /: ACTIVE with .* CLOSED \(exit unknown\)$/.test(r.detail));
      assert.equal(recon.length, 2, rows.map((r) => `${r.kind} ${r.detail}`).join('\n'));
    });
  });
});
