import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/schema';
import { CliError, EXIT_USAGE } from './errors';
import { firstLine, formatTable, loadCliConfig, parseSymbol } from './context';
import { withTemporal } from './session';
import { STATUS_COLUMNS, statusNotes, symbolDetails, symbolStatusRow } from './statusTable';
import { StoppedStates, statusSymbols, symbolStatus, type StatusSource, type SymbolStatus } from './traderStatus';
import { watchFrames } from './statusWatch';

export { openTradePnl, STATUS_COLUMNS, statusRow } from './statusTable';

/** the shortest --interval: each refresh asks the server for every symbol */
export const MIN_WATCH_INTERVAL_MS = 100;
export const DEFAULT_WATCH_INTERVAL = '2s';

interface StatusOptions {
  watch?: boolean;
  interval?: number;
}

interface Report {
  text: string;
  /** running traders whose state no worker answered for */
  unavailable: string[];
}

/** the configured symbols, or none with a note when the config cannot be read (status works without it) */
function configuredSymbols(): { symbols: string[]; note?: string } {
  try {
    return { symbols: [...loadCliConfig().symbols] };
  } catch (err) {
    return { symbols: [], note: `note: ${firstLine(err)}; symbols that never ran are not listed` };
  }
}

/** Reads every symbol (or one) and renders the table, its notes and, for one symbol, its details. */
async function statusReport(source: StatusSource, symbol: string | undefined, configured: readonly string[], stopped: StoppedStates): Promise<Report> {
  const symbols = symbol ? [symbol] : await statusSymbols(source.client, configured);
  if (symbols.length === 0) return { text: 'no trader has run yet (start one with: start [SYMBOL...])', unavailable: [] };
  const statuses: SymbolStatus[] = [];
  for (const s of symbols) statuses.push(await symbolStatus(source, s, stopped));
  const only = statuses[0];
  if (symbol && only?.kind === 'not started' && !configured.includes(symbol)) {
    throw new CliError(`unknown symbol ${symbol}: there is no trader workflow trader-${symbol} and it is not in the config (start it with: start ${symbol})`, EXIT_USAGE);
  }
  const now = Date.now();
  const lines = [formatTable(STATUS_COLUMNS, statuses.map((s) => symbolStatusRow(s, now))), ...statusNotes(statuses)];
  if (symbol && only) lines.push(...symbolDetails(only));
  return { text: lines.join('\n'), unavailable: statuses.filter((s) => s.kind === 'unavailable').map((s) => s.symbol) };
}

function interval(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (ms < MIN_WATCH_INTERVAL_MS) throw new InvalidArgumentError(`must be at least ${MIN_WATCH_INTERVAL_MS}ms, got ${JSON.stringify(text)}`);
  return ms;
}

export function statusCommand(): Command {
  return new Command('status')
    .description(
      "show each symbol's trader: status, trade, entry, stop, targets, PnL and the next cycle; stopped ones with their last trade, configured ones never started",
    )
    .argument('[SYMBOL]', 'only this symbol (with more detail)')
    .option('-w, --watch', 'refresh until Ctrl-C: redrawn in place on a terminal, a new block per refresh when piped')
    .option('--interval <DURATION>', `how often --watch refreshes, e.g. 5s, 500ms (default ${DEFAULT_WATCH_INTERVAL})`, interval)
    .action(async (symbolArg: string | undefined, opts: StatusOptions, cmd: Command) => {
      if (opts.interval !== undefined && !opts.watch) throw new CliError('--interval needs --watch', EXIT_USAGE);
      const symbol = symbolArg === undefined ? undefined : parseSymbol(symbolArg);
      const config = configuredSymbols();
      if (config.note) console.error(config.note);
      await withTemporal(cmd, async (session) => {
        const stopped = new StoppedStates();
        if (opts.watch) {
          let last: { text: string; at: Date } | undefined;
          await watchFrames({
            intervalMs: opts.interval ?? parseDuration(DEFAULT_WATCH_INTERVAL),
            // a refresh that fails (the server restarting, say) shows why in the frame, and the watch goes on
            render: async () => {
              try {
                last = { text: (await statusReport(session, symbol, config.symbols, stopped)).text, at: new Date() };
                return last.text;
              } catch (err) {
                if (err instanceof CliError && err.exitCode === EXIT_USAGE) throw err;
                const previous = last ? `\nas of ${last.at.toISOString()}:\n${last.text}` : '';
                return `could not refresh: ${firstLine(err)}${previous}`;
              }
            },
          });
          return;
        }
        const report = await statusReport(session, symbol, config.symbols, stopped);
        console.log(report.text);
        if (report.unavailable.length > 0) {
          throw new CliError(`could not read the state of ${report.unavailable.join(', ')}: is a worker running (npm start, or npm run worker)?`);
        }
      });
    });
}
