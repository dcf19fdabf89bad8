import { fmt } from './markets';
import type { SimOrder, SimOrderList, SimState, SimTrade } from './types';

/**
 * The account's user-data events, shaped as Binance spot pushes them (executionReport, listStatus,
 * outboundAccountPosition), in the order the engine made the changes. The engine reports each
 * order change at the moment it happens (the event is built then, so later changes in the same
 * request or candle cannot leak into it); the server's stream (userStream.ts) sends them on.
 *
 * Times: E and T are the market clock, as on every REST answer of the simulator.
 */

export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED';
export type UserDataEvent = Record<string, unknown> & { e: string };

/** what the engine calls on every order change (the no-op default keeps the engine usable alone) */
export interface OrderChangeSink {
  order(order: SimOrder, execution: ExecutionType, now: number, trade?: SimTrade): void;
  listPlaced(list: SimOrderList, now: number): void;
}

export const SILENT_SINK: OrderChangeSink = { order: () => {}, listPlaced: () => {} };

export function executionReport(o: SimOrder, x: ExecutionType, now: number, t?: SimTrade): UserDataEvent {
  return {
    e: 'executionReport',
    E: now,
    s: o.symbol,
    c: o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: fmt(o.origQty),
    p: fmt(o.price),
    P: fmt(o.stopPrice),
    F: fmt(0),
    g: o.orderListId,
    // Binance: the cancelled order's own client id goes in C (c is the cancel request's)
    C: x === 'CANCELED' ? o.clientOrderId : '',
    x,
    X: o.status,
    r: 'NONE',
    i: o.orderId,
    l: fmt(t?.qty ?? 0),
    z: fmt(o.executedQty),
    L: fmt(t?.price ?? 0),
    n: fmt(t?.commission ?? 0),
    N: t?.commissionAsset ?? null,
    T: now,
    t: t?.id ?? -1,
    I: 0,
    w: o.status === 'NEW' || o.status === 'PARTIALLY_FILLED',
    m: t?.isMaker ?? false,
    M: false,
    O: o.time,
    Z: fmt(o.cummulativeQuoteQty),
    Y: fmt(t?.quoteQty ?? 0),
    Q: fmt(o.origQuoteOrderQty),
    W: o.workingTime,
    V: 'EXPIRE_MAKER',
  };
}

export function listStatus(list: SimOrderList, orders: readonly SimOrder[], done: boolean, now: number): UserDataEvent {
  return {
    e: 'listStatus',
    E: now,
    s: list.symbol,
    g: list.orderListId,
    c: list.contingencyType,
    l: done ? 'ALL_DONE' : 'EXEC_STARTED',
    L: done ? 'ALL_DONE' : 'EXECUTING',
    r: 'NONE',
    C: list.listClientOrderId,
    T: now,
    O: orders.map((o) => ({ s: o.symbol, i: o.orderId, c: o.clientOrderId })),
  };
}

export function accountPosition(state: SimState, account: string, assets: readonly string[], now: number): UserDataEvent {
  const balances = state.accounts[account]?.balances ?? {};
  return {
    e: 'outboundAccountPosition',
    E: now,
    u: now,
    B: assets.map((a) => ({ a, f: fmt(balances[a]?.free ?? 0), l: fmt(balances[a]?.locked ?? 0) })),
  };
}

type Listener = (account: string, event: UserDataEvent) => void;

/**
 * Collects the events of one engine operation (a request or a candle) and hands them out when the
 * operation is over (a microtask later: the engine is synchronous), each list's ALL_DONE and the
 * account's balances after its orders' reports, as Binance does.
 */
export class UserDataFeed implements OrderChangeSink {
  private readonly pending: { account: string; event: UserDataEvent }[] = [];
  private readonly touchedLists = new Map<number, number>();
  private readonly touchedAssets = new Map<string, Set<string>>();
  private readonly doneLists = new Set<number>();
  private readonly listeners = new Set<Listener>();
  private scheduled = false;
  private now = 0;

  constructor(
    private readonly state: SimState,
    private readonly assetsOf: (symbol: string) => string[],
  ) {
    // lists already over when the state was loaded never report again
    const byId = new Map(state.orders.map((o) => [o.orderId, o]));
    for (const l of state.orderLists) if (l.orderIds.every((id) => !isLive(byId.get(id)))) this.doneLists.add(l.orderListId);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  order(order: SimOrder, execution: ExecutionType, now: number, trade?: SimTrade): void {
    this.push(order.account, executionReport(order, execution, now, trade), now);
    if (order.orderListId !== -1) this.touchedLists.set(order.orderListId, now);
    if (execution !== 'NEW' || order.status !== 'PENDING_NEW') {
      const assets = this.touchedAssets.get(order.account) ?? new Set<string>();
      for (const a of this.assetsOf(order.symbol)) assets.add(a);
      this.touchedAssets.set(order.account, assets);
    }
  }

  listPlaced(list: SimOrderList, now: number): void {
    this.push(list.account, listStatus(list, this.listOrders(list), false, now), now);
  }

  private push(account: string, event: UserDataEvent, now: number): void {
    this.pending.push({ account, event });
    this.now = now;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    for (const [id, at] of this.touchedLists) {
      const list = this.state.orderLists.find((l) => l.orderListId === id);
      if (!list || this.doneLists.has(id)) continue;
      const orders = this.listOrders(list);
      if (orders.every((o) => !isLive(o))) {
        this.doneLists.add(id);
        this.pending.push({ account: list.account, event: listStatus(list, orders, true, at) });
      }
    }
    this.touchedLists.clear();
    for (const [account, assets] of this.touchedAssets) {
      this.pending.push({ account, event: accountPosition(this.state, account, [...assets].sort(), this.now) });
    }
    this.touchedAssets.clear();
    for (const { account, event } of this.pending.splice(0)) for (const l of this.listeners) l(account, event);
  }

  private listOrders(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.state.orders.find((o) => o.orderId === id)).filter((o): o is SimOrder => !!o);
  }
}

function isLive(o: SimOrder | undefined): boolean {
  return !!o && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' || o.status === 'PENDING_NEW');
}
