import type { TradeEvent } from '../domain/events';
import { compare, exactDifference, toDecimal } from '../domain/precision';
import { roundToStep, roundToTick } from '../domain/sizing';
import { tradeQuantities } from '../domain/stateMachine';
import type { OrderRef, Trade } from '../domain/trade';
import type { MarketLimits } from '../domain/market';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import {
  entryClientId,
  listIdOfLeg,
  marketCloseClientId,
  ocoListClientId,
  otocoListClientId,
  stopLegId,
  takeProfitLegId,
} from './clientIds';
import {
  baseAsset,
  currentGeneration,
  entryEndedEvent,
  exitEventForFill,
  exitSide,
  nextChunk,
  ordersOfTrade,
  protectionRefsFromOrders,
  restingStopQuantity,
} from './exchangeView';
import { isOrderable, planProtectionTopUp, type ProtectionPart, type TargetLevel } from './protectionSplit';
import { DEFAULT_PROTECTION, type ProtectionSettings } from './types';
import type { ExchangeOrder } from '../exchange/types';

/**
 * ensureProtection: the open quantity of a trade must have a stop resting on the exchange (with its
 * take-profits). It looks at what rests there now and places only the missing part, so it can be
 * called after every fill, after a crash, twice in a row: the second call finds nothing missing.
 *
 * The held quantity is split across the trade's targets (the plan's shares), one OCO per target, all
 * sharing the stop; only each target's shortfall against what already rests for it is placed, so a
 * retry after a crash keeps the plan's split. The stops always cover exactly what is held: that
 * wins over the split. Parts below the market's minimums are merged into fewer OCOs (a part that
 * cannot exist cannot protect anything). A remainder below the minimums of even one order is dust
 * and is reported.
 *
 * Whenever the lists resting for the trade differ from the open ones the trade records (placed now,
 * or by an attempt that crashed before it could report them), PROTECTION_PLACED reports them all; its
 * id names the set, so reporting the same set again is a duplicate.
 *
 * If the exchange refuses the protection for good (ExchangeRejection) the unprotected quantity is
 * closed at market and an alert says so: an open position without a stop is the one outcome a
 * trader must never find (the money-safe choice; `marketFallback: false` lets ADJUST put the old
 * levels back first). Transient failures are retried by the gateway; when they run out the error
 * is thrown so the activity retries the whole step, which is idempotent.
 */

export interface EnsureProtectionOptions {
  /** cap on the quantity to protect (ENSURE_PROTECTION effect's quantity); default: the trade's open quantity */
  quantity?: number;
  /** protection generation to place in (ADJUST uses a new one); default: the current one */
  generation?: number;
  /** levels to protect at; default: the trade's */
  levels?: { stopLossPrice: number; takeProfitPrices: number[] };
  /** default true: a refused protection closes the quantity at market */
  marketFallback?: boolean;
  protection?: Partial<ProtectionSettings>;
}

export type ProtectionStatus = 'PROTECTED' | 'NOTHING_TO_PROTECT' | 'REFUSED' | 'CLOSED_AT_MARKET' | 'UNPROTECTED';

export interface ProtectionOutcome {
  status: ProtectionStatus;
  /** every open protective list of the trade after this call */
  orders: OrderRef[];
  /** lists placed by this call */
  placed: OrderRef[];
  /** PROTECTION_PLACED when anything changed, exit fills of a market close */
  events: TradeEvent[];
  alerts: string[];
  /** quantity that should be protected and is held */
  held: number;
  /** stop quantity resting after this call */
  protectedQuantity: number;
  rejection?: { kind: string; message: string };
}

