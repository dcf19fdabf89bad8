import { averageEntryPrice, filledQuantity, type Trade } from '../domain/trade';
import { utcDay } from '../domain/envelope/utcDay';
import type { SymbolEntryRules } from '../domain/envelope/limits';
import type { OrderMonitorState } from '../contract/monitorState';
import type { DecisionSummary, SymbolTraderState } from '../contract/traderState';
import { cadenceText, num, plainMarkdown, signedPercent, utcClock, utcDateTime } from '../contract/displayText';
import { commandLine, filledWords, ordersLine } from './summaries';

/**
 * The current-details card the Web UI shows at the top of a workflow's page (setCurrentDetails),
 * in markdown, built from the workflow's state alone. A trader reads the symbol's trade, the last
 * decision and what happens next without opening a JSON dump. Pure: the workflow calls it whenever
 * its state changes; tests call it with any state.
 */

/** a model's reasoning on the card: enough to follow it, never the whole essay (the trade log has it) */
export const DETAILS_REASONING_CHARS = 300;
const DETAIL_CHARS = 240;

export interface TraderDetailsContext {
  /** workflow time now */
  now: number;
  cycleIntervalMs: number;
  /** the symbol's own envelope rules, when the trader runs inside the risk envelope */
  rules?: SymbolEntryRules;
}

/** "ACTIVE LONG BTCUSDT: entry 65000, stop 63500, targets 67000/69000, filled 0.0152, unrealized +1.2%" (plain text) */
export function tradeLine(trade: Trade | null, symbol: string, lastPrice?: { price: number; at: number }): string {
  if (!trade) return `NO TRADE ${symbol}: waiting for the strategist's setup`;
  const head = `${trade.status} ${trade.direction} ${trade.symbol}`;
  const levels = `entry ${num(trade.entryPrice)}, stop ${num(trade.stopLossPrice)}, targets ${trade.takeProfitPrices.map(num).join('/')}`;
  switch (trade.status) {
    case 'PENDING': {
      const filled = filledQuantity(trade) > 0 ? filledWords(trade) : `size ${num(trade.quantity)} (${num(trade.positionSizePercent)}%), not filled yet`;
      return `${head}: ${levels}, ${filled}`;
    }
    case 'ACTIVE': {
      const avg = averageEntryPrice(trade);
      const avgText = avg !== null && Math.abs(avg - trade.entryPrice) > 1e-9 ? ` (avg fill ${num(avg)})` : '';
      const pnl = avg !== null && lastPrice ? `, unrealized ${signedPercent(unrealizedPercent(trade.direction, avg, lastPrice.price))} at ${num(lastPrice.price)}` : '';
      return `${head}: ${levels}${avgText}, ${filledWords(trade)}${pnl}`;
    }
    case 'CLOSED': {
      const pnl = trade.realizedPnl !== undefined ? `, realized ${trade.realizedPnl > 0 ? '+' : ''}${num(Math.round(trade.realizedPnl * 100) / 100)}` : '';
      const exits = trade.exitFills.map((f) => `${f.reason} ${num(f.price)}`).join(', ');
      return `${head} (${trade.id}): ${levels}${exits ? `; exits ${exits}` : ''}${pnl}`;
    }
    case 'CANCELLED':
      return `${head} (${trade.id}): ${levels}; ${trade.closeReason ?? 'cancelled'}`;
  }
}

export function unrealizedPercent(direction: Trade['direction'], entry: number, last: number): number {
  const change = ((last - entry) / entry) * 100;
  return direction === 'LONG' ? change : -change;
}

export function traderDetails(state: SymbolTraderState, ctx: TraderDetailsContext): string {
  const lines = [`**${plainMarkdown(tradeLine(state.trade, state.symbol, state.lastPrice), 400)}**`, ''];
  if (state.trade && (state.trade.status === 'PENDING' || state.trade.status === 'ACTIVE')) {
    lines.push(`- **Orders**: ${state.trade.id}: ${ordersLine(state.trade)}`);
  }
  lines.push(`- **Last decision**: ${decisionText(state.lastDecision)}`);
  const reasoning = state.lastDecision ? reasoningOf(state.lastDecision) : null;
  if (reasoning) lines.push(`- **Reasoning**: ${plainMarkdown(reasoning, DETAILS_REASONING_CHARS)}`);
  lines.push(`- **Next cycle**: ${nextCycleText(state, ctx)}`);
  lines.push(`- **Last error**: ${state.lastError ? plainMarkdown(state.lastError, DETAIL_CHARS) : 'none'}`);
  const risk = riskText(state, ctx);
  if (risk) lines.push(`- **Risk**: ${risk}`);
  if (state.lastPrice) lines.push(`- **Market**: last ${num(state.lastPrice.price)} at ${utcDateTime(state.lastPrice.at)} (market time)`);
  lines.push(`- **Mode**: ${state.mode}${state.mode === 'live' ? ' (REAL MONEY)' : ''} · ${state.phase} · run ${state.runs}`);
  return lines.join('\n');
}

