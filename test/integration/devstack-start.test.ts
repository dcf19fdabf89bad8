import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseConfig } from '../../src/config/load';
import { refuseUnsafeMode, StartRefused, strategistSummary } from '../../src/devstack/startChecks';
import { candleFilesFor, defaultCandleDirs, selectPriceFeed } from '../../src/devstack/priceFeed';
import { freePort } from '../../src/devstack/freePort';
import { tryConnect } from '../../src/devstack/temporalServer';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { npmStarts, paperStackEnv } from '../support/npmStart';

const candlesDir = sharedCandlesDir();
const never = async () => false;
const always = async () => true;

describe('paper price feed selection', () => {
  it('takes live prices when the exchange answers', async () => {
    const feed = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'auto', candlesDir, probeLive: always, liveUrl: 'http://127.0.0.1:9' });
    assert.equal(feed.spec.kind, 'live');
    assert.match(feed.label, /LIVE prices/);
  });

  it('falls back to the real candles, saying why', async () => {
    const feed = await selectPriceFeed({ symbols: ['BTCUSDT', 'ETHUSDT'], choice: 'auto', candlesDir, probeLive: never });
    assert.equal(feed.spec.kind, 'candles');
    assert.ok(feed.spec.kind === 'candles' && feed.spec.files.ETHUSDT!.endsWith('ETHUSDT-5m.csv'));
    assert.equal(feed.intervalMs, 300_000);
    assert.ok(feed.spec.kind === 'candles' && feed.spec.startAt === Date.UTC(2020, 11, 31), 'a month of history before the replay starts');
    assert.match(feed.label, /REPLAY of real candles/);
    assert.match(feed.warnings.join('\n'), /cannot be reached/);
  });

  it('with no candles dir given, looks in data/candles, then ../shared/data/candles, and names where it found them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'de-root-'));
    try {
      assert.deepEqual(
        defaultCandleDirs(join(root, 'repo')).map((d) => [d.dir, d.name]),
        [[join(root, 'repo/data/candles'), 'data/candles'], [join(root, 'shared/data/candles'), '../shared/data/candles']],
      );
      const empty = join(root, 'repo/data/candles');
      mkdirSync(empty, { recursive: true });
      const searchDirs = [{ dir: empty, name: 'data/candles' }, { dir: candlesDir, name: '../shared/data/candles' }];
      const found = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'auto', probeLive: never, searchDirs });
      assert.equal(found.spec.kind, 'candles');
      assert.match(found.label, new RegExp(`REPLAY of real candles from ${candlesDir} \\(BTCUSDT-5m\\.csv; found in \\.\\./shared/data/candles, as no candles dir was given\\)`));
      // data/candles comes first once it holds the files
      writeFileSync(join(empty, 'BTCUSDT-15m.csv'), 'timestamp_ms,open,high,low,close,volume\n1609459200000,1,1,1,1,1\n1612137600000,1,1,1,1,1\n');
      const first = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'candles', probeLive: never, searchDirs });
      assert.match(first.label, /\(BTCUSDT-15m\.csv; found in data\/candles, as no candles dir was given\)/);
      // found nowhere: the one line says exactly what to pass
      const none = await selectPriceFeed({ symbols: ['ETHUSDT'], choice: 'auto', probeLive: never, searchDirs: searchDirs.slice(0, 1) });
      assert.equal(none.spec.kind, 'synthetic');
      assert.match(none.warnings.join('\n'), /no candles for ETHUSDT in data\/candles: to replay real candles, pass --candles-dir DIR/);
      await assert.rejects(
        selectPriceFeed({ symbols: ['ETHUSDT'], choice: 'candles', probeLive: never, searchDirs: searchDirs.slice(0, 1) }),
        /--feed candles: no candles for ETHUSDT in data\/candles: pass --candles-dir DIR/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('starts a replay where --replay-from says, inside the files only', async () => {
    const from = Date.UTC(2021, 1, 1);
    const feed = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'candles', candlesDir, probeLive: never, replayFrom: from });
    // the market clock starts there: the candle before it is the last one shown
    assert.ok(feed.spec.kind === 'candles' && feed.spec.startAt === from - 300_000);
    assert.match(feed.label, /from 2021-02-01T00:00Z/);
    await assert.rejects(
      selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'candles', candlesDir, probeLive: never, replayFrom: Date.UTC(2019, 0, 1) }),
      /--replay-from 2019-01-01T00:00Z: the candles in .* cover 2020-12-01T00:00Z to 2021-07-17T21:05Z for every symbol/,
    );
  });

  it('ends on a clearly labelled synthetic feed when no candles fit', async () => {
    const none = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'auto', probeLive: never, searchDirs: [] });
    assert.equal(none.spec.kind, 'synthetic');
    assert.match(none.label, /SYNTHETIC.*NOT market data/);
    assert.match(none.warnings.join('\n'), /no candles dir given/);

    const partial = await selectPriceFeed({ symbols: ['BTCUSDT', 'SOLUSDT'], choice: 'auto', candlesDir, probeLive: never });
    assert.equal(partial.spec.kind, 'synthetic');
    assert.match(partial.warnings.join('\n'), /SOLUSDT-\{5m,15m,1m\}\.csv/);
    assert.deepEqual(candleFilesFor(join(candlesDir, 'nope'), ['BTCUSDT']), { missing: `candles dir ${join(candlesDir, 'nope')} does not exist` });
  });

  it('refuses a feed that was asked for by name and is not there', async () => {
    await assert.rejects(selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'candles', probeLive: never, searchDirs: [] }), /--feed candles: no candles dir given: pass --candles-dir DIR/);
    await assert.rejects(selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'live', probeLive: never }), /cannot be reached/);
    const synthetic = await selectPriceFeed({ symbols: ['BTCUSDT'], choice: 'synthetic', candlesDir, probeLive: always });
    assert.equal(synthetic.spec.kind, 'synthetic');
  });
});

