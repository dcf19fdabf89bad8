/**
 * Backtest benchmarks (issue 7). Run alone with `npx tsx bench/backtest-bench.ts` (or through
 * `npm run bench`); `BACKTEST_BENCH_QUICK=1` runs every case on a tiny window to check it works.
 *
 *   1. rules over all of BTCUSDT-15m.csv (21,914 candles): wall time of `npm run backtest` as a child
 *      process, start-up and report writing included, and decisions per second; target <= 3 s.
 *      Both indicator modes (window: the live snapshot exactly; incremental).
 *   2. the same with 5m intrabar matching; target <= 6 s.
 *   3. BTCUSDT + ETHUSDT on one account (portfolio): wall time and the child's peak RSS.
 *   4. the parity window (64 cycles) through the real workflows on the time-skipping Temporal server.
 *   5. an LLM backtest of six hours against a local OpenAI-compatible server answering after 200 ms:
 *      wall time with strategist calls in flight bounded at 1, 4 and 16 (8 LLM strategists x 2
 *      symbols, so 16 can be in flight); then the same window twice through the answer cache
 *      (src/backtest/llm, as `--strategist llm` uses it): an empty cache, then every answer cached.
 *
 * Figures print as a table and are written to bench/results/backtest.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../src/config/load';
import { readCandleFile, sharedCandlesDir } from '../src/marketdata/candleFile';
import { runBacktest } from '../src/backtest/runBacktest';
import type { StrategistSpec } from '../src/backtest/engine';
import { LlmStrategist } from '../src/strategist/llmStrategist';
import { backtestLlmStrategist } from '../src/backtest/llm';
import { runThroughTemporal } from '../test/support/parityHarness';
import { ParityStrategist } from '../test/support/parityStrategist';
import { timeSkippingEnv } from '../test/support/temporalEnv';
import { machineLine } from './support/report';

const QUICK = process.env.BACKTEST_BENCH_QUICK === '1';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CANDLES = sharedCandlesDir();
const RESULTS = join(ROOT, 'bench', 'results', 'backtest.md');
const FULL = { from: '2020-12-01', to: '2021-07-17' };
const SHORT = { from: '2021-03-01', to: '2021-03-03' };
const rows: string[][] = [];

/** `npm run backtest` as a user runs it, timed from spawn to exit; peak RSS from the child's rusage */
function cliRun(label: string, args: string[], candles: number, target?: number): void {
  const out = mkdtempSync(join(tmpdir(), 'bt-bench-'));
  const started = performance.now();
  const child = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', 'src/backtest/main.ts', ...args, '--no-progress', '--out', out], { cwd: ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`${label}: exit ${child.status}: ${child.stderr}`);
  const rssKb = Number(child.stderr.trim().split('\n').at(-1));
  rows.push([label, seconds.toFixed(2), (candles / seconds).toFixed(0), Number.isFinite(rssKb) ? (rssKb / 1024).toFixed(0) : 'n/a', target === undefined ? '' : seconds <= target ? `<= ${target} s: met` : `<= ${target} s: NOT met`]);
}

async function parityThroughTemporal(): Promise<void> {
  const env: TestWorkflowEnvironment = await timeSkippingEnv();
  try {
    const file = join(CANDLES, 'BTCUSDT-15m.csv');
    const all = readCandleFile(file);
    const first = all.findIndex((c) => c.timestamp === Date.parse('2021-02-01T00:00:00Z'));
    const cycles = QUICK ? 8 : 64;
    const started = performance.now();
    await runThroughTemporal({ env, symbol: 'BTCUSDT', candleFile: file, candles: all.slice(first - 1, first + cycles), cycles, strategist: new ParityStrategist(), timeframes: ['15m', '1h', '4h'] });
    const seconds = (performance.now() - started) / 1000;
    rows.push([`parity window through Temporal (${cycles} cycles)`, seconds.toFixed(2), (cycles / seconds).toFixed(1), 'n/a', '']);
  } finally {
    await env.teardown();
  }
}

/** an OpenAI-compatible server that answers DO_NOTHING after `latencyMs` */
async function slowLlm(latencyMs: number): Promise<{ baseUrl: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          id: `c${calls}`, object: 'chat.completion', created: 0, model: 'bench',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: JSON.stringify({ action: 'DO_NOTHING', reasoning: 'bench' }) } }],
          usage: { prompt_tokens: 1500, completion_tokens: 20, total_tokens: 1520 },
        }));
      }, latencyMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { baseUrl, calls: () => calls, close: () => new Promise((r) => server.close(() => r())) };
}

