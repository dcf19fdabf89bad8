import type { TradeEvent } from '../domain/events';
import { roundToStep } from '../domain/sizing';
import type { OrderRef, Trade } from '../domain/trade';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { listIdOfEntry, parseClientId } from './clientIds';
import { entryEndEvent, entryEventForFill, otocoListOf } from './exchangeView';
import { placeSlices } from './sliceOrders';
import { DEFAULT_PROTECTION, type ProtectionSettings } from './types';

/**
 * ADJUST_TRADE and the slices still waiting for their entry: their waiting pairs carry the old stop
 * and target, so they are cancelled (before the position's protection is, which keeps the time
 * without a stop to one cancel-and-place) and placed again at the new levels in the ADJUST's
 * generation. A slice whose entry filled in part before its cancel is not placed again: its filled
 * part is protected with the position (the partly filled rule), its remainder is dropped. Nothing
 * is held by a waiting slice, so no step here leaves coins without a stop.
 */

export interface WaitingSlice {
  ref: OrderRef;
  /** as the exchange shows it after the cancel */
  order: ExchangeOrder | null;
}

/** the trade's slice entries that may still fill (by its record), older than `generation` */
export function waitingSliceEntries(trade: Trade, generation: number): OrderRef[] {
  return trade.orders.filter((o) => {
    const p = parseClientId(o.clientOrderId);
    return o.role === 'ENTRY' && o.status === 'OPEN' && p?.leg.kind === 'slice' && p.leg.generation < generation;
  });
}

/** cancels the waiting slices (one parallel round trip) and reads their fills: ENTRY_FILLED events */
export async function cancelWaitingSlices(
  gateway: ExchangePort,
  trade: Trade,
  refs: readonly OrderRef[],
): Promise<{ slices: WaitingSlice[]; events: TradeEvent[] }> {
  const applied = new Set(trade.appliedEventIds ?? []);
  const { amountStep } = await gateway.marketLimits(trade.symbol);
  const slices = await Promise.all(
    refs.map(async (ref): Promise<WaitingSlice & { events: TradeEvent[] }> => {
      let order = await gateway.findOrder(trade.symbol, ref.clientOrderId);
      if (order?.status === 'OPEN') {
        await gateway.cancelOrderList(trade.symbol, otocoListOf(order) ?? listIdOfEntry(ref.clientOrderId)!);
        order = await gateway.findOrder(trade.symbol, ref.clientOrderId);
        if (!order || order.status === 'OPEN') throw new Error(`cancel of ${ref.clientOrderId} not confirmed: the exchange still shows it open`);
      }
      const events: TradeEvent[] = [];
      if (order && order.filled > 0) {
        for (const f of await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId)) {
          const e = entryEventForFill(trade, order, f, amountStep);
          if (!applied.has(e.eventId)) events.push(e);
        }
      }
      return { ref, order, events };
    }),
  );
  return { slices: slices.map(({ ref, order }) => ({ ref, order })), events: slices.flatMap((s) => s.events) };
}

/**
 * Places the cancelled slices that bought nothing again at `levels` in `generation` (adopting any
 * a crashed attempt placed). Returns the refs for PROTECTION_ADJUSTED (the old entries CANCELLED,
 * the new ones working) and, for the slices that do not come back (partly filled, or refused at
 * the new and the old levels), their end as events.
 */
export async function replaceWaitingSlices(
  gateway: ExchangePort,
  trade: Trade,
  slices: readonly WaitingSlice[],
  generation: number,
  levels: { stopLossPrice: number; takeProfitPrices: number[] },
  old: { stopLossPrice: number; takeProfitPrices: number[] },
  protection?: Partial<ProtectionSettings>,
): Promise<{ refs: OrderRef[]; events: TradeEvent[]; alerts: string[] }> {
  const settings = { ...DEFAULT_PROTECTION, ...protection };
  const limits = await gateway.marketLimits(trade.symbol);
  const applied = new Set(trade.appliedEventIds ?? []);
  const ended = (s: WaitingSlice, reason: string): TradeEvent[] => {
    const e = s.order ? entryEndEvent(trade, s.order, reason) : null;
    return e && !applied.has(e.eventId) ? [e] : [];
  };
  const events: TradeEvent[] = [];
  const again = slices.filter((s) => s.order !== null && s.order.filled === 0 && s.order.status !== 'FILLED');
  for (const s of slices) if (!again.includes(s) && s.order?.status !== 'FILLED') events.push(...ended(s, 'slice entry partly filled before the ADJUST; its filled part is protected at the new levels'));
  if (again.length === 0) return { refs: [], events, alerts: [] };

  const { taker, maker } = await gateway.feeRates(trade.symbol);
  const orderFor = (s: WaitingSlice, at: { takeProfitPrices: number[] }, g: number) => {
    const index = Math.min(sliceIndex(s.ref), at.takeProfitPrices.length - 1);
    // a BUY pays its fee in the coin it buys: the pair sells what arrives (as placeTradePlan sizes it)
    const protectionQuantity = roundToStep(s.ref.quantity * (1 - Math.max(taker, maker)), limits.amountStep);
    return { generation: g, index, quantity: s.ref.quantity, protectionQuantity, takeProfitPrice: at.takeProfitPrices[index]! };
  };
  const cancelledRefs = again.map((s) => ({ ...s.ref, status: 'CANCELLED' as const }));
  const tryAt = async (at: { stopLossPrice: number; takeProfitPrices: number[] }, g: number) =>
    placeSlices(gateway, trade, again.map((s) => orderFor(s, at, g)), { entryPrice: trade.entryPrice, stopLossPrice: at.stopLossPrice }, limits, settings);
  try {
    const placed = await tryAt(levels, generation);
    return { refs: [...cancelledRefs, ...placed], events, alerts: [] };
  } catch (err) {
    if (!(err instanceof ExchangeRejection)) throw err;
    const why = classifyExchangeError(err).message;
    try {
      const placed = await tryAt(old, generation + 1);
      return { refs: [...cancelledRefs, ...placed], events, alerts: [`${trade.id}: the waiting slices could not be placed at the new levels (${why}); they wait at the previous ones`] };
    } catch (err2) {
      if (!(err2 instanceof ExchangeRejection)) throw err2;
      for (const s of again) events.push(...ended(s, `slice entry could not be placed again after the ADJUST (${why})`));
      return { refs: [], events, alerts: [`${trade.id}: the waiting slices were cancelled and could not be placed again (${why}); only the filled position remains`] };
    }
  }
}

function sliceIndex(ref: OrderRef): number {
  const p = parseClientId(ref.clientOrderId);
  return p?.leg.kind === 'slice' ? p.leg.slice : 0;
}
