import type { AiCommand } from '../domain/commands';
import type { Trade } from '../domain/trade';
import { filledQuantity, isOpen } from '../domain/trade';
import type { TradeLogRow } from '../domain/tradeLogRow';
import type { DecisionSummary } from '../contract/traderState';
import { num, oneLineOf, utcClock } from '../contract/displayText';

/**
 * The one-line summaries the Web UI shows for every activity and timer in a workflow's timeline.
 * Temporal fixes a step's summary when the step is scheduled, so a summary says what the step is
 * about to do with what is known then; a step's outcome shows in the summaries after it (the OMS
 * step names the strategist's command, the monitor registration the orders placed, the cycle timer
 * the cycle's outcome). Pure, and built only from workflow state: nothing here can hold a secret
 * the state does not (activities mask credentials in what they return).
 */

const MAX = 200;
const line = (text: string) => oneLineOf(text, MAX);

/** "PLAN_TRADE LONG 65000 / SL 63500 / TP 67000, 69000, 10%" */
export function commandLine(command: AiCommand): string {
  switch (command.action) {
    case 'PLAN_TRADE': {
      const s = command.trade_setup;
      return `PLAN_TRADE ${s.direction} ${num(s.entry_price)} / SL ${num(s.stop_loss_price)} / TP ${s.take_profit_prices.map(num).join(', ')}, ${num(s.position_size_percent)}%`;
    }
    case 'CANCEL_ORDER':
      return `CANCEL_ORDER ${command.order_id}`;
    case 'ADJUST_TRADE':
      return `ADJUST_TRADE ${command.order_id} SL ${num(command.new_stop_loss_price)}` + (command.new_take_profit_prices ? ` / TP ${command.new_take_profit_prices.map(num).join(', ')}` : '');
    case 'DO_NOTHING':
      return 'DO_NOTHING';
  }
}

/** how the trade's orders rest on the exchange: "entry placed, OTOCO", "protected by 2 OCOs (stop 63500)" */
export function ordersLine(trade: Trade): string {
  const open = trade.orders.filter((o) => o.status === 'OPEN');
  const entries = open.filter((o) => o.role === 'ENTRY').length;
  const ocos = open.filter((o) => o.role === 'OCO').length;
  const stops = open.filter((o) => o.role === 'STOP').length;
  const targets = open.filter((o) => o.role === 'TARGET').length;
  const plural = (n: number, what: string) => `${n === 1 ? '' : `${n} `}${what}${n === 1 ? '' : 's'}`;
  if (trade.status === 'PENDING') {
    if (entries === 0) return 'entry not resting';
    const entry = entries === 1 ? 'entry placed' : `${entries} entries placed`;
    return ocos > 0 ? `${entry}, ${plural(ocos, 'OTOCO')}` : `${entry}, protection once it fills`;
  }
  if (trade.status === 'ACTIVE') {
    const parts = [ocos > 0 ? plural(ocos, 'OCO') : '', stops > 0 ? plural(stops, 'stop') : '', targets > 0 ? plural(targets, 'target') : ''].filter(Boolean);
    const rest = entries > 0 ? `; ${entries === 1 ? 'entry' : `${entries} entries`} still working` : '';
    return parts.length > 0 ? `protected by ${parts.join(' + ')} (stop ${num(trade.stopLossPrice)})${rest}` : `NOT protected on the exchange yet${rest}`;
  }
  return `${trade.status.toLowerCase()}${trade.closeReason ? `: ${trade.closeReason}` : ''}`;
}

/** "ACTIVE T-BTCUSDT-7" or "no open trade" */
function tradeWord(trade: Trade | null | undefined): string {
  return isOpen(trade) ? `${trade.status} ${trade.id}` : 'no open trade';
}

export function reconcileSummary(symbol: string, trade: Trade | null): string {
  return line(`reconcile ${symbol} with the exchange: ${tradeWord(trade)}`);
}

/** the previous cycle's market data, when there was one: its timeframes and last price */
export interface PreviousMarket {
  price: number;
  at: number;
  timeframes?: readonly string[];
}

/** "market data BTCUSDT 15m/1h/4h, last 64702.02 at 12:30 UTC" (last: the previous cycle's) */
export function marketDataSummary(symbol: string, previous?: PreviousMarket): string {
  if (!previous) return line(`market data ${symbol}`);
  const frames = previous.timeframes?.length ? ` ${previous.timeframes.join('/')}` : '';
  return line(`market data ${symbol}${frames}, last ${num(previous.price)} at ${utcClock(previous.at)}`);
}

/** "strategist BTCUSDT at 64702.02: no open trade" */
export function strategistSummary(symbol: string, price: number, trade: Trade | null): string {
  return line(`strategist ${symbol} at ${num(price)}: ${tradeWord(trade)}`);
}

