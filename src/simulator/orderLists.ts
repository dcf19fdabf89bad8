import { BinanceError, mandatory, wouldMatchAndTake } from './errors';
import type { ListRef, NewOco, NewOtoco, OcoLeg } from './engineTypes';
import type { Fills } from './fills';
import type { Ledger } from './ledger';
import type { MarketBoard } from './marketBoard';
import type { MarketSpec } from './markets';
import { isConditional, isOpen, perUnitLock } from './orderRules';
import type { OrderFields, OrderStore } from './orderStore';
import type { Side, SimOrder, SimOrderList } from './types';
import { SILENT_SINK, type OrderChangeSink } from './userData';
import { checkCapacity, checkClientIdFree, checkListClientIdFree, validateOcoLegs, validateShape } from './validation';

/** Order lists: OCO pairs (one leg's activity expires the other) and OTOCO (a working order whose fill places an OCO). */
export class OrderLists {
  /** OTOCO pending legs placed by fills since the candle matcher last looked (see matchCandle) */
  private readonly activated: SimOrder[] = [];

  constructor(
    private readonly board: MarketBoard,
    private readonly ledger: Ledger,
    private readonly store: OrderStore,
    private readonly fills: Fills,
    private readonly log: (line: string) => void,
    private readonly sink: OrderChangeSink = SILENT_SINK,
  ) {}

