import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryClientId, otocoListClientId } from '../../src/oms/clientIds';
import {
  activitiesInFlight,
  armFault,
  countRequests,
  crashStackSuite,
  enqueueLongPlan,
  legKind,
  ofTrade,
  replayAndRecord,
  requestReceived,
  SYMBOL,
  tick,
  tradeLogAfterActive,
  until,
  workflowIdle,
} from '../support/crashHarness';

/**
 * Issue 4, crash safety: the worker process is SIGKILLed in the middle of executeAiCommand, after
 * the exchange accepted the plan and before the answer reached the worker. A fresh worker process
 * retries the step: it must adopt the plan the exchange holds (client ids from the trade id), never
 * place a second one, and the workflow must carry on with it.
 *
 * Real parts: Temporal dev server, the worker (child process), ccxt against the simulator over HTTP,
 * the openai client against the test LLM server, the CSV trade log.
 */
describe('crash safety: the worker is killed while placing a plan', () => {
  const suite = crashStackSuite('crash-plan');

  it('a restarted worker adopts the plan the exchange holds: exactly one set of orders, the trade goes on, no duplicate log row', async () => {
    const s = suite.stack;
    const { entry } = await enqueueLongPlan(s, [1.04], 'pullback to support in an uptrend');
    // The exchange carries out the OTOCO, then the answer never comes: the worker is killed while
    // it waits for it.
    armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', execute: true, holdMs: 120_000 });

    const first = await s.startWorker();
    const trader = await s.startTrader();
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco');
    await first.kill();

    // At the kill: the plan rests on the exchange, the workflow has not heard of it.
    const placed = await s.exchange.allLists();
    assert.equal(placed.length, 1, `one OTOCO placed before the kill: ${JSON.stringify(placed)}`);
    assert.deepEqual(await activitiesInFlight(trader), ['executeAiCommand'], 'the kill hit executeAiCommand in flight');

    await s.startWorker();
    const pending = await until(
      s,
      'the restarted worker to finish executeAiCommand with a PENDING trade',
      () => s.state(),
      (st) => st.trade?.status === 'PENDING' && st.lastDecision?.outcome === 'EXECUTED',
    );
    const trade = pending.trade!;
    assert.equal(pending.sequence, 1, 'the cycle was not run again');
    assert.equal(pending.lastDecision?.action, 'PLAN_TRADE');
    assert.equal(s.llm.requests.length, 1, 'the strategist was asked once: its answer is in the history');

    // Exactly one set of orders: the one OTOCO placed before the crash, adopted, nothing more.
    const lists = await s.exchange.allLists();
    assert.deepEqual(lists.map((l) => [l.listClientOrderId, l.status]), [[otocoListClientId(trade.id), 'EXECUTING']]);
    const open = await s.exchange.openOrders();
    assert.deepEqual(open.map((o) => legKind(o.clientOrderId)), ['entry'], `only the entry works (OTOCO legs wait): ${JSON.stringify(open)}`);
    const entryOrder = await s.exchange.order(entryClientId(trade.id));
    assert.equal(entryOrder.amount, trade.quantity, 'the trade adopted the quantity the exchange holds');
    assert.equal(entryOrder.price, entry);
    assert.equal(countRequests(s, 'POST', '/api/v3/orderList/otoco'), 1, 'the retry looked the plan up instead of sending it again');
    assert.deepEqual(
      trade.orders.map((o) => [o.role, o.clientOrderId, o.status]),
      [
        ['ENTRY', entryClientId(trade.id), 'OPEN'],
        ['OCO', otocoListClientId(trade.id), 'OPEN'],
      ],
    );

    // The workflow goes on with the adopted plan: the entry fills on the exchange, the exchange
    // places the OTOCO's stop and target, the monitor reports the fill and the trade turns ACTIVE.
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99));
    const active = await until(
      s,
      'the trader to see the entry fill (ACTIVE)',
      () => s.state(),
      (st) => st.trade?.status === 'ACTIVE',
    );
    // whatever the fill set off (ensureProtection finds the OTOCO's stop resting) has run to its end
    await until(s, 'the trader to take in everything the fill set off', () => workflowIdle(trader), (idle) => idle);
    const btc = await s.exchange.balance('BTC');
    const held = active.trade!.entryFills.reduce((sum, f) => sum + f.quantity, 0);
    // the fee was paid in BTC: the position is what arrived, floored to the amount step (0.00001)
    const arrived = Math.floor(btc.total / 0.00001 + 1e-6) * 0.00001;
    assert.ok(held > 0 && Math.abs(held - arrived) < 1e-9, `no fill lost: the trade holds ${held} BTC, the account ${btc.total}`);
    const protecting = ofTrade(await s.exchange.openOrders(), trade);
    assert.deepEqual(protecting.map((o) => legKind(o.clientOrderId)).sort(), ['otoco:stop', 'otoco:takeProfit']);
    for (const leg of protecting) assert.equal(leg.amount, held, `${leg.clientOrderId} covers the whole position`);
    assert.equal((await s.exchange.allLists()).length, 1, 'still exactly one order list');

    // Trade log: every row once, the decision and the order once each, the transition once.
    const rows = await tradeLogAfterActive(s);
    const count = (kind: string, action: string) => rows.filter((r) => r.kind === kind && r.action === action).length;
    assert.equal(count('DECISION', 'PLAN_TRADE'), 1, 'one decision row');
    assert.equal(count('ORDER', 'PLAN_TRADE'), 1, 'one order row for the plan');
    assert.equal(count('TRANSITION', 'PENDING->ACTIVE'), 1, 'one transition row');

    await replayAndRecord(trader, 'crash-placing-plan-trader');
  });
});
