import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { traderWorkflowId } from '../../src/contract/ids';
import { stopSignal } from '../../src/contract/signals';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { tradeIdFor } from '../../src/domain/newTrade';
import { cycleDone, INTERVAL, traderSuite } from '../support/traderHarness';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { withWorker, workflowBundle } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { workflowIdle } from '../support/crashHarness';

/**
 * Issue 13: a cycle never decides on a trade state older than the exchange's. The entry fills while
 * the worker is down, so no order event brings the fill; the cycle that runs late once the worker
 * is back catches up with the exchange (patched 'catch-up-before-deciding') before the strategist
 * is asked, and the strategist sees the trade ACTIVE. Periodic reconciliation is set out of reach
 * (a week) so that only the catch-up can bring the fill in.
 */
const suite = traderSuite();
const SYMBOL = 'BTCUSDT';
const WEEK = 7 * 24 * 3_600_000;
/** past CATCH_UP_WHEN_LATE_MS (10 s): once the cycle's timer fired, the server's clock moves in real time */
const LATE = 12_000;
/** the worker that goes down must leave its workflow task where the next worker finds it */
const NO_STICKY = { maxCachedWorkflows: 0 };

/** the workflow waits on its timer with nothing in flight (polled from its history, bounded) */
async function idle(handle: WorkflowHandle): Promise<void> {
  for (const deadline = Date.now() + 30_000; !(await workflowIdle(handle)); ) {
    if (Date.now() > deadline) throw new Error('the trader did not settle after cycle 1');
    await delay(100);
  }
}

describe('a late cycle catches up before deciding', () => {
  it('the fills of an outage reach the decision: reconcile first, then the strategist sees the trade ACTIVE', async () => {
    const model = new ExchangeModel();
    model.reconcileCatchesUp = true;
    model.script = (i) => (i.sequence === 1 ? planLong(SYMBOL, [110, 120]) : doNothing('the trade runs'));
    const tradeId = tradeIdFor(SYMBOL, 1);

    const { handle, taskQueue } = await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId(SYMBOL),
        args: [{ symbol: SYMBOL, cycleIntervalMs: INTERVAL, mode: 'paper', reconcileIntervalMs: WEEK }],
      });
      await cycleDone(model, 1);
      // a worker stopped in the middle of a workflow task would leave it pending, and the
      // time-skipping server does not move its clock past a pending task
      await idle(handle);
      return { handle, taskQueue };
    }, NO_STICKY);
    assert.equal(model.placed.get(tradeId)?.status, 'PENDING');

    // ---- the worker is down: the entry fills on the exchange, nobody hears of it; the cycle's
    // time passes (the time-skipping server skips to the cycle's timer, which fires with no worker)
    model.fillEntry(tradeId);
    const callsBefore = model.calls.length;
    await suite.env.sleep(INTERVAL + LATE);

    // ---- back: the late cycle runs
    await withWorker(
      suite.env,
      model.activities(),
      async () => {
        await cycleDone(model, 2);
        await handle.signal(stopSignal);
        await handle.result();
      },
      { ...NO_STICKY, taskQueue },
    );

    const asked = model.callsOf('askStrategist').find((i) => i.sequence === 2);
    assert.ok(asked, 'cycle 2 asked the strategist');
    assert.equal(asked.trade?.id, tradeId);
    assert.equal(asked.trade?.status, 'ACTIVE', 'the decision saw the fill that happened during the outage');
    assert.ok(asked.trade.entryFills.length > 0);

    // the catch-up ran, and before the decision
    const reconciledAt = model.calls.findIndex((c, i) => i >= callsBefore && c.name === 'reconcileSymbol');
    const askedAt = model.calls.findIndex((c) => c.name === 'askStrategist' && c.input.sequence === 2);
    assert.ok(reconciledAt >= 0 && reconciledAt < askedAt, `activities: ${model.calls.map((c) => c.name).join(', ')}`);
    const rows = model.journal();
    const late = rows.findIndex((r) => r.kind === 'RECONCILE' && /cycle \d+ s late .*catching up with the exchange before deciding/.test(r.detail));
    const decision2 = rows.findIndex((r) => r.kind === 'DECISION' && r.sequence === 2);
    assert.ok(late >= 0, `the trade log says why it reconciles: ${rows.map((r) => `${r.kind}: ${r.detail}`).join('\n')}`);
    assert.ok(late < decision2, 'the catch-up comes before the decision');
    assert.ok(rows.some((r) => r.kind === 'TRANSITION' && r.action === 'PENDING->ACTIVE'));

    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    await recordHistory(handle, 'trader-catch-up-after-outage');
  });
});
