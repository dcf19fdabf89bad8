import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/devstack/freePort';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { structured } from '../support/fakeLlmServer';
import { binaryPath } from '../support/temporalEnv';
import { startCliStack, until, type CliStack } from '../support/cliStack';

/**
 * The CLI as a user runs it (a separate process: node --import tsx src/client.ts ...) against a
 * running stack (test/support/cliStack.ts): a Temporal dev server, the exchange simulator, a worker,
 * and an OpenAI-compatible test server standing in for the LLM so that a PENDING entry exists.
 */

describe('the CLI against a running stack', () => {
  let stack: CliStack;
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => stack.cli(args, extraEnv);
  const state = (symbol: string) => stack.state(symbol);
  const pullbackPlan = (symbol: string) => stack.pullbackPlan(symbol);

  /** Updates the workflow accepted (a validator's refusal writes nothing to the history) */
  const acceptedUpdates = async (workflowId: string) =>
    ((await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;

  before(async () => {
    stack = await startCliStack({ prefix: 'de-cli-', symbols: ['BTCUSDT', 'ETHUSDT'] });
  });

  after(async () => {
    await stack?.close();
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
    const run = await cli(['status'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, DE_CONNECT_TIMEOUT_MS: '1000', DE_DATA_DIR: join(stack.dir, 'no-stack') });
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
    const ticker = (await (await fetch(`${stack.sim.url}/api/v3/ticker/price?symbol=BTCUSDT`)).json()) as { price: string };
    const last = Number(ticker.price);
    const entry = Math.round(last * 0.99);
    stack.llm.enqueue(
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
        const d = await stack.client.workflow.getHandle(`trader-${symbol}`).describe();
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
    stack.llm.enqueue(await pullbackPlan('ETHUSDT'));
    assert.equal((await cli(['start', 'ETHUSDT'])).code, 0);
    const eth = await until('ETHUSDT has a PENDING trade', async () => {
      const s = await state('ETHUSDT');
      return s.trade?.status === 'PENDING' ? s.trade : undefined;
    });
    const temporal = (args: string[]) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(binaryPath('TEMPORAL_CLI_PATH', 'temporal'), ['workflow', 'signal', '--address', stack.server.address, ...args], { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', resolve);
      });
    assert.equal(await temporal(['--workflow-id', 'trader-ETHUSDT', '--name', 'cancelOrder', '--input', '{"reason":"by hand"}']), 0);
    const cancelled = await until('the signalled cancel went through', async () => {
      const s = await state('ETHUSDT');
      return s.trade?.id === eth.id && s.trade.status === 'CANCELLED' ? s : undefined;
    });
    assert.equal(cancelled.phase, 'WAITING');

    stack.llm.enqueue(await pullbackPlan('BTCUSDT'));
    assert.equal((await cli(['start', 'BTCUSDT'])).code, 0);
    const btc = await until('BTCUSDT has a new PENDING trade', async () => {
      const s = await state('BTCUSDT');
      return s.trade?.status === 'PENDING' ? s.trade : undefined;
    });
    const stop = await cli(['stop', 'BTCUSDT', '--cancel-pending']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`^BTCUSDT: stopped: the PENDING entry of ${btc.id} is cancelled$`, 'm'));
    const ended = await stack.client.workflow.getHandle('trader-BTCUSDT').describe();
    assert.notEqual(ended.status.name, 'RUNNING', 'the workflow had ended when the CLI answered');

    assert.equal(await temporal(['--workflow-id', 'trader-ETHUSDT', '--name', 'stop']), 0);
    await until('ETHUSDT ends on the signalled stop', async () => {
      const d = await stack.client.workflow.getHandle('trader-ETHUSDT').describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    });
  });

  it('status fails clearly when no worker can answer the query', async () => {
    stack.worker.shutdown();
    await stack.workerDone;
    const started = await cli(['start', 'ETHUSDT']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /ETHUSDT: started/, 'a stopped trader can be started again');
    const status = await cli(['status', 'ETHUSDT']);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /^ETHUSDT +state unavailable/m);
    assert.match(status.stderr, /could not read the state of ETHUSDT: is a worker running/);
  });
});
