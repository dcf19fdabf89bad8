import ccxt from '../../exchange/ccxtLib';
import type { Candle, MarketLimits, Ticker } from '../../domain/market';
import { canonicalSymbol } from '../../domain/symbols';
import { classifyExchangeError, ExchangeRejection } from '../../exchange/errors';
import type { ExchangePort } from '../../exchange/port';
import { MatchingEngine, isOpen } from '../../simulator/engine';
import { emptyState, mergeAccounts } from '../../simulator/persistence';
import type { OcoLeg } from '../../simulator/engineTypes';
import { BinanceError } from '../../simulator/errors';
import type { SimOrder, SimOrderList } from '../../simulator/types';
import type { Balance, ExchangeFill, ExchangeOrder, ExchangeOrderList, OcoRequest, OrderSide, OtocoRequest, ProtectionLegs } from '../../exchange/types';
import { asCcxtError, toExchangeFill, toExchangeOrder, toExchangeOrderList, wire } from './wireShapes';

/**
 * The exchange the backtest trades on: the simulator's MatchingEngine in this process, behind the
 * exchange port the ccxt gateway implements (src/exchange/port.ts). Requests are shaped as the
 * gateway shapes them (ccxt's precision: amounts truncated to the step, prices rounded to the tick),
 * answers as the gateway reads them (wireShapes.ts). The market clock is set by the runner.
 */

export const BACKTEST_ACCOUNT = 'backtest';

export interface SimulatedExchangeOptions {
  symbols: string[];
  balances: Record<string, number>;
  feeRate: number;
  /** one order takes at most this share of a candle's volume (the simulator's default 0.1) */
  participation?: number;
}

export class SimulatedExchange implements ExchangePort {
  readonly engine: MatchingEngine;
  /** the market clock: close time of the newest matched candle, epoch ms */
  clock = 0;
  readonly #feeRate: number;

  constructor(opts: SimulatedExchangeOptions) {
    const state = emptyState();
    mergeAccounts(state, [{ apiKey: BACKTEST_ACCOUNT, apiSecret: '', balances: opts.balances }]);
    this.#feeRate = opts.feeRate;
    this.engine = new MatchingEngine(state, { feeRate: opts.feeRate, feeAsset: 'received', participation: opts.participation ?? 0.1, log: () => {} }, opts.symbols);
  }

  /** the port the OMS trades through */
  asGateway(): ExchangePort {
    return this;
  }

  // ---------------------------------------------------------------- driving the market

  seed(symbol: string, candle: Candle, closeAt: number): void {
    this.engine.seed(symbol, candle);
    this.clock = Math.max(this.clock, closeAt);
  }

  /** one candle through the book, stamped with its close time (as the simulator's feed does) */
  match(symbol: string, candle: Candle, closeAt: number): void {
    this.clock = closeAt;
    this.engine.onCandle(symbol, candle, closeAt);
  }

  // ---------------------------------------------------------------- markets and market data

  async loadMarkets(): Promise<void> {}

  async marketLimits(symbol: string): Promise<MarketLimits> {
    const spec = this.#spec(symbol);
    return { symbol: canonicalSymbol(symbol), tickSize: spec.tickSize, amountStep: spec.stepSize, minAmount: spec.minQty, minNotional: spec.minNotional };
  }

  async maxConditionalOrders(symbol: string): Promise<number> {
    return this.#spec(symbol).maxNumAlgoOrders;
  }