const baseYaml = (extra: string) => `symbols: [BTCUSDT]\n${extra}`;

describe('start-up safety', () => {
  it('refuses live mode without the explicit setting and keys', () => {
    const live = parseConfig(baseYaml('exchange: { mode: live }'));
    assert.throws(() => refuseUnsafeMode(live, {}), (e: Error) => e instanceof StartRefused && /confirm_live_trading.*BINANCE_API_KEY/.test(e.message));
    const confirmed = parseConfig(baseYaml('exchange: { mode: live, confirm_live_trading: true }'));
    assert.throws(() => refuseUnsafeMode(confirmed, {}), /BINANCE_API_KEY and BINANCE_API_SECRET/);
    assert.throws(() => refuseUnsafeMode(live, { BINANCE_API_KEY: 'k', BINANCE_API_SECRET: 's' }), /confirm_live_trading/);
    assert.doesNotThrow(() => refuseUnsafeMode(confirmed, { BINANCE_API_KEY: 'k', BINANCE_API_SECRET: 's' }));
    assert.throws(() => refuseUnsafeMode(parseConfig(baseYaml('exchange: { mode: testnet }')), {}), /testnet keys/);
    assert.doesNotThrow(() => refuseUnsafeMode(parseConfig(baseYaml('')), {}), 'paper needs nothing');
  });

  it('says which strategist runs, and warns when the LLM has no key', () => {
    const llm = parseConfig(baseYaml(''));
    assert.match(strategistSummary(llm, {}).warning!, /OPENAI_API_KEY is not set/);
    assert.match(strategistSummary(llm, { OPENAI_API_KEY: 'x' }).line, /LLM strategist: model gpt-4o-mini/);
    assert.equal(strategistSummary(parseConfig(baseYaml('strategist: { kind: rules }')), {}).warning, undefined);
  });
});

