import { BinanceError } from './errors';

/** The trading rules of one spot market, as Binance publishes them in exchangeInfo. */
export interface MarketSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: number;
  minPrice: number;
  maxPrice: number;
  stepSize: number;
  minQty: number;
  maxQty: number;
  minNotional: number;
  maxNotional: number;
  maxNumOrders: number;
  maxNumAlgoOrders: number;
}

/** Binance's real filters for the markets the project trades (tick 0.01, min notional 5 USDT). */
const KNOWN: Record<string, Omit<MarketSpec, 'symbol' | 'baseAsset' | 'quoteAsset'>> = {
  BTCUSDT: {
    tickSize: 0.01, minPrice: 0.01, maxPrice: 1_000_000, stepSize: 0.00001, minQty: 0.00001, maxQty: 9000,
    minNotional: 5, maxNotional: 9_000_000, maxNumOrders: 200, maxNumAlgoOrders: 5,
  },
  ETHUSDT: {
    tickSize: 0.01, minPrice: 0.01, maxPrice: 1_000_000, stepSize: 0.0001, minQty: 0.0001, maxQty: 9000,
    minNotional: 5, maxNotional: 9_000_000, maxNumOrders: 200, maxNumAlgoOrders: 5,
  },
};

const QUOTES = ['USDT', 'USDC', 'FDUSD', 'BTC', 'ETH', 'BNB'];

/** Spec for a symbol: Binance's real one when known, otherwise sensible USDT-market defaults. */
export function marketSpec(symbol: string): MarketSpec {
  const quote = QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length);
  if (!quote) throw new Error(`simulator: cannot tell the quote asset of ${symbol}`);
  const base = symbol.slice(0, symbol.length - quote.length);
  const known = KNOWN[symbol] ?? {
    tickSize: 0.01, minPrice: 0.01, maxPrice: 1_000_000, stepSize: 0.001, minQty: 0.001, maxQty: 9_000_000,
    minNotional: 5, maxNotional: 9_000_000, maxNumOrders: 200, maxNumAlgoOrders: 5,
  };
  return { symbol, baseAsset: base, quoteAsset: quote, ...known };
}

/** Decimal places of a step like 0.00001 -> 5. */
export function decimalsOf(step: number): number {
  const s = step.toString();
  if (s.includes('e-')) return Number(s.split('e-')[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Binance prints amounts with 8 decimals. */
export function fmt(n: number): string {
  return (Math.round(n * 1e8) / 1e8).toFixed(8);
}

/** Rounds away float noise (balances and quantities are kept to 8 decimals, like Binance). */
export function round8(n: number): number {
  return Math.round(n * 1e8) / 1e8;
}

function isMultipleOf(value: number, step: number): boolean {
  const units = value / step;
  return Math.abs(units - Math.round(units)) < 1e-7;
}

export function floorToStep(value: number, step: number): number {
  const units = Math.floor(value / step + 1e-9);
  return Number((units * step).toFixed(decimalsOf(step)));
}

export function checkPrice(spec: MarketSpec, price: number): void {
  if (price < spec.minPrice || price > spec.maxPrice || !isMultipleOf(price, spec.tickSize)) {
    throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
  }
}

export function checkQty(spec: MarketSpec, qty: number): void {
  if (qty < spec.minQty || qty > spec.maxQty || !isMultipleOf(qty, spec.stepSize)) {
    throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
  }
}

export function checkNotional(spec: MarketSpec, notional: number): void {
  if (notional < spec.minNotional - 1e-9 || notional > spec.maxNotional) {
    throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
  }
}

/** The symbol entry of GET /api/v3/exchangeInfo, shaped like Binance's (ccxt parses it). */
export function exchangeInfoSymbol(spec: MarketSpec): Record<string, unknown> {
  return {
    symbol: spec.symbol,
    status: 'TRADING',
    baseAsset: spec.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: spec.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: fmt(spec.minPrice), maxPrice: fmt(spec.maxPrice), tickSize: fmt(spec.tickSize) },
      // Binance's spot band (BTCUSDT, ETHUSDT): limit prices within 0.2x..5x of the 5-minute average
      {
        filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2',
        askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5,
      },
      { filterType: 'LOT_SIZE', minQty: fmt(spec.minQty), maxQty: fmt(spec.maxQty), stepSize: fmt(spec.stepSize) },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: fmt(spec.maxQty), stepSize: '0.00000000' },
      { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
      {
        filterType: 'NOTIONAL', minNotional: fmt(spec.minNotional), applyMinToMarket: true,
        maxNotional: fmt(spec.maxNotional), applyMaxToMarket: false, avgPriceMins: 5,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: spec.maxNumOrders },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: spec.maxNumAlgoOrders },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}
