import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig } from '../config/load';
import { dataDir } from '../config/dataDir';
import { findStack } from '../localStack/stackFiles';
import { StackBusy } from './stackLock';
import { StartRefused } from './startChecks';
import type { StartOptions } from './startOptions';
import { settleLeftoverServer } from './leftoverServer';
import { PROJECT_ROOT } from './temporalServer';

/**
 * `npm start -- --demo`: the stack exactly as `npm start` runs it, with a preset a newcomer can
 * watch: config/demo.yaml (rules strategist, fast cycles, the envelope's clocks scaled to the
 * pace), the real candles replayed fast from a window where the rules plan a trade at once, it
 * fills, its stop is trailed and it closes within minutes, in a folder of its own (data/demo: its
 * own Temporal database, paper account and trade log; the user's data/ is not touched). Nothing in
 * the engine knows it is a demo: it is a config file, a replay window and a pace.
 *
 * The demo starts afresh every time: data/demo holds only what the demo wrote (a marker file says
 * so) and is emptied first. It has its own Temporal address and Web UI port, so it never meets the
 * workflows of a `npm start` running beside it.
 */

export const DEMO = {
  config: 'config/demo.yaml',
  /**
   * BTCUSDT, 20 March 2021, 09:15 UTC: the 15m uptrend starts (EMA20 crosses EMA50), so the rules
   * plan at the first cycle; the entry fills about 35 market minutes later, the stop is trailed six
   * times and the trade closes on its trailed stop, in profit, about 4.7 market hours after the plan
   * (found with the backtest over 2021 on the rules; the cycle is 15m there as the replay's is here).
   */
  replayFrom: Date.UTC(2021, 2, 20, 9, 15),
  /** market seconds per wall second: a 15-minute candle every 7.5 s (the cycle of config/demo.yaml) */
  replaySpeed: 120,
  address: 'localhost:7234',
  uiPort: 8234,
} as const;

const MARKER = '.made-by-npm-start-demo';

/** what npm start runs for the demo, and what it prints first */
export interface DemoRun {
  opts: StartOptions;
  /** the demo's folder */
  dir: string;
  intro: string[];
}

/**
 * Prepares the demo's folder and config and turns the options into the demo's. Options given
 * explicitly (`explicit`: --replay-speed, --replay-from, --ui-port, --candles-dir) win over the
 * preset. `env` is changed in place (the data dir, the Temporal address): it is the process's.
 */
export async function prepareDemo(opts: StartOptions, explicit: ReadonlySet<string>, env: NodeJS.ProcessEnv): Promise<DemoRun> {
  if (opts.config) throw new StartRefused('--demo runs its own config (config/demo.yaml); leave out --config, or run npm start without --demo');
  const dir = resolve(dataDir(env), 'demo');
  const running = findStack(dir);
  if (running.kind === 'running') {
    throw new StackBusy(`a demo is already running (pid ${running.record.pid}, Temporal at ${running.record.address}): stop it first (Ctrl-C in its terminal)`);
  }
  await settleLeftoverServer(join(dir, 'temporal.db'));
  clearDemoDir(dir);

  const configFile = join(dir, 'trading_config.yaml');
  writeFileSync(configFile, demoConfigText(dir, env));
  env.DE_DATA_DIR = dir;
  env.TEMPORAL_ADDRESS ??= DEMO.address;
  const speed = explicit.has('replaySpeed') ? opts.replaySpeed : DEMO.replaySpeed;
  const shown = (p: string) => (p.startsWith(PROJECT_ROOT) ? relative(process.cwd(), p) || '.' : p);
  const cliPrefix = `npm run cli -- --address ${env.TEMPORAL_ADDRESS} --config ${shown(configFile)}`;
  return {
    dir,
    opts: {
      ...opts,
      config: configFile,
      feed: 'candles',
      replaySpeed: speed,
      replayFrom: explicit.has('replayFrom') && opts.replayFrom !== undefined ? opts.replayFrom : DEMO.replayFrom,
      uiPort: explicit.has('uiPort') ? opts.uiPort : DEMO.uiPort,
      resetPaper: false,
      cliPrefix,
    },
    intro: [
      `DEMO: ${DEMO.config} (rules strategist, a cycle every 7.5 s) on real BTCUSDT candles replayed at ${speed}x from ` +
        `${new Date(explicit.has('replayFrom') && opts.replayFrom !== undefined ? opts.replayFrom : DEMO.replayFrom).toISOString().slice(0, 16)} UTC;`,
      `  paper mode, everything in ${shown(dir)} (emptied at every demo start; your data/ is not touched).`,
      '  Within a few minutes: a PENDING entry, its fill (ACTIVE, protected by two OCOs), the stop trailed, the close.',
      `  Watch: the Web UI (trader-BTCUSDT, tab User Metadata), ${cliPrefix} status, or ${cliPrefix} log`,
    ],
  };
}

/** empties the demo's folder, refusing one the demo did not make */
function clearDemoDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    throw new StartRefused(`${dir} exists and was not made by npm start --demo: move it away (the demo empties its folder at every start)`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'made by npm start -- --demo, which empties this folder at every start\n');
}

/**
 * config/demo.yaml with every file it names inside the demo's folder (and the simulator where
 * DE_SIMULATOR_URL puts it): written beside the demo's data, where `cli --config` reads it too.
 */
export function demoConfigText(dir: string, env: NodeJS.ProcessEnv, source = resolve(PROJECT_ROOT, DEMO.config)): string {
  const doc = parseDocument(readFileSync(source, 'utf8'));
  doc.setIn(['trade_log'], join(dir, 'trade_log.csv'));
  doc.setIn(['market_data', 'watch_file'], join(dir, 'feed-watch.json'));
  doc.setIn(['strategist', 'budget', 'state_file'], join(dir, 'llm-spend.json'));
  if (env.DE_SIMULATOR_URL) doc.setIn(['exchange', 'simulator_url'], env.DE_SIMULATOR_URL);
  const text = `# written by npm start -- --demo from ${DEMO.config}, with the demo's own files\n${doc.toString()}`;
  parseConfig(text, source);
  return text;
}
