import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { readTradeLog, TradeLogError, type TradeLogRecord } from '../journal/tradeLog';
import { CliError } from './errors';
import { formatTable, loadCliConfig, parseSymbol } from './context';

const COLUMNS = ['time', 'symbol', 'trade_id', 'kind', 'action', 'status', 'price', 'quantity', 'pnl', 'detail'] as const;

export interface LogOptions {
  file?: string;
  trade?: string;
  tail?: number;
  csv?: boolean;
}

/** Rows of the trade log, filtered, as the table (or CSV lines) the command prints. */
export async function tradeLogLines(symbolArg: string | undefined, opts: LogOptions): Promise<string[]> {
  const file = opts.file ?? loadCliConfig().trade_log;
  const symbol = symbolArg === undefined ? undefined : parseSymbol(symbolArg);
  let rows: TradeLogRecord[];
  try {
    rows = await readTradeLog(file, { symbol, tradeId: opts.trade });
  } catch (err) {
    if (err instanceof TradeLogError) throw new CliError(err.message);
    throw err;
  }
  if (opts.tail !== undefined) rows = rows.slice(-opts.tail);
  if (rows.length === 0) {
    return [`no trade log rows${symbol ? ` for ${symbol}` : ''}${opts.trade ? ` of trade ${opts.trade}` : ''} in ${file}`];
  }
  if (opts.csv) return stringify([[...COLUMNS], ...rows.map((r) => COLUMNS.map((c) => r[c]))]).trimEnd().split('\n');
  return formatTable(
    COLUMNS,
    rows.map((r) => COLUMNS.map((c) => (c === 'detail' ? r[c].slice(0, 100) : r[c]))),
  ).split('\n');
}

export function logCommand(): Command {
  return new Command('log')
    .description('print the trade log (data/trade_log.csv), oldest first, optionally for one symbol')
    .argument('[SYMBOL]', 'only this symbol (BTCUSDT or BTC/USDT)')
    .option('--trade <TRADE_ID>', 'only rows of this trade id')
    .addOption(
      new Option('-n, --tail <N>', 'only the last N rows').argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
        return n;
      }),
    )
    .option('--file <PATH>', 'trade log file (default: trade_log from the config)')
    .option('--csv', 'print CSV instead of a table (full detail text)')
    .action(async (symbol: string | undefined, opts: LogOptions) => {
      for (const line of await tradeLogLines(symbol, opts)) console.log(line);
    });
}
