import type { StrategistDecision } from '../contract/results';
import type { AiCommand } from '../domain/commands';
import { tradeIdFor } from '../domain/newTrade';
import type { OrderRef, Trade } from '../domain/trade';
import type { TradeLogRow } from '../domain/tradeLogRow';
import { describeCommand } from './describe';
import type { DecisionSummary, SymbolTraderState } from '../contract/traderState';
import type { TradeLogOutbox } from './tradeLogOutbox';

/** a strategist's answer, or the workflow's own DO_NOTHING when a step failed */
export type CycleDecision = Omit<StrategistDecision, 'source'> & { source: DecisionSummary['source'] };

export function failedDecision(code: string, reason: string): CycleDecision {
  return {
    command: { action: 'DO_NOTHING', reasoning: reason },
    source: 'workflow',
    accepted: false,
    rejection: { stage: 'activity', code, reason },
  };
}

/** the cycle's decision becomes the state's lastDecision and its trade log rows */
export function recordDecision(
  state: SymbolTraderState,
  tradeLog: Pick<TradeLogOutbox, 'add'>,
  sequence: number,
  decision: CycleDecision,
  outcome?: DecisionSummary['outcome'],
  outcomeDetail?: string,
): void {
  const command = decision.command;
  state.lastDecision = {
    sequence,
    at: Date.now(),
    action: command.action,
    command,
    source: decision.source,
    accepted: decision.accepted,
    ...(decision.rejection ? { rejection: decision.rejection } : {}),
    ...(outcome ? { outcome } : {}),
    ...(outcomeDetail ? { outcomeDetail } : {}),
  };
  const trade = command.action === 'PLAN_TRADE' ? undefined : (state.trade ?? undefined);
  tradeLog.add('DECISION', describeCommand(command), trade, command.action, sequence, commandColumns(command, state.symbol, sequence));
  if (decision.rejection) {
    const r = decision.rejection;
    tradeLog.add('REJECTION', `${r.stage}/${r.code}: ${r.reason}`, trade, command.action, sequence);
  }
  if (outcome === 'NOT_EXECUTED' && outcomeDetail) tradeLog.add('DECISION', `not carried out: ${outcomeDetail}`, trade, command.action, sequence);
}

/** a DECISION row's columns: the command's own levels (not the previous trade's) */
export function commandColumns(command: AiCommand, symbol: string, sequence: number): Partial<TradeLogRow> {
  if (command.action === 'PLAN_TRADE') {
    const s = command.trade_setup;
    return {
      tradeId: tradeIdFor(symbol, sequence),
      direction: s.direction,
      price: s.entry_price,
      sizePercent: s.position_size_percent,
      stopLoss: s.stop_loss_price,
      takeProfits: s.take_profit_prices,
    };
  }
  if (command.action === 'ADJUST_TRADE') {
    return {
      ...(command.new_stop_loss_price != null ? { stopLoss: command.new_stop_loss_price } : {}),
      ...(command.new_take_profit_prices ? { takeProfits: command.new_take_profit_prices } : {}),
    };
  }
  return {};
}

/**
 * An ORDER row's columns: the order the command placed or cancelled (a plan's and a cancel's:
 * the entry; an adjust's: the first protective list it placed), with side, type and both ids.
 */
export function orderColumns(command: AiCommand, trade: Trade): Partial<TradeLogRow> {
  const ref = command.action === 'ADJUST_TRADE'
    ? trade.orders.find((o) => o.role !== 'ENTRY' && o.status === 'OPEN')
    : trade.orders.find((o) => o.role === 'ENTRY');
  return ref ? orderRefColumns(trade, ref) : {};
}

/** one order's side, type and both ids */
export function orderRefColumns(trade: Trade, ref: OrderRef): Partial<TradeLogRow> {
  const entrySide = trade.direction === 'LONG' ? 'BUY' : 'SELL';
  const exitSide = entrySide === 'BUY' ? 'SELL' : 'BUY';
  const type = ref.role === 'ENTRY' ? 'LIMIT' : ref.role === 'OCO' ? 'OCO' : ref.role === 'STOP' ? 'STOP_LOSS' : 'LIMIT_MAKER';
  return {
    side: ref.role === 'ENTRY' ? entrySide : exitSide,
    orderType: type,
    clientOrderId: ref.clientOrderId,
    ...(ref.exchangeOrderId !== undefined ? { exchangeOrderId: ref.exchangeOrderId } : {}),
  };
}

/**
 * The ORDER rows of protection an ensureProtection step placed (or found resting from an attempt
 * that crashed before it could report it): one per protective order the trade did not hold open
 * before, with the order's own quantity, limit price and stop.
 */
export function placedProtectionRows(before: Trade, after: Trade): Array<{ detail: string; columns: Partial<TradeLogRow> }> {
  const known = new Set(before.orders.filter((o) => o.status === 'OPEN').map((o) => o.clientOrderId));
  return after.orders
    .filter((o) => o.role !== 'ENTRY' && o.status === 'OPEN' && !known.has(o.clientOrderId))
    .map((o) => {
      const columns = { ...orderRefColumns(after, o), quantity: o.quantity, price: o.price ?? null, stopLoss: o.stopPrice ?? null };
      const levels = [o.price !== undefined ? `at ${o.price}` : '', o.stopPrice !== undefined ? `stop ${o.stopPrice}` : ''].filter(Boolean).join(' / ');
      const target = o.targetIndex !== undefined ? ` (target ${o.targetIndex + 1})` : '';
      return { detail: `protection placed: ${columns.orderType} ${columns.side} ${o.quantity} ${levels}${target}`, columns };
    });
}

/** what the OMS made of the last decision */
export function setOutcome(state: SymbolTraderState, outcome: DecisionSummary['outcome'], detail: string): void {
  if (state.lastDecision) state.lastDecision = { ...state.lastDecision, outcome, outcomeDetail: detail };
}
