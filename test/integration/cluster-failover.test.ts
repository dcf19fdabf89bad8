import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { otocoListClientId } from '../../src/oms/clientIds';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { monitorStateQuery } from '../../src/contract/signals';
import { clusterSkip, completedBy, workerRunning } from '../support/clusterEnv';
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
  type CrashStack,
  type WorkerProcess,
} from '../support/crashHarness';

const AMOUNT_STEP = 0.00001; // BTCUSDT LOT_SIZE

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
    armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', execute: true, holdMs: 120_000 });
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
    const trade = pending.trade!;
    assert.deepEqual(await completedBy(trader, 'executeAiCommand'), [survivor.identity], 'the survivor finished the step the killed worker began');
    assert.equal(pending.sequence, 1, 'the cycle was not run again');
    assert.equal(s.llm.requests.length, 1, 'the strategist was asked once');
    assert.equal(countRequests(s, 'POST', '/api/v3/orderList/otoco'), 1, 'the retry looked the plan up instead of sending it again');
    assert.deepEqual((await s.exchange.allLists()).map((l) => [l.listClientOrderId, l.status]), [[otocoListClientId(trade.id), 'EXECUTING']], 'exactly one set of orders');
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

    const active = await until(s, 'the surviving worker to carry the fill to the trader (ACTIVE)', () => s.state(), (st) => st.trade?.status === 'ACTIVE');
    await until(s, 'the trader to take in everything the fill set off', () => workflowIdle(trader), (idle) => idle);
    const btc = await s.exchange.balance('BTC');
    const held = active.trade!.entryFills.reduce((sum, f) => sum + f.quantity, 0);
    const arrived = Math.floor(btc.total / AMOUNT_STEP + 1e-6) * AMOUNT_STEP;
    assert.ok(held > 0 && Math.abs(held - arrived) < 1e-9, `no fill lost: the trade holds ${held} BTC, the account ${btc.total}`);
    const protecting = ofTrade(await s.exchange.openOrders(), trade);
    assert.deepEqual(protecting.map((o) => legKind(o.clientOrderId)).sort(), ['otoco:stop', 'otoco:takeProfit'], 'the filled quantity is protected');
    for (const leg of protecting) assert.equal(leg.amount, held, `${leg.clientOrderId} covers the whole position`);
    assert.equal((await s.exchange.allLists()).length, 1, 'still exactly one order list');

    // ---- one trade log across the workers: every step once, no row twice
    const rows = await tradeLogAfterActive(s);
    const count = (kind: string, action: string) => rows.filter((r) => r.kind === kind && r.action === action).length;
    assert.equal(count('DECISION', 'PLAN_TRADE'), 1, 'one decision row');
    assert.equal(count('ORDER', 'PLAN_TRADE'), 1, 'one order row for the plan');
    assert.equal(count('TRANSITION', 'PENDING->ACTIVE'), 1, 'one transition row');
    const writers = new Set(await completedBy(trader, 'appendTradeLog'));
    assert.deepEqual([...writers], [journal.identity], 'every row was written by the one journal process, whichever worker traded');

    // histories recorded on the cluster replay against today's code (and become fixtures)
    await replayAndRecord(trader, 'cluster-failover-trader');
    await replayAndRecord(monitor, 'cluster-failover-monitor');
  });
});
