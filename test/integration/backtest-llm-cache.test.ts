import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { backtestLlmStrategist, BudgetError, checkBudget, estimateLlmRun, FatalStrategistError, type CacheMode } from '../../src/backtest/llm/index';
import { decide } from '../../src/strategist/decide';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';
import { requestAt } from '../support/strategistRequests';

/**
 * The LLM over history through the real openai client against the scripted server on 127.0.0.1:
 * the answer cache (a re-run asks nothing), its modes, token usage per decision, and the budget
 * (refused before the first call, and stopped at run time).
 */

const DAY = Date.UTC(2021, 2, 1);
const TIMES = [DAY + 10 * 3_600_000, DAY + 10.25 * 3_600_000, DAY + 10.5 * 3_600_000];
const PRICES = { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6 };

let server: FakeLlmServer;
let dir: string;
const dirs: string[] = [];

before(async () => {
  server = await FakeLlmServer.start();
});
after(async () => {
  await server.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(async () => {
  server.reset();
  dir = await mkdtemp(join(tmpdir(), 'de-llm-cache-'));
  dirs.push(dir);
});

function make(mode: CacheMode, budget?: { maxCalls?: number; maxCost?: number }) {
  return backtestLlmStrategist({
    llm: { baseUrl: server.baseUrl, apiKey: 'sk-test-key-for-cache', model: 'fake-model', temperature: 0.2, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 },
    cacheDir: dir,
    mode,
    prices: PRICES,
    ...(budget ? { budget } : {}),
  });
}

async function decideAll(llm: ReturnType<typeof make>) {
  const out = [];
  for (const at of TIMES) {
    const request = requestAt('BTCUSDT', at);
    out.push(await decide({ ...request, strategist: llm.strategist }));
  }
  return out;
}

const answers = () => TIMES.map((_, i) => structured({ action: 'DO_NOTHING', reasoning: `waiting ${i}` }));

describe('answer cache', () => {
  it('a second run of the same decisions makes no call and gives the same answers', async () => {
    server.enqueue(...answers());
    const first = make('normal');
    const one = await decideAll(first);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(one.map((d) => d.usage), TIMES.map(() => ({ model: 'fake-model', promptTokens: 100, completionTokens: 50, totalTokens: 150 })), 'usage from the API, per decision');
    assert.deepEqual(one.map((d) => d.cached ?? false), [false, false, false]);
    assert.deepEqual(first.meter.toUsage(), { calls: 3, cacheHits: 0, promptTokens: 300, completionTokens: 150, cost: (300 * 0.15 + 150 * 0.6) / 1e6 });

    const second = make('normal');
    const two = await decideAll(second);
    assert.equal(server.requests.length, 3, 'no request on the second run');
    assert.deepEqual(two.map((d) => d.command), one.map((d) => d.command));
    assert.deepEqual(two.map((d) => d.cached), [true, true, true]);
    assert.deepEqual(second.meter.toUsage(), { calls: 0, cacheHits: 3, promptTokens: 0, completionTokens: 0, cost: 0 });

    // inspectable: one JSON file per answer with what was asked and what came back
    const files = await readdir(join(dir, 'fake-model'));
    assert.equal(files.length, 3);
    const entry = JSON.parse(await readFile(join(dir, 'fake-model', files[0]!), 'utf8'));
    assert.equal(entry.request.model, 'fake-model');
    assert.equal(entry.request.baseUrl, server.baseUrl);
    assert.match(entry.request.user, /MARKET BTCUSDT/);
    assert.match(entry.answer.content, /waiting/);
    assert.equal(`${entry.key}.json`, files[0]);
    assert.doesNotMatch(JSON.stringify(entry), /sk-test-key/, 'no key in the cache');
  });

  it('the key changes with the temperature: a different request is not served from the cache', async () => {
    server.enqueue(...answers(), ...answers());
    await decideAll(make('normal'));
    const warmer = backtestLlmStrategist({
      llm: { baseUrl: server.baseUrl, apiKey: 'sk-test-key-for-cache', model: 'fake-model', temperature: 0.7, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 },
      cacheDir: dir,
      mode: 'normal',
    });
    await decideAll(warmer);
    assert.equal(server.requests.length, 6);
  });

  it('no-cache asks every time and writes nothing; cache-only stops the run on a miss', async () => {
    server.enqueue(...answers());
    await decideAll(make('no-cache'));
    assert.equal(server.requests.length, 3);
    await assert.rejects(readdir(join(dir, 'fake-model')), { code: 'ENOENT' });

    const offline = make('cache-only');
    await assert.rejects(decide({ ...requestAt('BTCUSDT', TIMES[0]!), strategist: offline.strategist }), (err: Error) => {
      assert.ok(err instanceof FatalStrategistError);
      assert.match(err.message, /cache-only: no cached answer for fake-model/);
      return true;
    });
    assert.equal(server.requests.length, 3, 'cache-only never calls');
  });
});

describe('LLM budget', () => {
  it('refuses before the first call when the estimate is over --max-llm-calls or --max-llm-cost', () => {
    const llm = make('normal');
    const samplePrompt = llm.strategist.promptFor(requestAt('BTCUSDT', TIMES[0]!));
    const estimate = estimateLlmRun({ model: 'fake-model', decisions: 2_000, samplePrompt, prices: PRICES, mode: 'normal' });
    assert.equal(estimate.calls, 2_000);
    assert.ok(estimate.promptTokens > 2_000 * 500, `the prompt is a few thousand characters (${estimate.promptTokens} tokens)`);
    assert.ok(estimate.cost !== null && estimate.cost > 0);
    assert.throws(() => checkBudget(estimate, { maxCalls: 100 }), (err: Error) => err instanceof BudgetError && /2000 calls > --max-llm-calls 100/.test(err.message));
    assert.throws(() => checkBudget(estimate, { maxCost: 0.01 }), /> --max-llm-cost 0.01/);
    assert.doesNotThrow(() => checkBudget(estimate, { maxCalls: 100 }, { allowOverBudget: true }));
    assert.doesNotThrow(() => checkBudget(estimate, { maxCalls: 2_000 }));
    // a cache-only re-run costs nothing
    assert.doesNotThrow(() => checkBudget(estimateLlmRun({ model: 'fake-model', decisions: 2_000, samplePrompt, mode: 'cache-only' }), { maxCalls: 0 }));
    // a cost budget needs prices
    assert.throws(() => checkBudget(estimateLlmRun({ model: 'fake-model', decisions: 1, samplePrompt, mode: 'normal' }), { maxCost: 1 }), /no prices for fake-model/);
    assert.equal(server.requests.length, 0, 'nothing was asked');
  });

  it('stops the run at the limit: no call past --max-llm-calls', async () => {
    server.enqueue(...answers());
    const llm = make('normal', { maxCalls: 2 });
    await assert.rejects(decideAll(llm), (err: Error) => err instanceof FatalStrategistError && /--max-llm-calls 2 allows no more/.test(err.message));
    assert.equal(server.requests.length, 2);
    assert.equal(llm.meter.calls, 2);
  });

  it('stops the run once the spend reaches --max-llm-cost', async () => {
    server.enqueue(...answers());
    // one answer costs (100 x 0.15 + 50 x 0.6) / 1e6 = $0.000045
    const llm = make('no-cache', { maxCost: 0.00005 });
    await assert.rejects(decideAll(llm), /--max-llm-cost \$0.00005 allows no more/);
    assert.equal(server.requests.length, 2);
  });
});
