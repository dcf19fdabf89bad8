import ccxt from './ccxtLib';
import { type Exchange, type MarketInterface as Market } from 'ccxt';
import type { Candle, MarketLimits, PercentPriceBand, Ticker } from '../domain/market';
import { canonicalSymbol, unifiedSymbol } from '../domain/symbols';
import { ExchangeRejection, isOrderNotFound, scrubSecrets } from './errors';
import { toBalances, toBookSide, toCandle, toExchangeOrder, toFill, toOrderList, toTicker, type Raw } from './gateway/mapping';
import { isUnknownListError, ocoParams, otocoParams, type BinanceOrderListApi } from './gateway/orderLists';
import { Retrier, type GatewayOptions } from './gateway/retry';
import type { ExchangePort, MarketDataPort } from './port';
import type { Balance, ExchangeFill, ExchangeOrder, ExchangeOrderList, OcoRequest, OrderSide, OtocoRequest } from './types';

export { toExchangeOrder } from './gateway/mapping';
export { DEFAULT_RETRY, type GatewayOptions, type RetryPolicy } from './gateway/retry';

/**
 * The ccxt adapter of the exchange port (port.ts): every exchange call of the system goes through here, over ONE shared ccxt instance
 * (see ccxtClient.ts). It speaks the domain's words (canonical symbols, numbers, client ids) and
 * hides ccxt and Binance. Prices and amounts always go out through ccxt's precision helpers.
 * Retries and the adoption of writes that may have landed are gateway/retry.ts; the mapping of
 * ccxt's answers is gateway/mapping.ts; the OCO / OTOCO request shapes are gateway/orderLists.ts.
 */
export class ExchangeGateway implements ExchangePort, MarketDataPort {
  private readonly retrier: Retrier;
  private marketsLoaded: Promise<unknown> | null = null;

  constructor(
    readonly exchange: Exchange,
    options: GatewayOptions = {},
  ) {
    this.retrier = new Retrier(exchange, options);
  }

  private get api(): BinanceOrderListApi {
    return this.exchange as unknown as BinanceOrderListApi;
  }

  private withRetry<T>(label: string, fn: () => Promise<T>): Promise<T> {
    return this.retrier.read(label, fn);
  }

  // ---------------------------------------------------------------- markets and market data

  async loadMarkets(): Promise<void> {
    if (!this.marketsLoaded) {
      this.marketsLoaded = this.withRetry('loadMarkets', () => this.exchange.loadMarkets()).catch((err) => {
        this.marketsLoaded = null;
        throw err;
      });
    }
    await this.marketsLoaded;
  }

  private async market(symbol: string): Promise<Market> {
    await this.loadMarkets();
    const unified = unifiedSymbol(symbol);
    const m = (this.exchange.markets ?? {})[unified];
    if (!m) throw new ExchangeRejection('BadSymbol', `${canonicalSymbol(symbol)} is not a spot market on ${this.exchange.id}`);
    return m;
  }

  async marketLimits(symbol: string): Promise<MarketLimits> {
    const m = await this.market(symbol);
    const limits: MarketLimits = {
      symbol: canonicalSymbol(symbol),
      tickSize: Number(m.precision.price),
      amountStep: Number(m.precision.amount),
      minAmount: Number(m.limits.amount?.min ?? 0),
      minNotional: Number(m.limits.cost?.min ?? 0),
      minPrice: Number(m.limits.price?.min ?? 0) || 0,
      maxPrice: Number(m.limits.price?.max ?? 0) || 0,
    };
    const band = percentPriceBand(((m.info as Raw | undefined)?.filters ?? []) as Raw[]);
    if (band) limits.percentPrice = band;
    return limits;
  }

  /**
   * how many stop-type orders (Binance MAX_NUM_ALGO_ORDERS: every OCO stop leg counts) one account
   * may have open on this market; 5 on Binance spot
   */
  async maxConditionalOrders(symbol: string): Promise<number> {
    const m = await this.market(symbol);
    const filters = ((m.info as Raw | undefined)?.filters ?? []) as Raw[];
    const f = filters.find((x) => x.filterType === 'MAX_NUM_ALGO_ORDERS');
    const n = Number(f?.maxNumAlgoOrders);
    return Number.isFinite(n) && n > 0 ? n : 5;
  }

  /** the market's fee rates as ccxt reports them (fractions) */
  async feeRates(symbol: string): Promise<{ maker: number; taker: number }> {
    const m = await this.market(symbol);
    return { maker: Number(m.maker ?? 0.001), taker: Number(m.taker ?? 0.001) };
  }

  async price(symbol: string, price: number): Promise<string> {
    await this.market(symbol);
    return String(this.exchange.priceToPrecision(unifiedSymbol(symbol), price));
  }

  async amount(symbol: string, amount: number): Promise<string> {
    await this.market(symbol);
    try {
      return String(this.exchange.amountToPrecision(unifiedSymbol(symbol), amount));
    } catch (err) {
      // ccxt refuses amounts that truncate to zero: an order that cannot exist
      throw new ExchangeRejection('InvalidOrder', `amount ${amount} ${canonicalSymbol(symbol)} rounds to nothing: ${scrubSecrets(String((err as Error).message))}`);
    }
  }

