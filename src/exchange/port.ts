import type { Candle, MarketLimits, Ticker } from '../domain/market';
import type { Balance, ExchangeFill, ExchangeOrder, ExchangeOrderList, OcoRequest, OrderSide, OtocoRequest } from './types';

/**
 * The exchange as the OMS sees it: the port. Only what the OMS really calls, in the domain's words
 * (canonical symbols like BTCUSDT, numbers, our client order ids). The ccxt gateway (gateway.ts)
 * implements it for Binance and its simulator; the backtest's in-process exchange will be the
 * second implementation. Venue details (precision helpers, Binance's filters and order-list
 * endpoints) stay behind it.
 *
 * Contract of every implementation:
 * - placing is idempotent by client id: placing an id that already rests (or filled) returns that
 *   order instead of a second one;
 * - a permanent refusal is an ExchangeRejection (or an error classifyExchangeError calls permanent,
 *   see errors.ts); anything else may be retried;
 * - cancelling or finding an order that does not exist answers null, not an error.
 */
export interface ExchangePort {
  /** tick size, amount step, minimum amount and notional of a market */
  marketLimits(symbol: string): Promise<MarketLimits>;
  /** how many stop-type orders one account may have open on this market (every OCO stop leg counts) */
  maxConditionalOrders(symbol: string): Promise<number>;
  /** fee rates as fractions (0.001 = 0.1%) */
  feeRates(symbol: string): Promise<{ maker: number; taker: number }>;
  fetchTicker(symbol: string): Promise<Ticker>;

  fetchBalance(asset: string): Promise<Balance>;
  fetchBalances(): Promise<Map<string, Balance>>;

  findOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null>;
  fetchOpenOrders(symbol?: string): Promise<ExchangeOrder[]>;
  /** recent orders of a market, open or not, newest last */
  fetchOrderHistory(symbol: string, limit?: number): Promise<ExchangeOrder[]>;
  fetchOrderFills(symbol: string, exchangeOrderId: string): Promise<ExchangeFill[]>;

  placeLimitOrder(req: { symbol: string; side: OrderSide; quantity: number; price: number; clientOrderId: string }): Promise<ExchangeOrder>;
  placeMarketOrder(req: { symbol: string; side: OrderSide; quantity: number; clientOrderId: string }): Promise<ExchangeOrder>;
  cancelOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null>;

  /** stop-loss + take-profit, one cancelling the other, for a position already held */
  placeOco(req: OcoRequest): Promise<ExchangeOrderList>;
  /** an entry that, once filled, places its own stop-loss + take-profit pair */
  placeOtoco(req: OtocoRequest): Promise<ExchangeOrderList>;
  cancelOrderList(symbol: string, listClientOrderId: string): Promise<ExchangeOrderList | null>;
  /**
   * the account's open order lists: an OTOCO's pair waiting for its entry counts against the
   * market's stop-order cap but may not be listed among open orders
   */
  fetchOpenOrderLists(): Promise<ExchangeOrderList[]>;
}

/** What the market-data activity reads besides the OMS's needs. */
export interface MarketDataPort {
  fetchTicker(symbol: string): Promise<Ticker>;
  fetchCandles(symbol: string, timeframe: string, limit?: number, since?: number): Promise<Candle[]>;
}

/**
 * One change of one order as the venue's user-data stream pushes it: the order as it stands after
 * the change, and the execution when the change was a fill (one trade on the exchange).
 */
export interface StreamUpdate {
  order: ExchangeOrder;
  fill?: ExchangeFill;
}

/** an open, subscribed user-data stream of the account */
export interface UserStreamConnection {
  /** the next updates in the exchange's order; rejects once the connection or the subscription is gone */
  next(): Promise<StreamUpdate[]>;
  close(): Promise<void>;
}

/**
 * The account's user-data stream (Binance: the WebSocket API's user-data subscription, read through
 * ccxt's websocket client). Every connect is a fresh client: a venue that ended a subscription is
 * not asked again on the old one.
 */
export interface UserStreamPort {
  /** resolves once the venue confirmed the subscription: from then on no change can be missed */
  connect(): Promise<UserStreamConnection>;
}
