import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { portfolioQuery } from '../../src/contract/portfolioApi';
import type { PortfolioView } from '../../src/contract/portfolioState';
import { cancelOrderSignal } from '../../src/contract/signals';
import { tradeIdFor } from '../../src/domain/newTrade';
import { readTradeLog } from '../../src/journal/tradeLog';
import { otocoListClientId } from '../../src/oms/clientIds';
import {
  activitiesInFlight,
  armFault,
  countRequests,
  crashStackSuite,
  enqueueLongPlan,
  replayAndRecord,
  requestReceived,
  SYMBOL,
  until,
  workflowIdle,
  type CrashStack,
} from '../support/crashHarness';

/**
 * Issue 8, the slot and the order that uses it: the worker process is SIGKILLed after the portfolio
 * granted the trade its slot (the requestSlot Update completed, the grant is in the portfolio's
 * state) and before the order reached the exchange (the OTOCO request is held by the simulator and
 * never carried out). A fresh worker process retries the OMS step.
 *
 * Proven, on the Temporal dev server with the real worker (child process), ccxt and the simulator:
 * exactly one order (the retry places it once) or none (the exchange refuses the retry: REJECTED),
 * and the slot neither leaked nor doubled: one grant while the trade is open, granted once, given
 * back exactly once when the trade ends or was never placed.
 */
