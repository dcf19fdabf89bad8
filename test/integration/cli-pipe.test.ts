import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { tradeLogLines } from '../../src/cli/log';
import { runPrompt } from '../../src/cli/promptCommand';
import { TRADE_LOG_COLUMNS } from '../../src/journal/tradeLog';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { readSpendToday } from '../../src/strategist/spendLedger';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';

/**
 * CLI output piped into another program arrives whole. Before the fix the CLI called process.exit
 * while stdout still had data queued for the pipe: `prompt --ask | wc -c` lost everything past the
 * pipe's buffer (about 64 KB) and exited 0. Here the output goes through a real OS pipe (a shell
 * pipeline) to a reader that starts late, as a busy reader does, so the pipe's buffer is full while
 * the CLI finishes; every byte must come out the other end, and the CLI's exit code must be its own.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const API_KEY = 'sk-test-pipe-0123456789abcdef';

/** `<cli> | { sleep 1; cat; } > out` in bash; the CLI's exit code from PIPESTATUS */
function throughPipe(args: string[], out: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // the late start of the reader is what fills the pipe; the result does not depend on its length
  const script = `"${process.execPath}" --import tsx src/client.ts ${quoted} | { sleep 1; cat; } > '${out}'; exit \${PIPESTATUS[0]}`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('CLI output through a pipe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-cli-pipe-'));
  let llm: FakeLlmServer;
  // the CLI's data folder in the temp dir, not the project's data/
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: '', DE_DATA_DIR: join(dir, 'data') };
  delete env.TRADING_CONFIG;

  before(async () => {
    llm = await FakeLlmServer.start();
  });
  after(async () => {
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('npx dynamic-executor runs the CLI from a clone, without npm link (the bin entry runs under tsx)', async () => {
    // --no-install: the project's own bin, never a download of a package of that name from the registry
    const out = join(dir, 'npx.out');
    const script = `npx --no-install dynamic-executor log --csv --file '${join(dir, 'nothing.csv')}' > '${out}'`;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: ROOT, env, stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    assert.equal(code, 0);
    assert.match(readFileSync(out, 'utf8'), /^no trade log rows in .*nothing\.csv\n$/);
  });

  it('log --csv of a 1 MB trade log arrives byte for byte', async () => {
    const file = join(dir, 'trade_log.csv');
    const rows = Array.from({ length: 5000 }, (_, i) =>
      TRADE_LOG_COLUMNS.map((c) => (c === 'time' ? '2021-01-01T00:00:00.000Z' : c === 'symbol' ? 'BTCUSDT' : c === 'kind' ? 'DECISION' : c === 'row_id' ? `row-${i}` : c === 'detail' ? `row ${i} ${'x'.repeat(120)}` : '')),
    );
    writeFileSync(file, stringify([[...TRADE_LOG_COLUMNS], ...rows]));
    const expected = `${(await tradeLogLines(undefined, { file, csv: true })).join('\n')}\n`;
    assert.ok(expected.length > 500_000, 'well past any pipe buffer');

    const out = join(dir, 'log.out');
    const run = await throughPipe(['log', '--csv', '--file', file], out, env);
    assert.equal(run.code, 0, run.stderr);
    const got = readFileSync(out, 'utf8');
    assert.equal(got.length, expected.length, 'every byte arrived');
    assert.equal(got, expected);
  });

  it('prompt --ask with a 95 KB answer arrives byte for byte, and a failing command keeps its exit code', async () => {
    const config = join(dir, 'llm.yaml');
    // the spend file named: the expected text is made in this process, whose data folder is the project's
    const spend = join(dir, 'llm-spend.json');
    writeFileSync(config, `symbols: [BTCUSDT]\nstrategist:\n  kind: llm\n  model: pipe-model\n  base_url: ${llm.baseUrl}\n  timeout: 10s\n  max_retries: 0\n  budget: { state_file: ${spend} }\n`);
    const answer = structured({ action: 'DO_NOTHING', reasoning: `wait ${'z'.repeat(95_000)}` });
    llm.enqueue(answer, answer); // once for the expected text (in process), once for the CLI
    const opts = {
      symbol: 'BTCUSDT',
      candles: join(sharedCandlesDir(), 'BTCUSDT-15m.csv'),
      at: '2021-03-01T12:00Z',
      trade: 'none' as const,
      ask: true,
      config,
    };
    const expected = `${(await runPrompt(opts, { OPENAI_API_KEY: API_KEY })).join('\n')}\n`;
    assert.ok(expected.length > 100_000);

    const out = join(dir, 'prompt.out');
    const run = await throughPipe(
      ['prompt', '--symbol', opts.symbol, '--candles', opts.candles, '--at', opts.at, '--ask', '--config', config],
      out,
      { ...env, OPENAI_API_KEY: API_KEY },
    );
    assert.equal(run.code, 0, run.stderr);
    const got = readFileSync(out, 'utf8');
    assert.equal(got.length, expected.length, 'every byte arrived');
    assert.equal(got, expected);
    assert.match(got, /=== VERDICT ===\nACCEPTED DO_NOTHING\n/);
    // a spend file the config names is used as given, wherever DE_DATA_DIR points: both calls are in it
    assert.equal(readSpendToday(spend).calls, 2);
    assert.equal(existsSync(join(dir, 'data', 'llm-spend.json')), false, 'nothing in the data folder');

    const failed = await throughPipe(['status', 'NOT-A-SYMBOL'], join(dir, 'fail.out'), env);
    assert.equal(failed.code, 2, 'a usage error keeps its exit code through the pipe');
    assert.match(failed.stderr, /invalid symbol "NOT-A-SYMBOL"/);
  });
});
