import type { TradeEvent } from '../domain/events';
import { exactDifference, exactSum } from '../domain/precision';
import { roundToStep } from '../domain/sizing';
import type { OrderRef, Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { listIdOfLeg, parseClientId, targetOfClientId } from './clientIds';
import { entryEndEvent, entryEventForFill, otocoListOf } from './exchangeView';
import type { TargetLevel } from './protectionSplit';

/**
 * What ensureProtection needs to know about OTOCO entries and slices (see slicing.ts): the one
 * window the exchange leaves open (an entry only partly filled: its OCO waits for a full fill), and
 * which target each slice's coins belong to.
 */

const PARTIAL_REASON = 'remainder of a partly filled OTOCO entry cancelled so the filled part is protected at once';

/**
 * Cancels the OTOCO of each partly filled entry (its remainder and its waiting pair) and reads how
 * it ended: the fills it made up to the cancel (including any that landed after the caller last
 * looked: once the entry is off the book nothing else would read them) and its end.
 */
export async function cancelPartlyFilledEntries(
  gateway: ExchangePort,
  trade: Trade,
  partial: readonly ExchangeOrder[],
): Promise<{ events: TradeEvent[]; alerts: string[] }> {
  const applied = new Set(trade.appliedEventIds ?? []);
  const { amountStep } = await gateway.marketLimits(trade.symbol);
  const perEntry = await Promise.all(
    partial.map(async (entry) => {
      await gateway.cancelOrderList(trade.symbol, otocoListOf(entry)!);
      const ended = await gateway.findOrder(trade.symbol, entry.clientOrderId);
      if (!ended) return { events: [], alerts: [] };
      const fills = ended.filled > 0 ? await gateway.fetchOrderFills(trade.symbol, ended.exchangeOrderId) : [];
      const events: TradeEvent[] = fills.map((f) => entryEventForFill(trade, ended, f, amountStep)).filter((e) => !applied.has(e.eventId));
      const end = entryEndEvent(trade, ended, PARTIAL_REASON);
      if (!end) return { events, alerts: [] };
      events.push(end);
      const what = parseClientId(entry.clientOrderId)?.leg.kind === 'slice' ? `slice entry ${entry.clientOrderId}` : 'entry';
      return {
        events,
        alerts: [
          `${trade.id}: ${what} partly filled (${ended.filled} of ${ended.quantity}); the OTOCO waits for a full fill, so its remainder was cancelled and the filled part is protected by its own OCO`,
        ],
      };
    }),
  );
  return { events: perEntry.flatMap((p) => p.events), alerts: perEntry.flatMap((p) => p.alerts) };
}

/** placed as slices: its entries are slice entries */
export function isSlicedTrade(trade: Trade): boolean {
  return trade.orders.some((o) => o.role === 'ENTRY' && parseClientId(o.clientOrderId)?.leg.kind === 'slice') || trade.entryFills.some((f) => f.entryOrder !== undefined);
}

/**
 * Each remaining target's share of a sliced trade's position: what its slice's entry bought, less
 * what the lists selling at that target (the slice's pair, or OCOs placed for it) have sold. A
 * slice whose target is no longer among `targets` (hit, or dropped by an ADJUST) counts for the
 * nearest one. A market close (refused protection) is taken from the nearest targets first.
 */
export function sliceShares(trade: Trade, targets: readonly TargetLevel[], held: number, step: number): number[] {
  const byIndex = new Map<number, number>();
  const add = (k: number, q: number) => byIndex.set(k, exactSum([byIndex.get(k) ?? 0, q]));
  for (const f of trade.entryFills) add(f.entryOrder !== undefined ? targetOfClientId(f.entryOrder) : 0, f.quantity);
  let unassigned = 0;
  for (const f of trade.exitFills) {
    const cid = f.eventId.split(':fill:')[0]!;
    if (f.reason === 'MANUAL' || parseClientId(cid) === null) unassigned = exactSum([unassigned, f.quantity]);
    else add(targetOfClientId(cid), -f.quantity);
  }
  const shares = targets.map(() => 0);
  const nearest = (k: number) =>
    targets.reduce((best, t, i) => (Math.abs(t.index - k) < Math.abs(targets[best]!.index - k) ? i : best), 0);
  for (const [k, q] of byIndex) if (targets.length > 0) shares[nearest(k)] = exactSum([shares[nearest(k)]!, q]);
  for (let i = 0; i < shares.length && unassigned > 0; i++) {
    const take = Math.min(Math.max(0, shares[i]!), unassigned);
    shares[i] = exactDifference(shares[i]!, take);
    unassigned = exactDifference(unassigned, take);
  }
  // never more than is held in all (the planner places exactly what is missing anyway)
  let room = held;
  return shares.map((q) => {
    const share = roundToStep(Math.max(0, Math.min(q, room)), step);
    room = exactDifference(room, share);
    return share;
  });
}

/** the trade's OTOCO lists still waiting for their entry on the exchange, as it records them */
export function waitingSliceRefs(trade: Trade, openOfTrade: readonly ExchangeOrder[]): OrderRef[] {
  const waiting = waitingListIds(openOfTrade);
  return trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN' && waiting.has(r.clientOrderId));
}

/**
 * OTOCO lists whose pair waits for the entry: the entry is on the book (the exchange may not list
 * the waiting legs among open orders at all), or a leg is reported pending.
 */
export function waitingListIds(openOfTrade: readonly ExchangeOrder[]): Set<string> {
  const ids = new Set<string>();
  for (const o of openOfTrade) {
    if (o.status !== 'OPEN') continue;
    const list = o.pending ? listIdOfLeg(o.clientOrderId) : otocoListOf(o);
    if (list) ids.add(list);
  }
  return ids;
}
