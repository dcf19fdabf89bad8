import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { monitorStateQuery } from '../../src/contract/signals';
import { tryConnect } from '../../src/devstack/temporalServer';
import { clusterSkip } from '../support/clusterEnv';
import { assertJournaledOnce, assertPlacedOnce, holdOtocoAnswer, untilActiveAndProtected } from '../support/crashChecks';
import { crashStackSuite, enqueueLongPlan, replayAndRecord, requestReceived, SYMBOL, tick, until } from '../support/crashHarness';

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
    holdOtocoAnswer(s);
    await s.startWorker();
    const trader = await s.startTrader();
    const monitor = s.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);

    // ---- the Temporal server dies mid-cycle: executeAiCommand is in flight on the worker
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco');
    await cluster.killServer();
    assert.equal(await tryConnect(cluster.address, 1_000), undefined, 'the server is gone');
    await cluster.startServer();

    const pending = await until(s, 'the trade to be PENDING with the plan executed, after the server restart', () => s.state(), (st) => st.trade?.status === 'PENDING' && st.lastDecision?.outcome === 'EXECUTED', 240_000);
    const trade = await assertPlacedOnce(s, pending);
    await until(s, 'the monitor to watch the trade', () => monitor.query(monitorStateQuery), (m) => trade.id in m.watched);

    // ---- PostgreSQL restarts under the running server and worker; then the entry fills
    await cluster.postgres.restart();
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99));
    const { active } = await untilActiveAndProtected(s, trader, trade, 'the fill to reach the trader after the PostgreSQL restart (ACTIVE)', 240_000);
    assert.equal(active.trade!.entryFills.length, new Set(active.trade!.entryFills.map((f) => f.eventId)).size, 'no fill applied twice');

    await assertJournaledOnce(s);

    await replayAndRecord(trader, 'cluster-server-restart-trader');
    await replayAndRecord(monitor, 'cluster-server-restart-monitor');
  });
});
