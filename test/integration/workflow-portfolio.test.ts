import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { traderWorkflowId } from '../../src/contract/ids';
import { recordLlmSpendUpdate, requestSlotUpdate, resumeUpdate } from '../../src/contract/portfolioApi';
import { PortfolioStatusKey } from '../../src/contract/searchAttributes';
import { cancelOrderSignal } from '../../src/contract/signals';
import type { SlotDraft } from '../../src/contract/portfolioState';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { devServerEnv, withWorker } from '../support/temporalEnv';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { recordHistory } from '../support/temporalHistories';
import { envelopeInput, eventually, portfolioInputWith, startTestPortfolio, terminateAll, view } from '../support/portfolioHarness';

/**
 * The portfolio workflow on the Temporal CLI dev server with real symbol traders (the model
 * exchange stands in for the OMS): slots are atomic across symbols, released when a trade ends,
 * reconciled when leaked, and the kill switch halts and resumes as the rules say.
 */

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServerEnv();
});
after(async () => {
  await env?.teardown();
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

function startTrader(taskQueue: string, symbol: string) {
  return env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
    taskQueue,
    workflowId: traderWorkflowId(symbol),
    args: [{ symbol, cycleIntervalMs: 15 * 60_000, mode: 'paper', envelope: envelopeInput() }],
  });
}

test('two symbols deciding in the same instant: exactly one gets the last slot; it is released when its trade ends', async () => {
  const model = new ExchangeModel();
  model.script = (i) => (i.trade ? doNothing() : planLong(i.symbol));
  // both traders' requests are held until both arrived, then sent to the portfolio together
  const arrived: Array<() => void> = [];
  const bothHere = new Promise<void>((resolve) => {
    const original = model.requestSlot.bind(model);
    model.requestSlot = async (input: SlotDraft) => {
      await new Promise<void>((r) => {
        arrived.push(r);
        if (arrived.length === 2) resolve();
      });
      return original(input);
    };
  });
  void bothHere.then(() => arrived.forEach((r) => r()));

  await withWorker(env, model.activities(), async (taskQueue) => {
    const input = portfolioInputWith(SYMBOLS, { maxOpenTrades: 1 });
    model.portfolio = { client: env.client, taskQueue, input };
    const portfolio = await startTestPortfolio(env.client, taskQueue, input);
    await Promise.all(SYMBOLS.map((s) => startTrader(taskQueue, s)));
    await model.until(() => SYMBOLS.every((s) => model.hasRow((r) => r.symbol === s && r.kind === 'DECISION' && r.sequence === 1)), 'both first cycles journaled');

    const placed = model.callsOf('executeAiCommand');
    assert.equal(placed.length, 1, `exactly one trade reached the OMS; trade log: ${model.journal().map((r) => `${r.symbol} ${r.kind} ${r.action}: ${r.detail}`).join('\n')}`);
    const winner = placed[0].symbol as string;
    const loser = SYMBOLS.find((s) => s !== winner)!;
    const refusal = model.journal().find((r) => r.symbol === loser && r.kind === 'REJECTION');
    assert.equal(refusal?.action, 'MAX_OPEN_TRADES', 'the other symbol was refused with the code');
    assert.match(refusal!.detail, /^MAX_OPEN_TRADES: 1 of max_open_trades 1 slots are taken/);
    let v = await view(env.client);
    assert.deepEqual(Object.keys(v.grants), [tradeIdFor(winner, 1)]);
    assert.equal(v.exposure.openTrades, 1);
    assert.equal(v.lastRefusal?.code, 'MAX_OPEN_TRADES');

    // the trade ends (cancelled by hand): its slot is given back, and only once
    await env.client.workflow.getHandle(traderWorkflowId(winner)).signal(cancelOrderSignal, { reason: 'test' });
    await model.until(() => model.callsOf('releaseSlot').length >= 1 && model.hasRow((r) => r.action === 'PENDING->CANCELLED'), 'slot released, cancel journaled');
    v = await eventually('the grant gone', () => view(env.client), (x) => Object.keys(x.grants).length === 0);
    assert.equal(v.exposure.total, 0);
    assert.equal(model.journal().filter((r) => r.kind === 'TRANSITION' && r.action === 'PENDING->CANCELLED').length, 1);
    assert.deepEqual(model.callsOf('releaseSlot').map((r) => r.tradeId), [tradeIdFor(winner, 1)]);

    await recordHistory(portfolio, 'portfolio-race-and-release');
    await recordHistory(env.client.workflow.getHandle(traderWorkflowId(winner)), 'trader-envelope-slot-released');
    await terminateAll(env.client, SYMBOLS);
  });
});

