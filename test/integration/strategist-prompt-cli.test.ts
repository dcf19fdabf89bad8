import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors';
import { runPrompt } from '../../src/cli/promptCommand';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { readSpendToday } from '../../src/strategist/spendLedger';
import { VALID_PLAN } from '../fixtures/bad-answers/scenario';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';

/** `prompt` as a user runs it: a child process, its stdout, stderr and exit code. */

const ROOT = new URL('../..', import.meta.url).pathname;
const CANDLES = join(sharedCandlesDir(), 'BTCUSDT-15m.csv');
const API_KEY = 'sk-test-cli-0123456789abcdef';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  // the data folder in the temp dir: the spend file (left out of every config here) goes there, not to the project's data/
  const childEnv: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: '', DE_DATA_DIR: join(dir, 'data'), ...env };
  delete childEnv.TRADING_CONFIG; // the project's config/trading_config.yaml unless --config says otherwise
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/promptCommand.ts', ...args],
      { cwd: ROOT, env: childEnv, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const AT = ['--symbol', 'BTC/USDT', '--candles', CANDLES, '--at', '2021-03-01T12:00Z'];

let server: FakeLlmServer;
let dir: string;
before(async () => {
  server = await FakeLlmServer.start();
  dir = await mkdtemp(join(tmpdir(), 'de-prompt-cli-'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('prompt CLI', () => {
  it('prints the exact system and user prompt at a point in time, from the 15m file and 1h/4h resampled from it', async () => {
    const run = await cli(AT);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^=== SYSTEM PROMPT ===\nYou are the strategist of Dynamic Executor/);
    assert.match(run.stdout, /=== USER PROMPT ===\nTime: 2021-03-01T12:00:00\.000Z\nNo open trade on BTCUSDT\. Is there an entry\?/);
    // the last 15m candle that had closed at 12:00 is the 11:45 one, straight from the file
    assert.match(run.stdout, /\n2021-03-01 11:45,47750,47918\.4,47628\.9,47722\.8,677\.4\n/);
    assert.ok(!run.stdout.includes('2021-03-01 12:00,'), 'no candle from after --at');
    assert.match(run.stdout, /\[15m\] close 47722\.8 {2}RSI14 [\d.]+/);
    assert.match(run.stdout, /\[1h\] close 47722\.8/);
    assert.match(run.stdout, /\[4h\] close 47722\.8/);
    assert.doesNotMatch(run.stdout, /=== VERDICT ===/);
  });

  it('--trade active shows the trade; --ask without a key uses the rules strategist and says so', async () => {
    const run = await cli([...AT, '--trade', 'active', '--entry', '45000', '--stop', '44000', '--targets', '47000,49000', '--trade-id', 'T-BTCUSDT-000042', '--ask']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /ACTIVE LONG BTCUSDT: entry 45000, stop 44000, targets 47000\/49000, unrealized \+6\.05%, trade id T-BTCUSDT-000042\. What now\?/);
    assert.match(run.stderr, /OPENAI_API_KEY is not set: using the rules strategist/);
    assert.match(run.stdout, /=== ANSWER \(rules: .*\) ===\n\{"action":"ADJUST_TRADE","order_id":"T-BTCUSDT-000042"/);
    assert.match(run.stdout, /=== VERDICT ===\nACCEPTED ADJUST_TRADE/);
  });

  it('--ask with a key asks the configured LLM endpoint and prints its answer and the verdict', async () => {
    const config = join(dir, 'llm.yaml');
    await writeFile(
      config,
      `symbols: [BTCUSDT]\nstrategist:\n  kind: llm\n  model: cli-model\n  base_url: ${server.baseUrl}\n  timeout: 10s\n  max_retries: 0\n`,
    );
    server.enqueue(structured({ ...VALID_PLAN, trade_setup: { ...VALID_PLAN.trade_setup, position_size_percent: 50 } }));
    const run = await cli([...AT, '--ask', '--config', config], { OPENAI_API_KEY: API_KEY });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]!.body.model, 'cli-model');
    assert.match(run.stdout, /=== ANSWER \(llm cli-model at http:\/\/127\.0\.0\.1:\d+\/v1\) ===\n\{"command":\{"action":"PLAN_TRADE"/);
    assert.match(run.stdout, /=== VERDICT ===\nREJECTED at validation \(SIZE_OVER_LIMIT\): position size 50% of equity is over the limit of 10%/);
    assert.match(run.stdout, /command: \{"action":"DO_NOTHING"/);
    assert.ok(!run.stdout.includes(API_KEY) && !run.stderr.includes(API_KEY));
    // the config leaves strategist.budget.state_file out: the call's spend is kept in the data folder DE_DATA_DIR names
    assert.deepEqual(readSpendToday(join(dir, 'data', 'llm-spend.json')), { day: new Date().toISOString().slice(0, 10), tokens: 150, cost: 0, calls: 1 });
  });

  it('bad arguments: a clear error and a non-zero exit', async () => {
    const badTime = await cli(['--symbol', 'BTCUSDT', '--candles', CANDLES, '--at', 'yesterday']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--at "yesterday" is not a time; write it like 2021-03-01T12:00Z/);
    assert.equal(badTime.stdout, '');

    const missing = await cli([...AT, '--trade', 'pending', '--entry', '47000']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--trade pending needs --stop, --targets/);

    const noSymbol = await cli(['--candles', CANDLES, '--at', '2021-03-01T12:00Z']);
    assert.notEqual(noSymbol.code, 0);
    assert.match(noSymbol.stderr, /required option '--symbol <SYMBOL>' not specified/);
  });

  it('bad input found after parsing is reported with what and where (in-process, same code path)', async () => {
    const base = { symbol: 'BTCUSDT', candles: CANDLES, at: '2019-01-01T00:00Z', trade: 'none' as const };
    await assert.rejects(runPrompt(base, {}), (err: CliError) => {
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /is outside .*BTCUSDT-15m\.csv, which covers 2020-12-01T00:00:00\.000Z to 2021-07-17T21:00:00\.000Z/);
      return true;
    });
    await assert.rejects(runPrompt({ ...base, symbol: 'ETH/USDT', at: '2021-03-01T12:00Z' }, {}), /holds BTCUSDT candles, not ETHUSDT/);
    await assert.rejects(runPrompt({ ...base, candles: join(dir, 'prices.csv'), at: '2021-03-01T12:00Z' }, {}), /expected a file named <SYMBOL>-<timeframe>\.csv/);
    await assert.rejects(runPrompt({ ...base, candles: join(dir, 'BTCUSDT-15m.csv'), at: '2021-03-01T12:00Z' }, {}), /--candles .*BTCUSDT-15m\.csv: the file is not there/);
    await assert.rejects(runPrompt({ ...base, at: '2021-03-01T12:00Z', entry: 47000 }, {}), /--entry only applies to --trade pending or --trade active/);
  });
});
