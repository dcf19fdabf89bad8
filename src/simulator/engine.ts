import type { Candle } from '../domain/market';
import { matchCandle } from './candleMatching';
import type { EngineConfig, EngineParts, ListRef, NewOco, NewOrder, NewOtoco, OrderRef } from './engineTypes';
import { orderDoesNotExist, unknownOrderSent } from './errors';
import { Fills } from './fills';
import { Ledger } from './ledger';
import { MarketBoard } from './marketBoard';
import type { MarketSpec } from './markets';
import { OrderLists } from './orderLists';
import { isOpen } from './orderRules';
import { OrderStore } from './orderStore';
import { placeOrder } from './placement';
import type { SimAccount, SimOrder, SimOrderList, SimState } from './types';
import { SILENT_SINK, type OrderChangeSink } from './userData';

export type { EngineConfig, NewOco, NewOrder, NewOtoco, OcoLeg, OrderRef } from './engineTypes';
export { isOpen } from './orderRules';

/**
 * The matching engine: accounts, orders, order lists and fills, driven by candles. This class is
 * the surface the API and the server use; each concern lives in its own file (marketBoard, ledger,
 * orderStore, validation, placement, fills, orderLists, candleMatching). The matching rules are in
 * README.md here.
 */
export class MatchingEngine {
  private readonly parts: EngineParts;

  constructor(
    readonly state: SimState,
    cfg: EngineConfig,
    symbols: string[],
    /** hears every order change (the user-data stream); silent by default */
    sink: OrderChangeSink = SILENT_SINK,
  ) {
    const board = new MarketBoard(symbols);
    const ledger = new Ledger(state);
    const store = new OrderStore(state, sink);
    // fills tell the lists about leg activity; the lists are built after, so the hooks look them up late
    const fills = new Fills(state, cfg, board, ledger, {
      firstFill: (order, now) => lists.onLegActivity(order, now),
      filled: (order, now) => lists.onFilled(order, now),
    }, sink);
    const lists = new OrderLists(board, ledger, store, fills, cfg.log, sink);
    this.parts = { state, board, ledger, store, fills, lists };
  }

  symbols(): string[] {
    return this.parts.board.symbols();
  }
  spec(symbol: string | undefined): MarketSpec {
    return this.parts.board.spec(symbol);
  }
  price(symbol: string): number | undefined {
    return this.parts.board.price(symbol);
  }
  candle(symbol: string): Candle | undefined {
    return this.parts.board.candle(symbol);
  }
  /** The simulated top of book: bid at the last price, ask one tick above. */
  book(symbol: string): { bid: number; ask: number } {
    return this.parts.board.book(symbol);
  }
  /** Sets the reference price without matching (startup, restore). */
  seed(symbol: string, candle: Candle, price = candle.close): void {
    this.parts.board.open(symbol, candle);
    this.parts.board.close(symbol, price);
  }

  account(apiKey: string): SimAccount | undefined {
    return this.state.accounts[apiKey];
  }

  findOrder(account: string, symbol: string, ref: OrderRef): SimOrder | undefined {
    return this.parts.store.findOrder(account, symbol, ref);
  }
  getOrder(account: string, symbol: string, ref: OrderRef): SimOrder {
    this.spec(symbol);
    const o = this.findOrder(account, symbol, ref);
    if (!o) throw orderDoesNotExist();
    return o;
  }
  findList(account: string, ref: ListRef): SimOrderList | undefined {
    return this.parts.store.findList(account, ref);
  }
  listOrders(list: SimOrderList): SimOrder[] {
    return this.parts.store.listOrders(list);
  }
  listIsDone(list: SimOrderList): boolean {
    return this.parts.store.listIsDone(list);
  }

  placeOrder(account: string, req: NewOrder, now: number): SimOrder {
    return placeOrder(this.parts, account, req, now);
  }
  placeOco(account: string, req: NewOco, now: number): SimOrderList {
    return this.parts.lists.placeOco(account, req, now);
  }
  placeOtoco(account: string, req: NewOtoco, now: number): SimOrderList {
    return this.parts.lists.placeOtoco(account, req, now);
  }

  cancelOrder(account: string, symbol: string, ref: OrderRef, now: number): { order: SimOrder; list?: SimOrderList } {
    this.spec(symbol);
    const order = this.findOrder(account, symbol, ref);
    if (!order || !isOpen(order)) throw unknownOrderSent();
    if (order.orderListId !== -1) {
      // Binance: cancelling one order of a list cancels the whole list.
      const list = this.parts.store.listOf(order);
      this.parts.lists.cancelListOrders(list, now);
      return { order, list };
    }
    this.parts.fills.finish(order, 'CANCELED', now);
    return { order };
  }
  cancelOrderList(account: string, symbol: string, ref: ListRef, now: number): SimOrderList {
    return this.parts.lists.cancelOrderList(account, symbol, ref, now);
  }
  /** Cancels every open order of a symbol (DELETE /api/v3/openOrders). */
  cancelAll(account: string, symbol: string, now: number): SimOrder[] {
    this.spec(symbol);
    const open = this.parts.store.openOrders(account, symbol);
    for (const o of open) if (isOpen(o)) this.parts.fills.finish(o, 'CANCELED', now);
    return open;
  }

  /** Runs one candle of a symbol through the book (see candleMatching.ts for the order of events). */
  onCandle(symbol: string, candle: Candle, now: number): void {
    matchCandle(this.parts, symbol, candle, now);
  }
}
