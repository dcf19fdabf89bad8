import type { ListRef, OrderRef } from './engineTypes';
import type { MarketSpec } from './markets';
import { hasLimitPrice, isConditional, isOpen } from './orderRules';
import type { OrderType, Side, SimOrder, SimOrderList, SimState } from './types';
import { SILENT_SINK, type OrderChangeSink } from './userData';

export interface OrderFields {
  side: Side;
  type: OrderType;
  qty: number;
  price?: number;
  stopPrice?: number;
  tif?: string;
  clientOrderId?: string;
  orderListId?: number;
  status?: SimOrder['status'];
  quoteOrderQty?: number;
}

/** The account's orders and order lists: creating them with exchange ids, and finding them again. */
export class OrderStore {
  constructor(
    private readonly state: SimState,
    private readonly sink: OrderChangeSink = SILENT_SINK,
  ) {}

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

  findList(account: string, ref: ListRef): SimOrderList | undefined {
    if (ref.orderListId !== undefined) {
      return this.state.orderLists.find((l) => l.account === account && l.orderListId === ref.orderListId);
    }
    for (let i = this.state.orderLists.length - 1; i >= 0; i--) {
      const l = this.state.orderLists[i]!;
      if (l.account === account && l.listClientOrderId === ref.listClientOrderId) return l;
    }
    return undefined;
  }

  /** The list an order belongs to (only for orders with an orderListId). */
  listOf(order: SimOrder): SimOrderList {
    return this.state.orderLists.find((l) => l.orderListId === order.orderListId)!;
  }

  listOrders(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.state.orders.find((o) => o.orderId === id)!);
  }

  listIsDone(list: SimOrderList): boolean {
    return this.listOrders(list).every((o) => !isOpen(o));
  }

  openOrders(account: string, symbol: string): SimOrder[] {
    return this.state.orders.filter((o) => o.account === account && o.symbol === symbol && isOpen(o));
  }

  newOrder(account: string, spec: MarketSpec, f: OrderFields, now: number): SimOrder {
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
    this.sink.order(order, 'NEW', now);
    return order;
  }

  newList(account: string, symbol: string, type: 'OCO' | 'OTO', listClientOrderId: string | undefined, now: number): SimOrderList {
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
}

function randomClientId(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'sim';
  for (let i = 0; i < 19; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}
