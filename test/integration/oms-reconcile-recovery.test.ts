import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEvents, ensureProtection, executeAiCommand, OrderTracker, reconcile } from '../../src/oms';
import { entryClientId, otocoListClientId } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';
import type { Trade } from '../../src/domain/trade';
import { API_KEY, ctxFor, onBook, plan, restingStops, startHarness, sum, type Harness } from '../support/omsHarness';

/**
 * Reconciliation must never strip a held position of its protection. The symbol workflow stops with
 * an ACTIVE trade (its protection keeps resting on purpose) and starts again without that state:
 * reconcile is called believing nothing is open. The trade comes back, rebuilt from the exchange.
 */

const TRADE = 'T-BTCUSDT-000001';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** a filled entry, protected, as the workflow held it the moment it stopped */
async function protectedTrade(hh: Harness, targets: number[]): Promise<Trade> {
  let trade = (await executeAiCommand(plan(64800, 63500, targets), ctxFor(hh, null))).trade!;
  await hh.sim.setPrice('BTCUSDT', 64799);
  trade = applyEvents(trade, await new OrderTracker(hh.gateway).trackOrders([trade]));
  trade = applyEvents(trade, (await ensureProtection(hh.gateway, trade)).events);
  assert.equal(trade.status, 'ACTIVE');
  assert.equal(sum((await restingStops(hh, trade.id)).map((s) => s.quantity)), tradeQuantities(trade).open);
  return trade;
}

const ids = (orders: { clientOrderId: string }[]) => orders.map((o) => o.clientOrderId).sort();

describe('reconcile: orphan protection is recovered, not cancelled', () => {
  it('an ACTIVE trade (two targets) nobody holds: protection still rests, the trade comes back with its levels, quantity and fills', async () => {
    h = await startHarness();
    const held = await protectedTrade(h, [67000, 69000]);
    const before = await onBook(h, TRADE);

    const report = await reconcile(h.gateway, []);
    assert.deepEqual(report.orphansCancelled, []);
    assert.deepEqual(ids(await onBook(h, TRADE)), ids(before), 'every protective order still rests');
    assert.equal(report.recovered.length, 1);
    const r = report.recovered[0]!;
    assert.deepEqual(
      [r.id, r.symbol, r.status, r.direction, r.entryPrice, r.stopLossPrice, r.takeProfitPrices, r.quantity],
      [TRADE, 'BTCUSDT', 'ACTIVE', 'LONG', 64800, 63500, [67000, 69000], held.quantity],
    );
    assert.equal(tradeQuantities(r).open, tradeQuantities(held).open);
    assert.deepEqual(r.entryFills.map((f) => [f.eventId, f.price, f.quantity]), held.entryFills.map((f) => [f.eventId, f.price, f.quantity]));
    assert.deepEqual(ids(r.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN')), ids(held.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN')));
    assert.deepEqual(report.protectionPlaced, [], 'it was protected already: nothing placed twice');
    assert.ok(report.alerts.some((a) => a.startsWith(`${TRADE}: no workflow owned it; RECOVERED`)), report.alerts.join('\n'));
    assert.equal(report.clean, false);

    // the recovered trade is a working trade: its target fills are tracked, and a second look is clean
    const again = await reconcile(h.gateway, [r]);
    assert.equal(again.clean, true, JSON.stringify(again));
    await h.sim.setPrice('BTCUSDT', 67001);
    const hit = await new OrderTracker(h.gateway).trackOrders([r]);
    assert.deepEqual(hit.map((e) => e.type === 'TARGET_FILLED' && e.targetIndex), [0]);
  });

  it('an ACTIVE OTOCO trade (one target): levels come from the OTOCO legs', async () => {
    h = await startHarness();
    let trade = (await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null))).trade!;
    await h.sim.setPrice('BTCUSDT', 64799);
    trade = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
    const before = await onBook(h, TRADE);
    const report = await reconcile(h.gateway, []);
    assert.deepEqual(report.orphansCancelled, []);
    assert.deepEqual(ids(await onBook(h, TRADE)), ids(before));
    const r = report.recovered[0]!;
    assert.deepEqual([r.status, r.stopLossPrice, r.takeProfitPrices], ['ACTIVE', 63500, [67000]]);
    assert.equal(tradeQuantities(r).open, tradeQuantities(trade).open);
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(r).open);
  });

  it('an orphan entry with fills is not cancelled: the trade is recovered and its filled part protected at once', async () => {
    h = await startHarness();
    await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    await h.sim.setPrice('BTCUSDT', 64799, 0.05); // 0.005 of ~0.0154 fills; the OTOCO waits for the rest
    assert.deepEqual(await restingStops(h, TRADE), [], 'nothing protects the filled part yet');
    const report = await reconcile(h.gateway, []);
    const r = report.recovered[0]!;
    assert.equal(r.status, 'ACTIVE');
    assert.ok(tradeQuantities(r).open > 0 && tradeQuantities(r).open < r.quantity);
    assert.deepEqual([r.stopLossPrice, r.takeProfitPrices], [63500, [67000]], 'levels read off the OTOCO pending legs');
    assert.equal(sum((await restingStops(h, TRADE)).map((s) => s.quantity)), tradeQuantities(r).open);
    assert.equal(report.protectionPlaced.length, 1);
    assert.ok(!report.orphansCancelled.some((o) => o.clientOrderId === entryClientId(TRADE)));
  });

  it('an orphan entry that never filled is still cancelled (with its OTOCO list)', async () => {
    h = await startHarness();
    await executeAiCommand(plan(64800, 63500, [67000]), ctxFor(h, null));
    const report = await reconcile(h.gateway, []);
    assert.deepEqual(
      report.orphansCancelled.map((o) => [o.clientOrderId, o.kind, o.reason]),
      [[otocoListClientId(TRADE), 'list', 'orphan entry, nothing filled: no open trade owns it']],
    );
    assert.deepEqual(report.recovered, []);
    assert.deepEqual(await onBook(h, TRADE), []);
    assert.deepEqual(await h.gateway.fetchOpenOrderLists(), []);
  });

  it('coins gone from the account: the orphan protection is cancelled (it must not sell coins that are not the trade\'s) and that is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'de-recover-'));
    dirs.push(dir);
    const stateFile = join(dir, 'sim.json');
    h = await startHarness({ stateFile });
    await protectedTrade(h, [67000, 69000]);
    const lists = ids((await h.gateway.fetchOpenOrderLists()).map((l) => ({ clientOrderId: l.listClientOrderId })));
    assert.equal(lists.length, 2);
    await h.close();
    h = undefined;
    // while nobody watched, the BTC left the account (moved by hand, on a venue whose protective
    // orders do not lock the coins): the exchange's own state says so
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.accounts[API_KEY].balances.BTC = { free: 0, locked: 0 };
    writeFileSync(stateFile, JSON.stringify(state));
    h = await startHarness({ stateFile });

    const report = await reconcile(h.gateway, []);
    assert.deepEqual(report.recovered, []);
    assert.deepEqual(ids(report.orphansCancelled), lists);
    assert.ok(report.orphansCancelled.every((o) => o.kind === 'list' && /no longer holds the trade's BTC/.test(o.reason)), JSON.stringify(report.orphansCancelled));
    assert.deepEqual(await onBook(h, TRADE), [], 'no orphan sell rests');
  });
});
