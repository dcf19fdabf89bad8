import type { OmsLogger } from './logger';
import type { TradeEvent } from '../domain/events';
import { exactDifference, exactSum } from '../domain/precision';
import { roundToStep } from '../domain/sizing';
import { tradeQuantities } from '../domain/stateMachine';
import type { OrderRef, Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { applyEvents } from './applyEvents';
import { entryClientId, listIdOfEntry, listIdOfLeg, otocoListClientId, parseClientId, targetOfClientId } from './clientIds';
import { baseAsset, entryEndEvent, entryEventForFill, entryRef, exitEventForFill, protectionRefsFromOrders } from './exchangeView';
import { ensureProtection } from './protection';
import type { ProtectionSettings } from './types';

/**
 * Rebuilding a trade nobody holds from what the exchange knows of it.
 *
 * A symbol workflow stopped with an ACTIVE trade leaves its protection resting on purpose; started
 * again without its state (or after state was lost) it finds "our orders that no open trade owns".
 * Cancelling those would leave the coins naked. Instead the trade is recovered: its id is the key in
 * the client ids; the entry order `de-<key>-e` gives direction, price, quantity and fills; the
 * protective legs (open, or the newest ones over) give the stop and the targets; the legs' fills give
 * the exits. The recovered trade is ACTIVE for what it still holds and that quantity is protected.
 *
 * Only two cases cancel: an entry that never filled (an orphan entry must not open a position
 * nobody watches), and orders of a trade whose coins are gone from the account (an orphan sell must
 * not sell coins that are not the trade's). Everything else of ours is left resting and reported.
 */

export interface RecoveryResult {
  /** ACTIVE, events applied and protection ensured; null when nothing is held or it cannot be rebuilt */
  trade: Trade | null;
  /** exchange facts as events (entry fills, entry end, exit fills), then PROTECTION_PLACED, in order */
  events: TradeEvent[];
  cancelled: Array<{ symbol: string; clientOrderId: string; kind: 'order' | 'list'; reason: string }>;
  /** orders left resting although no trade could be rebuilt (safety first: a human must look) */
  kept: Array<{ symbol: string; clientOrderId: string; reason: string }>;
  protectionPlaced: OrderRef[];
  alerts: string[];
}

export interface RecoverOptions {
  /** base quantity of the symbol that other open trades hold (not this trade's coins) */
  heldByOthers?: number;
  protection?: Partial<ProtectionSettings>;
  log?: OmsLogger;
}

/**
 * @param key the trade key of the client ids (the trade id, or its hash for very long ids): the
 *            recovered trade's id, so its client ids are the same ones
 * @param resting our open orders with that key (what reconciliation found nobody owns)
 */
export async function recoverTrade(
  gateway: ExchangePort,
  key: string,
  symbol: string,
  resting: readonly ExchangeOrder[],
  opts: RecoverOptions = {},
): Promise<RecoveryResult> {
  const result: RecoveryResult = { trade: null, events: [], cancelled: [], kept: [], protectionPlaced: [], alerts: [] };
  const limits = await gateway.marketLimits(symbol);
  const history = mergeOrders(
    (await gateway.fetchOrderHistory(symbol)).filter((o) => parseClientId(o.clientOrderId)?.key === key),
    resting,
  );
  const entryId = entryClientId(key);
  // a plan placed as slices has one entry per slice (de-<key>-s<g>.<k>e) and no plain entry
  const slices = sliceEntriesOf(history);
  const plain = slices.length > 0 ? null : pickEntry(history.filter((o) => o.clientOrderId === entryId)) ?? (await gateway.findOrder(symbol, entryId));
  const entries = plain ? [plain] : slices;
  const entry = entries[0] ?? null;
  const base = await gateway.fetchBalance(baseAsset(symbol));
  const coinsOnAccount = Math.max(0, exactDifference(base.total, opts.heldByOthers ?? 0));
  const gone = (held: number) => roundToStep(held, limits.amountStep) < limits.minAmount;

  if (!entry) {
    // nothing says what the trade holds; the account's coins decide whether its orders may rest
    if (gone(coinsOnAccount)) await cancelAll(gateway, symbol, resting, result, `the account holds no ${baseAsset(symbol)} for it any more`);
    else keepAll(symbol, resting, result, `entry order ${entryId} not found: the trade cannot be rebuilt; left resting, check it by hand`);
    return result;
  }

  const long = entry.side === 'BUY';
  const levels = levelsOf(history);
  const skeleton: Trade = {
    id: key,
    symbol,
    direction: long ? 'LONG' : 'SHORT',
    status: 'PENDING',
    entryPrice: entry.price ?? entry.averagePrice ?? 0,
    stopLossPrice: levels?.stopLossPrice ?? 0,
    takeProfitPrices: levels?.takeProfitPrices ?? [],
    // a slice that ended counts for what it bought (an ADJUST re-placed it, or its remainder was cancelled)
    quantity: exactSum(entries.map((o) => (o.status === 'OPEN' || o.status === 'FILLED' || entries.length === 1 ? o.quantity : o.filled))),
    // unknown after recovery: the plan's percent is not an exchange fact
    positionSizePercent: 0,
    entryFills: [],
    exitFills: [],
    orders: [...entries.map((o) => sliceAware(entryRef(o))), ...protectionRefsFromOrders(resting)],
    createdAt: Math.min(...history.map((o) => o.updatedAt), entry.updatedAt),
  };
  const facts = (await Promise.all(entries.map((e) => factsOf(gateway, skeleton, e, entries.length > 1 ? [] : history, limits.amountStep)))).flat();
  if (entries.length > 1) facts.push(...(await factsOf(gateway, skeleton, null, history, limits.amountStep)));
  facts.sort(inOrder);
  let trade = applyEvents(skeleton, facts);
  const open = tradeQuantities(trade).open;
  // a short's exits buy back: what it "holds" is its open quantity, not base coins
  const held = long ? Math.min(open, coinsOnAccount) : open;

  if (gone(held)) {
    const why =
      entries.every((o) => o.filled <= 0)
        ? 'orphan entry, nothing filled: no open trade owns it'
        : open <= 0
          ? 'the trade has exited everything it bought'
          : `the account no longer holds the trade's ${baseAsset(symbol)} (${open} expected, ${coinsOnAccount} there)`;
    await cancelAll(gateway, symbol, resting, result, why);
    return result;
  }
  if (!levels) {
    keepAll(symbol, resting, result, `no stop level of ${key} found on the exchange: cannot protect it`);
    result.alerts.push(`${key}: holds ${held} ${symbol} with NO known stop level and no workflow owns it: UNPROTECTED, act now`);
    return result;
  }

  result.events.push(...facts);
  const protection = await ensureProtection(gateway, trade, { protection: opts.protection, ...(opts.log ? { log: opts.log } : {}) });
  result.events.push(...protection.events);
  result.alerts.push(...protection.alerts);
  result.protectionPlaced.push(...protection.placed);
  trade = applyEvents(trade, protection.events);
  result.trade = trade;
  result.alerts.push(
    `${key}: no workflow owned it; RECOVERED from the exchange: ${trade.status} ${trade.direction} ${tradeQuantities(trade).open} ${symbol}, ` +
      `entry ${trade.entryPrice}, stop ${trade.stopLossPrice}, targets ${trade.takeProfitPrices.join(', ')}; its protection was kept`,
  );
  return result;
}

/** one order per exchange id; the open view wins (it is the freshest) */
function mergeOrders(history: readonly ExchangeOrder[], resting: readonly ExchangeOrder[]): ExchangeOrder[] {
  const byId = new Map(history.map((o) => [o.exchangeOrderId, o]));
  for (const o of resting) byId.set(o.exchangeOrderId, o);
  return [...byId.values()];
}

/** a client id can be reused once its order is over: the open one, else the newest */
function pickEntry(entries: readonly ExchangeOrder[]): ExchangeOrder | null {
  const open = entries.find((o) => o.status === 'OPEN');
  if (open) return open;
  return [...entries].sort((a, b) => b.updatedAt - a.updatedAt)[0] ?? null;
}


interface LegFacts {
  order: ExchangeOrder;
  generation: number;
  target: number;
  leg: 'takeProfit' | 'stop';
}

/**
 * The protection levels: those of the resting legs when any rest, else of the newest generation
 * seen (OTOCO legs count as the first). Targets by their index; an index no leg shows takes its
 * nearest known neighbour, so indices stay those of the client ids.
 */
function levelsOf(orders: readonly ExchangeOrder[]): { stopLossPrice: number; takeProfitPrices: number[] } | null {
  const legs: LegFacts[] = [];
  for (const order of orders) {
    const p = parseClientId(order.clientOrderId);
    if (!p || (p.leg.kind !== 'oco' && p.leg.kind !== 'otoco' && p.leg.kind !== 'slice')) continue;
    if (p.leg.leg !== 'takeProfit' && p.leg.leg !== 'stop') continue;
    const generation = p.leg.kind === 'otoco' ? -1 : p.leg.generation;
    legs.push({ order, generation, target: targetOfClientId(order.clientOrderId), leg: p.leg.leg });
  }
  const rank = (l: LegFacts) => (l.order.status === 'OPEN' ? 1e9 : 0) + l.generation;
  legs.sort((a, b) => rank(b) - rank(a) || b.order.updatedAt - a.order.updatedAt);
  const stop = legs.find((l) => l.leg === 'stop' && l.order.stopPrice !== null);
  if (!stop) return null;
  const sameSet = legs.filter((l) => l.leg === 'takeProfit' && l.order.price !== null && l.generation === stop.generation);
  const byIndex = new Map<number, number>();
  for (const l of sameSet) if (!byIndex.has(l.target)) byIndex.set(l.target, l.order.price!);
  if (byIndex.size === 0) return null;
  const last = Math.max(...byIndex.keys());
  const known = [...byIndex.entries()].sort((a, b) => a[0] - b[0]);
  const takeProfitPrices = Array.from({ length: last + 1 }, (_, i) => byIndex.get(i) ?? (known.find(([k]) => k > i) ?? known[known.length - 1]!)[1]);
  return { stopLossPrice: stop.order.stopPrice!, takeProfitPrices };
}

/** the trade's history as events, with the ids order tracking gives them, in the order it happened */
async function factsOf(
  gateway: ExchangePort,
  trade: Trade,
  entry: ExchangeOrder | null,
  history: readonly ExchangeOrder[],
  amountStep: number,
): Promise<TradeEvent[]> {
  const events: TradeEvent[] = [];
  if (entry && entry.filled > 0) {
    for (const f of await gateway.fetchOrderFills(trade.symbol, entry.exchangeOrderId)) events.push(entryEventForFill(trade, entry, f, amountStep));
  }
  const ended = entry ? entryEndEvent(trade, entry, 'entry order ended on the exchange') : null;
  if (ended) events.push(ended);
  const exits = history.filter((o) => {
    const p = parseClientId(o.clientOrderId);
    return o.filled > 0 && !!p && (p.leg.kind === 'close' || p.leg.kind === 'flatten' || ((p.leg.kind === 'oco' || p.leg.kind === 'otoco' || p.leg.kind === 'slice') && (p.leg.leg === 'takeProfit' || p.leg.leg === 'stop')));
  });
  for (const o of exits) {
    for (const f of await gateway.fetchOrderFills(trade.symbol, o.exchangeOrderId)) {
      const e = exitEventForFill(trade, o, f);
      if (e) events.push(e);
    }
  }
  return events.sort(inOrder);
}

/** in the order they happened; entry fills first at equal times: a trade exits only what it bought */
function inOrder(a: TradeEvent, b: TradeEvent): number {
  const rankOf = (e: TradeEvent) => (e.type === 'ENTRY_FILLED' ? 0 : e.type === 'ENTRY_CANCELLED' || e.type === 'ENTRY_EXPIRED' ? 1 : 2);
  return a.at - b.at || rankOf(a) - rankOf(b) || a.eventId.localeCompare(b.eventId);
}

/** each slice entry once (its newest order: a client id is reused only once its order is over) */
function sliceEntriesOf(history: readonly ExchangeOrder[]): ExchangeOrder[] {
  const byId = new Map<string, ExchangeOrder[]>();
  for (const o of history) {
    const p = parseClientId(o.clientOrderId);
    if (p?.leg.kind === 'slice' && p.leg.leg === 'entry') byId.set(o.clientOrderId, [...(byId.get(o.clientOrderId) ?? []), o]);
  }
  return [...byId.values()].map((os) => pickEntry(os)!).sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
}

/** a slice entry's ref names its OTOCO list */
function sliceAware(ref: OrderRef): OrderRef {
  const list = parseClientId(ref.clientOrderId)?.leg.kind === 'slice' ? listIdOfEntry(ref.clientOrderId) : null;
  return list ? { ...ref, listClientOrderId: list } : ref;
}

async function cancelAll(gateway: ExchangePort, symbol: string, resting: readonly ExchangeOrder[], result: RecoveryResult, reason: string) {
  const lists = new Set<string>();
  for (const o of resting) {
    if (o.status !== 'OPEN') continue;
    const p = parseClientId(o.clientOrderId);
    // an OTOCO entry is cancelled with its whole list (its pending pair must go with it)
    const list =
      listIdOfLeg(o.clientOrderId) ??
      (p?.leg.kind === 'entry' && o.orderListId !== null ? otocoListClientId(p.key) : p?.leg.kind === 'slice' ? listIdOfEntry(o.clientOrderId) : null);
    if (list) {
      if (lists.has(list)) continue;
      lists.add(list);
      await gateway.cancelOrderList(symbol, list);
      result.cancelled.push({ symbol, clientOrderId: list, kind: 'list', reason });
      continue;
    }
    await gateway.cancelOrder(symbol, o.clientOrderId);
    result.cancelled.push({ symbol, clientOrderId: o.clientOrderId, kind: 'order', reason });
  }
}

function keepAll(symbol: string, resting: readonly ExchangeOrder[], result: RecoveryResult, reason: string) {
  const seen = new Set<string>();
  for (const o of resting) {
    const id = listIdOfLeg(o.clientOrderId) ?? o.clientOrderId;
    if (seen.has(id)) continue;
    seen.add(id);
    result.kept.push({ symbol, clientOrderId: id, reason });
  }
  result.alerts.push(`orders ${[...seen].join(', ')} on ${symbol} are ours, no trade owns them, and they were LEFT RESTING: ${reason}`);
}
