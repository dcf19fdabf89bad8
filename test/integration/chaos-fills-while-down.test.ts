import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientId } from '../../src/oms/clientIds';
import { tradeQuantities } from '../../src/domain/stateMachine';
import { monitorStateQuery } from '../../src/contract/signals';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { structured } from '../support/fakeLlmServer';
import { crashStackSuite, ofTrade, replayAndRecord, SYMBOL, tick, until, workflowIdle } from '../support/crashHarness';

const STEP = 0.00001; // BTCUSDT amount step
const EQUITY = 10_000;
const PARTICIPATION = 0.1; // the simulator fills an order up to 10% of a candle's volume

const sliceLeg = (clientOrderId: string) => {
  const p = parseClientId(clientOrderId);
  return p?.leg.kind === 'slice' ? p.leg : null;
};
const floorStep = (q: number) => Math.floor(q / STEP + 1e-6) * STEP;
const close = (a: number, b: number) => Math.abs(a - b) < STEP / 10;

/**
 * Issue 13, the chaos test: a two-target trade rests as two slices (one OTOCO each). With the
 * Temporal server AND the worker killed (SIGKILL, real processes), its entry fills: slice 0
 * completely, slice 1 in part. At that moment, read from the simulator and nothing else, slice 0
 * is protected by a stop the exchange placed itself; slice 1's filled part is the one window (an
 * OTOCO's pair waits for a full fill, as on Binance). Once the server (same database) and a worker
 * are back, the engine protects that part; no client id ever has two orders.
 */
describe('chaos: a multi-target entry fills while the Temporal server and the worker are down', () => {
  const suite = crashStackSuite('chaos-slices');

  it('the exchange holds the stop of every fully filled slice at the fill; the partial slice is protected once things are back; nothing duplicated', async () => {
    const s = suite.stack;
    const last = await s.exchange.lastPrice();
    const entry = tick(last * 0.995);
    const stop = tick(entry * 0.98);
    const targets = [tick(entry * 1.04), tick(entry * 1.06)];
    // a size of an odd number of amount steps: the two slices differ by one step, so one candle can
    // fill the smaller one completely and the larger one in part
    let percent = 5;
    const steps = (p: number) => Math.floor((EQUITY * p) / (100 * entry * STEP));
    while (steps(percent) % 2 === 0) percent = Math.round((percent - 0.01) * 100) / 100;
    s.llm.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: { symbol: SYMBOL, direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: targets, position_size_percent: percent },
        reasoning: 'two targets, placed as slices',
      }),
    );

    const worker = await s.startWorker();
    const trader = await s.startTrader();
    const monitor = s.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
    const pending = await until(s, 'the plan to rest as a PENDING trade', () => s.state(), (st) => st.trade?.status === 'PENDING');
    const trade = pending.trade!;
    const entries = trade.orders.filter((o) => o.role === 'ENTRY');
    assert.equal(entries.length, 2, `two slices: ${JSON.stringify(trade.orders)}`);
    const [small, large] = [...entries].sort((a, b) => a.quantity - b.quantity);
    assert.ok(close(large!.quantity - small!.quantity, STEP), `slices ${small!.quantity} and ${large!.quantity}`);
    await until(s, 'the monitor to watch the trade', () => monitor.query(monitorStateQuery), (m) => trade.id in m.watched);

    // ---- everything of the engine down: the worker and the Temporal server, SIGKILL
    await worker.kill();
    await s.killServer();

    // the entry fills with nobody listening: the candle lets each order fill as much as the smaller slice
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99), (small!.quantity / STEP + 0.5) * STEP / PARTICIPATION);
    const atFill = ofTrade(await s.exchange.openOrders(), trade);
    const smallEntry = await s.exchange.order(small!.clientOrderId);
    const largeEntry = await s.exchange.order(large!.clientOrderId);
    assert.equal(smallEntry.status, 'FILLED', `slice ${small!.clientOrderId} filled completely: ${JSON.stringify(smallEntry)}`);
    assert.ok(largeEntry.filled > 0 && largeEntry.filled < largeEntry.amount, `slice ${large!.clientOrderId} filled in part: ${JSON.stringify(largeEntry)}`);
    const listOf = (cid: string) => cid.slice(0, -1);
    const stopsAtFill = atFill.filter((o) => sliceLeg(o.clientOrderId)?.leg === 'stop');
    assert.deepEqual(
      stopsAtFill.map((o) => listOf(o.clientOrderId)),
      [listOf(small!.clientOrderId)],
      `at the moment of the fill the exchange itself protects the fully filled slice, and only it: ${JSON.stringify(atFill)}`,
    );
    assert.equal(stopsAtFill[0]!.stopPrice, stop);
    assert.ok(stopsAtFill[0]!.amount > 0 && stopsAtFill[0]!.amount <= smallEntry.filled, 'for what the slice bought (less the fee in BTC)');
    const window = floorStep(largeEntry.filled * (1 - 0.001));
    assert.ok(window > 0, 'the partly filled slice is the one window left');

    // ---- back: the server on the same database, a fresh worker
    await s.restartServer();
    await s.startWorker();
    const done = await until(
      s,
      'the engine to protect the partial slice: stops resting for the whole position, the workflow idle',
      async () => {
        const btc = await s.exchange.balance('BTC');
        const stops = ofTrade(await s.exchange.openOrders(), trade).filter((o) => o.type.startsWith('STOP_LOSS'));
        const state = await s.state();
        const open = state.trade ? tradeQuantities(state.trade).open : 0;
        return { idle: await workflowIdle(trader), balance: btc.total, open, stopped: stops.reduce((a, o) => a + o.amount, 0), state };
      },
      (v) => v.idle && v.state.trade?.status === 'ACTIVE' && close(v.stopped, v.open),
    );
    // each fill's fee was paid in BTC: the position is what the fills brought, on the amount step (sub-step dust stays)
    assert.ok(done.open <= done.balance && done.balance - done.open < 3 * STEP, `the trade holds what the account holds: ${done.open} of ${done.balance}`);
    assert.ok(done.open > stopsAtFill[0]!.amount && close(done.open, stopsAtFill[0]!.amount + window) , `the position is both slices: ${done.open}`);
    const final = ofTrade(await s.exchange.openOrders(), trade);
    for (const o of final.filter((x) => x.type.startsWith('STOP_LOSS'))) assert.equal(o.stopPrice, stop, `${o.clientOrderId} at the plan's stop`);
    assert.ok(!final.some((o) => sliceLeg(o.clientOrderId)?.leg === 'entry'), "the partial slice's remainder was cancelled");
    const tps = final.filter((o) => o.type === 'LIMIT_MAKER');
    assert.deepEqual([...new Set(tps.map((o) => o.price))].sort(), [...targets].sort(), 'each slice sells at its own target');

    // ---- nothing duplicated: no client id with two orders, no list placed twice
    const all = (await s.exchange.ex.fetchOrders('BTC/USDT')).map((o: any) => String(o.clientOrderId ?? o.info?.clientOrderId));
    const seen = new Set<string>();
    const twice = all.filter((cid: string) => (seen.has(cid) ? true : (seen.add(cid), false)));
    assert.deepEqual(twice, [], 'no client id has two orders');
    const lists = (await s.exchange.allLists()).map((l) => l.listClientOrderId);
    assert.equal(new Set(lists).size, lists.length, `no list placed twice: ${JSON.stringify(lists)}`);

    await replayAndRecord(trader, 'chaos-fills-while-down-trader');
  });
});