/** "OMS: PLAN_TRADE LONG 65000 / SL 63500 / TP 67000, 69000, 10%" */
export function omsSummary(command: AiCommand): string {
  return line(`OMS: ${commandLine(command)}`);
}

export function protectionSummary(trade: Trade, quantity: number): string {
  return line(`OMS: protect ${trade.id}, ${num(quantity)} filled: stop ${num(trade.stopLossPrice)}, targets ${trade.takeProfitPrices.map(num).join('/')}`);
}

export function cancelEntrySummary(trade: Trade, reason: string): string {
  return line(`OMS: cancel the PENDING entry of ${trade.id} (${reason})`);
}

export function cancelProtectionSummary(trade: Trade, reason: string): string {
  return line(`OMS: cancel the protection of ${trade.id} (${reason})`);
}

/** "order monitor: watch T-BTCUSDT-7 PENDING: entry placed, OTOCO" */
export function watchSummary(trade: Trade): string {
  const open = isOpen(trade);
  return line(`order monitor: ${open ? 'watch' : 'done with'} ${trade.id} ${trade.status}: ${ordersLine(trade)}`);
}

/** "trade log: 3 rows (DECISION PLAN_TRADE, ORDER PLAN_TRADE, TRANSITION PENDING->ACTIVE)" */
export function tradeLogSummary(rows: readonly Pick<TradeLogRow, 'kind' | 'action'>[]): string {
  const kinds = rows.map((r) => (r.action ? `${r.kind} ${r.action}` : r.kind));
  return line(`trade log: ${rows.length} row${rows.length === 1 ? '' : 's'} (${kinds.join(', ')})`);
}

export function requestSlotSummary(tradeId: string, entryPrice: number, sizePercent: number): string {
  return line(`portfolio: slot for ${tradeId} (entry ${num(entryPrice)}, ${num(sizePercent)}% of equity)`);
}

export function releaseSlotSummary(tradeId: string, reason: string): string {
  return line(`portfolio: give back the slot of ${tradeId} (${reason})`);
}

/** the cycle timer: "wait for next cycle 12:45 UTC; cycle 7: PLAN_TRADE LONG ... -> EXECUTED, entry placed, OTOCO" */
export function cycleTimerSummary(nextCycleAt: number, wakeAt: number, last: DecisionSummary | null, trade: Trade | null): string {
  const wait = wakeAt < nextCycleAt && trade?.status === 'PENDING'
    ? `wait for the entry of ${trade.id} to expire at ${utcClock(wakeAt)} (next cycle ${utcClock(nextCycleAt)})`
    : `wait for next cycle ${utcClock(nextCycleAt)}`;
  if (!last) return line(wait);
  const outcome = last.outcome ? ` -> ${last.outcome}` : '';
  const orders = last.outcome === 'EXECUTED' && trade && trade.status !== 'CLOSED' ? `, ${ordersLine(trade)}` : '';
  return line(`${wait}; cycle ${last.sequence}: ${commandLine(last.command)}${outcome}${orders}`);
}

// ---- the order monitor and the portfolio

export function trackOrdersSummary(trades: readonly Trade[]): string {
  const listed = trades.map((t) => `${t.id} ${t.status}`).join(', ');
  return line(`track orders of ${trades.length} trade${trades.length === 1 ? '' : 's'}: ${listed}`);
}

export function streamOrdersSummary(watched: number): string {
  return line(`stream the account's fills and order changes (user-data stream; ${watched} trade${watched === 1 ? '' : 's'} watched now)`);
}

export function pollTimerSummary(intervalMs: number, watched: number): string {
  return line(`next poll in ${num(intervalMs / 1000)} s (${watched} trade${watched === 1 ? '' : 's'} watched)`);
}

export function equitySummary(symbols: readonly string[]): string {
  return line(`equity: balances marked to the last prices of ${symbols.join(', ')}`);
}

export function holdingsSummary(symbols: readonly string[]): string {
  return line(`reconcile slots with the traders of ${symbols.join(', ')}`);
}

export function equityTimerSummary(nextAt: number): string {
  return line(`wait for the next equity reading ${utcClock(nextAt)}`);
}

export function firstReadingWaitSummary(tradeId: string): string {
  return line(`slot request ${tradeId}: wait for the first equity reading`);
}

/**
 * Filled quantity in words for a trade line (shared with the details card). A fill's quantity is
 * what arrived (a BUY pays its fee in the coin), so "of" the order's quantity only while the entry
 * order still works.
 */
export function filledWords(trade: Trade): string {
  const filled = filledQuantity(trade);
  const entryWorking = trade.orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN');
  return entryWorking && filled < trade.quantity ? `filled ${num(filled)} of ${num(trade.quantity)}` : `filled ${num(filled)}`;
}
