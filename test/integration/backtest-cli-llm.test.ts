import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { FakeLlmServer, structured, withUsage } from '../support/fakeLlmServer';

/**
 * `npm run backtest -- --strategist llm ...` as a user runs it: a child process, its config
 * pointing strategist.base_url at the scripted OpenAI-compatible server on 127.0.0.1. Checks what
 * the run record (report.json) says of the LLM (calls, tokens and cost per decision and in
 * total, the estimate, the training-cutoff warning), the cache on disk (a re-run asks nothing),
 * the budget refusal before the first call, a cache-only miss, and --mask.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WINDOW = ['--symbols', 'BTCUSDT', '--candles', sharedCandlesDir(), '--from', '2021-03-01T00:00Z', '--to', '2021-03-01T02:00Z', '--no-progress'];
const DECISIONS = 8; // 2 hours of 15m cycles
const PRICES = { input: 0.15, output: 0.6 };

let server: FakeLlmServer;
let dir: string;
let config: string;
let cache: string;

before(async () => {
  server = await FakeLlmServer.start();
  dir = mkdtempSync(join(tmpdir(), 'bt-cli-llm-'));
  config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'symbols: [BTCUSDT]',
      'timeframes: [15m, 1h]',
      'strategist:',
      '  kind: llm',
      '  model: fake-model',
      `  base_url: ${server.baseUrl}`,
      '  timeout: 5s',
      '  max_retries: 0',
      'llm_models:',
      `  fake-model: { input_usd_per_million_tokens: ${PRICES.input}, output_usd_per_million_tokens: ${PRICES.output}, training_cutoff: 2023-10-01 }`,
      '',
    ].join('\n'),
  );
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.reset();
});

function backtest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'backtest', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, OPENAI_API_KEY: 'sk-test-cli-key-9f8e7d' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const answers = (n: number) => Array.from({ length: n }, (_, i) => withUsage(structured({ action: 'DO_NOTHING', reasoning: `waiting ${i}` }), 1_000, 50));
const report = (out: string) => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
const sentUser = (i: number) => (server.requests[i]!.body.messages as { role: string; content: string }[]).map((m) => m.content).join('\n');

describe('npm run backtest -- --strategist llm (a child process against the local test server)', () => {
  it('estimates first, warns of the training cutoff, records tokens and cost per decision; a re-run is served by the cache', async () => {
    cache = join(dir, 'cache');
    const out1 = join(dir, 'run1');
    server.enqueue(...answers(DECISIONS));
    const first = await backtest(...WINDOW, '--strategist', 'llm', '--config', config, '--llm-cache', cache, '--out', out1);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').at(-1), out1, 'the last line names the folder');
    assert.match(first.stderr, /WARNING: LOOK-AHEAD RISK: the window 2021-03-01 to 2021-03-01 is before fake-model's training cutoff 2023-10-01/);
    assert.match(first.stderr, new RegExp(`LLM fake-model: ${DECISIONS} decisions, up to ${DECISIONS} calls, ~[\\d,]+ prompt \\+ ~${(DECISIONS * 150).toLocaleString('en-US')} completion tokens, ~\\$`));
    assert.equal(server.requests.filter((r) => r.path.endsWith('/chat/completions')).length, DECISIONS);
    assert.doesNotMatch(first.stdout + first.stderr, /sk-test-cli-key/);

    const r1 = report(out1);
    const llm = r1.strategists.find((s: { kind: string }) => s.kind === 'llm');
    assert.equal(llm.name, 'llm fake-model');
    const cost = (DECISIONS * 1_000 * PRICES.input + DECISIONS * 50 * PRICES.output) / 1e6;
    assert.deepEqual(llm.llm, { calls: DECISIONS, cacheHits: 0, promptTokens: DECISIONS * 1_000, completionTokens: DECISIONS * 50, cost });
    // per decision, totalled per symbol: the API's usage field and its price
    const d = llm.symbols[0].decisions;
    assert.equal(d.decisions, DECISIONS);
    assert.equal(d.promptTokens, DECISIONS * 1_000);
    assert.equal(d.completionTokens, DECISIONS * 50);
    assert.ok(Math.abs(d.cost - cost) < 1e-9, `${d.cost} vs ${cost}`);
    assert.equal(d.cachedAnswers, 0);
    assert.ok(r1.warnings.some((w: string) => w.startsWith('LOOK-AHEAD RISK')), 'the warning is in the report');
    assert.ok(readFileSync(join(out1, 'report.html'), 'utf8').includes('LOOK-AHEAD RISK'));
    assert.equal(r1.params.masked, false);
    assert.equal(r1.params.extra.cacheMode, 'normal');
    // per-symbol equity is in the record: its figures are filled
    assert.equal(typeof llm.symbols[0].figures.netPnl, 'number');

    // the cache: one readable file per answer
    const files = readdirSync(join(cache, 'fake-model'));
    assert.equal(files.length, DECISIONS);
    assert.match(readFileSync(join(cache, 'fake-model', files[0]!), 'utf8'), /MARKET BTCUSDT/);

    server.reset();
    const out2 = join(dir, 'run2');
    const second = await backtest(...WINDOW, '--strategist', 'llm', '--config', config, '--llm-cache', cache, '--out', out2);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(server.requests.length, 0, 'the re-run made no request');
    const again = report(out2).strategists.find((s: { kind: string }) => s.kind === 'llm');
    assert.deepEqual(again.llm, { calls: 0, cacheHits: DECISIONS, promptTokens: 0, completionTokens: 0, cost: 0 });
    assert.equal(again.symbols[0].decisions.cachedAnswers, DECISIONS);
    assert.equal(again.symbols[0].decisions.cost, 0, 'a cached answer costs nothing');
    assert.equal(readFileSync(join(out2, 'trades.csv'), 'utf8'), readFileSync(join(out1, 'trades.csv'), 'utf8'), 'the same result');
  });

  it('refuses before the first call when the estimate is over --max-llm-calls, and stops on a cache-only miss', async () => {
    const out = join(dir, 'refused');
    const refused = await backtest(...WINDOW, '--strategist', 'llm', '--config', config, '--llm-cache', join(dir, 'empty'), '--max-llm-calls', '3', '--out', out);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /backtest: refusing to start: the estimate for fake-model is over the budget \(8 calls > --max-llm-calls 3\)/);
    assert.equal(server.requests.length, 0, 'nothing was asked');
    assert.equal(existsSync(join(out, 'report.json')), false);

    const missed = await backtest(...WINDOW, '--strategist', 'llm', '--config', config, '--llm-cache', join(dir, 'empty'), '--cache-only', '--out', out);
    assert.equal(missed.code, 1, missed.stderr);
    assert.match(missed.stderr, /backtest stopped: cache-only: no cached answer for fake-model/);
    assert.equal(server.requests.length, 0);
  });

  it('--mask: the model is asked with no symbol, no real date or price, and the report says so', async () => {
    const out = join(dir, 'masked');
    server.enqueue(...answers(DECISIONS));
    const masked = await backtest(...WINDOW, '--strategist', 'llm', '--config', config, '--llm-cache', join(dir, 'mask-cache'), '--no-cache', '--mask', '--out', out);
    assert.equal(masked.code, 0, masked.stderr);
    assert.match(masked.stderr, /prompts are masked/);
    assert.equal(server.requests.length, DECISIONS);
    for (let i = 0; i < DECISIONS; i++) {
      const sent = sentUser(i);
      assert.match(sent, /MARKET ASSET1 at 2100-/);
      for (const clue of ['BTCUSDT', 'BTC', '2021-', '2020-']) assert.ok(!sent.includes(clue), `request ${i} holds ${clue}`);
    }
    const r = report(out);
    assert.equal(r.params.masked, true);
    assert.equal(r.strategists[0].name, 'llm fake-model (masked)');
  });
});