export async function ensureProtection(
  gateway: ExchangePort,
  trade: Trade,
  opts: EnsureProtectionOptions = {},
): Promise<ProtectionOutcome> {
  const settings = { ...DEFAULT_PROTECTION, ...opts.protection };
  const alerts: string[] = [];
  const events: TradeEvent[] = [];
  const limits = await gateway.marketLimits(trade.symbol);
  let open = await gateway.fetchOpenOrders(trade.symbol);
  let mine = ordersOfTrade(open, trade);

  // An OTOCO places its OCO only when the entry fills completely. A partial fill would wait
  // unprotected, so the remainder of the entry is cancelled and the filled part protected now.
  const entry = mine.find((o) => o.clientOrderId === entryClientId(trade.id));
  if (entry && entry.orderListId !== null && entry.filled > 0) {
    await gateway.cancelOrderList(trade.symbol, otocoListClientId(trade.id));
    const ended = await gateway.findOrder(trade.symbol, entry.clientOrderId);
    if (ended && ended.status !== 'OPEN') {
      events.push(
        entryEndedEvent(
          trade,
          entry.clientOrderId,
          ended.status === 'EXPIRED' ? 'expired' : 'canceled',
          'remainder of a partly filled OTOCO entry cancelled so the filled part is protected at once',
          ended.updatedAt,
        ),
      );
      alerts.push(
        `${trade.id}: entry partly filled (${ended.filled} of ${ended.quantity}); the OTOCO waits for a full fill, so its remainder was cancelled and the filled part is protected by its own OCO`,
      );
    }
    open = await gateway.fetchOpenOrders(trade.symbol);
    mine = ordersOfTrade(open, trade);
  }

  let protectedBefore = restingStopQuantity(mine);
  let base = await gateway.fetchBalance(baseAsset(trade.symbol));
  const openQty = tradeQuantities(trade).open;
  const heldNow = () => roundToStep(Math.max(0, Math.min(openQty, opts.quantity ?? Infinity, protectedBefore + base.free)), limits.amountStep);
  let held = heldNow();
  let missing = roundToStep(Math.max(0, exactDifference(held, protectedBefore)), limits.amountStep);
  const levels = opts.levels ?? { stopLossPrice: trade.stopLossPrice, takeProfitPrices: trade.takeProfitPrices };
  const stopLimit = stopLegLimitPrice(trade, levels.stopLossPrice, limits, settings);
  // the lowest price the stop leg can sell at (a market stop: about its trigger) judges minimums
  const worstPrice = stopLimit ?? levels.stopLossPrice;
  const targets = remainingTargets(trade, levels.takeProfitPrices);
  let existing = protectionRefsFromOrders(mine);
  const topUp = () => planProtectionTopUp({ held, missing, targets, resting: existing, worstPrice, limits });
  let parts: ProtectionPart[] = topUp();

  // Every OCO stop leg counts against the market's cap on stop orders (5 on Binance). When one more
  // chunk per fill would pass it, the trade's protection is consolidated: its lists are cancelled
  // and one set for the whole held quantity is placed (one cancel-and-place round trip).
  let consolidated: string[] = [];
  const stopsOnMarket = open.filter((o) => o.status === 'OPEN' && o.type.startsWith('STOP_LOSS')).length;
  if (parts.length > 0 && existing.length > 0 && stopsOnMarket + parts.length > (await gateway.maxConditionalOrders(trade.symbol))) {
    consolidated = await cancelProtection(gateway, trade, existing.map((r) => r.clientOrderId));
    open = await gateway.fetchOpenOrders(trade.symbol);
    mine = ordersOfTrade(open, trade);
    existing = protectionRefsFromOrders(mine);
    protectedBefore = restingStopQuantity(mine);
    base = await gateway.fetchBalance(baseAsset(trade.symbol));
    held = heldNow();
    missing = roundToStep(Math.max(0, exactDifference(held, protectedBefore)), limits.amountStep);
    parts = topUp();
  }
  const result = async (status: ProtectionStatus, placed: OrderRef[], extra: Partial<ProtectionOutcome> = {}): Promise<ProtectionOutcome> => {
    const orders = mergeRefs(existing, placed);
    const protectedQuantity = restingStopQuantity(mine) + placed.reduce((s, r) => s + r.quantity, 0);
    const recorded = recordedProtection(trade, mine);
    if (placed.length > 0 || !sameLists(orders, recorded)) {
      // PROTECTION_PLACED replaces the trade's open protection refs: a list it drops may have
      // filled since the workflow last looked, and nobody would look at it again. Read it now.
      const kept = new Set(orders.map((r) => r.clientOrderId));
      const dropped = trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN' && !kept.has(r.clientOrderId)).map((r) => r.clientOrderId);
      const known = new Set(events.map((e) => e.eventId));
      for (const e of await exitFillsOfLists(gateway, trade, [...new Set([...dropped, ...consolidated])])) {
        if (!known.has(e.eventId)) events.push(e);
      }
      events.push({
        type: 'PROTECTION_PLACED',
        eventId: protectionEventId(trade.id, orders, recorded),
        tradeId: trade.id,
        orders,
        at: Date.now(),
      });
    }
    return { status, orders, placed, events, alerts, held, protectedQuantity, ...extra };
  };

  if (!isOrderable(missing, worstPrice, limits)) {
    if (missing > 0) alerts.push(`${trade.id}: ${missing} ${trade.symbol} left unprotected: below the market's minimum order (dust)`);
    return result(protectedBefore > 0 ? 'PROTECTED' : 'NOTHING_TO_PROTECT', []);
  }

  const generation = opts.generation ?? currentGeneration(trade, open);
  let chunk = nextChunk(trade, open, generation);
  const placed: OrderRef[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      // the OCOs of one set go out together: one round trip, whatever the number of targets
      const settled = await Promise.allSettled(
        parts.map(async ({ target, quantity }): Promise<OrderRef> => {
          const list = ocoListClientId(trade.id, generation, chunk, target.index);
          const placedList = await gateway.placeOco({
            symbol: trade.symbol,
            side: exitSide(trade),
            quantity,
            takeProfitPrice: target.price,
            stopPrice: levels.stopLossPrice,
            ...(stopLimit !== undefined ? { stopLimitPrice: stopLimit } : {}),
            listClientOrderId: list,
            takeProfitClientOrderId: takeProfitLegId(list),
            stopClientOrderId: stopLegId(list),
          });
          return {
            role: 'OCO',
            clientOrderId: list,
            exchangeOrderId: placedList.orderListId,
            targetIndex: target.index,
            quantity,
            price: target.price,
            stopPrice: levels.stopLossPrice,
            status: placedList.status === 'EXECUTING' ? 'OPEN' : 'CANCELLED',
          };
        }),
      );
      const batch = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failed.length > 0) {
        placed.push(...batch.filter((r) => r.status === 'OPEN'));
        // a transient failure first: the step is retried and adopts what went through
        throw failed.find((e) => !(e instanceof ExchangeRejection)) ?? failed[0];
      }
      // a list adopted by id that is already over (a chunk number reused after the workflow lost
      // track of it) protects nothing: move on to the next chunk number
      const dead = batch.filter((r) => r.status !== 'OPEN');
      placed.push(...batch.filter((r) => r.status === 'OPEN'));
      if (dead.length === 0 || attempt >= 3) break;
      chunk += 1;
      parts = dead.map((r) => ({ target: { index: r.targetIndex ?? 0, price: r.price ?? levels.takeProfitPrices[0]! }, quantity: r.quantity }));
    }
    return result('PROTECTED', placed);
  } catch (err) {
    if (!(err instanceof ExchangeRejection)) throw err;
    const c = classifyExchangeError(err);
    const unprotected = roundToStep(
      Math.max(0, exactDifference(missing, placed.reduce((s, r) => s + r.quantity, 0))),
      limits.amountStep,
    );
    if (opts.marketFallback === false) {
      return result('REFUSED', placed, { rejection: { kind: c.kind, message: c.message } });
    }
    return closeUnprotected(gateway, trade, unprotected, generation, chunk, c, placed, result, alerts, events, limits);
  }
}

