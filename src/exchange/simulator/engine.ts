import type { Candle } from '../../domain/market';
import {
  BinanceError,
  badPriceRelation,
  duplicateOrder,
  insufficientBalance,
  invalidSymbol,
  mandatory,
  orderDoesNotExist,
  stopWouldTrigger,
  unknownOrderSent,
  wouldMatchAndTake,
} from './errors';
import { checkNotional, checkPrice, checkQty, floorToStep, marketSpec, round8, type MarketSpec } from './markets';
import type { OrderType, Side, SimAccount, SimLock, SimOrder, SimOrderList, SimState, SimTrade } from './types';

/** A new order as the API layer parsed it (numbers are already numbers). */
export interface NewOrder {
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce?: string;
  quantity?: number;
  quoteOrderQty?: number;
  price?: number;
  stopPrice?: number;
  newClientOrderId?: string;
}

/** One leg of an OCO (above or below) or a pending leg of an OTOCO. */
export interface OcoLeg {
  type: OrderType;
  price?: number;
  stopPrice?: number;
  timeInForce?: string;
  clientOrderId?: string;
}

export interface NewOco {
  symbol: string;
  side: Side;
  quantity: number;
  above: OcoLeg;
  below: OcoLeg;
  listClientOrderId?: string;
}

export interface NewOtoco {
  symbol: string;
  listClientOrderId?: string;
  working: { type: OrderType; side: Side; price: number; quantity: number; timeInForce?: string; clientOrderId?: string };
  pendingSide: Side;
  pendingQuantity: number;
  above: OcoLeg;
  below?: OcoLeg;
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: string;
}

export interface EngineConfig {
  feeRate: number;
  feeAsset: 'received' | 'quote';
  participation: number;
  log: (line: string) => void;
}

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW']);
export const isOpen = (o: SimOrder) => OPEN.has(o.status);
const isConditional = (t: OrderType) =>
  t === 'STOP_LOSS' || t === 'STOP_LOSS_LIMIT' || t === 'TAKE_PROFIT' || t === 'TAKE_PROFIT_LIMIT';
const hasLimitPrice = (t: OrderType) =>
  t === 'LIMIT' || t === 'LIMIT_MAKER' || t === 'STOP_LOSS_LIMIT' || t === 'TAKE_PROFIT_LIMIT';
