import ccxt, { type Exchange, type MarketInterface as Market, type Order as CcxtOrder, type Trade as CcxtTrade } from 'ccxt';
import type { Candle, MarketLimits, Ticker } from '../domain/market';
import { canonicalSymbol, unifiedSymbol } from '../domain/symbols';
import {
  classifyExchangeError,
  ExchangeRejection,
  ExchangeUnavailable,
  isOrderNotFound,
  scrubbedError,
  scrubSecrets,
} from './errors';
import type {
  Balance,
  ExchangeFill,
  ExchangeOrder,
  ExchangeOrderList,
  ExchangeOrderStatus,
  OcoRequest,
  OrderSide,
  OtocoRequest,
} from './types';

/**
 * The gateway: every exchange call of the system goes through here, over ONE shared ccxt instance
 * (see ccxtClient.ts). It speaks the domain's words (canonical symbols, numbers, client ids) and
 * hides ccxt and Binance. Prices and amounts always go out through ccxt's precision helpers.
 *
 * Transient failures (ccxt's OperationFailed family) are retried here, a bounded number of times
 * with backoff that honours Retry-After. Writes are idempotent by client id: after a failure that
 * may have reached the exchange (a timeout, a lost response) the gateway first looks the client id
 * up and adopts what it finds, so a retry never places a second order. Permanent refusals surface
 * as ExchangeRejection; retries that run out surface as ExchangeUnavailable.
 */

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface GatewayOptions {
  retry?: Partial<RetryPolicy>;
  /** observer for every retried failure (logging, tests) */
  onRetry?: (info: { label: string; attempt: number; kind: string; delayMs: number }) => void;
}

type Raw = Record<string, unknown>;

/** the implicit Binance endpoints the gateway uses (ccxt generates them at runtime) */
interface BinanceImplicit {
  privatePostOrderListOco(params: Raw): Promise<Raw>;
  privatePostOrderListOtoco(params: Raw): Promise<Raw>;
  privateGetOrderList(params: Raw): Promise<Raw>;
  privateDeleteOrderList(params: Raw): Promise<Raw>;
  privateGetOpenOrderList(params: Raw): Promise<Raw[]>;
}

export class ExchangeGateway {
  private readonly retry: RetryPolicy;
  private marketsLoaded: Promise<unknown> | null = null;