  async fetchCandles(symbol: string, timeframe: string, limit = 200, since?: number): Promise<Candle[]> {
    await this.market(symbol);
    const rows = await this.withRetry('fetchCandles', () => this.exchange.fetchOHLCV(unifiedSymbol(symbol), timeframe, since, limit));
    return rows.map(toCandle);
  }

  async fetchTicker(symbol: string): Promise<Ticker> {
    await this.market(symbol);
    const t = await this.withRetry('fetchTicker', () => this.exchange.fetchTicker(unifiedSymbol(symbol)));
    return toTicker(t, symbol);
  }

  async fetchOrderBook(symbol: string, depth = 20): Promise<{ bids: [number, number][]; asks: [number, number][] }> {
    await this.market(symbol);
    const book = await this.withRetry('fetchOrderBook', () => this.exchange.fetchOrderBook(unifiedSymbol(symbol), depth));
    return { bids: toBookSide(book.bids), asks: toBookSide(book.asks) };
  }

  async fetchBalances(): Promise<Map<string, Balance>> {
    await this.loadMarkets();
    return toBalances(await this.withRetry('fetchBalance', () => this.exchange.fetchBalance()));
  }

  async fetchBalance(asset: string): Promise<Balance> {
    return (await this.fetchBalances()).get(asset) ?? { asset, free: 0, used: 0, total: 0 };
  }

  // ---------------------------------------------------------------- single orders

  /** the order with this client id, or null when the exchange has never seen it */
  async findOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null> {
    await this.market(symbol);
    try {
      const o = await this.withRetry('fetchOrder', () =>
        this.exchange.fetchOrder('', unifiedSymbol(symbol), { origClientOrderId: clientOrderId }),
      );
      return toExchangeOrder(o, symbol);
    } catch (err) {
      if (isOrderNotFound(err)) return null;
      throw err;
    }
  }

  async placeLimitOrder(req: { symbol: string; side: OrderSide; quantity: number; price: number; clientOrderId: string }): Promise<ExchangeOrder> {
    const unified = unifiedSymbol(req.symbol);
    await this.market(req.symbol);
    const amount = Number(await this.amount(req.symbol, req.quantity));
    const price = Number(await this.price(req.symbol, req.price));
    return this.placeIdempotent(req.symbol, req.clientOrderId, 'createOrder(LIMIT)', async () =>
      toExchangeOrder(
        await this.exchange.createOrder(unified, 'limit', req.side === 'BUY' ? 'buy' : 'sell', amount, price, {
          newClientOrderId: req.clientOrderId,
          timeInForce: 'GTC',
        }),
        req.symbol,
      ),
    );
  }

  async placeMarketOrder(req: { symbol: string; side: OrderSide; quantity: number; clientOrderId: string }): Promise<ExchangeOrder> {
    const unified = unifiedSymbol(req.symbol);
    await this.market(req.symbol);
    const amount = Number(await this.amount(req.symbol, req.quantity));
    return this.placeIdempotent(req.symbol, req.clientOrderId, 'createOrder(MARKET)', async () =>
      toExchangeOrder(
        await this.exchange.createOrder(unified, 'market', req.side === 'BUY' ? 'buy' : 'sell', amount, undefined, {
          newClientOrderId: req.clientOrderId,
        }),
        req.symbol,
      ),
    );
  }

  /** cancels by client id; returns the final order, or null if the exchange never had it */
  async cancelOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null> {
    await this.market(symbol);
    try {
      await this.withRetry('cancelOrder', () =>
        this.exchange.cancelOrder('', unifiedSymbol(symbol), { origClientOrderId: clientOrderId }),
      );
    } catch (err) {
      // already done (filled, cancelled) or unknown: the lookup below says which
      if (!(err instanceof ccxt.ExchangeError)) throw err;
    }
    return this.findOrder(symbol, clientOrderId);
  }

  async fetchOpenOrders(symbol?: string): Promise<ExchangeOrder[]> {
    await this.loadMarkets();
    const unified = symbol ? unifiedSymbol(symbol) : undefined;
    const orders = await this.withRetry('fetchOpenOrders', () => this.exchange.fetchOpenOrders(unified));
    return orders.map((o) => toExchangeOrder(o, symbol ?? String(o.symbol)));
  }

  /**
   * The account's most recent orders of one symbol, open and over (Binance allOrders, weight 20:
   * for reconciliation, not for polling). `limit` at most 1000, Binance's cap.
   */
  async fetchOrderHistory(symbol: string, limit = 1000): Promise<ExchangeOrder[]> {
    await this.market(symbol);
    const orders = await this.withRetry('fetchOrders', () => this.exchange.fetchOrders(unifiedSymbol(symbol), undefined, Math.min(limit, 1000)));
    return orders.map((o) => toExchangeOrder(o, symbol));
  }

