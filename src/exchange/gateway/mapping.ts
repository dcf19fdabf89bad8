import type { Balances as CcxtBalances, MarketInterface as Market, OHLCV, Order as CcxtOrder, Ticker as CcxtTicker, Trade as CcxtTrade } from 'ccxt';
import type { Candle, Ticker } from '../../domain/market';
import { canonicalSymbol, splitSymbol } from '../../domain/symbols';
import type { Balance, ExchangeFill, ExchangeOrder, ExchangeOrderList, ExchangeOrderStatus } from '../types';

// ccxt's answers in the domain's words: canonical symbols, plain numbers, our status names.

export type Raw = Record<string, unknown>;

export function toCandle([timestamp, open, high, low, close, volume]: OHLCV): Candle {
  return {
    timestamp: Number(timestamp),
    open: Number(open),
    high: Number(high),
    low: Number(low),
    close: Number(close),
    volume: Number(volume),
  };
}

export function toTicker(t: CcxtTicker, symbol: string): Ticker {
  return {
    symbol: canonicalSymbol(symbol),
    last: Number(t.last ?? t.close),
    bid: t.bid ?? null,
    ask: t.ask ?? null,
    timestamp: t.timestamp ?? Date.now(),
  };
}

export function toBookSide(rows: unknown[]): [number, number][] {
  return rows.map((r) => [Number((r as number[])[0]), Number((r as number[])[1])] as [number, number]);
}

export function toBalances(b: CcxtBalances): Map<string, Balance> {
  const out = new Map<string, Balance>();
  const free = (b.free ?? {}) as unknown as Record<string, number>;
  const used = (b.used ?? {}) as unknown as Record<string, number>;
  const total = (b.total ?? {}) as unknown as Record<string, number>;
  for (const asset of Object.keys(total)) {
    out.set(asset, { asset, free: Number(free[asset] ?? 0), used: Number(used[asset] ?? 0), total: Number(total[asset] ?? 0) });
  }
  return out;
}

const RAW_STATUS: Record<string, ExchangeOrderStatus> = {
  NEW: 'OPEN',
  PENDING_NEW: 'OPEN',
  PARTIALLY_FILLED: 'OPEN',
  PENDING_CANCEL: 'OPEN',
  FILLED: 'FILLED',
  CANCELED: 'CANCELLED',
  REJECTED: 'REJECTED',
  EXPIRED: 'EXPIRED',
  EXPIRED_IN_MATCH: 'EXPIRED',
};

const UNIFIED_STATUS: Record<string, ExchangeOrderStatus> = {
  open: 'OPEN',
  closed: 'FILLED',
  canceled: 'CANCELLED',
  rejected: 'REJECTED',
  expired: 'EXPIRED',
};

function num(x: unknown): number | null {
  if (x === undefined || x === null || x === '') return null;
  const n = Number(x);
  return Number.isFinite(n) ? n : null;
}

export function toExchangeOrder(o: CcxtOrder, symbol: string): ExchangeOrder {
  const info = (o.info ?? {}) as Raw;
  const rawStatus = typeof info.status === 'string' ? info.status : undefined;
  const status = (rawStatus && RAW_STATUS[rawStatus]) || UNIFIED_STATUS[String(o.status)] || 'OPEN';
  const listId = num(info.orderListId);
  const stop = num(info.stopPrice) ?? num(o.triggerPrice) ?? null;
  return {
    symbol: canonicalSymbol(o.symbol ?? symbol),
    exchangeOrderId: String(o.id ?? info.orderId ?? ''),
    clientOrderId: String(o.clientOrderId ?? info.clientOrderId ?? ''),
    side: String(o.side ?? info.side).toUpperCase() === 'SELL' ? 'SELL' : 'BUY',
    type: String(info.type ?? o.type ?? '').toUpperCase(),
    status,
    pending: rawStatus === 'PENDING_NEW',
    price: num(o.price) || num(info.price) || null,
    stopPrice: stop && stop > 0 ? stop : null,
    quantity: num(o.amount) ?? num(info.origQty) ?? 0,
    filled: num(o.filled) ?? num(info.executedQty) ?? 0,
    averagePrice: num(o.average),
    orderListId: listId !== null && listId >= 0 ? String(listId) : null,
    updatedAt: num(o.lastUpdateTimestamp) ?? num(o.timestamp) ?? Date.now(),
  };
}

