import type { Candle } from '../../domain/market';
import { BinanceError, mandatory } from './errors';
import { isOpen, type MatchingEngine, type NewOco, type NewOrder, type NewOtoco, type OcoLeg, type OrderRef } from './engine';
import type { PriceFeed } from './feed';
import { exchangeInfoSymbol, fmt } from './markets';
import { cancelJson, newOrderJson, orderJson, orderListJson, tradeJson } from './responses';
import type { OrderType, Side, SimAccount } from './types';

export interface ApiContext {
  engine: MatchingEngine;
  feed: PriceFeed;
  /** market clock (order and trade times) */
  now: () => number;
  participation: number;
}

export interface Call {
  params: URLSearchParams;
  account?: SimAccount;
}

export interface Route {
  signed: boolean;
  mutates: boolean;
  handle: (ctx: ApiContext, call: Call) => unknown;
}

// ------------------------------------------------------------------ parameter parsing

const NUMBER = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;

function num(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!NUMBER.test(v)) {
    throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
  }
  return Number(v);
}

function int(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?[0-9]{1,20}$/.test(v)) throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^-?[0-9]{1,20}$'.`);
  return Number(v);
}

function str(p: URLSearchParams, name: string): string | undefined {
  const v = p.get(name);
  return v === null || v === '' ? undefined : v;
}

function req(p: URLSearchParams, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw mandatory(name);
  return v;
}

const ORDER_TYPES = ['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'];

function orderType(v: string): OrderType {
  if (!ORDER_TYPES.includes(v)) throw new BinanceError(400, -1116, 'Invalid orderType.');
  return v as OrderType;
}

function side(v: string): Side {
  if (v !== 'BUY' && v !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
  return v;
}

function orderRef(p: URLSearchParams): OrderRef {
  const orderId = int(p, 'orderId');
  const clientOrderId = str(p, 'origClientOrderId');
  if (orderId === undefined && clientOrderId === undefined) {
    throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  }
  return orderId !== undefined ? { orderId } : { clientOrderId };
}

function symbolsParam(ctx: ApiContext, p: URLSearchParams): string[] {
  const one = str(p, 'symbol');
  if (one) return [ctx.engine.spec(one).symbol];
  const many = str(p, 'symbols');
  if (many) {
    let list: unknown;
    try {
      list = JSON.parse(many);
    } catch {
      throw new BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.");
    }
    if (!Array.isArray(list)) throw new BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.");
    return list.map((s) => ctx.engine.spec(String(s)).symbol);
  }
  return ctx.engine.symbols();
}

function oneOrMany<T>(p: URLSearchParams, items: T[]): T | T[] {
  return str(p, 'symbol') ? items[0]! : items;
}

// ------------------------------------------------------------------ market data

const INTERVALS: Record<string, number> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000,
  '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000,
  '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000,
};

function lowerBound(candles: readonly Candle[], n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid]!.timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function aggregate(group: Candle[], openTime: number): Candle {
  return {
    timestamp: openTime,
    open: group[0]!.open,
    high: Math.max(...group.map((c) => c.high)),
    low: Math.min(...group.map((c) => c.low)),
    close: group[group.length - 1]!.close,
    volume: group.reduce((s, c) => s + c.volume, 0),
  };
}

/**
 * Klines from revealed candles only. Intervals that are multiples of the feed's interval are
 * aggregated; finer ones are refused (the simulator cannot invent them).
 */
