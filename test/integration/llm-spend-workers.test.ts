import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startTrader } from '../../src/cli/traders';
import { loadConfig } from '../../src/config/load';
import { PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { llmSpendQuery } from '../../src/contract/portfolioApi';
import type { TradeLogRecord } from '../../src/journal/rows';
import { readSpendToday } from '../../src/strategist/spendLedger';
import { completedBy } from '../support/clusterEnv';
import { crashStackSuite, replayAndRecord, SYMBOL, until, type CrashStack } from '../support/crashHarness';
import { FakeLlmServer } from '../support/fakeLlmServer';
import { budgetWorkerConfig, chatCalls, thousandTokenAnswer as answer } from '../support/llmSpendConfig';

/**
 * The LLM's daily budget with several workers (issue 10): the spend ledger is the portfolio
 * workflow's, one per deployment, not a file per worker process. Two REAL worker processes
 * (test/support/crashWorker.ts, the product's worker from the config) on one dev server, each with
 * its own spend file (as on two machines) and its own LLM endpoint (the project's test server, so
 * each process's calls are counted apart), and one journal process, as a deployment runs them.
 * The budget is 3000 tokens a day and every answer uses 1000: worker A answers cycles 1 and 2, then
 * is SIGKILLed; worker B answers cycle 3 and refuses cycle 4; A again (its own file says 2000 spent)
 * refuses cycle 5. With a file per worker, B would have paid for three answers and A for a third.
 */

const DAILY_TOKENS = 3_000;

/** the stack's worker config with this worker's LLM endpoint and its own spend file, and room between cycles for the test to kill a worker before the next one begins */
const workerConfig = (stack: CrashStack, name: string, llm: FakeLlmServer) => budgetWorkerConfig(stack, name, { baseUrl: llm.baseUrl, dailyTokens: DAILY_TOKENS, cycle: '10s' });

describe('the LLM budget with several workers: one ledger, the portfolio workflow', () => {
  const suite = crashStackSuite('llm-spend-workers');
  let llmB: FakeLlmServer | undefined;
  after(async () => {
    await llmB?.close();
  });

  it('two worker processes, each with its own spend file and LLM endpoint, spend one daily budget once', async () => {
    const s = suite.stack;
    const llmA = s.llm;
    llmB = await FakeLlmServer.start();
    const a = workerConfig(s, 'a', llmA);
    const b = workerConfig(s, 'b', llmB);
    llmA.enqueue(answer('a: flat'), answer('a: still flat'));
    // B is scripted for three answers, as a worker with a budget of its own would pay for
    llmB.enqueue(answer('b: flat'), answer('b: never asked'), answer('b: never asked either'));
    const decided = (kind: 'DECISION' | 'REJECTION', cycle: number) => (rows: TradeLogRecord[]) => cycleRows(rows, cycle).find((r) => r.kind === kind);

    // the trade log's one writer, alive throughout; the trading workers come and go
    const [, workerA] = await Promise.all([
      s.startWorker({ DE_WORKER_ROLES: 'journal', TRADING_CONFIG: a.path }),
      s.startWorker({ DE_WORKER_ROLES: 'trading', TRADING_CONFIG: a.path }),
    ]);
    await startTrader(s.client, loadConfig(a.path), SYMBOL);
    await until(s, 'cycle 2 decided on worker A', () => s.tradeLog().then(decided('DECISION', 2)), (row) => row !== undefined);
    await workerA.kill();
    assert.equal(chatCalls(llmA), 2, 'worker A paid for cycles 1 and 2');
    assert.deepEqual(readSpendToday(a.spendFile), { day: today(), tokens: 2_000, cost: 0, calls: 2 }, "worker A's copy of the ledger");

    const workerB = await s.startWorker({ DE_WORKER_ROLES: 'trading', TRADING_CONFIG: b.path });
    const refusedOnB = await until(s, 'cycle 4 refused on worker B', () => s.tradeLog().then(decided('REJECTION', 4)), (row) => row !== undefined);
    const spent = new RegExp(`LLM_BUDGET_SPENT: LLM budget spent: the LLM has used 3000 tokens today \\(${today()} UTC, 3 calls\\); the daily budget is 3000`);
    assert.match(refusedOnB!.detail, spent);
    assert.equal(chatCalls(llmB), 1, 'worker B paid for cycle 3 only: the 2000 tokens A spent count against it');
    await workerB.kill();

    const workerA2 = await s.startWorker({ DE_WORKER_ROLES: 'trading', TRADING_CONFIG: a.path });
    const refusedOnA = await until(s, 'cycle 5 refused on worker A again', () => s.tradeLog().then(decided('REJECTION', 5)), (row) => row !== undefined);
    assert.match(refusedOnA!.detail, spent);
    assert.equal(chatCalls(llmA), 2, 'worker A, whose own file said 2000, did not call the LLM again');
    assert.equal(chatCalls(llmB), 1);

    // who answered each cycle: the history's own record of the worker identities
    const trader = s.trader();
    assert.deepEqual((await completedBy(trader, 'askStrategist')).slice(0, 5), [workerA.identity, workerA.identity, workerB.identity, workerB.identity, workerA2.identity]);
    const portfolio = s.client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
    assert.deepEqual(await portfolio.query(llmSpendQuery), { day: today(), tokens: 3_000, cost: 0, calls: 3 }, 'the one ledger');
    assert.deepEqual(readSpendToday(b.spendFile), { day: today(), tokens: 3_000, cost: 0, calls: 3 }, "worker B's copy");
    assert.deepEqual(readSpendToday(a.spendFile), { day: today(), tokens: 3_000, cost: 0, calls: 3 }, "worker A's copy, brought up to date by its check");
    await replayAndRecord(portfolio, 'portfolio-llm-spend');
  });
});

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * The trade log rows of the trader's cycle `k` (1-based): each cycle writes its DECISION row first,
 * then its REJECTION row if any, in one append (the trade log has no sequence column)
 */
function cycleRows(rows: readonly TradeLogRecord[], k: number): TradeLogRecord[] {
  const mine = rows.filter((r) => r.symbol === SYMBOL);
  const starts = mine.flatMap((r, i) => (r.kind === 'DECISION' ? [i] : []));
  if (starts.length < k) return [];
  return mine.slice(starts[k - 1], starts[k] ?? mine.length);
}