test('a grant whose trade does not exist is freed by reconciliation; a malformed request never enters the history', async () => {
  const model = new ExchangeModel();
  await withWorker(env, model.activities(), async (taskQueue) => {
    const input = portfolioInputWith(['SOLUSDT'], {}, { equityIntervalMs: 300, reconcileEvery: 1 });
    model.portfolio = { client: env.client, taskQueue, input };
    const portfolio = await startTestPortfolio(env.client, taskQueue, input);
    // a slot taken for a trader that does not exist (as if it was terminated right after the grant)
    const grant = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-SOLUSDT-4', symbol: 'SOLUSDT', sequence: 4, notional: 500 }] });
    assert.equal(grant.granted, true);
    const v = await eventually('the leaked grant freed', () => view(env.client), (x) => Object.keys(x.grants).length === 0);
    assert.equal(v.exposure.total, 0);
    assert.ok(model.hasRow((r) => r.kind === 'RECONCILE' && r.action === 'SLOT_FREED' && /T-SOLUSDT-4 freed: the trader of SOLUSDT does not exist/.test(r.detail)));

    await assert.rejects(
      portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-SOLUSDT-5', symbol: 'SOLUSDT', sequence: 5, notional: Number.NaN }] }),
      refusedWith(/notional must be a positive number/),
    );
    const history = JSON.stringify(await portfolio.fetchHistory());
    assert.ok(!history.includes('T-SOLUSDT-5'), 'a request refused by the validator leaves no trace in the history');
    await terminateAll(env.client, []);
  });
});

