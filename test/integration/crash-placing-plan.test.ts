import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryClientId, otocoListClientId } from '../../src/oms/clientIds';
import { assertJournaledOnce, assertPlacedOnce, holdOtocoAnswer, untilActiveAndProtected } from '../support/crashChecks';
import { activitiesInFlight, crashStackSuite, enqueueLongPlan, legKind, replayAndRecord, requestReceived, SYMBOL, tick, until } from '../support/crashHarness';

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
    holdOtocoAnswer(s);

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
    assert.equal(pending.lastDecision?.action, 'PLAN_TRADE');
    // Exactly one set of orders: the one OTOCO placed before the crash, adopted, nothing more.
    const trade = await assertPlacedOnce(s, pending);
    const open = await s.exchange.openOrders();
    assert.deepEqual(open.map((o) => legKind(o.clientOrderId)), ['entry'], `only the entry works (OTOCO legs wait): ${JSON.stringify(open)}`);
    const entryOrder = await s.exchange.order(entryClientId(trade.id));
    assert.equal(entryOrder.amount, trade.quantity, 'the trade adopted the quantity the exchange holds');
    assert.equal(entryOrder.price, entry);
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
    // (ensureProtection finds the OTOCO's stop resting)
    await untilActiveAndProtected(s, trader, trade, 'the trader to see the entry fill (ACTIVE)');

    // Trade log: every row once, the decision and the order once each, the transition once.
    await assertJournaledOnce(s);

    await replayAndRecord(trader, 'crash-placing-plan-trader');
  });
});
