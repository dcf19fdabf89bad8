import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/devstack/freePort';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { readTradeLog, TRADE_LOG_COLUMNS, type TradeLogRecord } from '../../src/journal/tradeLog';
import { findServer } from '../../src/localStack/stackFiles';
import { npmStarts, type NpmStartRun } from '../support/npmStart';
import { ProcessGroups } from '../support/processGroups';
import { eventually } from '../support/watchProcess';

/**
 * `npm start -- --demo` as a newcomer runs it (README "The demo"): the real stack (dev server, paper
 * exchange on the real candles it finds by itself, worker, the rules strategist) on the demo's
 * replay. The demo's own trade_log.csv shows one trade's whole story, in order; the repository's
 * data/ is not touched. Synchronised on the child's output and the trade log's rows only.
 */

/** every file under `dir` with its size and modification time ('' when there is no such folder) */
function snapshot(dir: string): string {
  if (!existsSync(dir)) return '';
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else lines.push(`${p} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return lines.join('\n');
}

describe('npm start -- --demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-demo-'));
  let env: NodeJS.ProcessEnv;
  let uiPort = 0;
  const runs = npmStarts(() => env);
  /**
   * Every process group of the demo: npm start's (spawned detached, it leads its own) and the dev
   * server's (npm start starts it detached, so a group of its own too), noted while they run.
   */
  const groups = new ProcessGroups();
  let demoRun: NpmStartRun | undefined;

  before(async () => {
    uiPort = await freePort();
    env = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      DE_SIMULATOR_URL: `http://127.0.0.1:${await freePort()}`,
      DE_DATA_DIR: join(dir, 'data'),
      OPENAI_API_KEY: '',
    };
    for (const name of ['CANDLES_DIR', 'TRADING_CONFIG', 'DE_REPLAY_SPEED', 'DE_FEED']) delete env[name];
  });

  // whatever happened (an assertion failed before the Ctrl-C, npm start hung or died), nothing of
  // the demo outlives the test: a graceful stop first, then SIGKILL to every group, then the proof
  after(async () => {
    // (a pid is looked at only while it is still the process we mean: ours not yet exited, the server by its pid file)
    if (demoRun && demoRun.child.exitCode === null && demoRun.child.signalCode === null) groups.note(demoRun.child.pid);
    // a dev server whose npm start is already gone is found by the pid file beside its database
    const server = findServer(join(dir, 'data', 'demo', 'temporal.db'));
    if (server.kind === 'running') groups.note(server.record.pid);
    await runs.stopAll();
    groups.killAll();
    await eventually(`no process left in the demo's groups (${groups.groups.join(', ')})`, () => (groups.left().length === 0 ? true : undefined), 10_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a trade PENDING -> ACTIVE -> stop trailed -> CLOSED in its own trade log, and leaves data/ alone', async () => {
    const repoData = snapshot(join(PROJECT_ROOT, 'data'));
    const demo = runs.start(['--demo', '--ui-port', String(uiPort)], { detached: true });
    demoRun = demo;
    const ready = await demo.waitFor(/^ready: all symbols are running; open (http:\/\/localhost:\d+) or run: (npm run cli -- --address \S+ --config \S+) status$/m);
    groups.note(demo.child.pid);
    assert.ok(groups.groups.includes(demo.child.pid!) && groups.groups.length >= 2, `npm start and its dev server, each in a group of its own: ${groups.groups.join(', ')}`);
    assert.equal(ready[1], `http://localhost:${uiPort}`);
    const out = demo.output();
    assert.match(out, /^DEMO: config\/demo\.yaml \(rules strategist, a cycle every 7\.5 s\) on real BTCUSDT candles replayed at 120x from 2021-/m);
    // no flag named the candles: npm start found them itself and says where
    assert.match(out, /prices: +REPLAY of real candles from \S+ \(BTCUSDT-5m\.csv; found in (data\/candles|\.\.\/shared\/data\/candles), as no candles dir was given\), from 2021-03-20T09:15Z/);
    assert.match(out, /strategist: +rules strategist/);
    assert.match(out, /mode: +paper/);
    const demoDir = join(dir, 'data', 'demo');
    assert.match(out, new RegExp(`trade log: +${join(demoDir, 'trade_log.csv')}`));
    // what it does before the first decision, step by step (README "The demo"): plain lines into a pipe
    for (const step of ['Temporal server', 'paper exchange', 'worker', 'workflows']) {
      assert.match(out, new RegExp(`^\\[\\d/4\\] ${step} \\(.+\\) \\.\\.\\.\n[\\s\\S]*^\\[\\d/4\\] ${step}: done in (\\d+ min )?[\\d.]+ s`, 'm'), `${step}: when it starts and how long it took`);
    }
    assert.match(out, /^\[2\/4\] paper exchange \(reads the candle files into memory: a few seconds\) \.\.\.$/m);
    assert.doesNotMatch(out, /[\r\x1b]/, 'no carriage-return bars or escape sequences in a pipe');
    // when the first decision comes: on the demo's 7.5 s grid, within seconds
    await demo.waitFor(/^ {2}first decision: BTCUSDT at \d\d:\d\d:\d\d UTC \((in [\d.]+ s\), aligned to the 7\.5 s cycle grid|due now|under way)/m, 15_000);

    const logFile = join(demoDir, 'trade_log.csv');
    const closed = (rows: TradeLogRecord[]) => rows.find((r) => r.kind === 'TRANSITION' && r.action === 'ACTIVE->CLOSED');
    const rows = await eventually(
      'a demo trade CLOSED in the demo trade log',
      async () => {
        const r = await readTradeLog(logFile);
        return closed(r) ? r : undefined;
      },
      8 * 60_000,
    );
    const tradeId = closed(rows)!.trade_id;
    const story = rows.filter((r) => r.trade_id === tradeId);
    const at = (pred: (r: TradeLogRecord) => boolean, what: string) => {
      const i = story.findIndex(pred);
      assert.ok(i >= 0, `${what} is in the trade log:\n${story.map((r) => `${r.kind} ${r.action} ${r.detail}`).join('\n')}`);
      return { i, row: story[i]! };
    };

    const plan = at((r) => r.kind === 'DECISION' && r.action === 'PLAN_TRADE', 'the plan');
    assert.equal(plan.row.direction, 'LONG');
    assert.ok(Number(plan.row.size_percent) > 0, 'the decision carries its size');
    const entry = at((r) => r.kind === 'ORDER' && r.action === 'PLAN_TRADE', 'the entry order');
    // two targets make two slices, each its own OTOCO: a working entry with its stop-and-target OCO,
    // which the exchange itself places the moment that slice fills (issue 13)
    assert.deepEqual([entry.row.status, entry.row.side, entry.row.order_type, entry.row.client_order_id], ['PENDING', 'BUY', 'LIMIT', `de-${tradeId}-s0.0e`]);
    assert.match(entry.row.exchange_order_id, /^\d+$/);
    const targets = plan.row.take_profits.split('/').length;
    assert.equal(targets, 2);
    for (let k = 0; k < targets; k++) {
      assert.match(entry.row.detail, new RegExp(`ENTRY de-${tradeId}-s0\\.${k}e \\(#\\d+\\), OCO de-${tradeId}-s0\\.${k} \\(#\\d+\\)`), `slice ${k} rests with its protection`);
    }
    const fill = at((r) => r.kind === 'TRANSITION' && r.action === 'PENDING->ACTIVE', 'the fill');
    // the slices' protection came with the plan: the engine had none to place after the fill
    const protection = story.filter((r) => r.kind === 'ORDER' && r.action === 'ENSURE_PROTECTION');
    assert.deepEqual(protection.map((r) => r.client_order_id), [], 'no protection placed by the engine after the fill');
    const trail = at((r) => r.kind === 'DECISION' && r.action === 'ADJUST_TRADE', 'the stop trailed');
    assert.ok(Number(trail.row.stop_loss) > Number(plan.row.stop_loss), 'the stop moved up');
    const moved = at((r) => r.kind === 'ORDER' && r.action === 'ADJUST_TRADE', 'the new protection of the trailed stop');
    assert.deepEqual([moved.row.side, moved.row.order_type], ['SELL', 'OCO']);
    const close = at((r) => r.kind === 'TRANSITION' && r.action === 'ACTIVE->CLOSED', 'the close');
    assert.equal(close.row.status, 'CLOSED');
    assert.notEqual(close.row.pnl, '');
    assert.ok(Number(close.row.fees) > 0);
    assert.ok(plan.i < entry.i && entry.i < fill.i && fill.i < trail.i && trail.i < moved.i && moved.i < close.i, 'in the order it happened');

    // the market clock of the replay, in event order
    // (the portfolio's own rows, e.g. SLOT_RELEASED, carry its workflow clock: only the symbol's rows here)
    const times = rows.filter((r) => r.symbol === 'BTCUSDT').map((r) => Date.parse(r.time));
    assert.ok(times.every((t) => t >= Date.UTC(2021, 0, 1) && t < Date.UTC(2021, 7, 1)), 'rows carry the replay\'s market clock');
    // the simulator stamps a forced price's fills 1 ms before the candle's open, hence the slack
    times.forEach((t, i) => assert.ok(i === 0 || t >= times[i - 1]! - 1_000, `BTCUSDT row ${i} is out of event order`));
    // every column is filled by some row of a trade's life: none is dead weight
    for (const c of TRADE_LOG_COLUMNS) assert.ok(rows.some((r) => r[c] !== ''), `column ${c} is filled somewhere`);

    // the CLI the ready line names reads the same log
    const cli = ready[2]!.split(' ').slice(4);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/client.ts', ...cli, 'log', '--trade', tradeId, '--csv'], { cwd: PROJECT_ROOT, env });
    assert.match(stdout, new RegExp(`${tradeId},TRANSITION,ACTIVE->CLOSED,CLOSED`));

    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0, demo.output());
    assert.equal(snapshot(join(PROJECT_ROOT, 'data')), repoData, 'nothing written to the repository\'s data/');
    assert.ok(existsSync(join(demoDir, 'temporal.db')) && existsSync(join(demoDir, 'simulator-state.json')), 'the demo keeps its own stack in its folder');
    assert.match(readFileSync(join(demoDir, 'trading_config.yaml'), 'utf8'), /^# written by npm start -- --demo from config\/demo\.yaml/);
  });
});
