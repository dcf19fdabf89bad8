import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RiskConfig } from '../../src/config/schema';
import { freePort } from '../../src/devstack/freePort';
import { BudgetedStrategist } from '../../src/strategist/budgetedStrategist';
import { checkStrategistEndpoint } from '../../src/strategist/createStrategist';
import { LlmStrategist } from '../../src/strategist/llmStrategist';
import { RulesStrategist } from '../../src/strategist/rulesStrategist';
import { SpendLedger, readSpendToday } from '../../src/strategist/spendLedger';
import { decide } from '../../src/strategist/decide';
import { buildMarketSnapshot } from '../../src/strategist/marketSnapshot';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { stopSignal } from '../../src/contract/signals';
import { FakeLlmServer, structured, withUsage } from '../support/fakeLlmServer';
import { realTraderBed, type RealTraderBed } from '../support/realTraderBed';
import { tempDir } from '../support/simulator';
import { withWorker } from '../support/temporalEnv';
import { INTERVAL, state, traderSuite } from '../support/traderHarness';

/**
 * The LLM's daily budget: the real workflow, the real activities over the simulator on real candles,
 * the real openai client against the scripted server reporting its token usage. The budget runs
 * out mid-run; the next cycles do not call the LLM, and say why.
 */

const suite = traderSuite();
const wait = (reasoning: string) => structured({ action: 'DO_NOTHING', reasoning });

describe('LLM budget through the real workflow', () => {
  let bed: RealTraderBed;
  let ledgerFile: string;
  before(async () => {
    bed = await realTraderBed({
      strategist: (llm, { dir }) => {
        ledgerFile = join(dir, 'llm-spend.json');
        return new BudgetedStrategist(llm, {
          budget: { dailyTokens: 3_000, dailyCost: null },
          prices: {},
          model: 'fake-model',
          ledger: new SpendLedger(ledgerFile),
          fallback: null,
        });
      },
    });
  });
  after(async () => {
    await bed?.close();
  });

  test('two answers spend the 3000 tokens of the day; the third cycle is DO_NOTHING with LLM_BUDGET_SPENT and no LLM call', async () => {
    bed.llm.enqueue(withUsage(wait('flat market'), 1_200, 300), withUsage(wait('still flat'), 1_400, 100), wait('never asked'));
    await withWorker(suite.env, bed.activities, async (taskQueue) => {
      const handle = await suite.startTrader(taskQueue, 'BTCUSDT');
      await bed.untilRow((r) => r.kind === 'DECISION' && r.sequence === 1, 'cycle 1');
      assert.deepEqual(readSpendToday(ledgerFile), { day: new Date().toISOString().slice(0, 10), tokens: 1_500, cost: 0, calls: 1 });
      await suite.env.sleep(INTERVAL);
      await bed.untilRow((r) => r.kind === 'DECISION' && r.sequence === 2, 'cycle 2');
      await suite.env.sleep(INTERVAL);
      const refused = await bed.untilRow((r) => r.kind === 'REJECTION' && r.sequence === 3, 'cycle 3 refused');
      assert.match(refused.detail, /^llm\/LLM_BUDGET_SPENT: LLM budget spent: the LLM has used 3000 tokens today \(.* UTC, 2 calls\); the daily budget is 3000 \(strategist\.budget\.daily_tokens\); until 00:00 UTC every decision is DO_NOTHING/);
      const s = await state(handle);
      assert.equal(s.lastDecision?.action, 'DO_NOTHING');
      assert.equal(bed.llm.requests.filter((r) => r.path.endsWith('/chat/completions')).length, 2, 'the third cycle did not call the LLM');
      assert.equal(bed.llm.pending, 1);

      // the usage of every LLM decision is in the workflow's history (the askStrategist results)
      await handle.signal(stopSignal);
      await handle.result();
      const results = ((await handle.fetchHistory()).events ?? [])
        .map((e) => e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data)
        .filter((d): d is Uint8Array => !!d && d.byteLength > 0)
        .map((d) => JSON.parse(Buffer.from(d).toString('utf8')))
        .filter((r) => r && typeof r === 'object' && 'accepted' in r);
      assert.deepEqual(results.map((r) => r.usage ?? null), [
        { model: 'fake-model', promptTokens: 1_200, completionTokens: 300, totalTokens: 1_500 },
        { model: 'fake-model', promptTokens: 1_400, completionTokens: 100, totalTokens: 1_500 },
        null,
      ]);
    });
    bed.llm.reset();
  });
});

