import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { monitorStateQuery } from '../../src/contract/signals';
import { clusterSkip, completedBy, workerRunning } from '../support/clusterEnv';
import { assertJournaledOnce, assertPlacedOnce, holdOtocoAnswer, untilActiveAndProtected } from '../support/crashChecks';
import { armFault, countRequests, crashStackSuite, enqueueLongPlan, replayAndRecord, requestReceived, SYMBOL, tick, until, type CrashStack, type WorkerProcess } from '../support/crashHarness';

/**
 * Issue 10, failover on the production cluster: the Temporal server on PostgreSQL
 * (src/devstack/cluster, docker-compose.yml's parts as plain processes) with TWO worker processes
 * polling the same task queue, as `docker compose up --scale worker=2` runs them. The worker the
 * server gave the step to is SIGKILLed, first while it places a plan (the exchange accepted it, the
 * answer never came), then while the order monitor reads the entry's fill; the other worker, already
 * polling, carries the symbol and the monitor on: exactly one set of orders, no fill lost, the
 * filled quantity protected, the trade log complete and without a row twice, every row written by
 * the one journal process (DE_WORKER_ROLES=journal) while the two trading workers come and go.
 */
describe('failover on the cluster: two workers, one is killed mid-step', { skip: clusterSkip() }, () => {
  const suite = crashStackSuite('cluster-failover', 'cluster');

  /** the worker running `activity` of the workflow, once the server has given it to one */
  const holderOf = (s: CrashStack, workflowId: string, activity: string): Promise<WorkerProcess | undefined> =>
    until(s, `a worker to be running ${activity} of ${workflowId}`, () => workerRunning(s, s.client.workflow.getHandle(workflowId), activity), (w) => w !== undefined, 60_000);

  it('the other worker adopts the plan a killed one placed, and learns the fill a killed one was reading', async () => {
    const s = suite.stack;
    assert.ok(s.cluster, 'on the cluster');
    const { entry } = await enqueueLongPlan(s, [1.04], 'pullback to support, one target');
    holdOtocoAnswer(s);
    // the journal has its own process (the one with the data volume); the two workers trade
    const journal = await s.startWorker({ DE_WORKER_ROLES: 'journal' });
    const trading = { DE_WORKER_ROLES: 'trading' };
    const traders = () => s.liveWorkers().filter((w) => w !== journal);
    await s.startWorker(trading);
    await s.startWorker(trading);
    const trader = await s.startTrader();
    const monitor = s.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);

    // ---- kill 1: the exchange holds the plan, the worker that sent it dies before the answer
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco');
    const placing = (await holderOf(s, trader.workflowId, 'executeAiCommand'))!;
    await placing.kill();
    const [survivor] = traders();
    assert.ok(survivor && survivor !== placing, 'one worker is left');

    const pending = await until(s, 'the surviving worker to finish executeAiCommand with a PENDING trade', () => s.state(), (st) => st.trade?.status === 'PENDING' && st.lastDecision?.outcome === 'EXECUTED');
    assert.deepEqual(await completedBy(trader, 'executeAiCommand'), [survivor.identity], 'the survivor finished the step the killed worker began');
    const trade = await assertPlacedOnce(s, pending);
    await until(s, 'the monitor to watch the trade', () => monitor.query(monitorStateQuery), (m) => trade.id in m.watched);

    // ---- kill 2: two workers again; the entry fills and the one reading the fill dies
    await s.startWorker(trading);
    armFault(s, { method: 'GET', path: '/api/v3/myTrades', kind: 'timeout', holdMs: 120_000 });
    const readsBefore = countRequests(s, 'GET', '/api/v3/myTrades');
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99));
    await requestReceived(s, 'GET', '/api/v3/myTrades', readsBefore + 1);
    assert.equal((await s.state()).trade?.status, 'PENDING', 'the fill has not reached the workflow yet');
    const reading = (await holderOf(s, ORDER_MONITOR_WORKFLOW_ID, 'trackOrders'))!;
    await reading.kill();
    assert.equal(traders().length, 1, 'one worker is left');

    await untilActiveAndProtected(s, trader, trade, 'the surviving worker to carry the fill to the trader (ACTIVE)');

    // ---- one trade log across the workers: every step once, no row twice
    await assertJournaledOnce(s);
    const writers = new Set(await completedBy(trader, 'appendTradeLog'));
    assert.deepEqual([...writers], [journal.identity], 'every row was written by the one journal process, whichever worker traded');

    // histories recorded on the cluster replay against today's code (and become fixtures)
    await replayAndRecord(trader, 'cluster-failover-trader');
    await replayAndRecord(monitor, 'cluster-failover-monitor');
  });
});
