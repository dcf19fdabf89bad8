import { Command, InvalidArgumentError, Option } from 'commander';
import type { FeedChoice } from './priceFeed';

/** What `npm start` accepts: its options, parsed by commander. */

export interface StartOptions {
  config?: string;
  feed: FeedChoice;
  candlesDir?: string;
  /** market seconds per wall-clock second for a candle replay (1 = real time) */
  replaySpeed: number;
  uiPort: number;
  /** start the worker but not the symbol workflows */
  symbols: boolean;
  /** keep the paper account aside (data/simulator-state.json.<time>.bak) and start a fresh one */
  resetPaper?: boolean;
  /** market time a candle replay starts at (epoch ms) */
  replayFrom?: number;
  /** the demo preset (src/devstack/demo.ts) */
  demo?: boolean;
  /** not an option: how the summary tells to run the CLI against this stack (default `npm run cli --`) */
  cliPrefix?: string;
}

/** an ISO time or a YYYY-MM-DD day (UTC) as epoch ms */
function utcTime(v: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('must be a UTC time like 2021-02-03T04:05 or a day like 2021-02-03');
  return ms;
}

export function startProgram(): Command {
  return new Command('npm start')
    .description('bring up the local stack: Temporal (dev server + Web UI), paper exchange, worker, symbol workflows')
    .option('-c, --config <FILE>', 'trading config (default: TRADING_CONFIG or config/trading_config.yaml)')
    .addOption(
      new Option('--feed <KIND>', 'paper price feed: auto tries live prices, then candles, then synthetic')
        .choices(['auto', 'live', 'candles', 'synthetic'])
        .default('auto')
        .env('DE_FEED'),
    )
    .option('--demo', 'a fast replay of real candles on a window where a trade happens within minutes, in its own folder data/demo (README "The demo")')
    .option('--candles-dir <DIR>', 'candle CSV folder for the replay (else CANDLES_DIR, else paper.candles_dir, else data/candles or ../shared/data/candles)')
    .option('--replay-from <TIME>', 'market time (UTC) a candle replay starts at (default: a month into the files)', utcTime)
    .addOption(
      new Option('--replay-speed <N>', 'replay pace: market seconds per real second (1 = real time)')
        .default(1)
        .env('DE_REPLAY_SPEED')
        .argParser((v) => {
          const n = Number(v);
          if (!(n > 0)) throw new InvalidArgumentError('must be a number > 0');
          return n;
        }),
    )
    .addOption(
      new Option('--ui-port <PORT>', 'Web UI port of the dev server').default(8233).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
        return n;
      }),
    )
    .option('--no-symbols', 'run the worker without starting the symbol workflows')
    .option('--reset-paper', 'start a fresh paper account (the old one is kept aside as data/simulator-state.json.<time>.bak)');
}
