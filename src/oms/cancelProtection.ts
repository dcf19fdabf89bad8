import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import { stopLegId, takeProfitLegId } from './clientIds';
import { exitEventForFill, ordersOfTrade, protectionRefsFromOrders } from './exchangeView';

/**
 * Taking a trade's protection off the exchange (an ADJUST, a consolidation, the end of a trade)
 * without losing what its legs filled in the meantime: a leg can fill between the last look and the
 * cancel, and once its ref is replaced nobody would read it again.
 */

/** cancels every open protective list of the trade (in parallel: one round trip) */
export async function cancelProtection(gateway: ExchangePort, trade: Trade, lists?: readonly string[]): Promise<string[]> {
  const open = ordersOfTrade(await gateway.fetchOpenOrders(trade.symbol), trade);
  const ids = lists ?? protectionRefsFromOrders(open).map((r) => r.clientOrderId);
  // OTOCO pair still waiting for its entry is cancelled with the entry, not here
  await Promise.all(ids.map((id) => gateway.cancelOrderList(trade.symbol, id)));
  return [...ids];
}

/**
 * Cancels the trade's protection and reads what its lists filled before the cancel landed (a leg can
 * fill between the last look and the cancel; those fills must reach the trade). A list that filled
 * completely is no longer open, so it is not among the cancelled ones: the trade's refs still call
 * it OPEN, and it is read too.
 */
export async function cancelProtectionAndReadFills(
  gateway: ExchangePort,
  trade: Trade,
  lists?: readonly string[],
): Promise<{ cancelled: string[]; events: TradeEvent[] }> {
  const cancelled = await cancelProtection(gateway, trade, lists);
  const believedOpen = lists ? [] : trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN').map((r) => r.clientOrderId);
  const events = await exitFillsOfLists(gateway, trade, [...new Set([...cancelled, ...believedOpen])]);
  // in the order they happened, so the state machine sees the trade's exits as the exchange did
  events.sort((a, b) => a.at - b.at || a.eventId.localeCompare(b.eventId));
  return { cancelled, events };
}

/**
 * Exit fills of lists that were just cancelled (a leg may have filled, in part, before the cancel
 * landed): the trade's refs to them are replaced, so the tracker would not look at them again.
 * Called after the replacement is placed, so it never lengthens the time without a stop.
 */
export async function exitFillsOfLists(gateway: ExchangePort, trade: Trade, lists: readonly string[]): Promise<TradeEvent[]> {
  const applied = new Set(trade.appliedEventIds ?? []);
  const legs = lists.flatMap((l) => [takeProfitLegId(l), stopLegId(l)]);
  const perLeg = await Promise.all(
    legs.map(async (cid) => {
      const order = await gateway.findOrder(trade.symbol, cid);
      if (!order || order.filled <= 0) return [];
      const fills = await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId);
      return fills.map((f) => exitEventForFill(trade, order, f)).filter((e): e is TradeEvent => !!e && !applied.has(e.eventId));
    }),
  );
  return perLeg.flat();
}