export function klines(ctx: ApiContext, symbol: string, interval: string, startTime?: number, endTime?: number, limit = 500): Candle[] {
  const iv = INTERVALS[interval];
  const base = ctx.feed.intervalMs;
  if (iv === undefined || iv < base || iv % base !== 0) throw new BinanceError(400, -1120, 'Invalid interval.');
  const all = ctx.feed.candles(symbol);
  const n = ctx.feed.revealedCount(symbol);
  const lim = Math.min(Math.max(limit, 1), 1000);
  const bucketOf = (t: number) => Math.floor(t / iv) * iv;
  const out: Candle[] = [];
  if (startTime !== undefined) {
    let i = lowerBound(all, n, bucketOf(startTime));
    while (i < n && out.length < lim) {
      const b = bucketOf(all[i]!.timestamp);
      if (endTime !== undefined && b > endTime) break;
      const group: Candle[] = [];
      while (i < n && bucketOf(all[i]!.timestamp) === b) group.push(all[i++]!);
      if (b >= bucketOf(startTime)) out.push(aggregate(group, b));
    }
    return out;
  }
  let i = endTime !== undefined ? lowerBound(all, n, endTime + 1) - 1 : n - 1;
  while (i >= 0 && out.length < lim) {
    const b = bucketOf(all[i]!.timestamp);
    const group: Candle[] = [];
    while (i >= 0 && bucketOf(all[i]!.timestamp) === b) group.unshift(all[i--]!);
    out.unshift(aggregate(group, b));
  }
  return out;
}

function klineRow(c: Candle, iv: number): unknown[] {
  const quote = c.volume * ((c.open + c.close) / 2);
  return [c.timestamp, fmt(c.open), fmt(c.high), fmt(c.low), fmt(c.close), fmt(c.volume), c.timestamp + iv - 1,
    fmt(quote), Math.max(1, Math.round(c.volume * 10)), fmt(c.volume / 2), fmt(quote / 2), '0'];
}

function ticker24(ctx: ApiContext, symbol: string) {
  const all = ctx.feed.candles(symbol);
  const n = ctx.feed.revealedCount(symbol);
  const now = ctx.now();
  const from = lowerBound(all, n, now - 86_400_000);
  const window = all.slice(from, n);
  const last = ctx.engine.price(symbol) ?? window[window.length - 1]?.close ?? 0;
  const open = window[0]?.open ?? last;
  const high = Math.max(last, ...window.map((c) => c.high));
  const low = Math.min(last, ...window.map((c) => c.low));
  const volume = window.reduce((s, c) => s + c.volume, 0);
  const quoteVolume = window.reduce((s, c) => s + c.volume * c.close, 0);
  const { bid, ask } = ctx.engine.book(symbol);
  const depthQty = levelQty(ctx, symbol);
  return {
    symbol,
    priceChange: fmt(last - open),
    priceChangePercent: (open ? ((last - open) / open) * 100 : 0).toFixed(3),
    weightedAvgPrice: fmt(volume ? quoteVolume / volume : last),
    prevClosePrice: fmt(open),
    lastPrice: fmt(last),
    lastQty: fmt(depthQty),
    bidPrice: fmt(bid),
    bidQty: fmt(depthQty),
    askPrice: fmt(ask),
    askQty: fmt(depthQty),
    openPrice: fmt(open),
    highPrice: fmt(high),
    lowPrice: fmt(low),
    volume: fmt(volume),
    quoteVolume: fmt(quoteVolume),
    openTime: window[0]?.timestamp ?? now,
    closeTime: now - 1,
    firstId: 0,
    lastId: Math.max(0, window.length - 1),
    count: window.length,
  };
}

function levelQty(ctx: ApiContext, symbol: string): number {
  const c = ctx.engine.candle(symbol);
  const spec = ctx.engine.spec(symbol);
  const q = c ? (c.volume * ctx.participation) / 10 : spec.minQty;
  return Math.max(spec.minQty, Math.floor(q / spec.stepSize) * spec.stepSize);
}

// ------------------------------------------------------------------ order list parameters

function leg(p: URLSearchParams, prefix: string, typeRequired: boolean): OcoLeg | undefined {
  const type = typeRequired ? req(p, `${prefix}Type`) : str(p, `${prefix}Type`);
  if (!type) return undefined;
  return {
    type: orderType(type),
    price: num(p, `${prefix}Price`),
    stopPrice: num(p, `${prefix}StopPrice`),
    timeInForce: str(p, `${prefix}TimeInForce`),
    clientOrderId: str(p, `${prefix}ClientOrderId`),
  };
}

