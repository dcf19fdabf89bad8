import type { TradeEvent } from '../events';
import type { Trade } from '../trade';
import { describeOrders, replaceProtection } from './orderRefs';
import { journal, markApplied, type Transition } from './transition';

type ProtectionEvent = Extract<TradeEvent, { type: 'PROTECTION_PLACED' | 'PROTECTION_ADJUSTED' }>;

/**
 * Protection placed or adjusted: a fact about the exchange, recorded in any status (an OTOCO's OCO
 * rests with the PENDING entry) and never a change of status. On a trade that is already over it is
 * cancelled at once: a sell order for coins the trade no longer holds must not rest.
 */
export function onProtection(trade: Trade, event: ProtectionEvent): Transition {
  const from = trade.status;
  let next: Trade = markApplied({ ...trade, orders: replaceProtection(trade.orders, event.orders) }, event.eventId);
  const what =
    event.type === 'PROTECTION_ADJUSTED'
      ? `protection adjusted: stop ${event.stopLossPrice}, targets ${event.takeProfitPrices.join('/')}`
      : `protection placed: ${describeOrders(event.orders)}`;
  if (from === 'CLOSED' || from === 'CANCELLED') {
    return {
      trade: next,
      effects: [
        { type: 'CANCEL_PROTECTION', tradeId: trade.id },
        journal(next, from, from, `${what}, but the trade is already ${from}: cancelling it`),
      ],
    };
  }
  if (event.type === 'PROTECTION_ADJUSTED') {
    next = { ...next, stopLossPrice: event.stopLossPrice, takeProfitPrices: [...event.takeProfitPrices] };
  }
  return { trade: next, effects: [journal(next, from, from, what)] };
}