async function llmMonth(): Promise<void> {
  const llm = await slowLlm(200);
  const config = loadConfig(join(ROOT, 'config', 'trading_config.yaml'));
  const from = Date.parse('2021-03-01T00:00:00Z');
  // six hours (24 cycles x 16 strategist-symbols = 384 calls): a month at 200 ms per answer and one call
  // in flight is 46,000 calls, over two hours of waiting that measures nothing more
  const to = from + (QUICK ? 1 : 6) * 3_600_000;
  try {
    for (const inFlight of [1, 4, 16]) {
      const strategists: StrategistSpec[] = Array.from({ length: 8 }, (_, i) => ({
        name: `llm-${i + 1}`,
        kind: 'llm',
        strategist: new LlmStrategist({ baseUrl: llm.baseUrl, apiKey: 'sk-bench', model: 'bench', temperature: 0, timeoutMs: 30_000, maxRetries: 0, maxPromptTokens: 4_000 }),
      }));
      const before = llm.calls();
      const started = performance.now();
      await runBacktest({ config, configPath: 'config/trading_config.yaml', candlesDir: CANDLES, symbols: ['BTCUSDT', 'ETHUSDT'], from, to, strategists, decideEvery: 1, matching: 'none', indicators: 'window', concurrency: inFlight });
      const seconds = (performance.now() - started) / 1000;
      rows.push([`LLM ${QUICK ? 'hour' : '6 hours'}, 8 strategists x 2 symbols, 200 ms answers, in flight <= ${inFlight}, no cache`, seconds.toFixed(2), ((llm.calls() - before) / seconds).toFixed(1), 'n/a', '']);
    }
    // the answer cache: the same window twice through the CLI's LLM strategist (a fresh cache, then all hits)
    const cacheDir = mkdtempSync(join(tmpdir(), 'bt-bench-cache-'));
    for (const pass of ['empty cache', 'every answer cached']) {
      const strategists: StrategistSpec[] = Array.from({ length: 8 }, (_, i) => {
        const { strategist } = backtestLlmStrategist({
          llm: { baseUrl: llm.baseUrl, apiKey: 'sk-bench', model: `bench-${i + 1}`, temperature: 0, timeoutMs: 30_000, maxRetries: 0, maxPromptTokens: 4_000 },
          cacheDir,
          mode: 'normal',
        });
        return { name: `llm-${i + 1}`, kind: 'llm', strategist };
      });
      const before = llm.calls();
      const started = performance.now();
      await runBacktest({ config, configPath: 'config/trading_config.yaml', candlesDir: CANDLES, symbols: ['BTCUSDT', 'ETHUSDT'], from, to, strategists, decideEvery: 1, matching: 'none', indicators: 'window', concurrency: 4 });
      const seconds = (performance.now() - started) / 1000;
      rows.push([`LLM ${QUICK ? 'hour' : '6 hours'}, 8 strategists x 2 symbols, 200 ms answers, in flight <= 4, ${pass} (${llm.calls() - before} calls)`, seconds.toFixed(2), 'n/a', 'n/a', '']);
    }
  } finally {
    await llm.close();
  }
}

const window = QUICK ? SHORT : FULL;
const btc = QUICK ? 192 : 21_914;
cliRun('rules, BTCUSDT 15m, indicators window', ['--symbols', 'BTCUSDT', '--candles', CANDLES, '--from', window.from, '--to', window.to, '--strategist', 'rules', '--matching', 'none'], btc, 3);
cliRun('rules, BTCUSDT 15m, indicators incremental', ['--symbols', 'BTCUSDT', '--candles', CANDLES, '--from', window.from, '--to', window.to, '--strategist', 'rules', '--matching', 'none', '--indicators', 'incremental'], btc, 3);
cliRun('rules, BTCUSDT 15m, 5m intrabar, indicators incremental', ['--symbols', 'BTCUSDT', '--candles', CANDLES, '--from', window.from, '--to', window.to, '--strategist', 'rules', '--matching', '5m', '--indicators', 'incremental'], btc, 6);
cliRun('rules, BTCUSDT + ETHUSDT portfolio, indicators incremental', ['--symbols', 'BTCUSDT,ETHUSDT', '--candles', CANDLES, '--from', window.from, '--to', window.to, '--strategist', 'rules', '--matching', 'none', '--indicators', 'incremental'], 2 * btc);
await parityThroughTemporal();
await llmMonth();

const header = ['case', 'wall s', 'decisions (or calls) / s', 'peak RSS MB', 'target'];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(table);
const machine = machineLine();
console.log(machine);
if (!QUICK) {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `# Backtest benchmarks\n\n${machine}\n\n${table}\n`);
}