async function closeUnprotected(
  gateway: ExchangePort,
  trade: Trade,
  quantity: number,
  generation: number,
  chunk: number,
  why: { kind: string; message: string },
  placed: OrderRef[],
  result: (status: ProtectionStatus, placed: OrderRef[], extra?: Partial<ProtectionOutcome>) => Promise<ProtectionOutcome>,
  alerts: string[],
  events: TradeEvent[],
  limits: MarketLimits,
): Promise<ProtectionOutcome> {
  const rejection = { kind: why.kind, message: why.message };
  if (!(quantity > 0) || compare(toDecimal(quantity), toDecimal(limits.minAmount)) < 0) {
    alerts.push(`${trade.id}: protection refused (${why.message}); ${quantity} ${trade.symbol} is too small to close at market and stays UNPROTECTED`);
    console.error(`[oms] ALERT ${alerts[alerts.length - 1]}`);
    return result('UNPROTECTED', placed, { rejection });
  }
  const cid = marketCloseClientId(trade.id, generation, chunk);
  try {
    const order = await gateway.placeMarketOrder({ symbol: trade.symbol, side: exitSide(trade), quantity, clientOrderId: cid });
    const fills = order.filled > 0 ? await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId) : [];
    for (const f of fills) {
      const e = exitEventForFill(trade, order, f);
      if (e) events.push(e);
    }
    alerts.push(
      `${trade.id}: the exchange REFUSED the protection of ${quantity} ${trade.symbol} (${why.kind}: ${why.message}); ` +
        `that quantity was CLOSED AT MARKET (order ${cid}, filled ${order.filled}) rather than left without a stop`,
    );
    console.error(`[oms] ALERT ${alerts[alerts.length - 1]}`);
    return result('CLOSED_AT_MARKET', placed, { rejection });
  } catch (err) {
    const c = classifyExchangeError(err);
    if (c.retryable) throw err;
    alerts.push(
      `${trade.id}: protection refused (${why.message}) AND the market close of ${quantity} ${trade.symbol} refused (${c.message}): ` +
        `the quantity is UNPROTECTED, act now`,
    );
    console.error(`[oms] ALERT ${alerts[alerts.length - 1]}`);
    return result('UNPROTECTED', placed, { rejection });
  }
}

