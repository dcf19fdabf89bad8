import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { otocoListClientId } from '../../src/oms/clientIds';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { monitorStateQuery } from '../../src/contract/signals';
import { tryConnect } from '../../src/devstack/temporalServer';
import { clusterSkip } from '../support/clusterEnv';
import {
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

const AMOUNT_STEP = 0.00001;

/**
 * Issue 10: the cluster's own parts fail, not the worker. The Temporal server is SIGKILLed while a
 * cycle is placing its plan (the exchange holds the request) and started again on the same
 * PostgreSQL; later PostgreSQL itself is restarted under the running server and worker. The
 * workflows carry on from where they were: the plan placed once and adopted, the fill learnt and
 * protected, each step journaled once.
 */
describe('the cluster survives its Temporal server killed and its PostgreSQL restarted', { skip: clusterSkip() }, () => {
  const suite = crashStackSuite('cluster-restart', 'cluster');

  it('workflows carry on from where they were, with nothing lost or doubled', async () => {
    const s = suite.stack;
    const cluster = s.cluster!;
    const { entry } = await enqueueLongPlan(s, [1.04], 'pullback to support, one target');
    // the exchange carries the plan out and answers only after the worker's request has timed out
    armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', execute: true, holdMs: 120_000 });
    await s.startWorker();
    const trader = await s.startTrader();
    const monitor = s.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);

    // ---- the Temporal server dies mid-cycle: executeAiCommand is in flight on the worker
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco');
    await cluster.killServer();
    assert.equal(await tryConnect(cluster.address, 1_000), undefined, 'the server is gone');
    await cluster.startServer();

    const pending = await until(s, 'the trade to be PENDING with the plan executed, after the server restart', () => s.state(), (st) => st.trade?.status === 'PENDING' && st.lastDecision?.outcome === 'EXECUTED', 240_000);
    const trade = pending.trade!;
    assert.equal(pending.sequence, 1, 'the cycle was not run again');
    assert.equal(s.llm.requests.length, 1, 'the strategist was asked once');
    assert.equal(countRequests(s, 'POST', '/api/v3/orderList/otoco'), 1, 'the plan was sent once');
    assert.deepEqual((await s.exchange.allLists()).map((l) => [l.listClientOrderId, l.status]), [[otocoListClientId(trade.id), 'EXECUTING']]);
    await until(s, 'the monitor to watch the trade', () => monitor.query(monitorStateQuery), (m) => trade.id in m.watched);

    // ---- PostgreSQL restarts under the running server and worker; then the entry fills
    await cluster.postgres.restart();
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99));
    const active = await until(s, 'the fill to reach the trader after the PostgreSQL restart (ACTIVE)', () => s.state(), (st) => st.trade?.status === 'ACTIVE', 240_000);
    await until(s, 'the trader to take in everything the fill set off', () => workflowIdle(trader), (idle) => idle);
    const held = active.trade!.entryFills.reduce((sum, f) => sum + f.quantity, 0);
    const arrived = Math.floor((await s.exchange.balance('BTC')).total / AMOUNT_STEP + 1e-6) * AMOUNT_STEP;
    assert.ok(held > 0 && Math.abs(held - arrived) < 1e-9, `no fill lost: the trade holds ${held}, the account ${arrived}`);
    assert.equal(active.trade!.entryFills.length, new Set(active.trade!.entryFills.map((f) => f.eventId)).size, 'no fill applied twice');
    const protecting = ofTrade(await s.exchange.openOrders(), trade);
    assert.deepEqual(protecting.map((o) => legKind(o.clientOrderId)).sort(), ['otoco:stop', 'otoco:takeProfit']);
    for (const leg of protecting) assert.equal(leg.amount, held, `${leg.clientOrderId} covers the whole position`);
    assert.equal((await s.exchange.allLists()).length, 1, 'still exactly one order list');

    const rows = await tradeLogAfterActive(s);
    const count = (kind: string, action: string) => rows.filter((r) => r.kind === kind && r.action === action).length;
    assert.equal(count('DECISION', 'PLAN_TRADE'), 1, 'one decision row');
    assert.equal(count('ORDER', 'PLAN_TRADE'), 1, 'one order row');
    assert.equal(count('TRANSITION', 'PENDING->ACTIVE'), 1, 'one transition row');

    await replayAndRecord(trader, 'cluster-server-restart-trader');
    await replayAndRecord(monitor, 'cluster-server-restart-monitor');
  });
});
