import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEvents, ensureProtection, executeAiCommand, OrderTracker } from '../../src/oms';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { Trade } from '../../src/domain/trade';
import { ctxFor, onBook, plan, restingStops, startHarness, sum, type Harness } from '../support/omsHarness';

/**
 * A price gap through the stop: the candle after the entry opens far below the stop (an outage, a
 * crash overnight). A market stop (STOP_LOSS, the default) must fill at that open, the first price
 * the market offers, and close the trade with the loss it really made; a STOP_LOSS_LIMIT (still
 * selectable) is skipped and rests unfilled, the position unprotected, which is why it is not the
 * default.
 */

const T0 = Date.UTC(2024, 2, 1);
const MIN15 = 15 * 60_000;
const GAP_OPEN = 60000;

let dir: string;
let candles: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'de-gap-'));
  candles = join(dir, 'BTCUSDT-15m.csv');
  writeFileSync(
    candles,
    [
      'timestamp_ms,open,high,low,close,volume',
      `${T0},65000,65050,64950,65000,1000`,
      // the gap: closed at 65000, opens at 60000, never comes back to the stop
      `${T0 + MIN15},${GAP_OPEN},60400,59900,60200,1000`,
      `${T0 + 2 * MIN15},60200,60300,60100,60200,1000`,
    ].join('\n') + '\n',
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const gapHarness = () => startHarness({ feed: { kind: 'candles', files: { BTCUSDT: candles }, startAt: T0 } });

async function filledEntry(h: Harness, targets: number[], protection?: Parameters<typeof ctxFor>[3]): Promise<{ trade: Trade; tracker: OrderTracker }> {
  let trade = (await executeAiCommand(plan(64800, 63500, targets), ctxFor(h, null, 1, protection))).trade!;
  await h.sim.setPrice('BTCUSDT', 64799); // the entry fills at its limit, 64800
  const tracker = new OrderTracker(h.gateway);
  trade = applyEvents(trade, await tracker.trackOrders([trade]));
  assert.equal(trade.status, 'ACTIVE');
  return { trade, tracker };
}

function assertClosedAtTheGap(trade: Trade) {
  assert.equal(trade.status, 'CLOSED');
  assert.equal(tradeQuantities(trade).open, 0);
  assert.ok(trade.exitFills.length > 0 && trade.exitFills.every((f) => f.reason === 'STOP' && f.price === GAP_OPEN), JSON.stringify(trade.exitFills));
  const sold = sum(trade.exitFills.map((f) => f.quantity));
  const bought = trade.entryFills.reduce((s, f) => s + f.price * f.quantity, 0);
  const fees = [...trade.entryFills, ...trade.exitFills].reduce((s, f) => s + f.fee, 0);
  // the true loss: 4800 a coin (entry 64800, out at the gap's open), not the planned 1300
  assert.ok(Math.abs(trade.realizedPnl! - (GAP_OPEN * sold - bought - fees)) < 1e-6, `${trade.realizedPnl}`);
  assert.ok(trade.realizedPnl! < -4800 * sold, `${trade.realizedPnl}`);
}

describe('stop legs and price gaps', () => {
  it('OTOCO (one target): the stop is a market STOP_LOSS and a gap fills it at the open of the gapped candle', async () => {
    const h = await gapHarness();
    try {
      const { trade, tracker } = await filledEntry(h, [67000]);
      const stops = await restingStops(h, trade.id);
      assert.deepEqual(stops.map((s) => [s.type, s.stopPrice, s.price]), [['STOP_LOSS', 63500, null]]);
      await h.sim.advance(1);
      const closed = applyEvents(trade, await tracker.trackOrders([trade]));
      assertClosedAtTheGap(closed);
      assert.deepEqual(await onBook(h, trade.id), [], 'nothing of the trade rests');
      assert.deepEqual(await h.gateway.fetchOpenOrderLists(), []);
    } finally {
      await h.close();
    }
  });

  it('OCOs placed after the fill (two targets): every stop leg is a market STOP_LOSS and fills at the gap', async () => {
    const h = await gapHarness();
    try {
      const { trade: active, tracker } = await filledEntry(h, [67000, 69000]);
      const trade = applyEvents(active, (await ensureProtection(h.gateway, active)).events);
      const stops = await restingStops(h, trade.id);
      assert.deepEqual(stops.map((s) => s.type), ['STOP_LOSS', 'STOP_LOSS']);
      assert.equal(sum(stops.map((s) => s.quantity)), tradeQuantities(trade).open);
      await h.sim.advance(1);
      assertClosedAtTheGap(applyEvents(trade, await tracker.trackOrders([trade])));
      assert.deepEqual(await onBook(h, trade.id), []);
    } finally {
      await h.close();
    }
  });

  it('STOP_LOSS_LIMIT stays selectable, and shows the risk: the gap skips its limit and the position is left without an exit', async () => {
    const h = await gapHarness();
    try {
      const settings = { protection: { stopType: 'STOP_LOSS_LIMIT' as const } };
      const { trade, tracker } = await filledEntry(h, [67000], settings);
      const stops = await restingStops(h, trade.id);
      assert.deepEqual(stops.map((s) => [s.type, s.stopPrice, s.price]), [['STOP_LOSS_LIMIT', 63500, 63182.5]]);
      await h.sim.advance(1);
      const after = applyEvents(trade, await tracker.trackOrders([trade]));
      assert.equal(after.status, 'ACTIVE');
      assert.deepEqual(after.exitFills, []);
      const left = await onBook(h, trade.id);
      assert.deepEqual(left.map((o) => [o.type, o.filled]), [['STOP_LOSS_LIMIT', 0]], 'triggered, resting above a market that left it behind');
    } finally {
      await h.close();
    }
  });
});
