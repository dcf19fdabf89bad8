import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { monitorStateQuery } from '../../src/contract/signals';
import { entryClientId } from '../../src/oms/clientIds';
import { workerRunning } from '../support/clusterEnv';
import { AMOUNT_STEP, arrivedQuantity, untilActiveAndProtected } from '../support/crashChecks';
import { crashStackSuite, enqueueLongPlan, legKind, ofTrade, replayAndRecord, SYMBOL, tick, until, workflowIdle, type CrashStack } from '../support/crashHarness';

/**
 * Issue 9: the streaming monitor with the product's worker processes (test/support/crashWorker.ts:
 * buildActivityDeps from the config, exchange.user_stream on) on the dev server and the simulator.
 */
/**
 * A one-target plan (an OTOCO) resting as a PENDING trade, with `workers` worker processes up and
 * the order monitor watching it over one subscribed stream.
 */
async function pendingOnTheStream(s: CrashStack, workers: number, reasoning: string) {
  const { entry } = await enqueueLongPlan(s, [1.04], reasoning);
  for (let i = 0; i < workers; i++) await s.startWorker();
  const trader = await s.startTrader();
  const monitor = s.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
  const pending = await until(s, 'the plan to rest as a PENDING trade', () => s.state(), (st) => st.trade?.status === 'PENDING');
  const trade = pending.trade!;
  await until(s, 'the monitor to watch the trade and stream', () => monitor.query(monitorStateQuery), (m) => trade.id in m.watched && m.stream === 'on');
  await s.sim.stream.waitForSubscriptions(1);
  return { entry, trader, monitor, trade };
}

describe('the streaming monitor: a SIGKILLed worker\'s stream resumes on another worker', () => {
  const suite = crashStackSuite('crash-stream', 'dev', { userStream: true });

  it('the fill made while the stream\'s worker was dead is caught up by the other worker\'s stream, once, and protected', async () => {
    const s = suite.stack;
    const { entry, trader, monitor, trade } = await pendingOnTheStream(s, 2, 'pullback to support, one target');
    const holder = (await until(s, 'a worker to hold the stream', () => workerRunning(s, monitor, 'streamOrders'), (w) => w !== undefined, 60_000))!;
    const subscribed = s.sim.stream.subscribeCount();

    // the stream's worker dies; its connection goes with it; the entry fills while nobody listens
    await holder.kill();
    await s.sim.stream.waitForSubscriptions(0);
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99));
    assert.equal(s.sim.stream.subscriptions(), 0, 'the fill happened while no stream was subscribed');
    assert.equal((await s.exchange.order(entryClientId(trade.id))).status, 'FILLED');

    // the attempt's heartbeat times out; the other worker's attempt subscribes, catches up from REST
    const { active } = await untilActiveAndProtected(s, trader, trade, 'the other worker\'s stream to carry the fill to the trader (ACTIVE)', 60_000);
    assert.ok(s.sim.stream.subscribeCount() > subscribed, 'a new subscription, by the surviving worker');
    const survivor = await until(s, 'the surviving worker to hold the stream', () => workerRunning(s, monitor, 'streamOrders'), (w) => w !== undefined && w !== holder, 60_000);
    assert.notEqual(survivor, holder);
    assert.equal(active.trade!.entryFills.length, 1, 'the one fill, once');
    assert.equal(active.seenEventIds.length, new Set(active.seenEventIds).size);
    assert.equal((await monitor.query(monitorStateQuery)).polls, 0, 'not found by a poll: the safety net had not run yet');

    await replayAndRecord(trader, 'crash-stream-trader');
    await monitor.terminate('test over');
    await replayAndRecord(monitor, 'crash-stream-monitor');
  });
});

describe('the streaming monitor: a partly filled OTOCO entry', () => {
  const suite = crashStackSuite('stream-otoco', 'dev', { userStream: true });

  it('is protected on the partial fill\'s event (Binance places the OTOCO\'s pair only on a full fill)', async () => {
    const s = suite.stack;
    const { entry, trader, monitor, trade } = await pendingOnTheStream(s, 1, 'one target: an OTOCO');

    // a thin candle: a third of the entry fills
    await s.sim.setPrice(SYMBOL, tick(entry * 0.99), Number((trade.quantity / 3).toFixed(5)));
    const done = await until(
      s,
      'a stop resting for the filled part',
      async () => ({ idle: await workflowIdle(trader), state: await s.state(), orders: ofTrade(await s.exchange.openOrders(), trade) }),
      ({ idle, orders }) => idle && orders.some((o) => legKind(o.clientOrderId) === 'oco:stop'),
      60_000,
    );
    const held = await arrivedQuantity(s);
    assert.ok(held > 0 && held < trade.quantity, `a partial fill: ${held} of ${trade.quantity}`);
    assert.equal(done.state.trade?.status, 'ACTIVE');
    const stops = done.orders.filter((o) => legKind(o.clientOrderId) === 'oco:stop');
    assert.ok(Math.abs(stops.reduce((q, o) => q + o.amount, 0) - held) < AMOUNT_STEP / 10, `the stop covers the filled part: ${JSON.stringify(done.orders)}`);
    assert.equal((await monitor.query(monitorStateQuery)).polls, 0, 'the partial fill came over the stream, not a poll');
    await monitor.terminate('test over');
  });
});
