import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { portfolioInput, startTrader } from '../../src/cli/traders';
import { loadConfig } from '../../src/config/load';
import { PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { llmSpendQuery, recordLlmSpendUpdate } from '../../src/contract/portfolioApi';
import type { DaySpend } from '../../src/domain/llmBudget';
import { closeSharedCcxt } from '../../src/exchange/ccxtClient';
import type { TradeLogRecord } from '../../src/journal/rows';
import { startPortfolio, type PortfolioHandle } from '../../src/portfolioClient';
import { readSpendToday } from '../../src/strategist/spendLedger';
import { buildActivityDeps } from '../../src/worker';
import { crashStackSuite, PAPER_KEY, PAPER_SECRET, replayAndRecord, SYMBOL, until, type CrashStack } from '../support/crashHarness';
import { budgetWorkerConfig, chatCalls, thousandTokenAnswer as answer } from '../support/llmSpendConfig';
import { workflowBundle } from '../support/temporalEnv';

/**
 * The LLM budget's two paths that the two-worker test (llm-spend-workers.test.ts) does not take,
 * on the product as deployed: a dev server, the REAL worker in a child process (crashWorker.ts,
 * built from the config like src/worker.ts), the paper simulator, the OpenAI-compatible test server.
 *
 * 1. The portfolio does not answer: its task queue has no worker (its worker gone). The check
 *    before the LLM call waits LEDGER_ANSWER_MS (10 s) and gives up: the decision is DO_NOTHING
 *    with LLM_BUDGET_UNKNOWN, the LLM is not called, the trade log says why. Its worker back,
 *    the same portfolio run answers and the LLM is asked again.
 * 2. A portfolio started afresh on a day a worker's copy (strategist.budget.state_file) already
 *    holds spend is seeded from it: the day's spend becomes the larger figure, never the sum; a
 *    copy of an earlier day is not taken.
 *
 * Every answer uses 1000 tokens (800 + 200).
 */

/** where the portfolio runs in the first test: a queue only the test's own worker polls, when it does */
const PORTFOLIO_QUEUE = 'portfolio-elsewhere';

/** the stack's config with this worker's spend file and budget, and optionally another cadence */
const workerConfig = (stack: CrashStack, name: string, opts: { dailyTokens: number; cycle?: string }) => budgetWorkerConfig(stack, name, { baseUrl: stack.llm.baseUrl, ...opts });

/** the product's workflows and activities (from the config) on `taskQueue`, in this process: the portfolio's worker */
async function workerOn(stack: CrashStack, taskQueue: string, configPath: string): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: stack.server.address });
  const deps = buildActivityDeps(loadConfig(configPath), { env: { DE_PAPER_API_KEY: PAPER_KEY, DE_PAPER_API_SECRET: PAPER_SECRET }, warn: () => undefined });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: await workflowBundle(), activities: createActivities(deps) });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await closeSharedCcxt();
    },
  };
}

/** the rows written since `from` rows (the trade log is append only) */
async function rowsSince(stack: CrashStack, from: number): Promise<TradeLogRecord[]> {
  return (await stack.tradeLog()).slice(from);
}

/** the first DECISION row after `from` rows, once written */
function nextDecision(stack: CrashStack, from: number, what: string): Promise<TradeLogRecord | undefined> {
  return until(stack, what, () => rowsSince(stack, from).then((rows) => rows.find((r) => r.kind === 'DECISION')), (row) => row !== undefined);
}

/** how long the trader's first askStrategist ran (started to completed, as the history records it) */
async function firstAskStrategistMs(stack: CrashStack): Promise<number> {
  const events = (await stack.trader().fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'askStrategist');
  const id = String(scheduled?.eventId);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
  assert.ok(started && completed, 'the first askStrategist completed');
  return ms(completed!.eventTime) - ms(started!.eventTime);
}

const spendOfPortfolio = (stack: CrashStack) => portfolioHandle(stack).query(llmSpendQuery);
const portfolioHandle = (stack: CrashStack): PortfolioHandle => stack.client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);

