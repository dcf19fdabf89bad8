import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TradingConfig } from '../../src/config/schema';
import { createStrategist, NO_API_KEY_WARNING } from '../../src/strategist/createStrategist';
import { BudgetedStrategist } from '../../src/strategist/budgetedStrategist';
import { decide, type Decision } from '../../src/strategist/decide';
import { LlmStrategist, type LlmStrategistOptions } from '../../src/strategist/llmStrategist';
import { systemPrompt } from '../../src/strategist/prompt';
import { RulesStrategist } from '../../src/strategist/rulesStrategist';
import type { Strategist } from '../../src/strategist/strategist';
import { contextFor, snapshot, SYMBOL, tradeIn, VALID_ADJUST, VALID_PLAN, type TradeState } from '../fixtures/bad-answers/scenario';
import { FakeLlmServer, hang, httpError, refusal, structured, text, truncated } from '../support/fakeLlmServer';

/**
 * The real openai client (6.x) against the test LLM server on 127.0.0.1: what it sends (prompt,
 * structured-output schema, key), and how every kind of answer and failure ends up in a Decision.
 */

const API_KEY = 'sk-test-integration-SECRET-0123456789';
let server: FakeLlmServer;
const decisions: Decision[] = [];

before(async () => {
  server = await FakeLlmServer.start();
});
after(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function llm(overrides: Partial<LlmStrategistOptions> = {}): LlmStrategist {
  return new LlmStrategist({
    baseUrl: server.baseUrl,
    apiKey: API_KEY,
    model: 'test-model',
    temperature: 0.2,
    timeoutMs: 5_000,
    maxRetries: 0,
    maxPromptTokens: 2_000,
    ...overrides,
  });
}

async function run(strategist: Strategist, state: TradeState = 'none'): Promise<Decision> {
  const decision = await decide({ symbol: SYMBOL, trade: tradeIn(state), snapshot, context: contextFor(state), strategist });
  decisions.push(decision);
  return decision;
}

function assertRejected(d: Decision, stage: string, code: string): void {
  assert.equal(d.accepted, false);
  assert.deepEqual({ stage: d.rejection?.stage, code: d.rejection?.code }, { stage, code }, d.rejection?.reason);
  assert.equal(d.command.action, 'DO_NOTHING');
}

describe('LLM strategist against an OpenAI-compatible server', () => {
  it('structured output: sends the prompt and the command schema, accepts the wrapped command', async () => {
    server.enqueue(structured(VALID_PLAN));
    const d = await run(llm());
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.equal(d.source, 'llm');
    assert.deepEqual(d.command, VALID_PLAN);

    assert.equal(server.requests.length, 1);
    const req = server.requests[0]!;
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(req.body.model, 'test-model');
    assert.equal(req.body.temperature, 0.2);
    assert.deepEqual(
      req.body.messages.map((m: { role: string }) => m.role),
      ['system', 'user'],
    );
    assert.equal(req.body.messages[0].content, systemPrompt());
    assert.equal(req.body.messages[1].content, d.prompt!.user);
    assert.match(req.body.messages[1].content, /No open trade on BTCUSDT\. Is there an entry\?/);

    const format = req.body.response_format;
    assert.equal(format.type, 'json_schema');
    assert.equal(format.json_schema.name, 'trading_command');
    assert.equal(format.json_schema.strict, true);
    const variants = format.json_schema.schema.properties.command.anyOf;
    assert.deepEqual(
      variants.map((v: { properties: { action: { const: string } } }) => v.properties.action.const),
      ['PLAN_TRADE', 'CANCEL_ORDER', 'ADJUST_TRADE', 'DO_NOTHING'],
    );
    // strict mode: every property required, no extra properties, at every level
    for (const v of variants) {
      assert.deepEqual([...v.required].sort(), Object.keys(v.properties).sort());
      assert.equal(v.additionalProperties, false);
    }
    assert.deepEqual(variants[0].properties.trade_setup.required.sort(), Object.keys(VALID_PLAN.trade_setup).sort());
    assert.doesNotMatch(JSON.stringify(format), /minLength|exclusiveMinimum|minItems|oneOf/, 'portable strict-mode subset only');
  });

  it('the prompt of an ACTIVE trade names its id, and the ADJUST_TRADE for it is accepted', async () => {
    server.enqueue(structured({ ...VALID_ADJUST, new_take_profit_prices: null }));
    const d = await run(llm(), 'active');
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.equal(d.command.action, 'ADJUST_TRADE');
    assert.match(server.requests[0]!.body.messages[1].content, /ACTIVE LONG BTCUSDT: entry 47000, stop 46000, targets 49000\/51000, unrealized \+1\.54%, trade id T-BTCUSDT-000007\. What now\?/);
  });

  it('a model that ignores structured outputs: bare JSON is parsed and validated', async () => {
    server.enqueue(text(JSON.stringify(VALID_PLAN)));
    const d = await run(llm());
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.deepEqual(d.command, VALID_PLAN);
  });

  it('a model that answers in prose with a fenced JSON block', async () => {
    server.enqueue(text(`The trend is up, so:\n\n\`\`\`json\n${JSON.stringify(VALID_PLAN, null, 2)}\n\`\`\`\nGood luck.`));
    const d = await run(llm());
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.deepEqual(d.command, VALID_PLAN);
  });

  it('a chosen DO_NOTHING is an accepted decision with the model reasoning', async () => {
    server.enqueue(structured({ action: 'DO_NOTHING', reasoning: 'chop, no edge' }));
    const d = await run(llm());
    assert.equal(d.accepted, true);
    assert.deepEqual(d.command, { action: 'DO_NOTHING', reasoning: 'chop, no edge' });
    assert.equal(d.rejection, undefined);
  });

  it('a semantically invalid structured answer is rejected at validation', async () => {
    server.enqueue(structured({ ...VALID_PLAN, trade_setup: { ...VALID_PLAN.trade_setup, position_size_percent: 50 } }));
    assertRejected(await run(llm()), 'validation', 'SIZE_OVER_LIMIT');
  });

  it('timeout: no answer within the per-request timeout -> DO_NOTHING, TIMEOUT', async () => {
    server.enqueue(hang());
    const d = await run(llm({ timeoutMs: 300 }));
    assertRejected(d, 'llm', 'TIMEOUT');
    assert.match(d.rejection!.reason, /within 300 ms \(1 attempt\)/);
    assert.equal(server.requests.length, 1);
  });

  it('timeouts are retried up to max_retries', async () => {
    server.enqueue(hang(), hang());
    const d = await run(llm({ timeoutMs: 300, maxRetries: 1 }));
    assertRejected(d, 'llm', 'TIMEOUT');
    assert.equal(server.requests.length, 2);
  });

  it('HTTP 500 then 502 then an answer: retried, the third attempt counts', async () => {
    server.enqueue(httpError(500, 'boom'), httpError(502, 'bad gateway'), structured(VALID_PLAN));
    const d = await run(llm({ maxRetries: 2 }));
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(server.requests[2]!.body, server.requests[0]!.body, 'the same request each attempt');
  });

  it('HTTP 500 on every attempt: bounded retries, then DO_NOTHING with SERVER_ERROR', async () => {
    server.enqueue(httpError(500, 'boom'), httpError(500, 'boom'), httpError(500, 'boom'), structured(VALID_PLAN));
    const d = await run(llm({ maxRetries: 2 }));
    assertRejected(d, 'llm', 'SERVER_ERROR');
    assert.match(d.rejection!.reason, /HTTP 500 .*\(3 attempts\).*boom/);
    assert.equal(server.requests.length, 3);
    assert.equal(server.pending, 1, 'no fourth attempt');
  });

  it('HTTP 429: retried, then RATE_LIMITED', async () => {
    server.enqueue(httpError(429, 'slow down'), httpError(429, 'slow down'));
    const d = await run(llm({ maxRetries: 1 }));
    assertRejected(d, 'llm', 'RATE_LIMITED');
    assert.equal(server.requests.length, 2);
  });

  it('HTTP 401 is not retried, and the key the server echoes is scrubbed', async () => {
    server.enqueue(httpError(401, `Incorrect API key provided: ${API_KEY}. You can find your API key at https://example.invalid.`));
    const d = await run(llm({ maxRetries: 3 }));
    assertRejected(d, 'llm', 'AUTH_FAILED');
    assert.equal(server.requests.length, 1);
    assert.match(d.rejection!.reason, /Incorrect API key provided: \[redacted\]/);
    assert.ok(!JSON.stringify(d).includes(API_KEY));
    assert.ok(!JSON.stringify(d).includes('SECRET'));
  });

  it('a server that cannot be reached -> CONNECTION_ERROR', async () => {
    const gone = await FakeLlmServer.start();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const d = await run(llm({ baseUrl }));
    assertRejected(d, 'llm', 'CONNECTION_ERROR');
  });

  it('a refusal -> DO_NOTHING, REFUSAL, with the refusal text on record', async () => {
    server.enqueue(refusal("I can't help with trading decisions."));
    const d = await run(llm());
    assertRejected(d, 'parse', 'REFUSAL');
    assert.equal(d.rawAnswer, "I can't help with trading decisions.");
    assert.match(d.rejection!.reason, /refused/);
  });

  it('an answer cut off at the token limit -> TRUNCATED even when the prefix looks fine', async () => {
    server.enqueue(truncated('{"command": {"action": "DO_NOTHING", "reasoning": "the market is'));
    assertRejected(await run(llm()), 'parse', 'TRUNCATED');
  });

  it('a server without json_schema support: asked once more without response_format', async () => {
    server.enqueue(httpError(400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."), text(JSON.stringify(VALID_PLAN)));
    const d = await run(llm());
    assert.equal(d.accepted, true, d.rejection?.reason);
    assert.equal(server.requests.length, 2);
    assert.ok(server.requests[0]!.body.response_format);
    assert.equal(server.requests[1]!.body.response_format, undefined);
  });

  it('an answer that echoes the key is scrubbed before it is recorded', async () => {
    server.enqueue(structured({ action: 'DO_NOTHING', reasoning: `my key is ${API_KEY}` }));
    const d = await run(llm());
    assert.deepEqual(d.command, { action: 'DO_NOTHING', reasoning: 'my key is [redacted]' });
    assert.ok(!JSON.stringify(d).includes(API_KEY));
  });

  it('the key appears in no decision of this file', () => {
    assert.ok(decisions.length >= 15);
    for (const d of decisions) assert.ok(!JSON.stringify(d).includes(API_KEY), JSON.stringify(d).slice(0, 200));
  });
});

describe('decide() with any strategist', () => {
  it('a strategist that throws becomes DO_NOTHING with STRATEGIST_ERROR', async () => {
    const broken: Strategist = {
      kind: 'rules',
      description: 'broken',
      propose: async () => {
        throw new Error('indicator state corrupted');
      },
    };
    const d = await run(broken);
    assertRejected(d, 'llm', 'STRATEGIST_ERROR');
    assert.match(d.rejection!.reason, /indicator state corrupted/);
  });
});

describe('createStrategist', () => {
  // the budget's spend file in a temp dir, not the project's data/
  const dir = mkdtempSync(join(tmpdir(), 'de-create-strategist-'));
  const budget = { state_file: join(dir, 'llm-spend.json') };
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = (strategist: Record<string, unknown>) => TradingConfig.parse({ symbols: ['BTCUSDT'], strategist: { ...strategist, budget } });

  it('llm without OPENAI_API_KEY: the rules strategist, with a clear warning', () => {
    const warnings: string[] = [];
    const s = createStrategist(config({ kind: 'llm' }), {}, (m) => warnings.push(m));
    assert.ok(s instanceof RulesStrategist);
    assert.deepEqual(warnings, [NO_API_KEY_WARNING]);
  });

  it('llm with a key: the LLM strategist on the configured endpoint, key not in its description', () => {
    const warnings: string[] = [];
    const s = createStrategist(config({ kind: 'llm', base_url: server.baseUrl, model: 'm1' }), { OPENAI_API_KEY: API_KEY }, (m) => warnings.push(m));
    // inside its daily budget (strategist.budget)
    assert.ok(s instanceof BudgetedStrategist && s.llm instanceof LlmStrategist);
    assert.equal(s.description, `llm m1 at ${server.baseUrl}`);
    assert.deepEqual(warnings, ['strategist.budget.daily_cost is set but llm_models has no price for m1 (input_usd_per_million_tokens and output_usd_per_million_tokens): only the token budget (1000000 a day) applies']);
    const priced = createStrategist(config({ kind: 'llm', base_url: server.baseUrl }), { OPENAI_API_KEY: API_KEY }, (m) => warnings.push(m));
    assert.ok(priced instanceof BudgetedStrategist);
    assert.equal(warnings.length, 1, 'gpt-4o-mini has a price by default');
    // the one price table prices the live budget: a model priced there gets no warning
    const own = TradingConfig.parse({ symbols: ['BTCUSDT'], strategist: { kind: 'llm', base_url: server.baseUrl, model: 'm1', budget }, llm_models: { m1: { input_usd_per_million_tokens: 1, output_usd_per_million_tokens: 2 } } });
    assert.ok(createStrategist(own, { OPENAI_API_KEY: API_KEY }, (m) => warnings.push(m)) instanceof BudgetedStrategist);
    assert.equal(warnings.length, 1, 'm1 is priced by llm_models');
  });

  it('rules: the rules strategist even when a key is set', () => {
    const s = createStrategist(config({ kind: 'rules' }), { OPENAI_API_KEY: API_KEY }, () => assert.fail('no warning expected'));
    assert.ok(s instanceof RulesStrategist);
  });
});
