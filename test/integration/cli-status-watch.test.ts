import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { watch } from '../support/watchProcess';
import { CLI_ENTRY, startCliStack, until, type CliStack } from '../support/cliStack';

/**
 * `status` beyond the running traders, and `status --watch`, through the real CLI (a child process)
 * against a real stack: a stopped trader is listed with its last trade (read from the run's result
 * in Temporal, so also with no worker), a configured symbol never started says so, an ended run
 * says how it ended; --watch redraws in place on a terminal (a real pty, from util-linux `script`)
 * and prints a block per refresh into a pipe, and ends cleanly on Ctrl-C. Synchronised on output.
 */

const ESC = '\u001B';
const HEADER = /^status at \d{4}-\d\d-\d\dT[\d:.]+Z, every 300ms \(Ctrl-C to stop\)$/gm;
const headers = (text: string) => [...text.matchAll(HEADER)].length;
/** a regex that matches once the output holds at least n frame headers */
const nHeaders = (n: number) => new RegExp(`(?:status at [^\\n]*\\(Ctrl-C to stop\\)[\\s\\S]*){${n}}`);

describe('status: stopped and never-started symbols, --watch', () => {
  let stack: CliStack;
  let trade: { id: string; entry: number; stop: number; target: number };

  before(async () => {
    stack = await startCliStack({ prefix: 'de-cli-status-', symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] });
  });

  after(async () => {
    await stack?.close();
  });

  it('lists a stopped trader with its last trade, a running one, and a configured symbol never started', async () => {
    stack.llm.enqueue(await stack.pullbackPlan('BTCUSDT'));
    assert.equal((await stack.cli(['start', 'BTCUSDT'])).code, 0);
    const pending = await until('BTCUSDT has a PENDING trade', async () => {
      const s = await stack.state('BTCUSDT');
      return s.trade?.status === 'PENDING' ? s.trade : undefined;
    });
    // the price comes down through the entry: it fills, the OTOCO's stop and target rest on the exchange
    await stack.sim.setPrice('BTCUSDT', Number((pending.entryPrice * 0.998).toPrecision(6)));
    const active = await until('BTCUSDT is ACTIVE', async () => {
      const s = await stack.state('BTCUSDT');
      return s.trade?.status === 'ACTIVE' ? s.trade : undefined;
    });
    trade = { id: active.id, entry: active.entryPrice, stop: active.stopLossPrice, target: active.takeProfitPrices[0]! };
    const stop = await stack.cli(['stop', 'BTCUSDT']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /BTCUSDT: stopped: the ACTIVE position keeps its stop/);
    assert.equal((await stack.cli(['start', 'ETHUSDT'])).code, 0);

    const status = await until('status shows ETHUSDT running', async () => {
      const run = await stack.cli(['status']);
      return /^ETHUSDT +WAITING/m.test(run.stdout) ? run : undefined;
    }, 50);
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.split('\n');
    assert.match(lines[0]!, /^SYMBOL +STATUS +TRADE +SIDE +ENTRY +STOP +TARGETS +FILLED +PNL +NEXT CYCLE$/);
    assert.deepEqual(lines.filter((l) => /^[A-Z]+USDT /.test(l)).map((l) => l.split(/ +/)[0]), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], 'one row per symbol, sorted');
    const btc = lines.find((l) => l.startsWith('BTCUSDT'))!;
    assert.match(btc, new RegExp(`^BTCUSDT +STOPPED +${trade.id} ACTIVE +LONG +[\\d.]+ +${trade.stop} +${trade.target} +[\\d.]+/[\\d.]+ +.*unrealized.* +none: stopped \\d{4}-\\d\\d-\\d\\dT`));
    assert.match(lines.find((l) => l.startsWith('ETHUSDT'))!, /^ETHUSDT +WAITING +no trade .* \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+[sm]\)$/);
    assert.match(lines.find((l) => l.startsWith('SOLUSDT'))!, /^SOLUSDT +NOT STARTED +- .* none: in the config, never started \(start SOLUSDT\)$/);
    // what a person must not miss: the stopped trader left a protected position nobody follows
    assert.match(status.stdout, new RegExp(`^BTCUSDT: stopped with trade ${trade.id} ACTIVE: its position keeps its stop ${trade.stop} and targets ${trade.target} on the exchange; nothing follows it until: start BTCUSDT$`, 'm'));

    const one = await stack.cli(['status', 'SOLUSDT']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^SOLUSDT is in the config but no trader has run for it; start it with: start SOLUSDT$/m);
    const unknown = await stack.cli(['status', 'XRPUSDT']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown symbol XRPUSDT: there is no trader workflow trader-XRPUSDT and it is not in the config/);
  });

  it('--watch into a pipe prints a new block per refresh, shows changes, and exits 0 on SIGINT', async () => {
    const child = stack.spawnCli(['status', '--watch', '--interval', '300ms']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const out = watch(child);
    await out.waitFor(/^ETHUSDT +WAITING/m, 60_000);
    const before = headers(stdout);
    assert.equal((await stack.cli(['stop', 'ETHUSDT'])).code, 0);
    await out.waitFor(/^ETHUSDT +STOPPED/m, 60_000);
    assert.ok(headers(stdout) > before, 'the stop shows in a later block');
    await out.waitFor(nHeaders(headers(stdout) + 1), 60_000);
    child.kill('SIGINT');
    assert.equal(await out.exited, 0, stderr);
    assert.equal(stderr, '');
    assert.ok(!stdout.includes(ESC), 'no control sequence into a pipe');
    const blocks = stdout.split(/\n\n/).filter(Boolean);
    assert.ok(blocks.length >= 3, `three blocks at least:\n${stdout}`);
    for (const block of blocks) {
      assert.match(block, /^status at .*\nSYMBOL +STATUS/, `a whole block:\n${block}`);
      assert.match(block, /^SOLUSDT +NOT STARTED/m);
    }
    assert.ok(stdout.endsWith('\n\n'), 'the last block is whole');
  });

  it('--watch on a terminal redraws in place and ends cleanly on Ctrl-C, the cursor shown again', async () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = `stty cols 220 rows 60; exec ${[process.execPath, ...CLI_ENTRY, 'status', '--watch', '--interval', '300ms'].map(quote).join(' ')}`;
    // util-linux script: the CLI runs on a real pty; what is typed into script's stdin reaches that terminal
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: PROJECT_ROOT, env: { ...stack.env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = watch(child);
    await out.waitFor(nHeaders(3), 60_000);
    const drawn = out.output();
    assert.ok(drawn.includes(`${ESC}[?25l`), 'the cursor is hidden while drawing');
    // log-update erases the previous frame (erase line, cursor up) before drawing the next one
    const erasures = drawn.split(`${ESC}[2K${ESC}[1A`).length - 1;
    assert.ok(erasures >= 2 * 5, `frames are erased and redrawn in place (${erasures} line erasures)`);
    assert.match(drawn, /SOLUSDT +NOT STARTED/);
    child.stdin!.write('\u0003'); // Ctrl-C, as typed: the terminal sends SIGINT
    assert.equal(await out.exited, 0, out.output());
    const tail = out.output().slice(out.output().lastIndexOf('status at '));
    assert.ok(tail.includes(`${ESC}[?25h`), 'the cursor is shown again at the end');
    assert.doesNotMatch(out.output(), /error|Error/, 'no error on the way out');
  });

  it('an ended run says how it ended; a stopped one is read with no worker at all', async () => {
    assert.equal((await stack.cli(['start', 'ETHUSDT'])).code, 0);
    await until('ETHUSDT runs', async () => ((await stack.state('ETHUSDT')).phase === 'WAITING' ? true : undefined));
    await stack.client.workflow.getHandle('trader-ETHUSDT').terminate('terminated by the status test');
    const ended = await stack.cli(['status']);
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /^ETHUSDT +TERMINATED +no trade .* none: terminated \d{4}-/m);
    assert.match(ended.stdout, /^ETHUSDT: the trader's run ended TERMINATED .* without a clean stop; start ETHUSDT runs it again$/m);

    stack.worker.shutdown();
    await stack.workerDone;
    const alone = await stack.cli(['status', 'BTCUSDT']);
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(alone.stdout, new RegExp(`^BTCUSDT +STOPPED +${trade.id} ACTIVE +LONG`, 'm'));
    assert.match(alone.stdout, /^stopped \d{4}-.* \(run [0-9a-f-]+\); its last state:$/m);
    assert.match(alone.stdout, /^last decision: #1 PLAN_TRADE .*"pullback entry for the CLI test \(BTCUSDT\)"/m);
    const all = await stack.cli(['status']);
    assert.equal(all.code, 0, `no running trader, so nothing is unavailable: ${all.stderr}`);
    assert.match(all.stdout, /^ETHUSDT +TERMINATED +trade NONE \(last state unreadable\)/m);
  });
});