async function endRuns(stack: CrashStack): Promise<void> {
  for (const handle of [stack.trader(), portfolioHandle(stack)]) await handle.terminate('test: next scenario').catch(() => undefined);
}

describe('the LLM budget when the portfolio does not answer, and a fresh portfolio seeded from a worker copy', () => {
  const suite = crashStackSuite('llm-spend-portfolio');

  it('a portfolio that does not answer: DO_NOTHING with LLM_BUDGET_UNKNOWN, no LLM call, in the trade log; once it answers, the LLM is asked again', async () => {
    const s = suite.stack;
    // cycles every 20 s: the check's 10 s wait and the portfolio's worker coming back fit between them
    const a = workerConfig(s, 'a', { dailyTokens: 100_000, cycle: '20s' });
    const config = loadConfig(a.path);
    const [worker] = await Promise.all([
      s.startWorker({ TRADING_CONFIG: a.path }),
      (async () => {
        // the portfolio runs, answers while its worker is up ...
        const first = await workerOn(s, PORTFOLIO_QUEUE, a.path);
        await startPortfolio(s.client, portfolioInput(config), PORTFOLIO_QUEUE);
        assert.equal(await spendOfPortfolio(s), null, 'the portfolio answers while its worker runs');
        // ... and then its worker is gone
        await first.stop();
      })(),
    ]);
    const runId = (await portfolioHandle(s).describe()).runId;

    s.llm.enqueue(answer('the portfolio answers again'));
    await startTrader(s.client, config, SYMBOL);
    const refused = await until(s, 'a cycle refused', () => s.tradeLog().then((rows) => rows.find((r) => r.kind === 'REJECTION')), (r) => r !== undefined);
    assert.equal(refused!.action, 'DO_NOTHING');
    assert.match(
      refused!.detail,
      /^llm\/LLM_BUDGET_UNKNOWN: LLM budget unknown: the portfolio workflow, which keeps the day's spend, did not answer \(it has 10 s\): .+; the LLM is not called until the day's spend can be read$/,
    );
    assert.equal(chatCalls(s.llm), 0, 'no LLM call on a budget nobody can read');
    // the check waited for the portfolio, and no longer than its 10 s (the client's own timeout is longer)
    const waited = await firstAskStrategistMs(s);
    assert.ok(waited >= 9_500 && waited < 16_000, `askStrategist took ${waited} ms`);

    // its worker is back: the same run answers, and the next cycle asks the LLM
    const back = await workerOn(s, PORTFOLIO_QUEUE, a.path);
    try {
      const answered = await until(
        s,
        'the LLM asked again',
        () => s.tradeLog().then((rows) => rows.find((r) => r.kind === 'DECISION' && r.detail.includes('the portfolio answers again'))),
        (r) => r !== undefined,
      );
      assert.equal(chatCalls(s.llm), 1);
      const rows = await s.tradeLog();
      const before = rows.slice(0, rows.findIndex((r) => r.row_id === answered!.row_id));
      const decisions = before.filter((r) => r.kind === 'DECISION');
      const rejections = before.filter((r) => r.kind === 'REJECTION');
      assert.ok(decisions.length >= 1 && decisions.every((r) => r.action === 'DO_NOTHING'), 'every cycle before it did nothing');
      assert.equal(rejections.length, decisions.length, 'and said why');
      assert.ok(rejections.every((r) => r.detail.startsWith('llm/LLM_BUDGET_UNKNOWN: ')));
      assert.deepEqual(await spendOfPortfolio(s), { day: today(), tokens: 1_000, cost: 0, calls: 1 }, 'the answer is recorded by the portfolio');
      assert.equal((await portfolioHandle(s).describe()).runId, runId, 'the same portfolio run, not a new one');
    } finally {
      await back.stop();
    }
    await endRuns(s);
    await worker.kill();
  });

  it('a fresh portfolio takes the larger of its own spend and a worker copy of the same day, never the sum; a copy of an earlier day is not taken', async () => {
    const s = suite.stack;
    // one cycle per trader start (the stack's 1 h cadence, the first cycle at once)
    const b = workerConfig(s, 'b', { dailyTokens: 4_000 });
    const config = loadConfig(b.path);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    // the worker's copy says 9000 tokens, of yesterday: over today's budget if it were taken
    writeFileSync(b.spendFile, JSON.stringify({ day: yesterday, tokens: 9_000, cost: 0, calls: 9 }));
    const worker = await s.startWorker({ TRADING_CONFIG: b.path });
    const calls = chatCalls(s.llm);
    // another worker's answer (2000 tokens) in a portfolio started afresh
    const ownSpend = async (tokens: number, id: string): Promise<DaySpend> => {
      await startPortfolio(s.client, portfolioInput(config));
      const entry = { day: today(), usage: { promptTokens: tokens - 200, completionTokens: 200, totalTokens: tokens }, cost: null };
      return portfolioHandle(s).executeUpdate(recordLlmSpendUpdate, { args: [entry], updateId: `another-worker:${id}` });
    };
    assert.deepEqual(await ownSpend(2_000, '1'), { day: today(), tokens: 2_000, cost: 0, calls: 1 });

    s.llm.enqueue(answer('yesterday is not today'));
    let from = (await s.tradeLog()).length;
    await startTrader(s.client, config, SYMBOL);
    let decided = await nextDecision(s, from, 'cycle 1 with a copy of yesterday');
    assert.match(decided!.detail, /yesterday is not today/, 'the LLM decided: 2000 of 4000 spent, the old copy not counted');
    assert.equal(chatCalls(s.llm), calls + 1);
    assert.deepEqual(await spendOfPortfolio(s), { day: today(), tokens: 3_000, cost: 0, calls: 2 });
    assert.deepEqual(readSpendToday(b.spendFile), { day: today(), tokens: 3_000, cost: 0, calls: 2 }, "the worker's copy follows the ledger");

    // the portfolio terminated and started afresh, with 1000 tokens of its own; the copy says 3000
    await endRuns(s);
    assert.deepEqual(await ownSpend(1_000, '2'), { day: today(), tokens: 1_000, cost: 0, calls: 1 });
    s.llm.enqueue(answer('seeded with the larger figure'));
    from = (await s.tradeLog()).length;
    await startTrader(s.client, config, SYMBOL);
    decided = await nextDecision(s, from, 'cycle 1 after the fresh start');
    // the sum (4000) would have spent the budget: no LLM call, LLM_BUDGET_SPENT
    assert.match(decided!.detail, /seeded with the larger figure/, `max(3000, 1000) = 3000 of 4000: the LLM decided; rows: ${JSON.stringify(await rowsSince(s, from))}`);
    assert.equal(chatCalls(s.llm), calls + 2);
    assert.deepEqual(await spendOfPortfolio(s), { day: today(), tokens: 4_000, cost: 0, calls: 3 }, 'the seed (3000, 2 calls) and the answer');

    // the budget is spent now, for every worker reading this ledger
    from = (await s.tradeLog()).length;
    await s.trader().terminate('test: one more cycle');
    await startTrader(s.client, config, SYMBOL);
    await nextDecision(s, from, 'cycle 1 once spent');
    const refused = await until(s, 'the refusal row', () => rowsSince(s, from).then((rows) => rows.find((r) => r.kind === 'REJECTION')), (r) => r !== undefined);
    assert.match(refused!.detail, new RegExp(`^llm/LLM_BUDGET_SPENT: LLM budget spent: the LLM has used 4000 tokens today \\(${today()} UTC, 3 calls\\)`));
    assert.equal(chatCalls(s.llm), calls + 2, 'no call once spent');

    await replayAndRecord(portfolioHandle(s), 'portfolio-llm-spend-seeded');
    await endRuns(s);
    await worker.kill();
  });
});

function today(): string {
  return new Date().toISOString().slice(0, 10);
}