/** SELL stop-loss and BUY take-profit fire when the price falls to the stop; the others when it rises. */
const firesOnFall = (o: { side: Side; type: OrderType }) =>
  (o.side === 'SELL') === (o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT');

/**
 * The matching engine: accounts, orders, order lists and fills, driven by candles.
 *
 * Within one candle the order of events is the pessimistic one, documented in README.md here:
 * stop triggers first (an OCO whose stop and target are both inside the candle exits at the
 * stop), then resting limit orders fill where the candle traded THROUGH their price (a touch is
 * not enough: queue position is unknown), then orders placed by fills in this candle (OTOCO
 * pending legs) are checked for their stop only.
 */
export class MatchingEngine {
  private readonly lastPrice = new Map<string, number>();
  private readonly lastCandle = new Map<string, Candle>();
  /** volume one order already took from the current candle of its symbol (candles by sequence number) */
  private readonly taken = new Map<number, { candle: number; qty: number }>();
  private readonly candleSeq = new Map<string, number>();
  private seq = 0;
  private readonly specs = new Map<string, MarketSpec>();

  constructor(
    readonly state: SimState,
    private readonly cfg: EngineConfig,
    symbols: string[],
  ) {
    for (const s of symbols) this.specs.set(s, marketSpec(s));
  }

  symbols(): string[] {
    return [...this.specs.keys()];
  }
  spec(symbol: string | undefined): MarketSpec {
    if (!symbol) throw mandatory('symbol');
    const spec = this.specs.get(symbol);
    if (!spec) throw invalidSymbol();
    return spec;
  }
  price(symbol: string): number | undefined {
    return this.lastPrice.get(symbol);
  }
  candle(symbol: string): Candle | undefined {
    return this.lastCandle.get(symbol);
  }
  /** The simulated top of book: bid at the last price, ask one tick above. */
  book(symbol: string): { bid: number; ask: number } {
    const last = this.lastPrice.get(symbol);
    if (last === undefined) throw new BinanceError(400, -1013, 'Market is closed.');
    const tick = this.spec(symbol).tickSize;
    return { bid: last, ask: round8(last + tick) };
  }
  /** Sets the reference price without matching (startup, restore). */
  seed(symbol: string, candle: Candle, price = candle.close): void {
    this.lastCandle.set(symbol, candle);
    this.candleSeq.set(symbol, ++this.seq);
    this.lastPrice.set(symbol, price);
  }

  account(apiKey: string): SimAccount | undefined {
    return this.state.accounts[apiKey];
  }

  // ---------------------------------------------------------------- balances and locks

  private bal(account: string, asset: string) {
    const acct = this.state.accounts[account]!;
    return (acct.balances[asset] ??= { free: 0, locked: 0 });
  }

  private lock(account: string, asset: string, perUnit: number, qty: number): SimLock {
    const amount = round8(perUnit * qty);
    const b = this.bal(account, asset);
    if (b.free + 1e-9 < amount) throw insufficientBalance();
    b.free = round8(b.free - amount);
    b.locked = round8(b.locked + amount);
    const lock: SimLock = { id: this.state.nextLockId++, account, asset, perUnit, remainingQty: qty };
    this.state.locks.push(lock);
    return lock;
  }

  private lockOf(order: SimOrder): SimLock | undefined {
    return order.lockId === null ? undefined : this.state.locks.find((l) => l.id === order.lockId);
  }

  /** Gives back what an order's lock still holds once no open order draws on it. */
  private releaseIfDone(order: SimOrder): void {
    const lock = this.lockOf(order);
    if (!lock) return;
    const stillUsed = this.state.orders.some((o) => o.lockId === lock.id && isOpen(o));
    if (stillUsed) return;
    const amount = round8(lock.perUnit * lock.remainingQty);
    const b = this.bal(lock.account, lock.asset);
    b.locked = round8(Math.max(0, b.locked - amount));
    b.free = round8(b.free + amount);
    this.state.locks = this.state.locks.filter((l) => l.id !== lock.id);
  }

  // ---------------------------------------------------------------- lookups

  findOrder(account: string, symbol: string, ref: OrderRef): SimOrder | undefined {
    if (ref.orderId !== undefined) {
      return this.state.orders.find((o) => o.account === account && o.symbol === symbol && o.orderId === ref.orderId);
    }
    // Binance allows reusing a client id once the earlier order is closed: the newest one wins.
    for (let i = this.state.orders.length - 1; i >= 0; i--) {
      const o = this.state.orders[i]!;
      if (o.account === account && o.symbol === symbol && o.clientOrderId === ref.clientOrderId) return o;
    }
    return undefined;
  }

  getOrder(account: string, symbol: string, ref: OrderRef): SimOrder {
    this.spec(symbol);
    const o = this.findOrder(account, symbol, ref);
    if (!o) throw orderDoesNotExist();
    return o;
  }

  findList(account: string, ref: { orderListId?: number; listClientOrderId?: string }): SimOrderList | undefined {
    if (ref.orderListId !== undefined) {
      return this.state.orderLists.find((l) => l.account === account && l.orderListId === ref.orderListId);
    }
    for (let i = this.state.orderLists.length - 1; i >= 0; i--) {
      const l = this.state.orderLists[i]!;
      if (l.account === account && l.listClientOrderId === ref.listClientOrderId) return l;
    }
    return undefined;
  }

  listOrders(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.state.orders.find((o) => o.orderId === id)!);
  }

  listIsDone(list: SimOrderList): boolean {
    return this.listOrders(list).every((o) => !isOpen(o));
  }

  // ---------------------------------------------------------------- validation helpers

  private openCount(account: string, symbol: string) {
    let all = 0;
    let algo = 0;
    for (const o of this.state.orders) {
      if (o.account !== account || o.symbol !== symbol || !isOpen(o)) continue;
      all++;
      if (isConditional(o.type)) algo++;
    }
    return { all, algo };
  }

  private checkCapacity(account: string, spec: MarketSpec, orders: number, algoOrders: number) {
    const { all, algo } = this.openCount(account, spec.symbol);
    if (all + orders > spec.maxNumOrders) throw new BinanceError(400, -2010, 'Filter failure: MAX_NUM_ORDERS');
    if (algo + algoOrders > spec.maxNumAlgoOrders) {
      throw new BinanceError(400, -2010, 'Filter failure: MAX_NUM_ALGO_ORDERS');
    }
  }

  private checkClientIdFree(account: string, symbol: string, clientOrderId: string | undefined) {
    if (clientOrderId === undefined) return;
    const dup = this.state.orders.some(
      (o) => o.account === account && o.symbol === symbol && o.clientOrderId === clientOrderId && isOpen(o),
    );
    if (dup) throw duplicateOrder();
  }

  /** Parameter presence and filters for one order or leg (no balance, no price relations). */
  private validateShape(spec: MarketSpec, type: OrderType, qty: number, price?: number, stopPrice?: number, tif?: string) {
    const needsTif = type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
    if (needsTif && !tif) throw mandatory('timeInForce');
    if (tif && !['GTC', 'IOC', 'FOK'].includes(tif)) throw new BinanceError(400, -1115, 'Invalid timeInForce.');
    if (hasLimitPrice(type) && price === undefined) throw mandatory('price');
    if (isConditional(type) && stopPrice === undefined) throw mandatory('stopPrice');
    if (price !== undefined && hasLimitPrice(type)) checkPrice(spec, price);
    if (stopPrice !== undefined && isConditional(type)) checkPrice(spec, stopPrice);
    checkQty(spec, qty);
    const ref = hasLimitPrice(type) ? price! : isConditional(type) ? stopPrice! : this.book(spec.symbol).ask;
    checkNotional(spec, ref * qty);
  }

  private stopWouldFireNow(symbol: string, side: Side, type: OrderType, stopPrice: number): boolean {
    const last = this.lastPrice.get(symbol)!;
    return firesOnFall({ side, type }) ? last <= stopPrice : last >= stopPrice;
  }

  private wouldTake(symbol: string, side: Side, price: number): boolean {
    const { bid, ask } = this.book(symbol);
    return side === 'BUY' ? price >= ask : price <= bid;
  }

  private newOrder(
    account: string,
    spec: MarketSpec,
    f: {
      side: Side; type: OrderType; qty: number; price?: number; stopPrice?: number; tif?: string;
      clientOrderId?: string; orderListId?: number; status?: SimOrder['status']; quoteOrderQty?: number;
    },
    now: number,
  ): SimOrder {
    const order: SimOrder = {
      account,
      symbol: spec.symbol,
      orderId: this.state.nextOrderId++,
      orderListId: f.orderListId ?? -1,
      clientOrderId: f.clientOrderId ?? randomClientId(),
      side: f.side,
      type: f.type,
      timeInForce: f.type === 'MARKET' || f.type === 'STOP_LOSS' || f.type === 'TAKE_PROFIT' || f.type === 'LIMIT_MAKER' ? 'GTC' : (f.tif ?? 'GTC'),
      price: hasLimitPrice(f.type) ? f.price! : 0,
      stopPrice: isConditional(f.type) ? f.stopPrice! : 0,
      origQty: f.qty,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      origQuoteOrderQty: f.quoteOrderQty ?? 0,
      status: f.status ?? 'NEW',
      time: now,
      updateTime: now,
      workingTime: isConditional(f.type) ? -1 : now,
      triggered: false,
      lockId: null,
    };
    this.state.orders.push(order);
    return order;
  }

  /** What one unit of an order reserves: the quote it may spend (BUY) or the base it sells. */
  private perUnitLock(side: Side, type: OrderType, price: number | undefined, stopPrice: number | undefined): number {
    if (side === 'SELL') return 1;
    return hasLimitPrice(type) ? price! : stopPrice!;
  }

  // ---------------------------------------------------------------- placing

  placeOrder(account: string, req: NewOrder, now: number): SimOrder {
    const spec = this.spec(req.symbol);
    if (req.side !== 'BUY' && req.side !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
    let qty = req.quantity;
    if (req.type === 'MARKET' && qty === undefined) {
      if (req.quoteOrderQty === undefined) throw mandatory('quantity');
      const px = req.side === 'BUY' ? this.book(spec.symbol).ask : this.book(spec.symbol).bid;
      qty = floorToStep(req.quoteOrderQty / px, spec.stepSize);
    }
    if (qty === undefined) throw mandatory('quantity');
    this.validateShape(spec, req.type, qty, req.price, req.stopPrice, req.timeInForce);
    this.checkClientIdFree(account, spec.symbol, req.newClientOrderId);
    this.checkCapacity(account, spec, 1, isConditional(req.type) ? 1 : 0);
    if (isConditional(req.type) && this.stopWouldFireNow(spec.symbol, req.side, req.type, req.stopPrice!)) {
      throw stopWouldTrigger();
    }
    if (req.type === 'LIMIT_MAKER' && this.wouldTake(spec.symbol, req.side, req.price!)) throw wouldMatchAndTake();

    if (req.type === 'MARKET') {
      const { bid, ask } = this.book(spec.symbol);
      const px = req.side === 'BUY' ? ask : bid;
      const need = req.side === 'BUY' ? qty * px : qty;
      const asset = req.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
      if (this.bal(account, asset).free + 1e-9 < need) throw insufficientBalance();
      const order = this.newOrder(account, spec, { side: req.side, type: 'MARKET', qty, clientOrderId: req.newClientOrderId, quoteOrderQty: req.quoteOrderQty }, now);
      this.takeNow(order, px, now);
      // A market order never rests: what the candle's liquidity could not fill expires.
      if (isOpen(order)) this.finish(order, 'EXPIRED', now);
      return order;
    }

    const asset = req.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
    const perUnit = this.perUnitLock(req.side, req.type, req.price, req.stopPrice);
    if (this.bal(account, asset).free + 1e-9 < round8(perUnit * qty)) throw insufficientBalance();
    const order = this.newOrder(
      account,
      spec,
      { side: req.side, type: req.type, qty, price: req.price, stopPrice: req.stopPrice, tif: req.timeInForce, clientOrderId: req.newClientOrderId },
      now,
    );
    order.lockId = this.lock(account, asset, perUnit, qty).id;
    if (req.type === 'LIMIT') {
      const { bid, ask } = this.book(spec.symbol);
      if (order.timeInForce === 'FOK' && !this.canFillFully(order)) {
        this.finish(order, 'EXPIRED', now);
        return order;
      }
      if (this.wouldTake(spec.symbol, req.side, req.price!)) this.takeNow(order, req.side === 'BUY' ? ask : bid, now);
      if (order.timeInForce !== 'GTC' && isOpen(order)) this.finish(order, 'EXPIRED', now);
    }
    return order;
  }

  private canFillFully(order: SimOrder): boolean {
    return this.wouldTake(order.symbol, order.side, order.price) && this.capacity(order) >= order.origQty;
  }

  /** Validates an OCO pair (Binance's price relations against the reference price). */
  private validateOcoLegs(spec: MarketSpec, side: Side, qty: number, above: OcoLeg, below: OcoLeg, reference: number) {
    const stopTypes: OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT'];
    const targetTypes: OrderType[] = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
    const [stopLeg, targetLeg] = side === 'SELL' ? [below, above] : [above, below];
    if (!stopTypes.includes(stopLeg.type) || !targetTypes.includes(targetLeg.type)) {
      throw new BinanceError(400, -1014, 'Unsupported order combination.');
    }
    for (const leg of [above, below]) this.validateShape(spec, leg.type, qty, leg.price, leg.stopPrice, leg.timeInForce);
    // LIMIT_MAKER compares its price; TAKE_PROFIT(_LIMIT) compares its stop price.
    const abovePx = above.type === 'LIMIT_MAKER' ? above.price! : above.stopPrice!;
    const belowPx = below.type === 'LIMIT_MAKER' ? below.price! : below.stopPrice!;
    if (!(abovePx > reference && reference > belowPx)) throw badPriceRelation();
  }

  private ocoLock(account: string, spec: MarketSpec, side: Side, qty: number, legs: OcoLeg[]) {
    if (side === 'SELL') return this.lock(account, spec.baseAsset, 1, qty);
    const perUnit = Math.max(...legs.map((l) => this.perUnitLock('BUY', l.type, l.price, l.stopPrice)));
    return this.lock(account, spec.quoteAsset, perUnit, qty);
  }

  private checkListClientIdFree(account: string, listClientOrderId: string | undefined) {
    if (listClientOrderId === undefined) return;
    const l = this.findList(account, { listClientOrderId });
    if (l && !this.listIsDone(l)) throw duplicateOrder();
  }

  placeOco(account: string, req: NewOco, now: number): SimOrderList {
    const spec = this.spec(req.symbol);
    if (req.side !== 'BUY' && req.side !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
    this.validateOcoLegs(spec, req.side, req.quantity, req.above, req.below, this.lastPrice.get(spec.symbol)!);
    this.checkListClientIdFree(account, req.listClientOrderId);
    this.checkClientIdFree(account, spec.symbol, req.above.clientOrderId);
    this.checkClientIdFree(account, spec.symbol, req.below.clientOrderId);
    const algo = [req.above, req.below].filter((l) => isConditional(l.type)).length;
    this.checkCapacity(account, spec, 2, algo);
    const lock = this.ocoLock(account, spec, req.side, req.quantity, [req.above, req.below]);
    const list = this.newList(account, spec.symbol, 'OCO', req.listClientOrderId, now);
    for (const leg of [req.above, req.below]) {
      const o = this.newOrder(account, spec, { side: req.side, type: leg.type, qty: req.quantity, price: leg.price, stopPrice: leg.stopPrice, tif: leg.timeInForce, clientOrderId: leg.clientOrderId, orderListId: list.orderListId }, now);
      o.lockId = lock.id;
      list.orderIds.push(o.orderId);
    }
    return list;
  }

  private newList(account: string, symbol: string, type: 'OCO' | 'OTO', listClientOrderId: string | undefined, now: number) {
    const list: SimOrderList = {
      account,
      symbol,
      orderListId: this.state.nextOrderListId++,
      listClientOrderId: listClientOrderId ?? randomClientId(),
      contingencyType: type,
      workingOrderId: null,
      orderIds: [],
      transactionTime: now,
      pendingActivated: true,
    };
    this.state.orderLists.push(list);
    return list;
  }

  /**
   * OTOCO: the working order rests alone; Binance places the pending OCO pair only once the working
   * order is FULLY filled. A partial fill of the working order therefore has no exchange-side
   * protection yet (documented Binance behaviour; the OMS must cover it).
   */
  placeOtoco(account: string, req: NewOtoco, now: number): SimOrderList {
    const spec = this.spec(req.symbol);
    const w = req.working;
    if (w.type !== 'LIMIT' && w.type !== 'LIMIT_MAKER') {
      throw new BinanceError(400, -1014, 'Unsupported order combination.');
    }
    if (!req.below) throw mandatory('pendingBelowType');
    this.validateShape(spec, w.type, w.quantity, w.price, undefined, w.timeInForce);
    // The pending pair is judged against the price it will meet: the working order's price.
    this.validateOcoLegs(spec, req.pendingSide, req.pendingQuantity, req.above, req.below, w.price);
    if (w.type === 'LIMIT_MAKER' && this.wouldTake(spec.symbol, w.side, w.price)) throw wouldMatchAndTake();
    this.checkListClientIdFree(account, req.listClientOrderId);
    for (const id of [w.clientOrderId, req.above.clientOrderId, req.below.clientOrderId]) {
      this.checkClientIdFree(account, spec.symbol, id);
    }
    const algo = [req.above, req.below].filter((l) => isConditional(l.type)).length;
    this.checkCapacity(account, spec, 3, algo);
    const asset = w.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
    const lock = this.lock(account, asset, this.perUnitLock(w.side, w.type, w.price, undefined), w.quantity);
    const list = this.newList(account, spec.symbol, 'OTO', req.listClientOrderId, now);
    list.pendingActivated = false;
    const working = this.newOrder(account, spec, { side: w.side, type: w.type, qty: w.quantity, price: w.price, tif: w.timeInForce, clientOrderId: w.clientOrderId, orderListId: list.orderListId }, now);
    working.lockId = lock.id;
    list.workingOrderId = working.orderId;
    list.orderIds.push(working.orderId);
    for (const leg of [req.above, req.below]) {
      const o = this.newOrder(account, spec, { side: req.pendingSide, type: leg.type, qty: req.pendingQuantity, price: leg.price, stopPrice: leg.stopPrice, tif: leg.timeInForce, clientOrderId: leg.clientOrderId, orderListId: list.orderListId, status: 'PENDING_NEW' }, now);
      o.workingTime = -1;
      list.orderIds.push(o.orderId);
    }
    if (w.type === 'LIMIT' && this.wouldTake(spec.symbol, w.side, w.price)) {
      const { bid, ask } = this.book(spec.symbol);
      this.takeNow(working, w.side === 'BUY' ? ask : bid, now);
    }
    return list;
  }

  // ---------------------------------------------------------------- cancelling

  cancelOrder(account: string, symbol: string, ref: OrderRef, now: number): { order: SimOrder; list?: SimOrderList } {
    this.spec(symbol);
    const order = this.findOrder(account, symbol, ref);
    if (!order || !isOpen(order)) throw unknownOrderSent();
    if (order.orderListId !== -1) {
      // Binance: cancelling one order of a list cancels the whole list.
      const list = this.state.orderLists.find((l) => l.orderListId === order.orderListId)!;
      this.cancelListOrders(list, now);
      return { order, list };
    }
    this.finish(order, 'CANCELED', now);
    return { order };
  }

  cancelOrderList(account: string, symbol: string, ref: { orderListId?: number; listClientOrderId?: string }, now: number): SimOrderList {
    this.spec(symbol);
    const list = this.findList(account, ref);
    if (!list || list.symbol !== symbol || this.listIsDone(list)) {
      throw new BinanceError(400, -2011, 'Order list does not exist.');
    }
    this.cancelListOrders(list, now);
    return list;
  }

  private cancelListOrders(list: SimOrderList, now: number) {
    for (const o of this.listOrders(list)) if (isOpen(o)) this.finish(o, 'CANCELED', now);
  }

  /** Cancels every open order of a symbol (DELETE /api/v3/openOrders). */
  cancelAll(account: string, symbol: string, now: number): SimOrder[] {
    this.spec(symbol);
    const open = this.state.orders.filter((o) => o.account === account && o.symbol === symbol && isOpen(o));
    for (const o of open) if (isOpen(o)) this.finish(o, 'CANCELED', now);
    return open;
  }

  private finish(order: SimOrder, status: 'CANCELED' | 'EXPIRED', now: number) {
    order.status = status;
    order.updateTime = now;
    this.taken.delete(order.orderId);
    this.releaseIfDone(order);
  }

  // ---------------------------------------------------------------- fills

  /** How much an order may still take from its symbol's current candle. */
  private capacity(order: SimOrder): number {
    const candle = this.lastCandle.get(order.symbol);
    if (!candle) return 0;
    const spec = this.spec(order.symbol);
    const t = this.taken.get(order.orderId);
    const used = t && t.candle === this.candleSeq.get(order.symbol) ? t.qty : 0;
    const cap = floorToStep(Math.max(0, candle.volume * this.cfg.participation - used), spec.stepSize);
    return Math.min(cap, round8(order.origQty - order.executedQty));
  }

  private takeNow(order: SimOrder, price: number, now: number) {
    const qty = this.capacity(order);
    if (qty > 0) this.fill(order, qty, price, false, now);
  }

  private fill(order: SimOrder, qty: number, price: number, isMaker: boolean, now: number) {
    const spec = this.spec(order.symbol);
    const seq = this.candleSeq.get(order.symbol);
    if (seq !== undefined) {
      const t = this.taken.get(order.orderId);
      const used = t && t.candle === seq ? t.qty : 0;
      this.taken.set(order.orderId, { candle: seq, qty: round8(used + qty) });
    }
    const quoteQty = round8(qty * price);
    const lock = this.lockOf(order);
    if (lock) {
      // free what this quantity had reserved, then pay from free
      const release = round8(lock.perUnit * qty);
      const b = this.bal(order.account, lock.asset);
      b.locked = round8(Math.max(0, b.locked - release));
      b.free = round8(b.free + release);
      lock.remainingQty = round8(lock.remainingQty - qty);
    }
    const base = this.bal(order.account, spec.baseAsset);
    const quote = this.bal(order.account, spec.quoteAsset);
    let commission: number;
    let commissionAsset: string;
    if (order.side === 'BUY') {
      quote.free = round8(quote.free - quoteQty);
      if (this.cfg.feeAsset === 'received') {
        commission = round8(qty * this.cfg.feeRate);
        commissionAsset = spec.baseAsset;
        base.free = round8(base.free + qty - commission);
      } else {
        commission = round8(quoteQty * this.cfg.feeRate);
        commissionAsset = spec.quoteAsset;
        base.free = round8(base.free + qty);
        quote.free = round8(quote.free - commission);
      }
    } else {
      base.free = round8(base.free - qty);
      commission = round8(quoteQty * this.cfg.feeRate);
      commissionAsset = spec.quoteAsset;
      quote.free = round8(quote.free + quoteQty - commission);
    }
    const trade: SimTrade = {
      account: order.account,
      symbol: order.symbol,
      id: this.state.nextTradeId++,
      orderId: order.orderId,
      orderListId: order.orderListId,
      price,
      qty,
      quoteQty,
      commission,
      commissionAsset,
      time: now,
      isBuyer: order.side === 'BUY',
      isMaker,
    };
    this.state.trades.push(trade);
    const firstFill = order.executedQty === 0;
    order.executedQty = round8(order.executedQty + qty);
    order.cummulativeQuoteQty = round8(order.cummulativeQuoteQty + quoteQty);
    order.status = order.executedQty + 1e-12 >= order.origQty ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
    if (order.status === 'FILLED') {
      this.taken.delete(order.orderId);
      this.releaseIfDone(order);
    }
    if (firstFill) this.onLegActivity(order, now);
    if (order.status === 'FILLED') this.onFilled(order, now);
  }

  /** An OCO leg that triggers or starts filling expires its sibling(s). */
  private onLegActivity(order: SimOrder, now: number) {
    if (order.orderListId === -1) return;
    const list = this.state.orderLists.find((l) => l.orderListId === order.orderListId)!;
    if (list.workingOrderId === order.orderId) return;
    for (const o of this.listOrders(list)) {
      if (o.orderId !== order.orderId && o.orderId !== list.workingOrderId && isOpen(o)) this.finish(o, 'EXPIRED', now);
    }
  }

  private readonly activatedThisCandle: SimOrder[] = [];

  private onFilled(order: SimOrder, now: number) {
    if (order.orderListId === -1) return;
    const list = this.state.orderLists.find((l) => l.orderListId === order.orderListId)!;
    if (list.workingOrderId !== order.orderId || list.pendingActivated) return;
    list.pendingActivated = true;
    const pending = this.listOrders(list).filter((o) => o.status === 'PENDING_NEW');
    if (pending.length === 0) return;
    const spec = this.spec(list.symbol);
    const side = pending[0]!.side;
    try {
      const legs = pending.map((p) => ({ type: p.type, price: p.price || undefined, stopPrice: p.stopPrice || undefined }));
      const lock = this.ocoLock(order.account, spec, side, pending[0]!.origQty, legs);
      for (const p of pending) {
        p.status = 'NEW';
        p.lockId = lock.id;
        p.updateTime = now;
        p.workingTime = isConditional(p.type) ? -1 : now;
        this.activatedThisCandle.push(p);
      }
    } catch (err) {
      // Not enough of the received asset to back the pending pair (for example the fee was taken
      // from it): the pending orders cannot be placed and expire, as a rejected placement would.
      this.cfg.log(`OTOCO ${list.listClientOrderId}: pending orders expired: ${(err as Error).message}`);
      for (const p of pending) this.finish(p, 'EXPIRED', now);
    }
  }

  /** Where a triggered order starts working: the stop price, or the open when the candle gapped past it. */
  private triggerPrice(order: SimOrder, candle: Candle): number {
    return firesOnFall(order) ? Math.min(candle.open, order.stopPrice) : Math.max(candle.open, order.stopPrice);
  }

  private fires(order: SimOrder, candle: Candle): boolean {
    return firesOnFall(order) ? candle.low <= order.stopPrice : candle.high >= order.stopPrice;
  }

  /** A triggered order executes like a fresh order arriving at the trigger price. */
  private trigger(order: SimOrder, candle: Candle, now: number) {
    order.triggered = true;
    order.workingTime = now;
    order.updateTime = now;
    this.onLegActivity(order, now);
    const at = this.triggerPrice(order, candle);
    const marketable =
      order.type === 'STOP_LOSS' || order.type === 'TAKE_PROFIT' || (order.side === 'SELL' ? at >= order.price : at <= order.price);
    if (marketable) this.takeNow(order, at, now);
  }

  /** Runs one candle of a symbol through the book (see the class comment for the order of events). */
  onCandle(symbol: string, candle: Candle, now: number): void {
    this.lastCandle.set(symbol, candle);
    this.candleSeq.set(symbol, ++this.seq);
    const working = () =>
      this.state.orders.filter((o) => o.symbol === symbol && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
    const triggeredNow = new Set<number>();
    for (const o of working()) {
      if (!isOpen(o) || !isConditional(o.type) || o.triggered) continue;
      if (this.fires(o, candle)) {
        triggeredNow.add(o.orderId);
        this.trigger(o, candle, now);
      }
    }
    this.activatedThisCandle.length = 0;
    for (const o of working()) {
      if (!isOpen(o) || triggeredNow.has(o.orderId) || o.status === 'PENDING_NEW') continue;
      if (isConditional(o.type) && !o.triggered) continue;
      if (o.type === 'STOP_LOSS' || o.type === 'TAKE_PROFIT') {
        // a triggered market order the last candle could not fill: continues at this open
        this.takeNow(o, candle.open, now);
        continue;
      }
      const through = o.side === 'BUY' ? candle.low < o.price : candle.high > o.price;
      if (through) {
        const qty = this.capacity(o);
        if (qty > 0) this.fill(o, qty, o.price, true, now);
      }
    }
    // orders placed by fills in this candle: only their stop is checked (pessimistic)
    for (const o of this.activatedThisCandle.splice(0)) {
      if (isOpen(o) && isConditional(o.type) && !o.triggered && this.fires(o, candle)) this.trigger(o, candle, now);
    }
    this.lastPrice.set(symbol, candle.close);
  }
}

function randomClientId(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'sim';
  for (let i = 0; i < 19; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}
