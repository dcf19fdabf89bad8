import type { CancelOrderCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { entryClientId, listIdOfEntry, otocoListClientId } from './clientIds';
import { applyEvents } from './applyEvents';
import { entryEndedEvent, entryEndOf, entryEndEvent, entryEventForFill, otocoListOf } from './exchangeView';
import { isSlicedTrade } from './sliceProtection';
import { ensureProtection } from './protection';
import type { OmsContext, OmsResult } from './types';

/**
 * CANCEL_ORDER: cancel the entry and everything linked to it (for an OTOCO, the whole list: the
 * entry and its waiting OCO). Whatever the entry filled before the cancel landed stays in the account
 * and is protected before this returns.
 *
 * Idempotent: cancelling twice finds the entry already cancelled and reports the same events (same
 * ids). An entry that had filled completely cannot be cancelled: the fills are reported and the
 * command is REJECTED with ENTRY_ALREADY_FILLED.
 */
export async function cancelPendingOrder(command: CancelOrderCommand, trade: Trade, ctx: OmsContext): Promise<OmsResult> {
  const { gateway } = ctx;
  const { order, orders, events } = await cancelEntry(gateway, trade, command.reasoning);
  if (!order) return { outcome: 'EXECUTED', trade: applyEvents(trade, events), events, alerts: [] };

  let updated = applyEvents(trade, events);
  const alerts: string[] = [];
  if (orders.some((o) => o.filled > 0)) {
    const protection = await ensureProtection(gateway, updated, { protection: ctx.protection, ...(ctx.log ? { log: ctx.log } : {}) });
    events.push(...protection.events);
    alerts.push(...protection.alerts);
    updated = applyEvents(updated, protection.events);
  }
  if (orders.every((o) => o.status === 'FILLED')) {
    return {
      outcome: 'REJECTED',
      trade: updated,
      events,
      rejection: { code: 'ENTRY_ALREADY_FILLED', reason: `the entry of ${trade.id} filled completely before the cancel; the trade is ACTIVE` },
      alerts,
    };
  }
  return { outcome: 'EXECUTED', trade: updated, events, alerts };
}

/**
 * Cancels whatever is left of the trade's entry (the CANCEL_ENTRY effect too) and reports what the
 * exchange says about it: its fills not yet applied, and how it ended. A completely filled OTOCO
 * entry is left alone: its list has become the position's live protection.
 */
export async function cancelEntry(
  gateway: ExchangePort,
  trade: Trade,
  reason: string,
): Promise<{ order: ExchangeOrder | null; orders: ExchangeOrder[]; events: TradeEvent[] }> {
  if (isSlicedTrade(trade)) return cancelSliceEntries(gateway, trade, reason);
  const { order, events } = await cancelPlainEntry(gateway, trade, reason);
  return { order, orders: order ? [order] : [], events };
}

/**
 * A sliced trade: every slice whose entry may still fill has its OTOCO cancelled (its entry and
 * waiting pair), in one parallel round trip; a slice that filled completely keeps its pair, which
 * protects what it bought. `order` is the first slice's entry as it ended (null if the exchange
 * knows none), `orders` every slice's.
 */
async function cancelSliceEntries(
  gateway: ExchangePort,
  trade: Trade,
  reason: string,
): Promise<{ order: ExchangeOrder | null; orders: ExchangeOrder[]; events: TradeEvent[] }> {
  const applied = new Set(trade.appliedEventIds ?? []);
  const { amountStep } = await gateway.marketLimits(trade.symbol);
  const refs = trade.orders.filter((o) => o.role === 'ENTRY');
  const perSlice = await Promise.all(
    refs.map(async (ref): Promise<{ order: ExchangeOrder | null; events: TradeEvent[] }> => {
      let order = await gateway.findOrder(trade.symbol, ref.clientOrderId);
      if (!order) {
        const unknown: TradeEvent = {
          type: 'ENTRY_CANCELLED',
          eventId: `${ref.clientOrderId}:unknown`,
          tradeId: trade.id,
          reason: `${reason} (the exchange has no entry order ${ref.clientOrderId})`,
          at: Date.now(),
          entryOrder: ref.clientOrderId,
        };
        return { order, events: ref.status === 'OPEN' && !applied.has(unknown.eventId) ? [unknown] : [] };
      }
      if (order.status === 'OPEN') {
        await gateway.cancelOrderList(trade.symbol, otocoListOf(order) ?? listIdOfEntry(ref.clientOrderId)!);
        order = await gateway.findOrder(trade.symbol, ref.clientOrderId);
        if (!order || order.status === 'OPEN') throw new Error(`cancel of ${ref.clientOrderId} not confirmed: the exchange still shows it open`);
      }
      const events: TradeEvent[] = [];
      if (order.filled > 0) {
        for (const fill of await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId)) {
          const e = entryEventForFill(trade, order, fill, amountStep);
          if (!applied.has(e.eventId)) events.push(e);
        }
      }
      const ended = entryEndEvent(trade, order, reason);
      if (ended && !applied.has(ended.eventId)) events.push(ended);
      return { order, events };
    }),
  );
  const orders = perSlice.flatMap((p) => (p.order ? [p.order] : []));
  return { order: orders[0] ?? null, orders, events: perSlice.flatMap((p) => p.events) };
}

/** the trade's one entry (a LIMIT order, or the working order of its OTOCO) */
async function cancelPlainEntry(
  gateway: ExchangePort,
  trade: Trade,
  reason: string,
): Promise<{ order: ExchangeOrder | null; events: TradeEvent[] }> {
  const entryId = entryClientId(trade.id);
  const isOtoco = trade.orders.some((o) => o.clientOrderId === otocoListClientId(trade.id));
  let order: ExchangeOrder | null;
  if (isOtoco) {
    order = await gateway.findOrder(trade.symbol, entryId);
    if (order && order.status === 'OPEN') {
      await gateway.cancelOrderList(trade.symbol, otocoListClientId(trade.id));
      order = await gateway.findOrder(trade.symbol, entryId);
    }
  } else {
    order = await gateway.cancelOrder(trade.symbol, entryId);
  }

  if (!order) {
    // the exchange never had it: nothing can fill any more
    const event = entryEndedEvent(trade, entryId, 'unknown', `${reason} (the exchange has no entry order ${entryId})`, Date.now());
    return { order, events: trade.appliedEventIds?.includes(event.eventId) ? [] : [event] };
  }
  if (order.status === 'OPEN') {
    // the cancel did not take (a transient failure past the gateway's retries): let the step retry
    throw new Error(`cancel of ${entryId} not confirmed: the exchange still shows it open`);
  }
  const applied = new Set(trade.appliedEventIds ?? []);
  const events: TradeEvent[] = [];
  if (order.filled > 0) {
    const { amountStep } = await gateway.marketLimits(trade.symbol);
    for (const fill of await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId)) {
      const e = entryEventForFill(trade, order, fill, amountStep);
      if (!applied.has(e.eventId)) events.push(e);
    }
  }
  const how = entryEndOf(order);
  const ended = how ? entryEndedEvent(trade, entryId, how, reason, order.updatedAt) : null;
  if (ended && !applied.has(ended.eventId)) events.push(ended);
  return { order, events };
}