  /** the fills of one order (from myTrades), fees in quote currency */
  async fetchOrderFills(symbol: string, exchangeOrderId: string): Promise<ExchangeFill[]> {
    const m = await this.market(symbol);
    const trades = await this.withRetry('fetchMyTrades', () =>
      this.exchange.fetchMyTrades(unifiedSymbol(symbol), undefined, undefined, { orderId: exchangeOrderId }),
    );
    return trades.filter((t) => String(t.order) === exchangeOrderId).map((t) => toFill(t, m, symbol));
  }

  // ---------------------------------------------------------------- order lists (OCO, OTOCO)

  async findOrderList(listClientOrderId: string, symbol: string): Promise<ExchangeOrderList | null> {
    await this.market(symbol);
    try {
      const raw = await this.withRetry('fetchOrderList', () => this.api.privateGetOrderList({ origClientOrderId: listClientOrderId }));
      return toOrderList(raw);
    } catch (err) {
      if (isOrderNotFound(err) || isUnknownListError(err)) return null;
      throw err;
    }
  }

  async fetchOpenOrderLists(): Promise<ExchangeOrderList[]> {
    await this.loadMarkets();
    const raw = await this.withRetry('fetchOpenOrderLists', () => this.api.privateGetOpenOrderList({}));
    return (raw ?? []).map(toOrderList);
  }

  /** a SELL (or BUY) OCO: take-profit LIMIT_MAKER above, stop (STOP_LOSS, or STOP_LOSS_LIMIT) below (reversed for BUY) */
  async placeOco(req: OcoRequest): Promise<ExchangeOrderList> {
    const m = await this.market(req.symbol);
    const params = await ocoParams(this, m.id, req);
    return this.placeListIdempotent(req.symbol, req.listClientOrderId, 'orderList/oco', async () =>
      toOrderList(await this.api.privatePostOrderListOco(params)),
    );
  }

  /** entry LIMIT whose complete fill places the OCO (take-profit + stop) on the exchange itself */
  async placeOtoco(req: OtocoRequest): Promise<ExchangeOrderList> {
    const m = await this.market(req.symbol);
    const params = await otocoParams(this, m.id, req);
    return this.placeListIdempotent(req.symbol, req.listClientOrderId, 'orderList/otoco', async () =>
      toOrderList(await this.api.privatePostOrderListOtoco(params)),
    );
  }

  /** cancels a whole list (all its open legs); returns the list as it ends, or null if unknown */
  async cancelOrderList(symbol: string, listClientOrderId: string): Promise<ExchangeOrderList | null> {
    const m = await this.market(symbol);
    try {
      await this.withRetry('cancelOrderList', () => this.api.privateDeleteOrderList({ symbol: m.id, listClientOrderId }));
    } catch (err) {
      if (!(err instanceof ccxt.ExchangeError)) throw err;
    }
    return this.findOrderList(listClientOrderId, symbol);
  }

  // ---------------------------------------------------------------- idempotent writes

  private placeIdempotent(symbol: string, clientOrderId: string, label: string, place: () => Promise<ExchangeOrder>): Promise<ExchangeOrder> {
    return this.retrier.adoptOrPlace(label, () => this.findOrder(symbol, clientOrderId), place);
  }

  private placeListIdempotent(symbol: string, listClientOrderId: string, label: string, place: () => Promise<ExchangeOrderList>): Promise<ExchangeOrderList> {
    return this.retrier.adoptOrPlace(label, () => this.findOrderList(listClientOrderId, symbol), place);
  }
}

/**
 * Binance's percent-price filters: PERCENT_PRICE_BY_SIDE (per side) or the older PERCENT_PRICE (one
 * pair for both). ccxt does not parse them, so they are read from the market's raw filters.
 */
export function percentPriceBand(filters: readonly Raw[]): PercentPriceBand | undefined {
  const bySide = filters.find((f) => f.filterType === 'PERCENT_PRICE_BY_SIDE');
  const band = bySide
    ? {
        bidMultiplierUp: Number(bySide.bidMultiplierUp),
        bidMultiplierDown: Number(bySide.bidMultiplierDown),
        askMultiplierUp: Number(bySide.askMultiplierUp),
        askMultiplierDown: Number(bySide.askMultiplierDown),
      }
    : (() => {
        const f = filters.find((x) => x.filterType === 'PERCENT_PRICE');
        if (!f) return undefined;
        const up = Number(f.multiplierUp);
        const down = Number(f.multiplierDown);
        return { bidMultiplierUp: up, bidMultiplierDown: down, askMultiplierUp: up, askMultiplierDown: down };
      })();
  if (!band) return undefined;
  return Object.values(band).every((n) => Number.isFinite(n) && n >= 0) ? band : undefined;
}

// -------------------------------------------------------------------- one gateway per account

const gateways = new WeakMap<Exchange, ExchangeGateway>();

/**
 * The process-wide gateway for an account: wraps the shared ccxt instance of `sharedCcxt`, so every
 * symbol and activity of the worker goes through one rate limiter and one loaded market list.
 */
export function gatewayFor(exchange: Exchange, options?: GatewayOptions): ExchangeGateway {
  let gw = gateways.get(exchange);
  if (!gw) {
    gw = new ExchangeGateway(exchange, options);
    gateways.set(exchange, gw);
  }
  return gw;
}
