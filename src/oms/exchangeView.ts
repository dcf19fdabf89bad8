import type { TradeEvent } from '../domain/events';
import { exactDifference, exactSum } from '../domain/precision';
import { roundToStep } from '../domain/sizing';
import { splitSymbol } from '../domain/symbols';
import type { OrderRef, Trade } from '../domain/trade';
import type { ExchangeFill, ExchangeOrder, OrderSide } from '../exchange/types';
import { belongsTo, listIdOfEntry, listIdOfLeg, parseClientId, targetOfClientId } from './clientIds';

/** Reading a trade's orders off the exchange's answers. Pure helpers. */

/** why a flatten order's fills closed the trade (its close reason says so) */
export const FLATTEN_REASON = 'flattened at market on a portfolio HALT (flatten_on_halt)';

export function entrySide(trade: Trade): OrderSide {
  return trade.direction === 'LONG' ? 'BUY' : 'SELL';
}

export function exitSide(trade: Trade): OrderSide {
  return trade.direction === 'LONG' ? 'SELL' : 'BUY';
}

export function baseAsset(symbol: string): string {
  return splitSymbol(symbol).base;
}

export function quoteAsset(symbol: string): string {
  return splitSymbol(symbol).quote;
}

export function ordersOfTrade(orders: readonly ExchangeOrder[], trade: Trade): ExchangeOrder[] {
  return orders.filter((o) => belongsTo(o.clientOrderId, trade.id));
}

export function isStopLeg(o: ExchangeOrder): boolean {
  const p = parseClientId(o.clientOrderId);
  return !!p && (p.leg.kind === 'oco' || p.leg.kind === 'otoco' || p.leg.kind === 'slice') && p.leg.leg === 'stop';
}

/** quantity covered by stops resting on the book (OTOCO legs still waiting for the entry do not count) */
export function restingStopQuantity(openOrdersOfTrade: readonly ExchangeOrder[]): number {
  return exactSum(
    openOrdersOfTrade.filter((o) => o.status === 'OPEN' && !o.pending && isStopLeg(o)).map((o) => exactDifference(o.quantity, o.filled)),
  );
}

/**
 * One OrderRef per open protective list of the trade (OCO, or the OTOCO once its pair is live),
 * rebuilt from the legs on the book: the exchange's view, not the workflow's memory.
 */
/** the trade's reference to its entry order, as the exchange reports it */
export function entryRef(o: ExchangeOrder): OrderRef {
  return {
    role: 'ENTRY',
    clientOrderId: o.clientOrderId,
    exchangeOrderId: o.exchangeOrderId,
    quantity: o.quantity,
    ...(o.price !== null ? { price: o.price } : {}),
    status: o.status,
  };
}

export function protectionRefsFromOrders(openOrdersOfTrade: readonly ExchangeOrder[]): OrderRef[] {
  const byList = new Map<string, { tp?: ExchangeOrder; stop?: ExchangeOrder }>();
  for (const o of openOrdersOfTrade) {
    if (o.status !== 'OPEN' || o.pending) continue;
    const list = listIdOfLeg(o.clientOrderId);
    const p = parseClientId(o.clientOrderId);
    if (!list || !p || (p.leg.kind !== 'oco' && p.leg.kind !== 'otoco' && p.leg.kind !== 'slice')) continue;
    const entry = byList.get(list) ?? {};
    if (p.leg.leg === 'stop') entry.stop = o;
    else entry.tp = o;
    byList.set(list, entry);
  }
  const refs: OrderRef[] = [];
  for (const [list, legs] of byList) {
    const any = (legs.stop ?? legs.tp)!;
    refs.push({
      role: 'OCO',
      clientOrderId: list,
      exchangeOrderId: any.orderListId ?? undefined,
      targetIndex: targetOfClientId(list),
      quantity: exactDifference(any.quantity, any.filled),
      price: legs.tp?.price ?? undefined,
      stopPrice: legs.stop?.stopPrice ?? undefined,
      status: 'OPEN',
    });
  }
  return refs.sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
}

/** highest protection generation seen in the trade's refs or on the exchange (0 if none) */
export function currentGeneration(trade: Trade, exchangeOrders: readonly ExchangeOrder[]): number {
  let g = 0;
  for (const cid of allClientIds(trade, exchangeOrders)) {
    const p = parseClientId(cid);
    if (p && (p.leg.kind === 'oco' || p.leg.kind === 'close' || p.leg.kind === 'slice')) g = Math.max(g, p.leg.generation);
  }
  return g;
}

/** first chunk number of `generation` not used by any ref or exchange order */
export function nextChunk(trade: Trade, exchangeOrders: readonly ExchangeOrder[], generation: number): number {
  let c = -1;
  for (const cid of allClientIds(trade, exchangeOrders)) {
    const p = parseClientId(cid);
    if (p && (p.leg.kind === 'oco' || p.leg.kind === 'close') && p.leg.generation === generation) c = Math.max(c, p.leg.chunk);
  }
  return c + 1;
}

function allClientIds(trade: Trade, exchangeOrders: readonly ExchangeOrder[]): string[] {
  return [...trade.orders.map((o) => o.clientOrderId), ...ordersOfTrade(exchangeOrders, trade).map((o) => o.clientOrderId)];
}

