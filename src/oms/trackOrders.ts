import type { TradeEvent } from '../domain/events';
import { isOpen, type Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { entryClientId, isEntryClientId, parseClientId, stopLegId, takeProfitLegId } from './clientIds';
import { entryEndEvent, entryEventForFill, exitEventForFill, ordersOfTrade } from './exchangeView';
import { entryEndReason } from './streamEvents';

/**
 * Order tracking by polling: given the open trades, report every fill, partial fill, cancel and
 * expiry of their orders since the last look.
 *
 * Event ids come from exchange facts only (`<clientOrderId>:fill:<exchange trade id>`,
 * `<clientOrderId>:canceled`, `<clientOrderId>:expired`), so reading again after a crash produces
 * the same ids and the symbol workflow drops the duplicates. Events already applied to the trade
 * (its appliedEventIds) are not reported again.
 *
 * Cost per look: one openOrders request per symbol; an order is fetched (and its fills read) only
 * when it left the book or its filled quantity changed since the tracker's last look. A fresh tracker
 * (after a restart) fetches each watched order once.
 */

export const DEFAULT_TRACKING_INTERVAL_MS = 500;

export class OrderTracker {
  /** clientOrderId -> "<status>:<filled>" as last seen */
  private readonly seen = new Map<string, string>();

  constructor(private readonly gateway: ExchangePort) {}

  async trackOrders(openTrades: readonly Trade[]): Promise<TradeEvent[]> {
    const bySymbol = new Map<string, Trade[]>();
    for (const t of openTrades) {
      if (!isOpen(t)) continue;
      bySymbol.set(t.symbol, [...(bySymbol.get(t.symbol) ?? []), t]);
    }
    const events: TradeEvent[] = [];
    const watched = new Set<string>();
    for (const [symbol, trades] of bySymbol) {
      const open = await this.gateway.fetchOpenOrders(symbol);
      for (const trade of trades) events.push(...(await this.trackTrade(trade, open, watched)));
    }
    // forget orders of trades no longer open, so a long-running tracker stays small
    for (const cid of this.seen.keys()) if (!watched.has(cid)) this.seen.delete(cid);
    return events;
  }

  private async trackTrade(trade: Trade, open: readonly ExchangeOrder[], watched: Set<string>): Promise<TradeEvent[]> {
    const applied = new Set(trade.appliedEventIds ?? []);
    const onBook = new Map(ordersOfTrade(open, trade).map((o) => [o.clientOrderId, o]));
    const events: TradeEvent[] = [];
    for (const cid of watchedClientIds(trade, onBook)) {
      watched.add(cid);
      const resting = onBook.get(cid);
      const key = resting ? `${resting.status}:${resting.filled}` : undefined;
      if (resting && this.seen.get(cid) === key) continue;
      if (!resting && this.seen.get(cid)?.startsWith('DONE')) continue;
      const order = resting ?? (await this.gateway.findOrder(trade.symbol, cid));
      if (!order) continue; // never reached the exchange (or not yet): reconciliation's business
      if (order.filled > 0) {
        const fills = await this.gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId);
        const { amountStep } = await this.gateway.marketLimits(trade.symbol);
        for (const fill of fills) {
          const event = isEntryClientId(cid) ? entryEventForFill(trade, order, fill, amountStep) : exitEventForFill(trade, order, fill);
          if (event && !applied.has(event.eventId)) events.push(event);
        }
      }
      if (isEntryClientId(cid)) {
        const event = entryEndEvent(trade, order, entryEndReason(order));
        if (event && !applied.has(event.eventId) && trade.entryEndedAt === undefined) events.push(event);
      }
      this.seen.set(cid, order.status === 'OPEN' ? `${order.status}:${order.filled}` : `DONE:${order.status}:${order.filled}`);
    }
    return events;
  }
}

/**
 * The orders to look at: the entry while it may still fill, every leg of the trade's open
 * protection refs, and every order of the trade resting on the book (covers protection placed by
 * an attempt whose result the workflow never stored, and the OTOCO's legs).
 */
function watchedClientIds(trade: Trade, onBook: ReadonlyMap<string, ExchangeOrder>): string[] {
  const ids = new Set<string>();
  const entry = entryClientId(trade.id);
  // a sliced trade has no plain entry: its slices' entries are among its refs
  const entries = trade.orders.filter((o) => o.role === 'ENTRY');
  const plainEntry = entries.length === 0 || entries.some((o) => o.clientOrderId === entry);
  if (plainEntry && (trade.entryEndedAt === undefined || onBook.has(entry))) ids.add(entry);
  for (const ref of trade.orders) {
    if (ref.status !== 'OPEN') continue;
    const p = parseClientId(ref.clientOrderId);
    if (!p) continue;
    if (isEntryClientId(ref.clientOrderId)) ids.add(ref.clientOrderId);
    if ((p.leg.kind === 'oco' || p.leg.kind === 'otoco' || p.leg.kind === 'slice') && p.leg.leg === 'list') {
      ids.add(takeProfitLegId(ref.clientOrderId));
      ids.add(stopLegId(ref.clientOrderId));
    }
  }
  for (const cid of onBook.keys()) ids.add(cid);
  return [...ids];
}
