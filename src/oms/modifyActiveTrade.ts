import type { AdjustTradeCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import { roundTradeLevels } from '../domain/sizing';
import type { Trade } from '../domain/trade';
import { parseClientId } from './clientIds';
import { applyEvents } from './applyEvents';
import { currentGeneration, ordersOfTrade, protectionRefsFromOrders } from './exchangeView';
import { cancelProtection, ensureProtection, exitFillsOfLists } from './protection';
import { cancelWaitingSlices, replaceWaitingSlices, waitingSliceEntries } from './adjustSlices';
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
export async function modifyActiveTrade(command: AdjustTradeCommand, given: Trade, ctx: OmsContext): Promise<OmsResult> {
  const { gateway } = ctx;
  let trade = given;
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

  let open = await gateway.fetchOpenOrders(trade.symbol);
  let current = protectionRefsFromOrders(ordersOfTrade(open, trade));
  const generationNow = currentGeneration(trade, open);
  // slices still waiting for their entry carry the old levels in their waiting pair: they go first
  // (nothing is held by them) and come back at the new levels once the position is protected again
  const waiting = waitingSliceEntries(trade, generationNow + 1);
  // slices of an older generation than the protection still waiting at the old levels: not done yet
  const staleWaiting = waitingSliceEntries(trade, generationNow).some((r) => open.some((o) => o.clientOrderId === r.clientOrderId && o.status === 'OPEN'));
  const adjusted = (generation: number, orders: Trade['orders'], at = levels): TradeEvent => ({
    type: 'PROTECTION_ADJUSTED',
    eventId: `${trade.id}:adjust:g${generation}`,
    tradeId: trade.id,
    stopLossPrice: at.stopLossPrice,
    takeProfitPrices: at.takeProfitPrices,
    orders,
    at: Date.now(),
  });

  // already done (same command again, or a retry after the work landed)?
  const inNewGeneration = current.length > 0 && current.every((r) => generationOf(r.clientOrderId) === generationNow && generationNow > 0);
  if (!staleWaiting && inNewGeneration && current.every((r) => r.stopPrice === levels.stopLossPrice && r.price === levels.takeProfitPrices[r.targetIndex ?? 0])) {
    const check = await ensureProtection(gateway, trade, { generation: generationNow, levels, protection: ctx.protection, ...logTo(ctx) });
    // a retry after the position's protection landed: the waiting slices of the older generation are placed again (adopted if they were)
    const { slices } = await cancelWaitingSlices(gateway, trade, waitingSliceEntries(trade, generationNow));
    const again = await replaceWaitingSlices(gateway, trade, slices, generationNow, levels, old, ctx.protection);
    const events = [adjusted(generationNow, [...check.orders, ...again.refs]), ...check.events.filter((e) => e.type !== 'PROTECTION_PLACED'), ...again.events];
    return { outcome: 'EXECUTED', trade: applyEvents(trade, events), events, alerts: [...check.alerts, ...again.alerts] };
  }

  const generation = generationNow + 1;
  const early: TradeEvent[] = [];
  const cancelledSlices = await cancelWaitingSlices(gateway, trade, waiting);
  if (waiting.length > 0) {
    // a slice that filled up to the cancel now has its pair resting at the old levels: it is replaced below with the rest
    early.push(...cancelledSlices.events);
    trade = applyEvents(trade, cancelledSlices.events);
    open = await gateway.fetchOpenOrders(trade.symbol);
    current = protectionRefsFromOrders(ordersOfTrade(open, trade));
  }
  const cancelled = await cancelProtection(gateway, trade, current.map((r) => r.clientOrderId));
  const placed = await ensureProtection(gateway, trade, { generation, levels, marketFallback: false, protection: ctx.protection, ...logTo(ctx) });
  // exits that filled on the old lists before the cancel landed
  const lateExits = await exitFillsOfLists(gateway, trade, cancelled);
  if (placed.status !== 'REFUSED') {
    const again = await replaceWaitingSlices(gateway, trade, cancelledSlices.slices, generation, levels, old, ctx.protection);
    const events = unique([
      ...early,
      ...lateExits,
      ...placed.events.filter((e) => e.type !== 'PROTECTION_PLACED'),
      ...again.events,
      adjusted(generation, [...placed.orders, ...again.refs]),
    ]);
    return { outcome: 'EXECUTED', trade: applyEvents(given, events), events, alerts: [...placed.alerts, ...again.alerts] };
  }

  // refused: take back the part that went through, put the previous levels back
  if (placed.placed.length > 0) await cancelProtection(gateway, trade, placed.placed.map((r) => r.clientOrderId));
  const restored = await ensureProtection(gateway, trade, { generation: generation + 1, levels: old, protection: ctx.protection, ...logTo(ctx) });
  const back = await replaceWaitingSlices(gateway, trade, cancelledSlices.slices, generation + 1, old, old, ctx.protection);
  const events = unique([
    ...early,
    ...lateExits,
    ...placed.events.filter((e) => e.type !== 'PROTECTION_PLACED'),
    ...restored.events,
    ...back.events,
    // the waiting slices came back at the previous levels: the record takes them (levels unchanged)
    ...(back.refs.length > 0 ? [adjusted(generation + 1, [...restored.orders, ...back.refs], old)] : []),
  ]);
  const reason =
    `the exchange refused the new protection (stop ${levels.stopLossPrice}, targets ${levels.takeProfitPrices.join('/')}): ` +
    `${placed.rejection?.message ?? 'refused'}; ` +
    (restored.status === 'PROTECTED' || restored.status === 'NOTHING_TO_PROTECT'
      ? `the previous stop ${old.stopLossPrice} and targets ${old.takeProfitPrices.join('/')} were put back`
      : `putting the previous levels back failed too (${restored.status})`);
  return {
    outcome: 'REJECTED',
    trade: applyEvents(given, events),
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

const logTo = (ctx: OmsContext) => (ctx.log ? { log: ctx.log } : {});
