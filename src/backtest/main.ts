import { runBacktestCli } from './cli';

// `npm run backtest -- <flags>` (see `npm run backtest -- --help`)
process.exit(await runBacktestCli(process.argv.slice(2)));
