import type { CancelOrderCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { entryClientId, otocoListClientId } from './clientIds';
import { applyEvents } from './applyEvents';
import { entryEndedEvent, entryEndOf, entryEventForFill } from './exchangeView';
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
  const { order, events } = await cancelEntry(gateway, trade, command.reasoning);
  if (!order) return { outcome: 'EXECUTED', trade: applyEvents(trade, events), events, alerts: [] };

  let updated = applyEvents(trade, events);
  const alerts: string[] = [];
  if (order.filled > 0) {
    const protection = await ensureProtection(gateway, updated, { protection: ctx.protection });
    events.push(...protection.events);
    alerts.push(...protection.alerts);
    updated = applyEvents(updated, protection.events);
  }
  if (order.status === 'FILLED') {
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
