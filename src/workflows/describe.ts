import { ActivityFailure } from '@temporalio/workflow';
import type { OmsResult } from '../domain/omsResult';
import type { AiCommand } from '../domain/commands';
import type { Trade } from '../domain/trade';

/** How the symbol workflow words commands, results and failures for the trade log and its state. */

export function describeCommand(command: AiCommand): string {
  switch (command.action) {
    case 'PLAN_TRADE': {
      const s = command.trade_setup;
      return (
        `${s.direction} ${s.symbol} entry ${s.entry_price} stop ${s.stop_loss_price} targets ${s.take_profit_prices.join('/')} ` +
        `size ${s.position_size_percent}%` + (command.reasoning ? `: ${command.reasoning}` : '')
      );
    }
    case 'CANCEL_ORDER':
      return `cancel ${command.order_id}: ${command.reasoning}`;
    case 'ADJUST_TRADE':
      return (
        `adjust ${command.order_id}: stop ${command.new_stop_loss_price}` +
        (command.new_take_profit_prices ? ` targets ${command.new_take_profit_prices.join('/')}` : '') +
        `: ${command.reasoning}`
      );
    case 'DO_NOTHING':
      return command.reasoning;
  }
}

export function describeOmsResult(command: AiCommand, result: OmsResult): string {
  const trade = result.trade;
  if (!trade) return command.action;
  const legs = trade.orders.map((o) => `${o.role} ${o.clientOrderId}${o.exchangeOrderId ? ` (#${o.exchangeOrderId})` : ''}`).join(', ');
  return `${trade.id} ${trade.status}${legs ? `; orders: ${legs}` : ''}`;
}

export function describeTrade(trade: Trade | null): string {
  return trade ? `${trade.status} ${trade.id}` : 'no trade';
}

/** an activity failure's own message, not Temporal's wrapper around it */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