function decisionText(d: DecisionSummary | null): string {
  if (!d) return 'none yet';
  const verdict = d.accepted ? 'accepted' : `refused (${d.rejection ? `${d.rejection.stage}/${d.rejection.code}` : 'invalid'})`;
  const outcome = d.outcome ? `, ${d.outcome}` : '';
  const detail = d.outcomeDetail ? `: ${d.outcomeDetail}` : d.rejection && !d.accepted ? `: ${d.rejection.reason}` : '';
  const text = `cycle ${d.sequence} at ${utcClock(d.at)} (${d.source}): ${commandLine(d.command)}; ${verdict}${outcome}${detail}`;
  return plainMarkdown(text, DETAIL_CHARS + 160);
}

function reasoningOf(d: DecisionSummary): string | null {
  const reasoning = d.command.reasoning?.trim();
  return reasoning ? reasoning : null;
}

function nextCycleText(state: SymbolTraderState, ctx: TraderDetailsContext): string {
  if (state.phase === 'STOPPED' || state.phase === 'STOPPING' || state.stopRequested) return `none: the trader is stopping or stopped (was ${cadenceText(ctx.cycleIntervalMs)})`;
  const running = state.phase === 'IN_CYCLE' ? 'a cycle is running now; then ' : '';
  const expiry = ctx.rules && state.trade?.status === 'PENDING' && filledQuantity(state.trade) === 0
    ? `; the PENDING entry expires at ${utcClock(state.trade.createdAt + ctx.rules.entryTimeoutMs)}`
    : '';
  return `${running}${utcClock(state.nextCycleAt)} (${cadenceText(ctx.cycleIntervalMs)})${expiry}`;
}

/** the trader's side of the risk envelope: its slot, its own brakes, and the portfolio's halt */
function riskText(state: SymbolTraderState, ctx: TraderDetailsContext): string | null {
  const env = state.envelope;
  if (!env) return null;
  const parts: string[] = [];
  if (env.halt) parts.push(`portfolio HALTED (${env.halt.kind}): ${plainMarkdown(env.halt.reason, DETAIL_CHARS)}`);
  parts.push(env.heldSlot ? `holds the portfolio slot of ${env.heldSlot.tradeId}` : 'no portfolio slot held');
  const today = env.book.tradesDay === utcDay(ctx.now) ? env.book.tradesToday : 0;
  parts.push(`${today}${ctx.rules ? `/${ctx.rules.maxTradesPerDay}` : ''} new trades today (UTC)`);
  if (env.book.cooldownUntilSequence > state.sequence) parts.push(`cooling down until cycle ${env.book.cooldownUntilSequence + 1}`);
  if (env.releases.length > 0) parts.push(`${env.releases.length} slot(s) still to give back`);
  return parts.join(' · ');
}

/** the order monitor's page: what it watches */
export function monitorDetails(state: OrderMonitorState, intervalMs: number): string {
  const trades = Object.values(state.watched).sort((a, b) => a.id.localeCompare(b.id));
  const lines = [
    trades.length === 0
      ? '**Watching no trades**: it wakes when a trader registers one (watchOrders)'
      : state.stream === 'on'
        ? `**Watching ${trades.length} open trade${trades.length === 1 ? '' : 's'}** over the user-data stream, polling every ${num(intervalMs / 1000)} s as the safety net`
        : `**Watching ${trades.length} open trade${trades.length === 1 ? '' : 's'}**, polling the exchange every ${num(intervalMs / 1000)} s`,
    '',
  ];
  for (const t of trades) {
    const orders = t.orders.filter((o) => o.status === 'OPEN').map((o) => `${o.role}${o.exchangeOrderId ? ` #${o.exchangeOrderId}` : ''}`);
    lines.push(`- ${t.id} (${t.symbol} ${t.status} ${t.direction}): ${ordersLine(t)}; open orders ${orders.join(', ') || 'none'}; ${(state.sent[t.id] ?? []).length} events sent`);
  }
  lines.push(`- **Polls**: ${state.polls}${state.lastPollAt !== null ? `, last at ${utcClock(state.lastPollAt)}` : ''}`);
  if (state.stream === 'unavailable') lines.push(`- **Stream**: unavailable: ${plainMarkdown(state.streamNote ?? '', DETAIL_CHARS)}`);
  lines.push(`- **Last error**: ${state.lastError ? plainMarkdown(state.lastError, DETAIL_CHARS) : 'none'}`);
  return lines.join('\n');
}
