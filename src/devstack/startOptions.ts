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
    .option('--candles-dir <DIR>', 'candle CSV folder for the replay (else CANDLES_DIR, else paper.candles_dir)')
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