/** the stop leg's limit price: none for a market STOP_LOSS (the default), else stopLimitPrice */
export function stopLegLimitPrice(trade: Trade, stop: number, limits: MarketLimits, settings: ProtectionSettings): number | undefined {
  return settings.stopType === 'STOP_LOSS_LIMIT' ? stopLimitPrice(trade, stop, limits, settings) : undefined;
}

/** a STOP_LOSS_LIMIT's limit price: a little beyond the trigger, on the tick grid, away from the market */
export function stopLimitPrice(trade: Trade, stop: number, limits: MarketLimits, settings: ProtectionSettings): number {
  const long = trade.direction === 'LONG';
  const raw = long ? stop * (1 - settings.stopLimitSlippage) : stop * (1 + settings.stopLimitSlippage);
  const price = roundToTick(raw, limits.tickSize, long ? 'down' : 'up');
  return price > 0 ? price : limits.tickSize;
}

/** targets not yet hit (a filled target's OCO is spent); at least the last one */
function remainingTargets(trade: Trade, prices: readonly number[]): TargetLevel[] {
  const hit = new Set(trade.exitFills.filter((f) => f.reason === 'TARGET').map((f) => f.targetIndex));
  const all = prices.map((price, index) => ({ index, price }));
  const left = all.filter((t) => !hit.has(t.index));
  return left.length > 0 ? left : all.slice(-1);
}

/**
 * The protective lists the trade records as open, as the exchange would show them: an OTOCO pair
 * still waiting for its entry is not on the book as protection yet, so it is left out of the
 * comparison (the trade rightly records it).
 */
