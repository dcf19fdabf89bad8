import { Command } from 'commander';
import { averageEntryPrice, filledQuantity, openQuantity, type Trade } from '../domain/trade';
import type { SymbolTraderState } from '../contract/traderState';
import { CliError } from './errors';
import { firstLine, formatTable, parseSymbol } from './context';
import { withTemporal } from './session';
import { listTraders, queryTraderState, runningTrader } from './traders';

export const STATUS_COLUMNS = ['SYMBOL', 'STATUS', 'TRADE', 'SIDE', 'ENTRY', 'STOP', 'TARGETS', 'FILLED', 'PNL', 'NEXT CYCLE'] as const;

function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : String(Number(n.toPrecision(10)));
}

function untilText(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'due now';
  return s < 120 ? `in ${s}s` : s < 7200 ? `in ${Math.round(s / 60)}m` : `in ${(s / 3600).toFixed(1)}h`;
}

function signed(n: number): string {
  return n > 0 ? `+${num(n)}` : num(n);
}

type LastPrice = SymbolTraderState['lastPrice'];

/**
 * What an ACTIVE trade would make if its open quantity were closed at the last price the workflow
 * saw (before exit fees), and what its partial exits already made (after the fees paid so far), in
 * quote currency. Null for a trade that holds nothing or when no price is known.
 */
export function openTradePnl(trade: Trade, lastPrice: LastPrice): { realized: number; unrealized: number; price: number } | null {
  const entry = averageEntryPrice(trade);
  const open = openQuantity(trade);
  if (trade.status !== 'ACTIVE' || !lastPrice || entry === null || !(open > 0)) return null;
  const sign = trade.direction === 'LONG' ? 1 : -1;
  const fees = [...trade.entryFills, ...trade.exitFills].reduce((sum, f) => sum + f.fee, 0);
  const exits = trade.exitFills.reduce((sum, f) => sum + f.quantity * (f.price - entry), 0);
  return { realized: sign * exits - fees, unrealized: sign * open * (lastPrice.price - entry), price: lastPrice.price };
}

function pnlCell(trade: Trade, lastPrice: LastPrice): string {
  const open = openTradePnl(trade, lastPrice);
  if (open) return `${num(open.realized)}, unrealized ${signed(open.unrealized)} @ ${num(open.price)}`;
  return trade.realizedPnl === undefined ? '' : num(trade.realizedPnl);
}

function tradeCells(trade: Trade | null, lastPrice: LastPrice): string[] {
  if (!trade) return ['no trade', '', '', '', '', '', ''];
  const filled = filledQuantity(trade);
  const entry = averageEntryPrice(trade) ?? trade.entryPrice;
  return [
    `${trade.id} ${trade.status}`,
    trade.direction,
    num(entry),
    num(trade.stopLossPrice),
    trade.takeProfitPrices.map(num).join('/'),
    `${num(filled)}/${num(trade.quantity)}`,
    pnlCell(trade, lastPrice),
  ];
}

/** One status row from the trader's `state` query (all numbers as the workflow holds them). */
export function statusRow(state: SymbolTraderState, running: boolean, now = Date.now()): string[] {
  const status = running ? state.phase : 'STOPPED';
  const next = running && !state.stopRequested ? `${new Date(state.nextCycleAt).toISOString()} (${untilText(state.nextCycleAt, now)})` : '';
  return [state.symbol, status, ...tradeCells(state.trade, state.lastPrice), next];
}

function details(state: SymbolTraderState): string[] {
  const lines: string[] = [];
  const d = state.lastDecision;
  if (d) {
    const reasoning = 'reasoning' in d.command && d.command.reasoning ? ` "${d.command.reasoning}"` : '';
    lines.push(
      `last decision: #${d.sequence} ${d.action} at ${new Date(d.at).toISOString()} (${d.source}, ${d.accepted ? 'accepted' : 'rejected'}` +
        `${d.outcome ? `, ${d.outcome}` : ''})${reasoning}`,
    );
    if (d.rejection) lines.push(`  rejected: ${d.rejection.reason}`);
    if (d.outcomeDetail) lines.push(`  outcome: ${d.outcomeDetail}`);
  }
  if (state.lastPrice) lines.push(`last price: ${num(state.lastPrice.price)} at ${new Date(state.lastPrice.at).toISOString()}`);
  const open = state.trade && openTradePnl(state.trade, state.lastPrice);
  if (open) {
    lines.push(
      `PnL: realized ${num(open.realized)} (partial exits, after fees so far), unrealized ${signed(open.unrealized)} ` +
        `on ${num(openQuantity(state.trade!))} open at ${num(open.price)} (before exit fees)`,
    );
  }
  if (state.trade?.closeReason) lines.push(`trade ended: ${state.trade.closeReason}`);
  if (state.lastError) lines.push(`last error: ${state.lastError}`);
  lines.push(`cycles: ${state.sequence}, runs: ${state.runs}, mode: ${state.mode}`);
  return lines;
}

export function statusCommand(): Command {
  return new Command('status')
    .description("show each trader's state: status, trade, entry, stop, targets, PnL and the next cycle")
    .argument('[SYMBOL]', 'only this symbol (with more detail)')
    .action(async (symbolArg: string | undefined, _opts, cmd: Command) => {
      const symbol = symbolArg === undefined ? undefined : parseSymbol(symbolArg);
      await withTemporal(cmd, async ({ client, connection }) => {
        const symbols = symbol ? [symbol] : (await listTraders(client)).map((t) => t.symbol);
        if (symbols.length === 0) {
          console.log('no trader is running (start one with: start [SYMBOL...])');
          return;
        }
        const rows: string[][] = [];
        const states: SymbolTraderState[] = [];
        const unavailable: string[] = [];
        for (const s of symbols) {
          const { handle, running } = await runningTrader(client, s);
          try {
            const state = await queryTraderState(connection, handle);
            states.push(state);
            rows.push(statusRow(state, running));
          } catch (err) {
            unavailable.push(s);
            rows.push([s, `state unavailable: ${firstLine(err)}`, '', '', '', '', '', '', '', '']);
          }
        }
        console.log(formatTable(STATUS_COLUMNS, rows));
        if (symbol && states[0]) for (const line of details(states[0])) console.log(line);
        if (unavailable.length > 0) {
          throw new CliError(`could not read the state of ${unavailable.join(', ')}: is a worker running (npm start, or npm run worker)?`);
        }
      });
    });
}
