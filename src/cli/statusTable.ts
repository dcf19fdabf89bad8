import { averageEntryPrice, filledQuantity, isOpen, openQuantity, type Trade } from '../domain/trade';
import type { SymbolTraderState } from '../contract/traderState';
import type { SymbolStatus } from './traderStatus';

/**
 * The text of `status`, from what was read (src/cli/traderStatus.ts): one row per symbol, the notes
 * a person must not miss (a stopped trader that left orders on the exchange), and one symbol's
 * details. Pure: the same input gives the same text, so --watch redraws only what changed.
 */

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

export function details(state: SymbolTraderState): string[] {
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

const iso = (at: Date | undefined) => (at ? at.toISOString() : 'at an unknown time');
const blankTrade = ['', '', '', '', '', '', ''];

/** One row per symbol, whatever its trader's state: running, stopped (with its last trade), ended, never started. */
export function symbolStatusRow(s: SymbolStatus, now = Date.now()): string[] {
  switch (s.kind) {
    case 'running':
      return statusRow(s.state, true, now);
    case 'stopped':
      return [s.symbol, 'STOPPED', ...tradeCells(s.state.trade, s.state.lastPrice), `none: stopped ${iso(s.closedAt)}`];
    case 'ended': {
      const trade = s.state ? tradeCells(s.state.trade, s.state.lastPrice) : [s.tradeStatus ? `trade ${s.tradeStatus} (last state unreadable)` : 'last state unreadable', ...blankTrade.slice(1)];
      return [s.symbol, s.execution, ...trade, `none: ${s.execution.toLowerCase().replace('_', ' ')} ${iso(s.closedAt)}`];
    }
    case 'unavailable':
      return [s.symbol, `state unavailable: ${s.why}`, ...blankTrade, ''];
    case 'not started':
      return [s.symbol, 'NOT STARTED', ...blankTrade, `none: in the config, never started (start ${s.symbol})`];
  }
}

/**
 * What a stopped or ended trader left behind: an open trade whose orders rest on the exchange with
 * nothing following them, and a run that ended without stopping cleanly. One line each.
 */
export function statusNotes(statuses: readonly SymbolStatus[]): string[] {
  const notes: string[] = [];
  for (const s of statuses) {
    if (s.kind !== 'stopped' && s.kind !== 'ended') continue;
    const trade = s.state?.trade;
    if (trade && isOpen(trade)) {
      const orders =
        trade.status === 'ACTIVE'
          ? `its position keeps its stop ${num(trade.stopLossPrice)} and targets ${trade.takeProfitPrices.map(num).join('/')} on the exchange`
          : 'its entry order stays on the exchange';
      notes.push(`${s.symbol}: ${s.kind === 'stopped' ? 'stopped' : s.execution} with trade ${trade.id} ${trade.status}: ${orders}; nothing follows it until: start ${s.symbol}`);
    } else if (s.kind === 'ended') {
      notes.push(`${s.symbol}: the trader's run ended ${s.execution} ${iso(s.closedAt)} without a clean stop${s.why ? ` (${s.why})` : ''}; start ${s.symbol} runs it again`);
    }
  }
  return notes;
}

/** status SYMBOL: the row's details, and for a trader that is not running how it ended */
export function symbolDetails(s: SymbolStatus): string[] {
  switch (s.kind) {
    case 'running':
      return details(s.state);
    case 'stopped':
      return [`stopped ${iso(s.closedAt)} (run ${s.runId}); its last state:`, ...details(s.state)];
    case 'ended':
      return [`the run ${s.runId} ended ${s.execution} ${iso(s.closedAt)}${s.state ? '; its last state:' : ''}`, ...(s.state ? details(s.state) : [])];
    case 'unavailable':
      return [];
    case 'not started':
      return [`${s.symbol} is in the config but no trader has run for it; start it with: start ${s.symbol}`];
  }
}
