import type { TradeEvent } from '../domain/events';
import { roundToStep } from '../domain/sizing';
import { openQuantity, type Trade } from '../domain/trade';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import { applyEvents } from './applyEvents';
import { flattenClientId } from './clientIds';
import { baseAsset, exitEventForFill, exitSide, FLATTEN_REASON } from './exchangeView';
import { cancelProtectionAndReadFills, ensureProtection } from './protection';
import { isOrderable } from './protectionSplit';

/**
 * flattenPosition: close an ACTIVE position at market (flatten_on_halt), the whole held quantity,
 * once, whatever crashes or retries.
 *
 * Order of the steps, and why. On spot the coins a resting stop or take-profit covers are locked
 * by it: a market sell placed while the protection rests is refused (insufficient balance). So
 * the protection is cancelled FIRST and the market order follows in the same step, back to back:
 *   1. cancel the trade's protective lists and read what their legs filled before the cancel
 *      landed (a stop that fired just before is the trade's exit: nothing is sold twice);
 *   2. the market order `de-<trade>-f` (one per trade): if it exists already (an earlier attempt
 *      placed it and died), it is adopted and its fills read, never placed again; else the open
 *      quantity still held (capped by the free balance, on the amount step) is sold or bought back;
 *   3. if the exchange refuses the market order for good, the protection is put back at once
 *      (ensureProtection at the trade's levels): a refused flatten leaves the position as it was,
 *      protected, never naked.
 * The only moment without a stop is between step 1 and the market order's fill, inside one
 * activity. A crash there is retried by Temporal (the activity heartbeats): the retry finds no list
 * to cancel, no flatten order yet, and sells what is held; and should the flatten fail for good,
 * the trade is still ACTIVE with open quantity, so the next reconciliation protects it again.
 */

export type FlattenStatus = 'FLATTENED' | 'NOTHING_HELD' | 'REFUSED';

export interface FlattenOutcome {
  status: FlattenStatus;
  /** the trade after every event below */
  trade: Trade;
  /** exit fills of the cancelled lists, the market order's fills (MANUAL_CLOSE), restored protection */
  events: TradeEvent[];
  /** one line per order touched: every cancelled list, the market order (the trade log's ORDER rows) */
  orders: string[];
  alerts: string[];
  rejection?: { kind: string; message: string };
}

export async function flattenPosition(gateway: ExchangePort, trade: Trade, reason: string): Promise<FlattenOutcome> {
  const orders: string[] = [];
  const alerts: string[] = [];
  const why = `${FLATTEN_REASON}: ${reason}`;

  // 1. the protection goes first: it locks the coins the market order must sell
  const { cancelled, events } = await cancelProtectionAndReadFills(gateway, trade);
  for (const list of cancelled) orders.push(`cancelled protection ${list} to flatten ${trade.id}`);
  let after = applyEvents(markCancelled(trade, cancelled), events);

  // 2. the one market order of the flatten: adopted when an earlier attempt placed it
  const cid = flattenClientId(trade.id);
  let order = await gateway.findOrder(trade.symbol, cid);
  if (!order) {
    const limits = await gateway.marketLimits(trade.symbol);
    const open = openQuantity(after);
    const free = trade.direction === 'LONG' ? (await gateway.fetchBalance(baseAsset(trade.symbol))).free : Infinity;
    const quantity = roundToStep(Math.max(0, Math.min(open, free)), limits.amountStep);
    if (after.status !== 'ACTIVE' || !isOrderable(quantity, trade.entryPrice, limits)) {
      if (after.status === 'ACTIVE' && open > 0) alerts.push(`${trade.id}: ${open} ${trade.symbol} open, ${quantity} sellable: below the market's minimum order, nothing to flatten`);
      return { status: 'NOTHING_HELD', trade: after, events, orders, alerts };
    }
    try {
      order = await gateway.placeMarketOrder({ symbol: trade.symbol, side: exitSide(trade), quantity, clientOrderId: cid });
    } catch (err) {
      if (!(err instanceof ExchangeRejection)) throw err;
      // 3. refused for good: the position gets its protection back at once, never left naked
      const c = classifyExchangeError(err);
      const restored = await ensureProtection(gateway, after);
      events.push(...restored.events);
      after = applyEvents(after, restored.events);
      orders.push(...restored.placed.map((r) => `protection restored ${r.clientOrderId} (${r.quantity})`));
      alerts.push(`${trade.id}: the market order to flatten ${quantity} ${trade.symbol} was REFUSED (${c.kind}: ${c.message}); the position keeps its stop ${trade.stopLossPrice} (${restored.status})`);
      return { status: 'REFUSED', trade: after, events, orders, alerts, rejection: { kind: c.kind, message: c.message } };
    }
  }
  const known = new Set(events.map((e) => e.eventId));
  const fills = order.filled > 0 ? await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId) : [];
  const closes = fills
    .map((f) => exitEventForFill(trade, order!, f))
    .filter((e): e is TradeEvent => !!e && !known.has(e.eventId))
    .map((e) => (e.type === 'MANUAL_CLOSE' ? { ...e, reason: why } : e));
  events.push(...closes);
  after = applyEvents(after, closes);
  const price = order.averagePrice ?? fills[0]?.price ?? '?';
  orders.push(`market ${order.side} ${order.quantity} ${trade.symbol} (${cid}) to flatten ${trade.id}: ${order.status}, filled ${order.filled} at ${price}`);
  return { status: 'FLATTENED', trade: after, events, orders, alerts };
}

function markCancelled(trade: Trade, lists: readonly string[]): Trade {
  const ids = new Set(lists);
  return { ...trade, orders: trade.orders.map((r) => (ids.has(r.clientOrderId) && r.status === 'OPEN' ? { ...r, status: 'CANCELLED' as const } : r)) };
}
