import type { TradeOnExchange } from '../domain/reconciliation';
import { exactSum } from '../domain/precision';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { Balance, ExchangeOrder } from '../exchange/types';
import { listIdOfLeg, parseClientId } from './clientIds';
import { baseAsset, exitEventForFill, ordersOfTrade, restingStopQuantity } from './exchangeView';

/**
 * The imperative half of reconcileTrade (src/domain/reconciliation.ts): what the exchange shows for
 * one trade, read through the port. The account's trades are read only for the trade's own exit
 * orders whose filled quantity is more than the trade has applied (usually none, so no request).
 */
export async function tradeOnExchange(
  gateway: ExchangePort,
  trade: Trade,
  look: {
    openOrders: readonly ExchangeOrder[];
    /** the symbol's recent orders, open or not (fetchOrderHistory) */
    history: readonly ExchangeOrder[];
    balances: ReadonlyMap<string, Balance>;
    /** base the symbol's other open trades hold */
    heldByOthers: number;
    at: number;
  },
): Promise<TradeOnExchange> {
  const limits = await gateway.marketLimits(trade.symbol);
  const total = look.balances.get(baseAsset(trade.symbol))?.total ?? 0;
  const exitFills: TradeOnExchange['exitFills'][number][] = [];
  for (const order of ordersOfTrade(look.history, trade)) {
    if (!(order.filled > 0)) continue;
    if (!isExitLeg(order.clientOrderId)) continue; // the entry's fills are order tracking's business
    const known = exactSum(trade.exitFills.filter((f) => f.eventId.startsWith(`${order.clientOrderId}:fill:`)).map((f) => f.quantity));
    if (order.filled <= known * (1 + 1e-9)) continue;
    for (const fill of await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId)) {
      const event = exitEventForFill(trade, order, fill);
      if (event?.type === 'STOP_FILLED' || event?.type === 'TARGET_FILLED' || event?.type === 'MANUAL_CLOSE') exitFills.push(event);
    }
  }
  return {
    at: look.at,
    held: Math.max(0, total - look.heldByOthers),
    protectedQuantity: restingStopQuantity(ordersOfTrade(look.openOrders, trade)),
    minQuantity: limits.minAmount,
    exitFills,
  };
}

/** a stop, a take-profit or a market close of ours: the orders that take coins out of a trade */
function isExitLeg(clientOrderId: string): boolean {
  return listIdOfLeg(clientOrderId) !== null || parseClientId(clientOrderId)?.leg.kind === 'close';
}