test('kill switch: a daily loss halts (PENDING cancelled, no new entry) until the next UTC day; a drawdown halt needs resume', async () => {
  const model = new ExchangeModel();
  model.script = (i) => (i.trade ? doNothing() : planLong(i.symbol));
  await withWorker(env, model.activities(), async (taskQueue) => {
    const input = portfolioInputWith(['BTCUSDT'], {}, { equityIntervalMs: 300 });
    model.portfolio = { client: env.client, taskQueue, input };
    model.equity = 10_000;
    model.equityAt = Date.UTC(2021, 4, 19, 1);
    const portfolio = await startTestPortfolio(env.client, taskQueue, input);
    const trader = await startTrader(taskQueue, 'BTCUSDT');
    await model.until(() => model.callsOf('executeAiCommand').length === 1, 'the first trade placed');

    // a 3.5% loss on the day
    model.equity = 9_650;
    model.equityAt = Date.UTC(2021, 4, 19, 13);
    let v = await eventually('HALTED', () => view(env.client), (x) => x.status === 'HALTED');
    assert.equal(v.halt?.kind, 'DAILY_LOSS');
    await model.until(() => model.hasRow((r) => r.symbol === 'BTCUSDT' && r.action === 'PENDING->CANCELLED'), 'the PENDING entry cancelled by the halt');
    await model.until(() => model.hasRow((r) => r.symbol === 'PORTFOLIO' && r.action === 'HALTED_DAILY_LOSS' && /day loss 3\.5%/.test(r.detail)), 'the halt journaled with its reason');
    assert.match((await portfolio.describe()).typedSearchAttributes.get(PortfolioStatusKey) ?? '', /HALTED_DAILY_LOSS/);

    // no new entry while halted: a slot is refused
    const refused = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-BTCUSDT-99', symbol: 'BTCUSDT', sequence: 99, notional: 100 }] });
    assert.equal(!refused.granted && refused.code, 'PORTFOLIO_HALTED');
    // resume does not lift a daily-loss halt, and equity recovering the same day does not either
    await assert.rejects(portfolio.executeUpdate(resumeUpdate, { args: [{ by: 'test' }] }), refusedWith(/resumes by itself at the next UTC day/));
    let run = await cli(['risk']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^HALTED \(DAILY_LOSS\) since .*: day loss 3\.5% of the UTC day's starting equity 10000/m);
    assert.match(run.stdout, /^equity 9650 /m);
    assert.match(run.stdout, /^day PnL -350 \(-3\.5% of 10000 at the start of UTC 2021-05-19; limit -3%\)/m);
    assert.match(run.stdout, /^slots 0\/3 used; exposure 0 = 0% of equity \(limit 30%\)/m, 'the cancelled entry gave its slot back');
    run = await cli(['resume']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /resume refused: the portfolio is halted by the daily loss limit .* resumes by itself at the next UTC day/);
    model.equity = 10_400;
    model.equityAt = Date.UTC(2021, 4, 19, 23, 59);
    const before = (await view(env.client)).sequence;
    v = await eventually('readings past the recovery', () => view(env.client), (x) => x.sequence >= before + 2);
    assert.equal(v.status, 'HALTED');

    model.equityAt = Date.UTC(2021, 4, 20, 0, 1);
    v = await eventually('the halt lifted at the next UTC day', () => view(env.client), (x) => x.status === 'ACTIVE');
    assert.equal(v.book?.day, '2021-05-20');
    await model.until(() => model.hasRow((r) => r.symbol === 'PORTFOLIO' && r.action === 'RESUMED' && /new UTC day/.test(r.detail)), 'the lift journaled');

    // 11% below the peak (10 400): DRAWDOWN, which a new day does not lift; resume does
    model.equity = 9_250;
    v = await eventually('HALTED by drawdown', () => view(env.client), (x) => x.halt?.kind === 'DRAWDOWN');
    model.equityAt = Date.UTC(2021, 4, 21, 0, 1);
    const seen = v.sequence;
    v = await eventually('readings on the next day', () => view(env.client), (x) => x.sequence >= seen + 2);
    assert.equal(v.halt?.kind, 'DRAWDOWN', 'a drawdown halt is not lifted by a new day');
    run = await cli(['risk']);
    assert.match(run.stdout, /^HALTED \(DRAWDOWN\) since .*: drawdown 11.06% from peak equity 10400 .*resume with `cli resume`/m);
    assert.match(run.stdout, /^drawdown 11.06% from peak 10400 \(limit 10%\)/m);
    run = await cli(['resume', '--by', 'test']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^resumed: ACTIVE/);
    v = await view(env.client);
    assert.equal(v.status, 'ACTIVE');
    assert.equal(v.book?.peakEquity, 9_250, 'the peak restarts from equity at the resume');
    await model.until(() => model.hasRow((r) => r.symbol === 'PORTFOLIO' && r.action === 'RESUMED' && /RESUMED by test after: drawdown/.test(r.detail)), 'the resume journaled');
    const granted = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-BTCUSDT-98', symbol: 'BTCUSDT', sequence: 98, notional: 100 }] });
    assert.equal(granted.granted, true);

    await recordHistory(portfolio, 'portfolio-halt-and-resume');
    await recordHistory(trader, 'trader-envelope-halted');
    await terminateAll(env.client, ['BTCUSDT']);
  });
});

test("the LLM spend of the day in the portfolio's card and `cli risk`, refreshed by each recorded answer", async () => {
  const model = new ExchangeModel();
  await withWorker(env, model.activities(), async (taskQueue) => {
    // no equity reading after the first one during the test: only the spend's Updates refresh the card
    const input = portfolioInputWith(['BTCUSDT'], {}, { equityIntervalMs: 3_600_000, llmBudget: { dailyTokens: 200_000, dailyCost: 2, model: 'gpt-4o-mini', priced: true } });
    model.portfolio = { client: env.client, taskQueue, input };
    const portfolio = await startTestPortfolio(env.client, taskQueue, input);
    // after its first reading and reconciliation it waits on the equity timer: nothing else publishes
    await eventually('the equity timer', () => portfolio.fetchHistory(), (h) => (h.events ?? []).some((e) => e.timerStartedEventAttributes));
    const card = () => portfolio.query<{ currentDetails?: string }>('__temporal_workflow_metadata').then((m) => m.currentDetails ?? '');
    const day = new Date().toISOString().slice(0, 10);
    assert.match(await card(), new RegExp(`^LLM spend today \\(${day} UTC\\): 0 of 200,000 tokens \\(0%\\) in 0 calls · \\$0 of \\$2\\.00 \\(0%\\)$`, 'm'));

    // two answers, as workers report them: 10,000 + 2,345 tokens, $0.0234 in all
    const answer = (promptTokens: number, completionTokens: number, cost: number) => ({ day, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }, cost });
    await portfolio.executeUpdate(recordLlmSpendUpdate, { args: [answer(9_000, 1_000, 0.02)], updateId: 'llm-spend:test:1' });
    await portfolio.executeUpdate(recordLlmSpendUpdate, { args: [answer(2_000, 345, 0.0034)], updateId: 'llm-spend:test:2' });
    const line = new RegExp(`^LLM spend today \\(${day} UTC\\): 12,345 of 200,000 tokens \\(6%\\) in 2 calls · \\$0\\.02 of \\$2\\.00 \\(1%\\)$`, 'm');
    assert.match(await card(), line, 'the card, as the Web UI shows it');
    assert.equal((await view(env.client)).sequence, 1, 'no equity reading refreshed it');
    const run = await cli(['risk']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, line, 'cli risk prints the same line');
    assert.match(run.stdout, /^slots 0\/3 used; exposure 0 = 0% of equity \(limit 30%\)\nLLM spend today/m, 'after the slots');
    const json = JSON.parse((await cli(['risk', '--json'])).stdout);
    assert.deepEqual({ spend: json.llmSpend, budget: json.llmBudget }, { spend: { day, tokens: 12_345, cost: 0.02 + 0.0034, calls: 2 }, budget: input.llmBudget });
    await terminateAll(env.client, []);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** the real CLI, as a person runs it, against the test's server */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/client.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** an Update its validator refused: the reason is the failure's cause */
function refusedWith(re: RegExp) {
  return (err: unknown) => err instanceof WorkflowUpdateFailedError && re.test(String(((err as Error).cause as Error | undefined)?.message));
}