describe('LLM budget: money, restarts, the next day, the rules fallback, the start-up check', () => {
  let llm: FakeLlmServer;
  before(async () => {
    llm = await FakeLlmServer.start();
  });
  after(async () => {
    await llm.close();
  });

  const candles = readCandleFile(join(sharedCandlesDir(), 'BTCUSDT-15m.csv')).slice(20_000, 20_200);
  const last = candles.at(-1)!;
  const snapshot = buildMarketSnapshot({ symbol: 'BTCUSDT', ticker: { last: last.close, bid: null, ask: null, timestamp: last.timestamp + INTERVAL }, candles: [{ timeframe: '15m', candles }] });
  const ask = (strategist: BudgetedStrategist) =>
    decide({
      symbol: 'BTCUSDT', trade: null, snapshot, strategist,
      context: { symbol: 'BTCUSDT', trade: null, lastPrice: snapshot.last, risk: RiskConfig.parse({}), marketType: 'spot', openTradesCount: 0 },
    });
  const llmStrategist = () => new LlmStrategist({ baseUrl: llm.baseUrl, apiKey: 'sk-budget-test-000000', model: 'priced-model', temperature: 0, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 });

  test('the money budget, kept in a file across a restart, starting again the next UTC day; the rules strategist decides when configured', async () => {
    const file = join(tempDir('de-budget-'), 'llm-spend.json');
    let now = Date.UTC(2026, 4, 19, 22, 0);
    const make = (fallback: 'rules' | null, warnings: string[] = []) =>
      new BudgetedStrategist(llmStrategist(), {
        budget: { dailyTokens: 1_000_000, dailyCost: 0.01 },
        // 10 per million in, 30 per million out: 200 + 100 tokens cost 0.005
        prices: { 'priced-model': { inputPerMillion: 10, outputPerMillion: 30 } },
        model: 'priced-model',
        ledger: new SpendLedger(file),
        fallback: fallback ? new RulesStrategist() : null,
        clock: () => now,
        warn: (m) => warnings.push(m),
      });
    let s = make(null);
    llm.enqueue(withUsage(wait('a'), 200, 100), withUsage(wait('b'), 200, 100));
    const first = await ask(s);
    assert.deepEqual(first.usage, { model: 'priced-model', promptTokens: 200, completionTokens: 100, totalTokens: 300, cost: 0.005 });
    await ask(s);
    // a restarted worker reads the day's spend back: still spent
    const warnings: string[] = [];
    s = make('rules', warnings);
    const requests = llm.requests.length;
    const fallback = await ask(s);
    assert.equal(llm.requests.length, requests, 'no LLM call once the money is spent');
    assert.equal(fallback.source, 'rules');
    assert.equal(fallback.accepted, true);
    assert.match(fallback.command.reasoning ?? '', /^LLM budget spent: the LLM has cost 0\.01 today \(2026-05-19 UTC, 2 calls\); the daily budget is 0\.01 \(strategist\.budget\.daily_cost\); until 00:00 UTC the rules strategist decides\. /);
    assert.equal(warnings.length, 1);
    await ask(s);
    assert.equal(warnings.length, 1, 'said once a day, not every cycle');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { day: '2026-05-19', tokens: 600, cost: 0.01, calls: 2 });

    // 00:00 UTC: a new day, a new budget
    now = Date.UTC(2026, 4, 20, 0, 1);
    llm.enqueue(withUsage(wait('new day'), 200, 100));
    const nextDay = await ask(s);
    assert.equal(nextDay.source, 'llm');
    assert.equal(nextDay.command.reasoning, 'new day');
    assert.deepEqual(readSpendToday(file, now), { day: '2026-05-20', tokens: 300, cost: 0.005, calls: 1 });
  });

  test('the start-up check: quiet when the endpoint answers, a warning at once when it cannot be reached', async () => {
    assert.equal(await checkStrategistEndpoint(llmStrategist()), null);
    assert.ok(llm.requests.some((r) => r.method === 'GET' && r.path.endsWith('/models')), 'one cheap models request');
    const nowhere = new LlmStrategist({ baseUrl: `http://127.0.0.1:${await freePort()}/v1`, apiKey: 'sk-nowhere-0000000', model: 'm', temperature: 0, timeoutMs: 2_000, maxRetries: 2, maxPromptTokens: 4_000 });
    const warning = await checkStrategistEndpoint(nowhere);
    assert.match(warning ?? '', /^the LLM endpoint cannot be used: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1 \(1 attempt\): .*Until it answers, every cycle's decision is DO_NOTHING$/);
    assert.equal(await checkStrategistEndpoint(new RulesStrategist()), null);
  });
});