function parseOco(p: URLSearchParams): NewOco {
  const quantity = num(p, 'quantity');
  if (quantity === undefined) throw mandatory('quantity');
  return {
    symbol: req(p, 'symbol'),
    side: side(req(p, 'side')),
    quantity,
    above: leg(p, 'above', true)!,
    below: leg(p, 'below', true)!,
    listClientOrderId: str(p, 'listClientOrderId'),
  };
}

/** Legacy POST /api/v3/order/oco: price (limit maker), stopPrice, stopLimitPrice. */
function parseLegacyOco(p: URLSearchParams): NewOco {
  const s = side(req(p, 'side'));
  const quantity = num(p, 'quantity');
  if (quantity === undefined) throw mandatory('quantity');
  const price = num(p, 'price');
  if (price === undefined) throw mandatory('price');
  const stopPrice = num(p, 'stopPrice');
  if (stopPrice === undefined) throw mandatory('stopPrice');
  const stopLimitPrice = num(p, 'stopLimitPrice');
  const target: OcoLeg = { type: 'LIMIT_MAKER', price, clientOrderId: str(p, 'limitClientOrderId') };
  const stop: OcoLeg = stopLimitPrice !== undefined
    ? { type: 'STOP_LOSS_LIMIT', price: stopLimitPrice, stopPrice, timeInForce: str(p, 'stopLimitTimeInForce') ?? 'GTC', clientOrderId: str(p, 'stopClientOrderId') }
    : { type: 'STOP_LOSS', stopPrice, clientOrderId: str(p, 'stopClientOrderId') };
  return {
    symbol: req(p, 'symbol'),
    side: s,
    quantity,
    above: s === 'SELL' ? target : stop,
    below: s === 'SELL' ? stop : target,
    listClientOrderId: str(p, 'listClientOrderId'),
  };
}

function parseOtoco(p: URLSearchParams): NewOtoco {
  const workingPrice = num(p, 'workingPrice');
  if (workingPrice === undefined) throw mandatory('workingPrice');
  const workingQuantity = num(p, 'workingQuantity');
  if (workingQuantity === undefined) throw mandatory('workingQuantity');
  const pendingQuantity = num(p, 'pendingQuantity');
  if (pendingQuantity === undefined) throw mandatory('pendingQuantity');
  return {
    symbol: req(p, 'symbol'),
    listClientOrderId: str(p, 'listClientOrderId'),
    working: {
      type: orderType(req(p, 'workingType')),
      side: side(req(p, 'workingSide')),
      price: workingPrice,
      quantity: workingQuantity,
      timeInForce: str(p, 'workingTimeInForce'),
      clientOrderId: str(p, 'workingClientOrderId'),
    },
    pendingSide: side(req(p, 'pendingSide')),
    pendingQuantity,
    above: leg(p, 'pendingAbove', true)!,
    below: leg(p, 'pendingBelow', false),
  };
}

// ------------------------------------------------------------------ routes

function byTimeFilter<T extends { time: number }>(items: T[], p: URLSearchParams): T[] {
  const start = int(p, 'startTime');
  const end = int(p, 'endTime');
  return items.filter((i) => (start === undefined || i.time >= start) && (end === undefined || i.time <= end));
}

function limited<T>(items: T[], p: URLSearchParams, fromStart: boolean): T[] {
  const limit = Math.min(int(p, 'limit') ?? 500, 1000);
  return fromStart ? items.slice(0, limit) : items.slice(Math.max(0, items.length - limit));
}

