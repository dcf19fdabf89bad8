import { INTERVALS, klineRow, klines, lowerBound } from './klines';
import { exchangeInfoSymbol, fmt } from './markets';
import { int, oneOrMany, req, symbolsParam } from './params';
import type { ApiContext, Route } from './route';

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

/** The quantity shown at each simulated book level: a tenth of what one order may take from the candle. */
function levelQty(ctx: ApiContext, symbol: string): number {
  const c = ctx.engine.candle(symbol);
  const spec = ctx.engine.spec(symbol);
  const q = c ? (c.volume * ctx.participation) / 10 : spec.minQty;
  return Math.max(spec.minQty, Math.floor(q / spec.stepSize) * spec.stepSize);
}

const klinesRoute: Route = {
  signed: false,
  mutates: false,
  handle: (ctx, { params }) => {
    const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
    const interval = req(params, 'interval');
    const rows = klines(ctx, symbol, interval, int(params, 'startTime'), int(params, 'endTime'), int(params, 'limit') ?? 500);
    return rows.map((c) => klineRow(c, INTERVALS[interval]!));
  },
};

/** Public endpoints: server, markets, prices. */
export const marketDataRoutes: Record<string, Route> = {
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
  'GET /api/v3/klines': klinesRoute,
  'GET /api/v3/uiKlines': klinesRoute,
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
};