export function toFill(t: CcxtTrade, m: Market, symbol: string): ExchangeFill {
  const price = Number(t.price);
  const fee = Number(t.fee?.cost ?? 0);
  const feeAsset = String(t.fee?.currency ?? m.quote);
  // fees are reported in quote currency; a base-asset fee is valued at the fill price, any other
  // asset (BNB discounts) cannot be valued here and is reported as 0 with the asset kept
  const feeQuote = feeAsset === m.quote ? fee : feeAsset === m.base ? fee * price : 0;
  return {
    tradeId: String(t.id),
    exchangeOrderId: String(t.order),
    symbol: canonicalSymbol(symbol),
    side: t.side === 'sell' ? 'SELL' : 'BUY',
    price,
    quantity: Number(t.amount),
    feeQuote,
    fee,
    feeAsset,
    at: Number(t.timestamp ?? Date.now()),
  };
}

export function toOrderList(raw: Raw): ExchangeOrderList {
  const orders = (Array.isArray(raw.orders) ? raw.orders : []) as Raw[];
  return {
    symbol: canonicalSymbol(String(raw.symbol)),
    orderListId: String(raw.orderListId),
    listClientOrderId: String(raw.listClientOrderId),
    status: String(raw.listOrderStatus ?? ''),
    orders: orders.map((o) => ({ clientOrderId: String(o.clientOrderId), exchangeOrderId: String(o.orderId) })),
  };
}

/**
 * An order as a user-data stream's executionReport states it (Binance spot; the raw message ccxt
 * keeps as `info`). A cancel's report names the cancel request in `c` and the order in `C`.
 */
export function orderOfReport(r: Raw): ExchangeOrder {
  const rawStatus = String(r.X ?? '');
  const listId = num(r.g);
  const stop = num(r.P);
  const cumulative = num(r.z) ?? 0;
  const quote = num(r.Z) ?? 0;
  const cancelled = r.x === 'CANCELED' && typeof r.C === 'string' && r.C !== '';
  return {
    symbol: canonicalSymbol(String(r.s ?? '')),
    exchangeOrderId: String(r.i ?? ''),
    clientOrderId: String(cancelled ? r.C : (r.c ?? '')),
    side: String(r.S).toUpperCase() === 'SELL' ? 'SELL' : 'BUY',
    type: String(r.o ?? '').toUpperCase(),
    status: RAW_STATUS[rawStatus] ?? 'OPEN',
    pending: rawStatus === 'PENDING_NEW',
    price: num(r.p) || null,
    stopPrice: stop && stop > 0 ? stop : null,
    quantity: num(r.q) ?? 0,
    filled: cumulative,
    averagePrice: cumulative > 0 ? quote / cumulative : null,
    orderListId: listId !== null && listId >= 0 ? String(listId) : null,
    updatedAt: num(r.T) ?? num(r.E) ?? Date.now(),
  };
}

/** the execution an executionReport of a trade (`x: TRADE`) states: one fill, fee valued as toFill does */
export function fillOfReport(r: Raw): ExchangeFill {
  const symbol = canonicalSymbol(String(r.s ?? ''));
  const { base, quote } = splitSymbol(symbol);
  const price = Number(r.L);
  const fee = num(r.n) ?? 0;
  const feeAsset = typeof r.N === 'string' && r.N !== '' ? r.N : quote;
  return {
    tradeId: String(r.t),
    exchangeOrderId: String(r.i ?? ''),
    symbol,
    side: String(r.S).toUpperCase() === 'SELL' ? 'SELL' : 'BUY',
    price,
    quantity: Number(r.l),
    feeQuote: feeAsset === quote ? fee : feeAsset === base ? fee * price : 0,
    fee,
    feeAsset,
    at: num(r.T) ?? num(r.E) ?? Date.now(),
  };
}