  placeOco(account: string, req: NewOco, now: number): SimOrderList {
    const spec = this.board.spec(req.symbol);
    if (req.side !== 'BUY' && req.side !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
    validateOcoLegs(this.board, spec, req.side, req.quantity, req.above, req.below, this.board.price(spec.symbol)!);
    checkListClientIdFree(this.store, account, req.listClientOrderId);
    checkClientIdFree(this.store, account, spec.symbol, req.above.clientOrderId);
    checkClientIdFree(this.store, account, spec.symbol, req.below.clientOrderId);
    checkCapacity(this.store, account, spec, 2, algoLegs(req.above, req.below));
    const lock = this.ocoLock(account, spec, req.side, req.quantity, [req.above, req.below]);
    const list = this.store.newList(account, spec.symbol, 'OCO', req.listClientOrderId, now);
    for (const leg of [req.above, req.below]) {
      const o = this.store.newOrder(account, spec, legFields(req.side, req.quantity, leg, list), now);
      o.lockId = lock.id;
      list.orderIds.push(o.orderId);
    }
    this.sink.listPlaced(list, now);
    return list;
  }

  /**
   * OTOCO: the working order rests alone; Binance places the pending OCO pair only once the working
   * order is FULLY filled. A partial fill of the working order therefore has no exchange-side
   * protection yet (documented Binance behaviour; the OMS must cover it).
   */
  placeOtoco(account: string, req: NewOtoco, now: number): SimOrderList {
    const spec = this.board.spec(req.symbol);
    const w = req.working;
    if (w.type !== 'LIMIT' && w.type !== 'LIMIT_MAKER') {
      throw new BinanceError(400, -1014, 'Unsupported order combination.');
    }
    if (!req.below) throw mandatory('pendingBelowType');
    validateShape(this.board, spec, w.type, w.quantity, w.price, undefined, w.timeInForce);
    // The pending pair is judged against the price it will meet: the working order's price.
    validateOcoLegs(this.board, spec, req.pendingSide, req.pendingQuantity, req.above, req.below, w.price);
    if (w.type === 'LIMIT_MAKER' && this.board.wouldTake(spec.symbol, w.side, w.price)) throw wouldMatchAndTake();
    checkListClientIdFree(this.store, account, req.listClientOrderId);
    for (const id of [w.clientOrderId, req.above.clientOrderId, req.below.clientOrderId]) {
      checkClientIdFree(this.store, account, spec.symbol, id);
    }
    checkCapacity(this.store, account, spec, 3, algoLegs(req.above, req.below));
    const asset = w.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
    const lock = this.ledger.lock(account, asset, perUnitLock(w.side, w.type, w.price, undefined), w.quantity);
    const list = this.store.newList(account, spec.symbol, 'OTO', req.listClientOrderId, now);
    list.pendingActivated = false;
    const working = this.store.newOrder(account, spec, { side: w.side, type: w.type, qty: w.quantity, price: w.price, tif: w.timeInForce, clientOrderId: w.clientOrderId, orderListId: list.orderListId }, now);
    working.lockId = lock.id;
    list.workingOrderId = working.orderId;
    list.orderIds.push(working.orderId);
    for (const leg of [req.above, req.below]) {
      const o = this.store.newOrder(account, spec, { ...legFields(req.pendingSide, req.pendingQuantity, leg, list), status: 'PENDING_NEW' }, now);
      o.workingTime = -1;
      list.orderIds.push(o.orderId);
    }
    this.sink.listPlaced(list, now);
    if (w.type === 'LIMIT' && this.board.wouldTake(spec.symbol, w.side, w.price)) {
      const { bid, ask } = this.board.book(spec.symbol);
      this.fills.takeNow(working, w.side === 'BUY' ? ask : bid, now);
    }
    return list;
  }

  cancelOrderList(account: string, symbol: string, ref: ListRef, now: number): SimOrderList {
    this.board.spec(symbol);
    const list = this.store.findList(account, ref);
    if (!list || list.symbol !== symbol || this.store.listIsDone(list)) {
      throw new BinanceError(400, -2011, 'Order list does not exist.');
    }
    this.cancelListOrders(list, now);
    return list;
  }

  cancelListOrders(list: SimOrderList, now: number): void {
    for (const o of this.store.listOrders(list)) if (isOpen(o)) this.fills.finish(o, 'CANCELED', now);
  }

  /** An OCO leg that triggers or starts filling expires its sibling(s). */
  onLegActivity(order: SimOrder, now: number): void {
    if (order.orderListId === -1) return;
    const list = this.store.listOf(order);
    if (list.workingOrderId === order.orderId) return;
    for (const o of this.store.listOrders(list)) {
      if (o.orderId !== order.orderId && o.orderId !== list.workingOrderId && isOpen(o)) this.fills.finish(o, 'EXPIRED', now);
    }
  }

  /** A fully filled OTOCO working order places its pending pair. */
  onFilled(order: SimOrder, now: number): void {
    if (order.orderListId === -1) return;
    const list = this.store.listOf(order);
    if (list.workingOrderId !== order.orderId || list.pendingActivated) return;
    list.pendingActivated = true;
    const pending = this.store.listOrders(list).filter((o) => o.status === 'PENDING_NEW');
    if (pending.length === 0) return;
    const spec = this.board.spec(list.symbol);
    const side = pending[0]!.side;
    try {
      const legs = pending.map((p) => ({ type: p.type, price: p.price || undefined, stopPrice: p.stopPrice || undefined }));
      const lock = this.ocoLock(order.account, spec, side, pending[0]!.origQty, legs);
      for (const p of pending) {
        p.status = 'NEW';
        p.lockId = lock.id;
        p.updateTime = now;
        p.workingTime = isConditional(p.type) ? -1 : now;
        this.activated.push(p);
        this.sink.order(p, 'NEW', now);
      }
    } catch (err) {
      // Not enough of the received asset to back the pending pair (for example the fee was taken
      // from it): the pending orders cannot be placed and expire, as a rejected placement would.
      this.log(`OTOCO ${list.listClientOrderId}: pending orders expired: ${(err as Error).message}`);
      for (const p of pending) this.fills.finish(p, 'EXPIRED', now);
    }
  }

  /** Drops the record of pending legs placed so far (they are not this candle's news any more). */
  forgetActivated(): void {
    this.activated.length = 0;
  }

  /** The pending legs placed since forgetActivated, handed over once. */
  takeActivated(): SimOrder[] {
    return this.activated.splice(0);
  }

  /** One reserve for both legs: the base for a SELL, the dearer leg's quote for a BUY. */
  private ocoLock(account: string, spec: MarketSpec, side: Side, qty: number, legs: OcoLeg[]) {
    if (side === 'SELL') return this.ledger.lock(account, spec.baseAsset, 1, qty);
    const perUnit = Math.max(...legs.map((l) => perUnitLock('BUY', l.type, l.price, l.stopPrice)));
    return this.ledger.lock(account, spec.quoteAsset, perUnit, qty);
  }
}

function algoLegs(...legs: OcoLeg[]): number {
  return legs.filter((l) => isConditional(l.type)).length;
}

function legFields(side: Side, qty: number, leg: OcoLeg, list: SimOrderList): OrderFields {
  return { side, type: leg.type, qty, price: leg.price, stopPrice: leg.stopPrice, tif: leg.timeInForce, clientOrderId: leg.clientOrderId, orderListId: list.orderListId };
}