/**
 * The quantity an entry fill actually put in the account, as far as it can ever be sold: a BUY pays
 * its fee in the base asset it receives (Binance without BNB), so 0.01543 BTC bought is 0.01541457
 * held, of which 0.01541 is on the market's amount step. Events carry that tradable quantity and the
 * fee valued in quote, so the trade's open quantity is exactly what its stops and targets can sell
 * (it reaches 0 when they fill) and PnL stays right: exits - price x tradable - fee x price equals
 * exits - price x bought + the value of the sub-step dust left in the account.
 */
export function heldQuantityOfFill(fill: ExchangeFill, symbol: string, amountStep: number): number {
  const held = fill.feeAsset === baseAsset(symbol) && fill.side === 'BUY' ? exactDifference(fill.quantity, fill.fee) : fill.quantity;
  return roundToStep(held, amountStep);
}

export function fillEventId(clientOrderId: string, fill: ExchangeFill): string {
  return `${clientOrderId}:fill:${fill.tradeId}`;
}

export function exitEventForFill(trade: Trade, order: ExchangeOrder, fill: ExchangeFill): TradeEvent | null {
  const p = parseClientId(order.clientOrderId);
  if (!p) return null;
  const base = { eventId: fillEventId(order.clientOrderId, fill), tradeId: trade.id, price: fill.price, quantity: fill.quantity, fee: fill.feeQuote, at: fill.at };
  if (p.leg.kind === 'close') return { type: 'MANUAL_CLOSE', ...base };
  if (p.leg.kind === 'flatten') return { type: 'MANUAL_CLOSE', ...base, reason: FLATTEN_REASON };
  if (p.leg.kind === 'oco' || p.leg.kind === 'otoco' || p.leg.kind === 'slice') {
    if (p.leg.leg === 'stop') return { type: 'STOP_FILLED', ...base };
    if (p.leg.leg === 'takeProfit') return { type: 'TARGET_FILLED', ...base, targetIndex: targetOfClientId(order.clientOrderId) };
  }
  return null;
}

export function entryEventForFill(trade: Trade, order: ExchangeOrder, fill: ExchangeFill, amountStep: number): TradeEvent {
  return {
    type: 'ENTRY_FILLED',
    eventId: fillEventId(order.clientOrderId, fill),
    tradeId: trade.id,
    price: fill.price,
    quantity: heldQuantityOfFill(fill, trade.symbol, amountStep),
    fee: fill.feeQuote,
    at: fill.at,
    // the held quantity is less than the order's when the fee was paid in the coin bought, so only
    // the exchange can say the entry is complete
    ...(order.status === 'FILLED' ? { entryComplete: true } : {}),
    // a slice's entry is one of several: the state machine keeps each one's record
    ...(parseClientId(order.clientOrderId)?.leg.kind === 'slice' ? { entryOrder: order.clientOrderId } : {}),
  };
}

/**
 * How an entry order ended, from its status on the exchange: 'expired', 'canceled' (cancelled or
 * rejected), or null while it may still fill (open) or filled completely.
 */
export function entryEndOf(order: ExchangeOrder): 'expired' | 'canceled' | null {
  if (order.status === 'EXPIRED') return 'expired';
  if (order.status === 'CANCELLED' || order.status === 'REJECTED') return 'canceled';
  return null;
}

/**
 * The one builder of "entry ended" events. The event id is `<entry client id>:<how>` and is the
 * dedupe key: the same end of the same entry always gets the same id, whoever notices it first
 * (the monitor, a cancel, protection, reconciliation or recovery). 'unknown': the exchange never
 * had the entry, so nothing can fill any more.
 */
export function entryEndedEvent(
  trade: Trade,
  entryId: string,
  how: 'expired' | 'canceled' | 'unknown',
  reason: string,
  at: number,
): TradeEvent {
  const eventId = `${entryId}:${how}`;
  // a slice's entry is one of several: the state machine ends that slice only
  const slice = parseClientId(entryId)?.leg.kind === 'slice' ? { entryOrder: entryId } : {};
  if (how === 'expired') return { type: 'ENTRY_EXPIRED', eventId, tradeId: trade.id, at, ...slice };
  return { type: 'ENTRY_CANCELLED', eventId, tradeId: trade.id, reason, at, ...slice };
}

/** how an entry order ended, as an event (null while it is open or filled) */
export function entryEndEvent(trade: Trade, order: ExchangeOrder, reason: string): TradeEvent | null {
  const how = entryEndOf(order);
  return how ? entryEndedEvent(trade, order.clientOrderId, how, reason, order.updatedAt) : null;
}

/** the trade's working slice entries on the book (OPEN, part of a slice OTOCO) */
export function workingSliceEntries(openOfTrade: readonly ExchangeOrder[]): ExchangeOrder[] {
  return openOfTrade.filter((o) => {
    const p = parseClientId(o.clientOrderId);
    return o.status === 'OPEN' && p?.leg.kind === 'slice' && p.leg.leg === 'entry';
  });
}

/** the OTOCO list of an entry order that was placed as one (plain `e` with a list id, or a slice entry), else null */
export function otocoListOf(entry: ExchangeOrder): string | null {
  const p = parseClientId(entry.clientOrderId);
  if (p?.leg.kind === 'slice') return listIdOfEntry(entry.clientOrderId);
  if (p?.leg.kind === 'entry' && entry.orderListId !== null) return listIdOfEntry(entry.clientOrderId);
  return null;
}
