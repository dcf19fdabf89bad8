import type { TradeEvent } from '../domain/events';
import { exactDifference } from '../domain/precision';
import { roundToStep } from '../domain/sizing';
import { tradeQuantities } from '../domain/stateMachine';
import type { OrderRef, Trade } from '../domain/trade';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import { applyEvents } from './applyEvents';
import { isEntryClientId, ocoListClientId, stopLegId, takeProfitLegId } from './clientIds';
import { cancelProtection, exitFillsOfLists } from './cancelProtection';
import {
  baseAsset,
  currentGeneration,
  exitSide,
  nextChunk,
  ordersOfTrade,
  otocoListOf,
  protectionRefsFromOrders,
  restingStopQuantity,
} from './exchangeView';
import { SILENT_OMS_LOGGER } from './logger';
import { closeUnprotected } from './marketFallback';
import {
  mergeRefs,
  protectionEventId,
  recordedProtection,
  sameLists,
  type EnsureProtectionOptions,
  type ProtectionOutcome,
  type ProtectionStatus,
} from './protectionReport';
import { stopOrdersOnMarket } from './sliceOrders';
import { cancelPartlyFilledEntries, isSlicedTrade, sliceShares, waitingSliceRefs } from './sliceProtection';
import { isOrderable, planProtectionTopUp, type ProtectionPart, type TargetLevel } from './protectionSplit';
import { DEFAULT_PROTECTION } from './types';
import { stopLegLimitPrice } from './stopLeg';

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

export async function ensureProtection(
  gateway: ExchangePort,
  given: Trade,
  opts: EnsureProtectionOptions = {},
): Promise<ProtectionOutcome> {
  let trade = given;
  const settings = { ...DEFAULT_PROTECTION, ...opts.protection };
  const log = opts.log ?? SILENT_OMS_LOGGER;
  const alerts: string[] = [];
  const events: TradeEvent[] = [];
  const limits = await gateway.marketLimits(trade.symbol);
  let open = await gateway.fetchOpenOrders(trade.symbol);
  let mine = ordersOfTrade(open, trade);

  // An OTOCO (a one-target plan, or a slice) places its OCO only when its entry fills completely.
  // A partial fill would wait unprotected, so the remainder of that entry is cancelled and the
  // filled part protected now; the other slices keep working.
  const partial = mine.filter((o) => isEntryClientId(o.clientOrderId) && o.status === 'OPEN' && o.filled > 0 && otocoListOf(o) !== null);
  if (partial.length > 0) {
    const caughtUp = await cancelPartlyFilledEntries(gateway, trade, partial);
    events.push(...caughtUp.events);
    alerts.push(...caughtUp.alerts);
    trade = applyEvents(trade, caughtUp.events);
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
  // a sliced trade's quantity belongs to the targets of the slices that bought it
  const wanted = () => (isSlicedTrade(trade) ? sliceShares(trade, targets, held, limits.amountStep) : undefined);
  const topUp = () => planProtectionTopUp({ held, missing, targets, resting: existing, worstPrice, limits, wanted: wanted() });
  let parts: ProtectionPart[] = topUp();

  // Every OCO stop leg counts against the market's cap on stop orders (5 on Binance). When one more
  // chunk per fill would pass it, the trade's protection is consolidated: its lists are cancelled
  // and one set for the whole held quantity is placed (one cancel-and-place round trip).
  let consolidated: string[] = [];
  const stopsOnMarket = parts.length > 0 && existing.length > 0 ? await stopOrdersOnMarket(gateway, trade.symbol, open) : 0;
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
        // slices still waiting for their entry stay on the record (the exchange will place their pair)
        orders: [...orders, ...waitingSliceRefs(trade, mine)],
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
    const fallback = await closeUnprotected({ gateway, trade, quantity: unprotected, generation, chunk, why: c, limits, log });
    alerts.push(...fallback.alerts);
    events.push(...fallback.events);
    return result(fallback.status, placed, { rejection: { kind: c.kind, message: c.message } });
  }
}

export { stopLegLimitPrice, stopLimitPrice } from './stopLeg';

/** targets not yet hit (a filled target's OCO is spent); at least the last one */
function remainingTargets(trade: Trade, prices: readonly number[]): TargetLevel[] {
  const hit = new Set(trade.exitFills.filter((f) => f.reason === 'TARGET').map((f) => f.targetIndex));
  const all = prices.map((price, index) => ({ index, price }));
  const left = all.filter((t) => !hit.has(t.index));
  return left.length > 0 ? left : all.slice(-1);
}

export { cancelProtection, cancelProtectionAndReadFills, exitFillsOfLists } from './cancelProtection';
export { protectionEventId, type EnsureProtectionOptions, type ProtectionOutcome, type ProtectionStatus } from './protectionReport';
