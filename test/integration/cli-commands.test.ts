import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { paperCredentials, closeSharedCcxt } from '../../src/exchange/ccxtClient';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { freePort } from '../../src/devstack/freePort';
import { PROJECT_ROOT, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { candleFilePath, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildActivityDeps, createWorker, type WorkerGroup } from '../../src/worker';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';
import { binaryPath, devServerIn } from '../support/temporalEnv';

/**
 * The CLI as a user runs it (a separate process: node --import tsx src/client.ts ...) against a
 * running stack: a Temporal dev server from the project's CLI, the exchange simulator, a worker,
 * and an OpenAI-compatible test server standing in for the LLM so that a PENDING entry exists.
 */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the CLI against a running stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-cli-'));
  const tradeLog = join(dir, 'trade_log.csv');
  const configFile = join(dir, 'trading_config.yaml');
  let server: TemporalServerHandle | undefined;
  let sim: SimulatorHandle | undefined;
  let llm: FakeLlmServer | undefined;
  let workerConnection: NativeConnection | undefined;
  let worker: WorkerGroup | undefined;
  let running: Promise<void> | undefined;
  let client: Client;
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/client.ts', ...args], {
        cwd: PROJECT_ROOT,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  /** a limit entry 1% under the simulator's last price, as the test LLM's next answer */
  async function pullbackPlan(symbol: string) {
    const ticker = (await (await fetch(`${sim!.url}/api/v3/ticker/price?symbol=${symbol}`)).json()) as { price: string };
    const last = Number(ticker.price);
    const round = (x: number) => Number(x.toPrecision(6));
    return structured({
      action: 'PLAN_TRADE',
      trade_setup: {
        symbol,
        direction: 'LONG',
        entry_price: round(last * 0.99),
        stop_loss_price: round(last * 0.97),
        take_profit_prices: [round(last * 1.03)],
        position_size_percent: 5,
      },
      reasoning: `pullback entry for the CLI test (${symbol})`,
    });
  }

  /** Updates the workflow accepted (a validator's refusal writes nothing to the history) */
  const acceptedUpdates = async (workflowId: string) =>
    ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;

  const state = (symbol: string) => client.workflow.getHandle(`trader-${symbol}`).query(stateQuery);

  /** polls a real condition (a query, visibility) with a bounded number of tries */
  async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 150): Promise<T> {
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: not reached (${last ?? 'condition false'})`);
  }

  before(async () => {
    server = await devServerIn(dir);
    client = new Client({ connection: server.connection });

    const paper = paperCredentials({});
    const candles = sharedCandlesDir();
    sim = await startSimulator({
      port: 0,
      stateFile: join(dir, 'simulator.json'),
      feed: {
        kind: 'candles',
        files: { BTCUSDT: candleFilePath(candles, 'BTCUSDT', '15m'), ETHUSDT: candleFilePath(candles, 'ETHUSDT', '15m') },
      },
      accounts: [{ apiKey: paper.apiKey, apiSecret: paper.secret, balances: { USDT: 10_000 } }],
    });
    llm = await FakeLlmServer.start();

    writeFileSync(
      configFile,
      [
        'symbols: [BTCUSDT, ETHUSDT]',
        'cycle_interval: 1h', // one cycle when a trader starts, then none during the test
        'first_cycle: immediate', // that one at once, not at the next hour's close
        `exchange: { mode: paper, simulator_url: "${sim.url}" }`,
        `strategist: { kind: llm, base_url: "${llm.baseUrl}", max_retries: 0, timeout: 10s }`,
        `trade_log: ${tradeLog}`,
      ].join('\n'),
    );
    env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', TRADING_CONFIG: configFile };
    const config = loadConfig(configFile);
    workerConnection = await NativeConnection.connect({ address: server.address });
    worker = await createWorker({
      connection: workerConnection,
      activityDeps: buildActivityDeps(config, { env: { OPENAI_API_KEY: 'test-key' }, warn: () => undefined }),
    });
    running = worker.run();
  });

  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await workerConnection?.close();
    await closeSharedCcxt();
    await sim?.close();
    await llm?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints help for the program and for every command', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['start', 'stop', 'status', 'list', 'cancel', 'log', 'prompt']) assert.match(top.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
    const stop = await cli(['stop', '--help']);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, /--cancel-pending/);
    assert.match(stop.stdout, /--all/);
    const cancel = await cli(['cancel', '--help']);
    assert.match(cancel.stdout, /--reason <TEXT>/);
  });

  it('exits non-zero with a clear message when the server is unreachable', async () => {
    const port = await freePort();
    // a data dir with no pid files: no npm start, no dev server of ours
    const run = await cli(['status'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, DE_CONNECT_TIMEOUT_MS: '1000', DE_DATA_DIR: join(dir, 'no-stack') });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`cannot reach the Temporal server at 127\\.0\\.0\\.1:${port}`));
    assert.match(run.stderr, /Nothing is running — start it with npm start/);
  });

  it('exits non-zero on an invalid or unknown symbol and on bad usage', async () => {
    const invalid = await cli(['status', 'NOT-A-SYMBOL']);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /invalid symbol "NOT-A-SYMBOL"/);
    const notConfigured = await cli(['start', 'XRPUSDT']);
    assert.equal(notConfigured.code, 2);
    assert.match(notConfigured.stderr, /unknown symbol XRPUSDT: not in the config's symbols/);
    const noWorkflow = await cli(['cancel', 'SOL/USDT']);
    assert.equal(noWorkflow.code, 2);
    assert.match(noWorkflow.stderr, /unknown symbol SOLUSDT: there is no trader workflow trader-SOLUSDT/);
    const usage = await cli(['stop']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /stop needs a SYMBOL or --all/);
  });

  it('start is idempotent, status shows the PENDING trade, list finds it, cancel cancels it, log shows it', async () => {
    const ticker = (await (await fetch(`${sim!.url}/api/v3/ticker/price?symbol=BTCUSDT`)).json()) as { price: string };
    const last = Number(ticker.price);
    const entry = Math.round(last * 0.99);
    llm!.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: {
          symbol: 'BTCUSDT',
          direction: 'LONG',
          entry_price: entry,
          stop_loss_price: Math.round(last * 0.97),
          take_profit_prices: [Math.round(last * 1.03)],
          position_size_percent: 5,
        },
        reasoning: 'pullback entry for the CLI test',
      }),
    );

    const started = await cli(['start', 'btc/usdt']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /BTCUSDT: started \(workflow trader-BTCUSDT, paper mode\)/);
    const again = await cli(['start', 'BTCUSDT']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /BTCUSDT: already running/);

    const pending = await until('BTCUSDT has a PENDING trade', async () => {
      const s = await state('BTCUSDT');
      return s.trade?.status === 'PENDING' ? s : undefined;
    });
    const trade = pending.trade!;

    const status = await cli(['status', 'BTCUSDT']);
    assert.equal(status.code, 0, status.stderr);
    const row = status.stdout.split('\n').find((l) => l.startsWith('BTCUSDT'));
    assert.ok(row, status.stdout);
    assert.match(row, new RegExp(`${trade.id} PENDING +LONG +${trade.entryPrice} +${trade.stopLossPrice} +${trade.takeProfitPrices[0]}`));
    assert.match(row, /in \d+m|in \d+s/, 'the next cycle is shown');
    assert.match(status.stdout, /last decision: #1 PLAN_TRADE .*"pullback entry for the CLI test"/);

    const listed = await until('visibility lists trader-BTCUSDT', async () => {
      const run = await cli(['list']);
      return run.code === 0 && /trader-BTCUSDT +RUNNING/.test(run.stdout) ? run : undefined;
    }, 10);
    assert.match(listed.stdout, /^SYMBOL +WORKFLOW +STATUS +TRADE +MODE +STARTED/m);
    const byStatus = await until('the TradeStatus search attribute says PENDING', async () => {
      const run = await cli(['list', '--trade-status', 'PENDING']);
      return /trader-BTCUSDT +RUNNING +PENDING +paper/.test(run.stdout) ? run : undefined;
    }, 10);
    assert.equal(byStatus.code, 0);
    const noneActive = await cli(['list', '--trade-status', 'ACTIVE']);
    assert.match(noneActive.stdout, /no running trader whose trade is ACTIVE/);

    // the Update answers once the workflow has cancelled: no polling needed to know what happened
    const cancel = await cli(['cancel', 'BTCUSDT', '--reason', 'changed my mind']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`BTCUSDT: trade ${trade.id} cancelled: its entry order is off the exchange \\(reason: changed my mind\\)`));
    const cancelled = await state('BTCUSDT');
    assert.equal(cancelled.trade!.id, trade.id);
    assert.equal(cancelled.trade!.status, 'CANCELLED', 'cancelled by the time the CLI answered');

    // refused by the Update's validator inside the workflow; a refused Update leaves no trace in the history
    assert.equal(await acceptedUpdates('trader-BTCUSDT'), 1, 'the cancel above');
    const nothing = await cli(['cancel', 'BTCUSDT']);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, new RegExp(`BTCUSDT has no PENDING entry to cancel \\(trade ${trade.id} is CANCELLED\\)`));
    assert.equal(await acceptedUpdates('trader-BTCUSDT'), 1, 'the refused cancel left no trace');

    const log = await until('the trade log has the cancel', async () => {
      const run = await cli(['log', 'BTCUSDT']);
      return run.code === 0 && /CANCELLED/.test(run.stdout) ? run : undefined;
    }, 10);
    assert.match(log.stdout, /^time +symbol +trade_id +kind +action/m);
    assert.match(log.stdout, /PLAN_TRADE/);
    assert.ok(log.stdout.trim().split('\n').slice(1).every((l) => l.includes('BTCUSDT')), `only BTCUSDT rows:\n${log.stdout}`);
    const csv = await cli(['log', 'BTCUSDT', '--csv', '--tail', '1']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout.trim().split('\n').length, 2, 'header and the last row');
    const none = await cli(['log', 'ETHUSDT']);
    assert.match(none.stdout, /no trade log rows for ETHUSDT/);
  });

  it('start with no symbol starts the rest of the config; stop --all stops every trader', async () => {
    const all = await cli(['start']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /BTCUSDT: already running/);
    assert.match(all.stdout, /ETHUSDT: started/);

    const table = await until('status lists both traders', async () => {
      const run = await cli(['status']);
      return /^BTCUSDT /m.test(run.stdout) && /^ETHUSDT /m.test(run.stdout) ? run : undefined;
    }, 10);
    assert.match(table.stdout, /^SYMBOL +STATUS +TRADE +SIDE +ENTRY +STOP +TARGETS +FILLED +PNL +NEXT CYCLE/m);

    const stop = await cli(['stop', '--all', '--cancel-pending']);
    assert.equal(stop.code, 0, stop.stderr);
    // each answer says how the trader ended (BTCUSDT's trade was cancelled above, ETHUSDT never had one)
    assert.match(stop.stdout, /^BTCUSDT: stopped: no open trade$/m);
    assert.match(stop.stdout, /^ETHUSDT: stopped: no open trade$/m);
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      await until(`${symbol} workflow ends`, async () => {
        const d = await client.workflow.getHandle(`trader-${symbol}`).describe();
        return d.status.name === 'RUNNING' ? undefined : d;
      });
    }
    const list = await until('list shows nothing running', async () => {
      const run = await cli(['list']);
      return /no trader is running/.test(run.stdout) ? run : undefined;
    }, 10);
    assert.equal(list.code, 0);
    const history = await cli(['list', '--all']);
    assert.match(history.stdout, /trader-BTCUSDT +COMPLETED/);
    const stopped = await cli(['stop', 'ETHUSDT']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /ETHUSDT is not running/);
    const final: SymbolTraderState = await state('BTCUSDT');
    assert.equal(final.phase, 'STOPPED');
  });

  it('the plain signals still work (temporal workflow signal); stop --cancel-pending answers that the entry is cancelled', async () => {
    llm!.enqueue(await pullbackPlan('ETHUSDT'));
    assert.equal((await cli(['start', 'ETHUSDT'])).code, 0);
    const eth = await until('ETHUSDT has a PENDING trade', async () => {
      const s = await state('ETHUSDT');
      return s.trade?.status === 'PENDING' ? s.trade : undefined;
    });
    const temporal = (args: string[]) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(binaryPath('TEMPORAL_CLI_PATH', 'temporal'), ['workflow', 'signal', '--address', server!.address, ...args], { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', resolve);
      });
    assert.equal(await temporal(['--workflow-id', 'trader-ETHUSDT', '--name', 'cancelOrder', '--input', '{"reason":"by hand"}']), 0);
    const cancelled = await until('the signalled cancel went through', async () => {
      const s = await state('ETHUSDT');
      return s.trade?.id === eth.id && s.trade.status === 'CANCELLED' ? s : undefined;
    });
    assert.equal(cancelled.phase, 'WAITING');

    llm!.enqueue(await pullbackPlan('BTCUSDT'));
    assert.equal((await cli(['start', 'BTCUSDT'])).code, 0);
    const btc = await until('BTCUSDT has a new PENDING trade', async () => {
      const s = await state('BTCUSDT');
      return s.trade?.status === 'PENDING' ? s.trade : undefined;
    });
    const stop = await cli(['stop', 'BTCUSDT', '--cancel-pending']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`^BTCUSDT: stopped: the PENDING entry of ${btc.id} is cancelled$`, 'm'));
    const ended = await client.workflow.getHandle('trader-BTCUSDT').describe();
    assert.notEqual(ended.status.name, 'RUNNING', 'the workflow had ended when the CLI answered');

    assert.equal(await temporal(['--workflow-id', 'trader-ETHUSDT', '--name', 'stop']), 0);
    await until('ETHUSDT ends on the signalled stop', async () => {
      const d = await client.workflow.getHandle('trader-ETHUSDT').describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    });
  });

  it('status fails clearly when no worker can answer the query', async () => {
    worker!.shutdown();
    await running;
    const started = await cli(['start', 'ETHUSDT']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /ETHUSDT: started/, 'a stopped trader can be started again');
    const status = await cli(['status', 'ETHUSDT']);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /^ETHUSDT +state unavailable/m);
    assert.match(status.stderr, /could not read the state of ETHUSDT: is a worker running/);
  });
});