function recordedProtection(trade: Trade, openOfTrade: readonly ExchangeOrder[]): string[] {
  const waiting = new Set(openOfTrade.filter((o) => o.pending).map((o) => listIdOfLeg(o.clientOrderId)));
  return trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN' && !waiting.has(r.clientOrderId)).map((r) => r.clientOrderId);
}

function sameLists(orders: readonly OrderRef[], recorded: readonly string[]): boolean {
  const known = new Set(recorded);
  return orders.length === known.size && orders.every((r) => known.has(r.clientOrderId));
}

/**
 * Named by the set of open lists it reports (sorted), so the same set reported twice is one event.
 * A list never reopens, so a set cannot come back later; "nothing rests" can, and is named by the
 * lists it replaces.
 */
export function protectionEventId(tradeId: string, orders: readonly OrderRef[], recorded: readonly string[]): string {
  const ids = orders.map((r) => r.clientOrderId).sort();
  return `${tradeId}:protection:${ids.length > 0 ? ids.join(',') : `none-after-${[...recorded].sort().join(',')}`}`;
}

function mergeRefs(existing: OrderRef[], placed: OrderRef[]): OrderRef[] {
  const ids = new Set(placed.map((r) => r.clientOrderId));
  return [...existing.filter((r) => !ids.has(r.clientOrderId)), ...placed].sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
}

/** cancels every open protective list of the trade (in parallel: one round trip) */
export async function cancelProtection(gateway: ExchangePort, trade: Trade, lists?: readonly string[]): Promise<string[]> {
  const open = ordersOfTrade(await gateway.fetchOpenOrders(trade.symbol), trade);
  const ids = lists ?? protectionRefsFromOrders(open).map((r) => r.clientOrderId);
  // OTOCO pair still waiting for its entry is cancelled with the entry, not here
  await Promise.all(ids.map((id) => gateway.cancelOrderList(trade.symbol, id)));
  return [...ids];
}

/**
 * Cancels the trade's protection and reads what its lists filled before the cancel landed (a leg can
 * fill between the last look and the cancel; those fills must reach the trade). A list that filled
 * completely is no longer open, so it is not among the cancelled ones: the trade's refs still call
 * it OPEN, and it is read too.
 */
export async function cancelProtectionAndReadFills(
  gateway: ExchangePort,
  trade: Trade,
  lists?: readonly string[],
): Promise<{ cancelled: string[]; events: TradeEvent[] }> {
  const cancelled = await cancelProtection(gateway, trade, lists);
  const believedOpen = lists ? [] : trade.orders.filter((r) => r.role === 'OCO' && r.status === 'OPEN').map((r) => r.clientOrderId);
  const events = await exitFillsOfLists(gateway, trade, [...new Set([...cancelled, ...believedOpen])]);
  // in the order they happened, so the state machine sees the trade's exits as the exchange did
  events.sort((a, b) => a.at - b.at || a.eventId.localeCompare(b.eventId));
  return { cancelled, events };
}

/**
 * Exit fills of lists that were just cancelled (a leg may have filled, in part, before the cancel
 * landed): the trade's refs to them are replaced, so the tracker would not look at them again.
 * Called after the replacement is placed, so it never lengthens the time without a stop.
 */
export async function exitFillsOfLists(gateway: ExchangePort, trade: Trade, lists: readonly string[]): Promise<TradeEvent[]> {
  const applied = new Set(trade.appliedEventIds ?? []);
  const legs = lists.flatMap((l) => [takeProfitLegId(l), stopLegId(l)]);
  const perLeg = await Promise.all(
    legs.map(async (cid) => {
      const order = await gateway.findOrder(trade.symbol, cid);
      if (!order || order.filled <= 0) return [];
      const fills = await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId);
      return fills.map((f) => exitEventForFill(trade, order, f)).filter((e): e is TradeEvent => !!e && !applied.has(e.eventId));
    }),
  );
  return perLeg.flat();
}