  constructor(
    readonly exchange: Exchange,
    private readonly options: GatewayOptions = {},
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  private get api(): BinanceImplicit {
    return this.exchange as unknown as BinanceImplicit;
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
    return {
      symbol: canonicalSymbol(symbol),
      tickSize: Number(m.precision.price),
      amountStep: Number(m.precision.amount),
      minAmount: Number(m.limits.amount?.min ?? 0),
      minNotional: Number(m.limits.cost?.min ?? 0),
    };
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
    return rows.map(([timestamp, open, high, low, close, volume]) => ({
      timestamp: Number(timestamp),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    }));
  }

  async fetchTicker(symbol: string): Promise<Ticker> {
    await this.market(symbol);
    const t = await this.withRetry('fetchTicker', () => this.exchange.fetchTicker(unifiedSymbol(symbol)));
    return {
      symbol: canonicalSymbol(symbol),
      last: Number(t.last ?? t.close),
      bid: t.bid ?? null,
      ask: t.ask ?? null,
      timestamp: t.timestamp ?? Date.now(),
    };
  }

  async fetchOrderBook(symbol: string, depth = 20): Promise<{ bids: [number, number][]; asks: [number, number][] }> {
    await this.market(symbol);
    const book = await this.withRetry('fetchOrderBook', () => this.exchange.fetchOrderBook(unifiedSymbol(symbol), depth));
    const side = (rows: unknown[]) => rows.map((r) => [Number((r as number[])[0]), Number((r as number[])[1])] as [number, number]);
    return { bids: side(book.bids), asks: side(book.asks) };
  }

  async fetchBalances(): Promise<Map<string, Balance>> {
    await this.loadMarkets();
    const b = await this.withRetry('fetchBalance', () => this.exchange.fetchBalance());
    const out = new Map<string, Balance>();
    const free = (b.free ?? {}) as unknown as Record<string, number>;
    const used = (b.used ?? {}) as unknown as Record<string, number>;
    const total = (b.total ?? {}) as unknown as Record<string, number>;
    for (const asset of Object.keys(total)) {
      out.set(asset, { asset, free: Number(free[asset] ?? 0), used: Number(used[asset] ?? 0), total: Number(total[asset] ?? 0) });
    }
    return out;
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

  /**
   * The stop leg of an OCO / OTOCO pair. Without a limit price it is a STOP_LOSS: Binance accepts it
   * as belowType (SELL OCO), aboveType (BUY OCO) and pendingBelowType / pendingAboveType (OTOCO); once
   * triggered it is a market order, so a price gap fills it at the market instead of skipping it.
   * With a limit price it is a STOP_LOSS_LIMIT (price + timeInForce are sent only then).
   */
  private async stopLeg(symbol: string, stopPrice: number, stopLimitPrice: number | undefined, clientOrderId: string): Promise<Record<string, string>> {
    const StopPrice = await this.price(symbol, stopPrice);
    if (stopLimitPrice === undefined) return { Type: 'STOP_LOSS', StopPrice, ClientOrderId: clientOrderId };
    return { Type: 'STOP_LOSS_LIMIT', Price: await this.price(symbol, stopLimitPrice), StopPrice, TimeInForce: 'GTC', ClientOrderId: clientOrderId };
  }

  /** a SELL (or BUY) OCO: take-profit LIMIT_MAKER above, stop (STOP_LOSS, or STOP_LOSS_LIMIT) below (reversed for BUY) */
  async placeOco(req: OcoRequest): Promise<ExchangeOrderList> {
    const m = await this.market(req.symbol);
    const sell = req.side === 'SELL';
    const tp = await this.price(req.symbol, req.takeProfitPrice);
    const takeProfit = { Type: 'LIMIT_MAKER', Price: tp, ClientOrderId: req.takeProfitClientOrderId };
    const stopLeg = await this.stopLeg(req.symbol, req.stopPrice, req.stopLimitPrice, req.stopClientOrderId);
    const params: Raw = {
      symbol: m.id,
      side: req.side,
      quantity: await this.amount(req.symbol, req.quantity),
      listClientOrderId: req.listClientOrderId,
      ...prefixed('above', sell ? takeProfit : stopLeg),
      ...prefixed('below', sell ? stopLeg : takeProfit),
    };
    return this.placeListIdempotent(req.symbol, req.listClientOrderId, 'orderList/oco', async () =>
      toOrderList(await this.api.privatePostOrderListOco(params)),
    );
  }

  /** entry LIMIT whose complete fill places the OCO (take-profit + stop) on the exchange itself */
  async placeOtoco(req: OtocoRequest): Promise<ExchangeOrderList> {
    const m = await this.market(req.symbol);
    const exitSide: OrderSide = req.side === 'BUY' ? 'SELL' : 'BUY';
    const sellExit = exitSide === 'SELL';
    const tp = await this.price(req.symbol, req.takeProfitPrice);
    const takeProfit = { Type: 'LIMIT_MAKER', Price: tp, ClientOrderId: req.takeProfitClientOrderId };
    const stopLeg = await this.stopLeg(req.symbol, req.stopPrice, req.stopLimitPrice, req.stopClientOrderId);
    const params: Raw = {
      symbol: m.id,
      listClientOrderId: req.listClientOrderId,
      workingType: 'LIMIT',
      workingSide: req.side,
      workingClientOrderId: req.entryClientOrderId,
      workingPrice: await this.price(req.symbol, req.entryPrice),
      workingQuantity: await this.amount(req.symbol, req.entryQuantity),
      workingTimeInForce: 'GTC',
      pendingSide: exitSide,
      pendingQuantity: await this.amount(req.symbol, req.protectionQuantity),
      ...prefixed('pendingAbove', sellExit ? takeProfit : stopLeg),
      ...prefixed('pendingBelow', sellExit ? stopLeg : takeProfit),
    };
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

  // ---------------------------------------------------------------- retries and idempotency

  private async placeIdempotent(
    symbol: string,
    clientOrderId: string,
    label: string,
    place: () => Promise<ExchangeOrder>,
  ): Promise<ExchangeOrder> {
    const existing = await this.findOrder(symbol, clientOrderId);
    if (existing) return existing;
    return this.writeWithLookup(label, place, () => this.findOrder(symbol, clientOrderId));
  }

  private async placeListIdempotent(
    symbol: string,
    listClientOrderId: string,
    label: string,
    place: () => Promise<ExchangeOrderList>,
  ): Promise<ExchangeOrderList> {
    const existing = await this.findOrderList(listClientOrderId, symbol);
    if (existing) return existing;
    return this.writeWithLookup(label, place, () => this.findOrderList(listClientOrderId, symbol));
  }

  /**
   * A write that may have happened even when its response was lost: after every transient failure
   * (and after a "duplicate" refusal) look the client id up before trying again.
   */
  private async writeWithLookup<T>(label: string, write: () => Promise<T>, lookup: () => Promise<T | null>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        const c = classifyExchangeError(err);
        if (!c.retryable && /duplicate/i.test(c.message)) {
          const found = await lookup();
          if (found) return found;
        }
        if (!c.retryable) throw new ExchangeRejection(c.kind, `${label}: ${c.message}`);
        if (attempt >= this.retry.attempts) throw new ExchangeUnavailable(c.kind, `${label}: gave up after ${attempt} attempts: ${c.message}`);
        await this.pause(label, attempt, c.kind, err);
        const found = await lookup();
        if (found) return found;
      }
    }
  }

  /** reads: retry transient failures, pass permanent ones through (with credentials scrubbed) */
  private async withRetry<T>(label: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const c = classifyExchangeError(err);
        if (!c.retryable) throw scrubbedError(err);
        if (attempt >= this.retry.attempts) throw new ExchangeUnavailable(c.kind, `${label}: gave up after ${attempt} attempts: ${c.message}`);
        await this.pause(label, attempt, c.kind, err);
      }
    }
  }

  private async pause(label: string, attempt: number, kind: string, err: unknown): Promise<void> {
    const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const retryAfter = retryAfterMs(err, this.exchange);
    const delayMs = Math.min(this.retry.maxDelayMs, Math.max(backoff, retryAfter ?? 0));
    this.options.onRetry?.({ label, attempt, kind, delayMs });
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

// -------------------------------------------------------------------- conversions

function prefixed(prefix: string, fields: Record<string, string>): Raw {
  const out: Raw = {};
  for (const [k, v] of Object.entries(fields)) out[prefix + k] = v;
  return out;
}

function retryAfterMs(err: unknown, exchange: Exchange): number | null {
  if (!(err instanceof ccxt.DDoSProtection) && !(err instanceof ccxt.RateLimitExceeded)) return null;
  const headers = (exchange.last_response_headers ?? {}) as Record<string, string>;
  const value = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

function isUnknownListError(err: unknown): boolean {
  return err instanceof ccxt.ExchangeError && /does not exist|unknown order|-2011|-2013|Order list/i.test(String((err as Error).message));
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

function toFill(t: CcxtTrade, m: Market, symbol: string): ExchangeFill {
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

function toOrderList(raw: Raw): ExchangeOrderList {
  const orders = (Array.isArray(raw.orders) ? raw.orders : []) as Raw[];
  return {
    symbol: canonicalSymbol(String(raw.symbol)),
    orderListId: String(raw.orderListId),
    listClientOrderId: String(raw.listClientOrderId),
    status: String(raw.listOrderStatus ?? ''),
    orders: orders.map((o) => ({ clientOrderId: String(o.clientOrderId), exchangeOrderId: String(o.orderId) })),
  };
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
