import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { SymbolTraderState } from '../../src/contract/traderState';
import type { Trade } from '../../src/domain/trade';
import { otocoListClientId } from '../../src/oms/clientIds';
import { armFault, countRequests, legKind, ofTrade, tradeLogAfterActive, until, workflowIdle, type CrashStack } from './crashHarness';

/**
 * The scenario steps and the checks the crash and cluster tests share (the worker, the Temporal
 * server or PostgreSQL dies while a one-target plan is placed or its fill is in flight): what each
 * of them proves afterwards is the same, exactly one set of orders, no fill lost, the position
 * protected, every step journaled once.
 */

/** BTCUSDT's LOT_SIZE step on Binance and on the simulator */
export const AMOUNT_STEP = 0.00001;

/** the exchange carries the OTOCO out and answers only after the worker's request has timed out */
export function holdOtocoAnswer(s: CrashStack): void {
  armFault(s, { method: 'POST', path: '/api/v3/orderList/otoco', kind: 'timeout', execute: true, holdMs: 120_000 });
}

/** the fee was paid in BTC: the position is what arrived, floored to the amount step */
export async function arrivedQuantity(s: CrashStack): Promise<number> {
  return Math.floor((await s.exchange.balance('BTC')).total / AMOUNT_STEP + 1e-6) * AMOUNT_STEP;
}

/**
 * After the step that placed the plan was retried: the cycle ran once, the strategist was asked
 * once, the plan was sent once and the one OTOCO the exchange holds is the trade's.
 */
export async function assertPlacedOnce(s: CrashStack, pending: SymbolTraderState): Promise<Trade> {
  const trade = pending.trade!;
  assert.equal(pending.sequence, 1, 'the cycle was not run again');
  assert.equal(s.llm.requests.length, 1, 'the strategist was asked once: its answer is in the history');
  assert.equal(countRequests(s, 'POST', '/api/v3/orderList/otoco'), 1, 'the retry looked the plan up instead of sending it again');
  assert.deepEqual(
    (await s.exchange.allLists()).map((l) => [l.listClientOrderId, l.status]),
    [[otocoListClientId(trade.id), 'EXECUTING']],
    'exactly one set of orders',
  );
  return trade;
}

/**
 * Once the entry filled: the trade turns ACTIVE and takes in everything the fill set off; it holds
 * what arrived on the account (no fill lost), the OTOCO's stop and target cover all of it, and it is
 * still the one order list.
 */
export async function untilActiveAndProtected(
  s: CrashStack,
  trader: WorkflowHandle,
  trade: Trade,
  what: string,
  timeoutMs?: number,
): Promise<{ active: SymbolTraderState; held: number }> {
  const active = await until(s, what, () => s.state(), (st) => st.trade?.status === 'ACTIVE', timeoutMs);
  await until(s, 'the trader to take in everything the fill set off', () => workflowIdle(trader), (idle) => idle);
  const held = active.trade!.entryFills.reduce((sum, f) => sum + f.quantity, 0);
  const arrived = await arrivedQuantity(s);
  assert.ok(held > 0 && Math.abs(held - arrived) < 1e-9, `no fill lost: the trade holds ${held} BTC, the account ${arrived}`);
  const protecting = ofTrade(await s.exchange.openOrders(), trade);
  assert.deepEqual(protecting.map((o) => legKind(o.clientOrderId)).sort(), ['otoco:stop', 'otoco:takeProfit'], 'the filled quantity is protected');
  for (const leg of protecting) assert.equal(leg.amount, held, `${leg.clientOrderId} covers the whole position`);
  assert.equal((await s.exchange.allLists()).length, 1, 'still exactly one order list');
  return { active, held };
}

/** the trade log: no row twice (tradeLogAfterActive), the decision, the plan's order and the transition to ACTIVE once each */
export async function assertJournaledOnce(s: CrashStack, { orderRow = true } = {}): Promise<void> {
  const rows = await tradeLogAfterActive(s);
  const count = (kind: string, action: string) => rows.filter((r) => r.kind === kind && r.action === action).length;
  assert.equal(count('DECISION', 'PLAN_TRADE'), 1, 'one decision row');
  if (orderRow) assert.equal(count('ORDER', 'PLAN_TRADE'), 1, 'one order row for the plan');
  assert.equal(count('TRANSITION', 'PENDING->ACTIVE'), 1, 'one transition row');
}
