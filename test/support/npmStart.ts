import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { watch } from './watchProcess';

/**
 * `npm start` (src/devstack/start.ts) as a user runs it, for the tests that drive the real stack:
 * a paper config of their own in a temp dir, each run a watched child process, and a graceful stop
 * of whatever still runs (so that a dev server started by a failed test does not outlive it).
 */

export interface PaperStackOptions {
  /** the dev server's address (TEMPORAL_ADDRESS) */
  address: string;
  /** the simulator's port */
  simPort: number;
  /** the config's `symbols` list, as written in YAML */
  symbols: string;
  cycleInterval: string;
  strategist: 'llm' | 'rules';
}

/**
 * Writes `dir`/trading_config.yaml (paper, the trade log in `dir`) and returns the environment npm
 * start runs with: that config, the data folder `dir`/data (DE_DATA_DIR: the dev server's database,
 * the paper account, and the feed watch and LLM spend files, which the config leaves out), no OpenAI
 * key and no candles dir from outside.
 */
export function paperStackEnv(dir: string, opts: PaperStackOptions): NodeJS.ProcessEnv {
  const configFile = join(dir, 'trading_config.yaml');
  writeFileSync(
    configFile,
    [
      `symbols: ${opts.symbols}`,
      `cycle_interval: ${opts.cycleInterval}`,
      'first_cycle: immediate', // the tests watch cycle 1: at once, not at the next candle close
      `exchange: { mode: paper, simulator_url: "http://127.0.0.1:${opts.simPort}" }`,
      `strategist: { kind: ${opts.strategist} }`,
      `trade_log: ${join(dir, 'trade_log.csv')}`,
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: opts.address, TRADING_CONFIG: configFile, DE_DATA_DIR: join(dir, 'data'), OPENAI_API_KEY: '' };
  delete env.CANDLES_DIR;
  return env;
}

export type NpmStartRun = { child: ChildProcess } & ReturnType<typeof watch>;

export interface NpmStarts {
  /** one `npm start` with `args`; detached: in a process group of its own (to kill the whole group) */
  start(args: string[], options?: { detached?: boolean }): NpmStartRun;
  /** SIGTERM to every run still going, SIGKILL after 30 s; resolves when they have all exited */
  stopAll(): Promise<void>;
}

export function npmStarts(env: () => NodeJS.ProcessEnv): NpmStarts {
  const children: ChildProcess[] = [];
  return {
    start(args, { detached = false } = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/devstack/start.ts', ...args], {
        cwd: PROJECT_ROOT,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached,
      });
      children.push(child);
      return { child, ...watch(child) };
    },
    async stopAll() {
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const gone = new Promise((resolve) => c.once('exit', resolve));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(timer);
      }
    },
  };
}