describe('npm start (src/devstack/start.ts) as a user runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-start-'));
  let env: NodeJS.ProcessEnv;
  let uiPort = 0;
  let address = '';
  const runs = npmStarts(() => env);
  const start = (args: string[] = []) => runs.start(args);

  before(async () => {
    address = `127.0.0.1:${await freePort()}`;
    uiPort = await freePort();
    env = paperStackEnv(dir, { address, simPort: await freePort(), symbols: '[BTCUSDT, ETH/USDT]', cycleInterval: '1h', strategist: 'llm' });
  });

  after(async () => {
    await runs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses live mode with a clear message and a non-zero exit', async () => {
    const liveConfig = join(dir, 'live.yaml');
    writeFileSync(liveConfig, 'symbols: [BTCUSDT]\nexchange: { mode: live }\n');
    const run = start(['--config', liveConfig]);
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /LIVE trading \(real money\) refused/);
    assert.equal(await tryConnect(address, 300), undefined, 'nothing was started');
  });

  it('brings up Temporal with its Web UI, the paper exchange, the worker and the symbols; Ctrl-C stops it; a restart re-attaches', async () => {
    const args = ['--feed', 'candles', '--candles-dir', candlesDir, '--ui-port', String(uiPort)];
    const first = start(args);
    await first.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    const out = first.output();
    assert.match(out, new RegExp(`Web UI: +http://localhost:${uiPort}`));
    await first.waitFor(/^ready: all symbols are running; open http:\/\/localhost:\d+ or run: npm run cli -- status$/m, 10_000);
    assert.match(out, /prices: +REPLAY of real candles/);
    // warnings go to stderr, which may arrive after stdout's summary
    await first.waitFor(/WARNING: strategist.kind is llm but OPENAI_API_KEY is not set/, 10_000);
    assert.match(out, /BTCUSDT +started \(workflow trader-BTCUSDT\)/);
    assert.match(out, /ETHUSDT +started \(workflow trader-ETHUSDT\)/);
    // the steps before the first decision, each with what it may take and what it took: plain lines into a pipe
    for (const step of ['Temporal server', 'paper exchange', 'worker', 'workflows']) {
      assert.match(out, new RegExp(`^\\[\\d/4\\] ${step} \\(.+\\) \\.\\.\\.$`, 'm'), `${step}: a line when it starts`);
      assert.match(out, new RegExp(`^\\[\\d/4\\] ${step}: done in (\\d+ min )?[\\d.]+ s`, 'm'), `${step}: a line when it ends`);
    }
    assert.doesNotMatch(first.output(), /[\r\x1b]/, 'no carriage-return bars or escape sequences in a pipe');
    // when each symbol decides first: at once here (the test's first_cycle: immediate)
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      await first.waitFor(new RegExp(`^ {2}first decision: ${symbol} at \\d\\d:\\d\\d:\\d\\d UTC \\((due now|under way|in [\\d.]+ s)`, 'm'), 15_000);
    }

    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const described = await client.workflow.getHandle('trader-BTCUSDT').describe();
      assert.equal(described.status.name, 'RUNNING');
      assert.equal((await fetch(`http://127.0.0.1:${uiPort}/`)).status, 200, 'the Web UI answers');
    } finally {
      await connection.close();
    }

    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /Temporal dev server stopped/);
    // the whole run's output: the journal's worker hosts no workflows by design, and the SDK's WARN about it is not the trader's business
    assert.doesNotMatch(first.output(), /No workflows registered/);
    assert.equal(await tryConnect(address, 300), undefined, 'the dev server it started is gone');

    const second = start(args);
    await second.waitFor(/Dynamic Executor is running[\s\S]*CLI:/);
    assert.match(second.output(), /BTCUSDT +already running/, 'the workflows survived in data/temporal.db');
    // a trader that runs on keeps its schedule: its next cycle on the hour's candle close plus its offset
    await second.waitFor(/^ {2}next decision: BTCUSDT at \d\d:\d\d:\d\d UTC \((in .+|due now)\), aligned to the 1h candle close/m, 15_000);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output());
  });
});
