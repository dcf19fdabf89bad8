import type { AdjustTradeCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import { roundTradeLevels } from '../domain/sizing';
import type { Trade } from '../domain/trade';
import { parseClientId } from './clientIds';
import { applyEvents } from './applyEvents';
import { currentGeneration, ordersOfTrade, protectionRefsFromOrders } from './exchangeView';
import { cancelProtection, ensureProtection, exitFillsOfLists } from './protection';
import type { OmsContext, OmsResult } from './types';

/**
 * ADJUST_TRADE: replace the stop and/or targets of the quantity still held.
 *
 * On spot the old protection locks the coins, so it must go before the new can be placed: all old
 * lists are cancelled in one parallel round trip, then the new ones placed in one parallel round
 * trip. The position is without a stop for no longer than that. If the exchange refuses the new
 * protection, whatever part of it was placed is cancelled and the previous levels are put back (and
 * if even those are refused, the quantity is closed at market: never left naked). The command then
 * comes back REJECTED with the exchange's reason.
 *
 * Idempotent: when the protection on the exchange already has the requested levels and covers the
 * position (a retried or repeated command), nothing is cancelled or placed and the same
 * PROTECTION_ADJUSTED event (same id) is reported.
 */
export async function modifyActiveTrade(command: AdjustTradeCommand, trade: Trade, ctx: OmsContext): Promise<OmsResult> {
  const { gateway } = ctx;
  const limits = await gateway.marketLimits(trade.symbol);
  const wanted = roundTradeLevels(
    trade.direction,
    {
      entryPrice: trade.entryPrice,
      stopLossPrice: command.new_stop_loss_price,
      takeProfitPrices: command.new_take_profit_prices ?? trade.takeProfitPrices,
    },
    limits.tickSize,
  );
  const levels = { stopLossPrice: wanted.stopLossPrice, takeProfitPrices: wanted.takeProfitPrices };
  const old = { stopLossPrice: trade.stopLossPrice, takeProfitPrices: trade.takeProfitPrices };

  const open = await gateway.fetchOpenOrders(trade.symbol);
  const current = protectionRefsFromOrders(ordersOfTrade(open, trade));
  const generationNow = currentGeneration(trade, open);
  const adjusted = (generation: number, orders: Trade['orders']): TradeEvent => ({
    type: 'PROTECTION_ADJUSTED',
    eventId: `${trade.id}:adjust:g${generation}`,
    tradeId: trade.id,
    stopLossPrice: levels.stopLossPrice,
    takeProfitPrices: levels.takeProfitPrices,
    orders,
    at: Date.now(),
  });

  // already done (same command again, or a retry after the work landed)?
  const inNewGeneration = current.length > 0 && current.every((r) => generationOf(r.clientOrderId) === generationNow && generationNow > 0);
  if (inNewGeneration && current.every((r) => r.stopPrice === levels.stopLossPrice && r.price === levels.takeProfitPrices[r.targetIndex ?? 0])) {
    const check = await ensureProtection(gateway, trade, { generation: generationNow, levels, protection: ctx.protection });
    const events = [adjusted(generationNow, check.orders), ...check.events.filter((e) => e.type !== 'PROTECTION_PLACED')];
    return { outcome: 'EXECUTED', trade: applyEvents(trade, events), events, alerts: check.alerts };
  }

  const generation = generationNow + 1;
  const cancelled = await cancelProtection(gateway, trade, current.map((r) => r.clientOrderId));
  const placed = await ensureProtection(gateway, trade, { generation, levels, marketFallback: false, protection: ctx.protection });
  // exits that filled on the old lists before the cancel landed
  const lateExits = await exitFillsOfLists(gateway, trade, cancelled);
  if (placed.status !== 'REFUSED') {
    const events = unique([...lateExits, ...placed.events.filter((e) => e.type !== 'PROTECTION_PLACED'), adjusted(generation, placed.orders)]);
    return { outcome: 'EXECUTED', trade: applyEvents(trade, events), events, alerts: placed.alerts };
  }

  // refused: take back the part that went through, put the previous levels back
  if (placed.placed.length > 0) await cancelProtection(gateway, trade, placed.placed.map((r) => r.clientOrderId));
  const restored = await ensureProtection(gateway, trade, { generation: generation + 1, levels: old, protection: ctx.protection });
  const events = unique([...lateExits, ...placed.events.filter((e) => e.type !== 'PROTECTION_PLACED'), ...restored.events]);
  const reason =
    `the exchange refused the new protection (stop ${levels.stopLossPrice}, targets ${levels.takeProfitPrices.join('/')}): ` +
    `${placed.rejection?.message ?? 'refused'}; ` +
    (restored.status === 'PROTECTED' || restored.status === 'NOTHING_TO_PROTECT'
      ? `the previous stop ${old.stopLossPrice} and targets ${old.takeProfitPrices.join('/')} were put back`
      : `putting the previous levels back failed too (${restored.status})`);
  return {
    outcome: 'REJECTED',
    trade: applyEvents(trade, events),
    events,
    rejection: { code: `EXCHANGE_${(placed.rejection?.kind ?? 'REJECTED').toUpperCase()}`, reason },
    alerts: restored.alerts,
  };
}

function unique(events: TradeEvent[]): TradeEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.eventId) && (seen.add(e.eventId), true));
}

function generationOf(listClientId: string): number {
  const p = parseClientId(listClientId);
  return p && p.leg.kind === 'oco' ? p.leg.generation : 0;
}