export const routes: Record<string, Route> = {
  'GET /api/v3/ping': { signed: false, mutates: false, handle: () => ({}) },
  'GET /api/v3/time': { signed: false, mutates: false, handle: () => ({ serverTime: Date.now() }) },
  'GET /api/v3/exchangeInfo': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) => ({
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      // not part of Binance's answer: says where prices come from (e.g. SYNTHETIC)
      simulatorFeed: ctx.feed.label,
      symbols: symbolsParam(ctx, params).map((s) => exchangeInfoSymbol(ctx.engine.spec(s))),
    }),
  },
  'GET /api/v3/klines': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) => {
      const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
      const interval = req(params, 'interval');
      const rows = klines(ctx, symbol, interval, int(params, 'startTime'), int(params, 'endTime'), int(params, 'limit') ?? 500);
      return rows.map((c) => klineRow(c, INTERVALS[interval]!));
    },
  },
  'GET /api/v3/uiKlines': { signed: false, mutates: false, handle: (ctx, call) => routes['GET /api/v3/klines']!.handle(ctx, call) },
  'GET /api/v3/ticker/24hr': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) => oneOrMany(params, symbolsParam(ctx, params).map((s) => ticker24(ctx, s))),
  },
  'GET /api/v3/ticker/price': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) =>
      oneOrMany(params, symbolsParam(ctx, params).map((s) => ({ symbol: s, price: fmt(ctx.engine.price(s) ?? 0) }))),
  },
  'GET /api/v3/ticker/bookTicker': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) =>
      oneOrMany(
        params,
        symbolsParam(ctx, params).map((s) => {
          const { bid, ask } = ctx.engine.book(s);
          const q = fmt(levelQty(ctx, s));
          return { symbol: s, bidPrice: fmt(bid), bidQty: q, askPrice: fmt(ask), askQty: q };
        }),
      ),
  },
  'GET /api/v3/avgPrice': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) => {
      const s = ctx.engine.spec(req(params, 'symbol')).symbol;
      return { mins: 5, price: fmt(ctx.engine.price(s) ?? 0), closeTime: ctx.now() };
    },
  },
  'GET /api/v3/depth': {
    signed: false,
    mutates: false,
    handle: (ctx, { params }) => {
      const s = ctx.engine.spec(req(params, 'symbol')).symbol;
      const limit = Math.min(int(params, 'limit') ?? 100, 5000);
      const levels = Math.min(limit, 100);
      const { bid, ask } = ctx.engine.book(s);
      const tick = ctx.engine.spec(s).tickSize;
      const q = fmt(levelQty(ctx, s));
      return {
        lastUpdateId: ctx.now(),
        bids: Array.from({ length: levels }, (_, i) => [fmt(bid - i * tick), q]),
        asks: Array.from({ length: levels }, (_, i) => [fmt(ask + i * tick), q]),
      };
    },
  },

  // -------------------------------------------------------------- account and orders (SIGNED)
  'GET /api/v3/account': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const omitZero = str(params, 'omitZeroBalances') === 'true';
      const balances = Object.entries(account!.balances)
        .filter(([, b]) => !omitZero || b.free !== 0 || b.locked !== 0)
        .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      return {
        makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
        canTrade: true, canWithdraw: false, canDeposit: false, brokered: false,
        requireSelfTradePrevention: false, preventSor: false,
        updateTime: ctx.now(), accountType: 'SPOT', balances, permissions: ['SPOT'], uid: 1,
      };
    },
  },
  'POST /api/v3/order': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const order: NewOrder = {
        symbol: req(params, 'symbol'),
        side: side(req(params, 'side')),
        type: orderType(req(params, 'type')),
        timeInForce: str(params, 'timeInForce'),
        quantity: num(params, 'quantity'),
        quoteOrderQty: num(params, 'quoteOrderQty'),
        price: num(params, 'price'),
        stopPrice: num(params, 'stopPrice'),
        newClientOrderId: str(params, 'newClientOrderId'),
      };
      const placed = ctx.engine.placeOrder(account!.apiKey, order, ctx.now());
      const respType = str(params, 'newOrderRespType') ?? (placed.type === 'LIMIT' || placed.type === 'MARKET' ? 'FULL' : 'ACK');
      return newOrderJson(placed, respType, ctx.engine.state.trades);
    },
  },
  'GET /api/v3/order': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => orderJson(ctx.engine.getOrder(account!.apiKey, req(params, 'symbol'), orderRef(params))),
  },
  'DELETE /api/v3/order': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const { order, list } = ctx.engine.cancelOrder(account!.apiKey, req(params, 'symbol'), orderRef(params), ctx.now());
      const out = cancelJson(order, ctx.now());
      if (list) out.orderListId = list.orderListId;
      return out;
    },
  },
  'GET /api/v3/openOrders': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = str(params, 'symbol');
      if (symbol) ctx.engine.spec(symbol);
      return ctx.engine.state.orders
        .filter((o) => o.account === account!.apiKey && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (!symbol || o.symbol === symbol))
        .map(orderJson);
    },
  },
  'DELETE /api/v3/openOrders': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) =>
      ctx.engine.cancelAll(account!.apiKey, req(params, 'symbol'), ctx.now()).map((o) => cancelJson(o, ctx.now())),
  },
  'GET /api/v3/allOrders': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
      const fromId = int(params, 'orderId');
      const mine = ctx.engine.state.orders.filter(
        (o) => o.account === account!.apiKey && o.symbol === symbol && (fromId === undefined || o.orderId >= fromId),
      );
      return limited(byTimeFilter(mine, params), params, fromId !== undefined || params.has('startTime')).map(orderJson);
    },
  },
  'GET /api/v3/myTrades': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
      const orderId = int(params, 'orderId');
      const fromId = int(params, 'fromId');
      const mine = ctx.engine.state.trades.filter(
        (t) => t.account === account!.apiKey && t.symbol === symbol &&
          (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId),
      );
      return limited(byTimeFilter(mine, params), params, fromId !== undefined || params.has('startTime')).map(tradeJson);
    },
  },
  'POST /api/v3/orderList/oco': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) =>
      orderListJson(ctx.engine, ctx.engine.placeOco(account!.apiKey, parseOco(params), ctx.now()), true),
  },
  'POST /api/v3/order/oco': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) =>
      orderListJson(ctx.engine, ctx.engine.placeOco(account!.apiKey, parseLegacyOco(params), ctx.now()), true),
  },
  'POST /api/v3/orderList/otoco': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) =>
      orderListJson(ctx.engine, ctx.engine.placeOtoco(account!.apiKey, parseOtoco(params), ctx.now()), true),
  },
  'GET /api/v3/orderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const orderListId = int(params, 'orderListId');
      const listClientOrderId = str(params, 'origClientOrderId');
      if (orderListId === undefined && listClientOrderId === undefined) {
        throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!");
      }
      const list = ctx.engine.findList(account!.apiKey, orderListId !== undefined ? { orderListId } : { listClientOrderId });
      if (!list) throw new BinanceError(400, -2013, 'Order list does not exist.');
      return orderListJson(ctx.engine, list, false);
    },
  },
  'DELETE /api/v3/orderList': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const orderListId = int(params, 'orderListId');
      const listClientOrderId = str(params, 'listClientOrderId');
      if (orderListId === undefined && listClientOrderId === undefined) {
        throw new BinanceError(400, -1102, "Param 'listClientOrderId' or 'orderListId' must be sent, but both were empty/null!");
      }
      const list = ctx.engine.cancelOrderList(
        account!.apiKey,
        req(params, 'symbol'),
        orderListId !== undefined ? { orderListId } : { listClientOrderId },
        ctx.now(),
      );
      return orderListJson(ctx.engine, list, true);
    },
  },
  'GET /api/v3/openOrderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { account }) =>
      ctx.engine.state.orderLists
        .filter((l) => l.account === account!.apiKey && ctx.engine.listOrders(l).some(isOpen))
        .map((l) => orderListJson(ctx.engine, l, false)),
  },
  'GET /api/v3/allOrderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const fromId = int(params, 'fromId');
      const mine = ctx.engine.state.orderLists
        .filter((l) => l.account === account!.apiKey && (fromId === undefined || l.orderListId >= fromId))
        .map((l) => ({ time: l.transactionTime, l }));
      return limited(byTimeFilter(mine, params), params, fromId !== undefined).map(({ l }) => orderListJson(ctx.engine, l, false));
    },
  },
};