  async feeRates(_symbol: string): Promise<{ maker: number; taker: number }> {
    return { maker: this.#feeRate, taker: this.#feeRate };
  }

  async price(symbol: string, price: number): Promise<string> {
    return this.#price(symbol, price);
  }

  async amount(symbol: string, amount: number): Promise<string> {
    return this.#amount(symbol, amount);
  }

  async fetchTicker(symbol: string): Promise<Ticker> {
    const s = this.#spec(symbol).symbol;
    const last = this.engine.price(s);
    if (last === undefined) throw asCcxtError(new BinanceError(400, -1013, 'Market is closed.'), '/ticker');
    const { bid, ask } = this.engine.book(s);
    // the simulator's 24h ticker says closeTime = now - 1, which ccxt takes as the ticker's time
    return { symbol: canonicalSymbol(symbol), last: wire(last), bid: wire(bid), ask: wire(ask), timestamp: this.clock - 1 };
  }

  async fetchBalances(): Promise<Map<string, Balance>> {
    const out = new Map<string, Balance>();
    for (const [asset, b] of Object.entries(this.engine.account(BACKTEST_ACCOUNT)!.balances)) {
      const free = wire(b.free);
      const used = wire(b.locked);
      out.set(asset, { asset, free, used, total: free + used });
    }
    return out;
  }

  async fetchBalance(asset: string): Promise<Balance> {
    return (await this.fetchBalances()).get(asset) ?? { asset, free: 0, used: 0, total: 0 };
  }

  // ---------------------------------------------------------------- single orders

  async findOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null> {
    const o = this.engine.findOrder(BACKTEST_ACCOUNT, this.#spec(symbol).symbol, { clientOrderId });
    return o ? toExchangeOrder(o) : null;
  }

  async placeLimitOrder(req: { symbol: string; side: OrderSide; quantity: number; price: number; clientOrderId: string }): Promise<ExchangeOrder> {
    const quantity = Number(this.#amount(req.symbol, req.quantity));
    const price = Number(this.#price(req.symbol, req.price));
    return this.#adoptOrPlace(req.symbol, req.clientOrderId, 'createOrder(LIMIT)', () =>
      this.engine.placeOrder(BACKTEST_ACCOUNT, { symbol: this.#spec(req.symbol).symbol, side: req.side, type: 'LIMIT', timeInForce: 'GTC', quantity, price, newClientOrderId: req.clientOrderId }, this.clock),
    );
  }

  async placeMarketOrder(req: { symbol: string; side: OrderSide; quantity: number; clientOrderId: string }): Promise<ExchangeOrder> {
    const quantity = Number(this.#amount(req.symbol, req.quantity));
    return this.#adoptOrPlace(req.symbol, req.clientOrderId, 'createOrder(MARKET)', () =>
      this.engine.placeOrder(BACKTEST_ACCOUNT, { symbol: this.#spec(req.symbol).symbol, side: req.side, type: 'MARKET', quantity, newClientOrderId: req.clientOrderId }, this.clock),
    );
  }

  async cancelOrder(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null> {
    const s = this.#spec(symbol).symbol;
    try {
      this.engine.cancelOrder(BACKTEST_ACCOUNT, s, { clientOrderId }, this.clock);
    } catch (err) {
      // already done or unknown: the lookup below says which (as the gateway does)
      if (!(asCcxtError(err, '/order') instanceof ccxt.ExchangeError)) throw err;
    }
    return this.findOrder(symbol, clientOrderId);
  }

  async fetchOpenOrders(symbol?: string): Promise<ExchangeOrder[]> {
    const s = symbol ? this.#spec(symbol).symbol : undefined;
    return this.engine.state.orders
      .filter((o) => o.account === BACKTEST_ACCOUNT && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (!s || o.symbol === s))
      .map(toExchangeOrder);
  }

  async fetchOrderHistory(symbol: string, limit = 1000): Promise<ExchangeOrder[]> {
    const s = this.#spec(symbol).symbol;
    const mine = this.engine.state.orders.filter((o) => o.account === BACKTEST_ACCOUNT && o.symbol === s);
    return mine.slice(Math.max(0, mine.length - Math.min(limit, 1000))).map(toExchangeOrder);
  }

  async fetchOrderFills(symbol: string, exchangeOrderId: string): Promise<ExchangeFill[]> {
    const spec = this.#spec(symbol);
    const orderId = Number(exchangeOrderId);
    const mine = this.engine.state.trades.filter((t) => t.account === BACKTEST_ACCOUNT && t.symbol === spec.symbol && t.orderId === orderId);
    // myTrades answers the newest 500 (the gateway asks without a limit)
    return mine.slice(Math.max(0, mine.length - 500)).map((t) => toExchangeFill(t, spec));
  }

  // ---------------------------------------------------------------- order lists (OCO, OTOCO)

  async findOrderList(listClientOrderId: string, _symbol: string): Promise<ExchangeOrderList | null> {
    const list = this.engine.findList(BACKTEST_ACCOUNT, { listClientOrderId });
    return list ? toExchangeOrderList(list, this.engine.listOrders(list), this.engine.listIsDone(list)) : null;
  }

  async fetchOpenOrderLists(): Promise<ExchangeOrderList[]> {
    return this.engine.state.orderLists
      .filter((l) => l.account === BACKTEST_ACCOUNT && this.engine.listOrders(l).some(isOpen))
      .map((l) => toExchangeOrderList(l, this.engine.listOrders(l), this.engine.listIsDone(l)));
  }

  async placeOco(req: OcoRequest): Promise<ExchangeOrderList> {
    const sell = req.side === 'SELL';
    const { takeProfit, stop } = this.#exitLegs(req);
    const quantity = Number(this.#amount(req.symbol, req.quantity));
    return this.#adoptOrPlaceList(req.listClientOrderId, 'orderList/oco', () =>
      this.engine.placeOco(
        BACKTEST_ACCOUNT,
        { symbol: this.#spec(req.symbol).symbol, side: req.side, quantity, above: sell ? takeProfit : stop, below: sell ? stop : takeProfit, listClientOrderId: req.listClientOrderId },
        this.clock,
      ),
    );
  }

  async placeOtoco(req: OtocoRequest): Promise<ExchangeOrderList> {
    const exitSide: OrderSide = req.side === 'BUY' ? 'SELL' : 'BUY';
    const { takeProfit, stop } = this.#exitLegs(req);
    const sellExit = exitSide === 'SELL';
    return this.#adoptOrPlaceList(req.listClientOrderId, 'orderList/otoco', () =>
      this.engine.placeOtoco(
        BACKTEST_ACCOUNT,
        {
          symbol: this.#spec(req.symbol).symbol,
          listClientOrderId: req.listClientOrderId,
          working: {
            type: 'LIMIT',
            side: req.side,
            price: Number(this.#price(req.symbol, req.entryPrice)),
            quantity: Number(this.#amount(req.symbol, req.entryQuantity)),
            timeInForce: 'GTC',
            clientOrderId: req.entryClientOrderId,
          },
          pendingSide: exitSide,
          pendingQuantity: Number(this.#amount(req.symbol, req.protectionQuantity)),
          above: sellExit ? takeProfit : stop,
          below: sellExit ? stop : takeProfit,
        },
        this.clock,
      ),
    );
  }

  async cancelOrderList(symbol: string, listClientOrderId: string): Promise<ExchangeOrderList | null> {
    try {
      this.engine.cancelOrderList(BACKTEST_ACCOUNT, this.#spec(symbol).symbol, { listClientOrderId }, this.clock);
    } catch (err) {
      if (!(asCcxtError(err, '/orderList') instanceof ccxt.ExchangeError)) throw err;
    }
    return this.findOrderList(listClientOrderId, symbol);
  }

  // ---------------------------------------------------------------- internals

  #spec(symbol: string) {
    try {
      return this.engine.spec(canonicalSymbol(symbol));
    } catch {
      throw new ExchangeRejection('BadSymbol', `${canonicalSymbol(symbol)} is not a spot market on the backtest exchange`);
    }
  }

  /** ccxt's priceToPrecision: rounded to the tick */
  #price(symbol: string, price: number): string {
    const spec = this.#spec(symbol);
    const out = ccxt.decimalToPrecision(price, ccxt.ROUND, spec.tickSize, ccxt.TICK_SIZE, ccxt.NO_PADDING) as string;
    if (out === '0') throw new ExchangeRejection('InvalidOrder', `price ${price} ${spec.symbol} rounds to nothing`);
    return out;
  }

  /** ccxt's amountToPrecision: truncated to the step; an amount that truncates to zero cannot exist */
  #amount(symbol: string, amount: number): string {
    const spec = this.#spec(symbol);
    const out = ccxt.decimalToPrecision(amount, ccxt.TRUNCATE, spec.stepSize, ccxt.TICK_SIZE, ccxt.NO_PADDING) as string;
    if (out === '0') {
      throw new ExchangeRejection('InvalidOrder', `amount ${amount} ${spec.symbol} rounds to nothing: binance amount of ${spec.baseAsset}/${spec.quoteAsset} must be greater than minimum amount precision of ${spec.stepSize}`);
    }
    return out;
  }

  #exitLegs(req: ProtectionLegs & { symbol: string }): { takeProfit: OcoLeg; stop: OcoLeg } {
    const takeProfit: OcoLeg = { type: 'LIMIT_MAKER', price: Number(this.#price(req.symbol, req.takeProfitPrice)), clientOrderId: req.takeProfitClientOrderId };
    const stopPrice = Number(this.#price(req.symbol, req.stopPrice));
    const stop: OcoLeg = req.stopLimitPrice === undefined
      ? { type: 'STOP_LOSS', stopPrice, clientOrderId: req.stopClientOrderId }
      : { type: 'STOP_LOSS_LIMIT', price: Number(this.#price(req.symbol, req.stopLimitPrice)), stopPrice, timeInForce: 'GTC', clientOrderId: req.stopClientOrderId };
    return { takeProfit, stop };
  }

  /**
   * The gateway's idempotent write (Retrier.adoptOrPlace): an order the exchange already has under
   * the client id is adopted; a refusal becomes an ExchangeRejection named after the request.
   */
  #adoptOrPlace(symbol: string, clientOrderId: string, label: string, place: () => SimOrder): ExchangeOrder {
    const lookup = () => {
      const o = this.engine.findOrder(BACKTEST_ACCOUNT, this.#spec(symbol).symbol, { clientOrderId });
      return o ? toExchangeOrder(o) : null;
    };
    return this.#write(label, lookup, () => toExchangeOrder(place()));
  }

  #adoptOrPlaceList(listClientOrderId: string, label: string, place: () => SimOrderList): ExchangeOrderList {
    const lookup = () => {
      const list = this.engine.findList(BACKTEST_ACCOUNT, { listClientOrderId });
      return list ? toExchangeOrderList(list, this.engine.listOrders(list), this.engine.listIsDone(list)) : null;
    };
    return this.#write(label, lookup, () => {
      const list = place();
      return toExchangeOrderList(list, this.engine.listOrders(list), this.engine.listIsDone(list));
    });
  }

  #write<T>(label: string, lookup: () => T | null, place: () => T): T {
    const existing = lookup();
    if (existing) return existing;
    try {
      return place();
    } catch (err) {
      const mapped = asCcxtError(err, label);
      const c = classifyExchangeError(mapped);
      if (/duplicate/i.test(c.message)) {
        const found = lookup();
        if (found) return found;
      }
      if (mapped instanceof ccxt.ExchangeError || err instanceof ExchangeRejection) throw new ExchangeRejection(c.kind, `${label}: ${c.message}`);
      throw err;
    }
  }
}