describe('crash safety: the worker is killed between the slot grant and the order', () => {
  const suite = crashStackSuite('crash-slot');

  it('exactly one order: the retried OMS step places the plan once, under the one slot, which goes back once when the trade ends', async () => {
    const s = suite.stack;
    await enqueueLongPlan(s, [1.04], 'one target: one OTOCO');
    const tradeId = tradeIdFor(SYMBOL, 1);
    // the order never reaches the book: the simulator holds the request without carrying it out
    armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', holdMs: 120_000 });

    const first = await s.startWorker();
    const trader = await s.startTrader();
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco');
    // the grant is in the portfolio (read while the worker is alive: queries need one)
    const granted = await portfolioView(s);
    assert.deepEqual(Object.keys(granted.grants), [tradeId], 'the slot was granted before the order was sent');
    assert.equal((await s.state()).envelope?.heldSlot?.tradeId, tradeId, 'the trader holds the slot');
    await first.kill();

    assert.deepEqual(await activitiesInFlight(trader), ['executeAiCommand'], 'the kill hit the OMS step, after requestSlot completed');
    assert.deepEqual(await s.exchange.allLists(), [], 'nothing was placed before the kill');
    assert.deepEqual(await s.exchange.openOrders(), []);

    await s.startWorker();
    const pending = await until(s, 'the retried OMS step to place the plan (PENDING)', () => s.state(), (st) => st.trade?.status === 'PENDING' && st.lastDecision?.outcome === 'EXECUTED');
    assert.equal(pending.trade!.id, tradeId);
    assert.equal(pending.sequence, 1, 'the cycle was not run again');
    const lists = await s.exchange.allLists();
    assert.deepEqual(lists.map((l) => [l.listClientOrderId, l.status]), [[otocoListClientId(tradeId), 'EXECUTING']], 'exactly one order list');
    assert.equal(countRequests(s, 'POST', '/api/v3/orderList/otoco'), 2, 'the held request and the one retry');

    // the slot: granted once (one Update, one completed requestSlot), held once, nothing doubled
    const portfolio = s.client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
    assert.equal(await updatesNamed(portfolio, 'requestSlot'), 1, 'the portfolio took one slot request');
    assert.equal(await completedActivities(trader, 'requestSlot'), 1, 'the trader asked once: the grant is in its history');
    const held = await portfolioView(s);
    assert.deepEqual(Object.keys(held.grants), [tradeId]);
    assert.equal(held.grants[tradeId]!.symbol, SYMBOL);
    assert.equal(pending.envelope?.heldSlot?.tradeId, tradeId);

    // the trade ends: its slot goes back, exactly once
    await trader.signal(cancelOrderSignal, { reason: 'test: end the trade' });
    await until(s, 'the entry cancelled', () => s.state(), (st) => st.trade?.status === 'CANCELLED');
    const freed = await until(s, 'the slot back in the portfolio', () => portfolioView(s), (v) => Object.keys(v.grants).length === 0 && v.released.includes(tradeId));
    assert.deepEqual(freed.grants, {});
    await until(s, 'the trader to take in everything', () => workflowIdle(trader), (idle) => idle);
    assert.equal(await updatesNamed(portfolio, 'releaseSlot'), 1, 'released once');
    assert.deepEqual((await s.state()).envelope?.releases, [], 'no release left to retry');
    const released = await until(s, 'the release in the trade log', () => readTradeLog(s.tradeLogPath), (rows) => rows.some((r) => r.action === 'SLOT_RELEASED'));
    assert.equal(released.filter((r) => r.action === 'SLOT_RELEASED').length, 1);
    assert.deepEqual(await s.exchange.openOrders(), [], 'nothing rests');

    await replayAndRecord(trader, 'crash-slot-grant-trader');
    await replayAndRecord(portfolio, 'crash-slot-grant-portfolio');
  });

  it('or none: the exchange refuses the retried order; no order, and the slot goes back once', async () => {
    const s = suite.stack;
    // a fresh start of the symbol (its first trade ended above): its next trade id comes after it
    await s.trader().terminate('test: next scenario');
    await enqueueLongPlan(s, [1.04], 'one target: one OTOCO, refused after the crash');
    const tradeId = tradeIdFor(SYMBOL, 2);
    const otocoBefore = countRequests(s, 'POST', '/api/v3/orderList/otoco');
    armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', holdMs: 120_000 });

    const [alive] = s.liveWorkers();
    const trader = await s.startTrader();
    await requestReceived(s, 'POST', '/api/v3/orderList/otoco', otocoBefore + 1);
    const granted = await portfolioView(s);
    assert.deepEqual(Object.keys(granted.grants), [tradeId], 'granted before the order was sent');
    await alive!.kill();
    assert.deepEqual(await activitiesInFlight(trader), ['executeAiCommand']);

    // the retry is refused for good (a Binance "insufficient balance" answer): nothing is placed
    armFault(s, {
      method: 'POST',
      path: '/api/v3/orderList/otoco',
      kind: 'status',
      status: 400,
      body: JSON.stringify({ code: -2010, msg: 'Account has insufficient balance for requested action.' }),
    });
    await s.startWorker();
    const refused = await until(s, 'the retried OMS step to come back REJECTED', () => s.state(), (st) => st.lastDecision?.sequence === 2 && st.lastDecision.outcome === 'REJECTED');
    assert.equal(refused.trade?.status === 'PENDING' || refused.trade?.status === 'ACTIVE', false, 'no open trade');
    assert.deepEqual((await s.exchange.allLists()).filter((l) => l.listClientOrderId === otocoListClientId(tradeId)), [], 'no order list of the trade');
    assert.deepEqual(await s.exchange.openOrders(), [], 'nothing rests');

    const freed = await until(s, 'the slot of the trade never placed back in the portfolio', () => portfolioView(s), (v) => !(tradeId in v.grants) && v.released.includes(tradeId));
    assert.deepEqual(freed.grants, {}, 'no slot leaked');
    await until(s, 'the trader to take in everything', () => workflowIdle(trader), (idle) => idle);
    // the portfolio writes its rows after its next equity reading
    const rows = await until(s, 'the release in the trade log', () => readTradeLog(s.tradeLogPath), (r) => r.some((row) => row.action === 'SLOT_RELEASED' && row.detail.includes(tradeId)), 150_000);
    assert.equal(rows.filter((r) => r.action === 'SLOT_RELEASED' && r.detail.includes(tradeId)).length, 1, 'released once');
    assert.match(rows.find((r) => r.action === 'SLOT_RELEASED' && r.detail.includes(tradeId))!.detail, /was not placed/);
  });
});

function portfolioView(s: CrashStack): Promise<PortfolioView> {
  return s.client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).query(portfolioQuery);
}

/** Updates of this name the workflow accepted (a retried Update with the same id is one) */
async function updatesNamed(handle: WorkflowHandle, name: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name).length;
}

async function completedActivities(handle: WorkflowHandle, name: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const names = new Map<string, string>();
  let n = 0;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const done = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (done !== undefined && done !== null && names.get(String(done)) === name) n++;
  }
  return n;
}
