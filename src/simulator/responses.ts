import { fmt } from './markets';
import type { SimOrder, SimOrderList, SimTrade } from './types';
import type { MatchingEngine } from './engine';
import { isConditional } from './orderRules';

/** GET /api/v3/order and friends (the "query order" shape). */
export function orderJson(o: SimOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: fmt(o.stopPrice),
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.workingTime !== -1 && o.status !== 'PENDING_NEW',
    workingTime: o.workingTime,
    origQuoteOrderQty: fmt(o.origQuoteOrderQty),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

/** The execution fields that order answers (new and cancel) share, in Binance's order. */
function execution(o: SimOrder): Record<string, unknown> {
  return {
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: fmt(o.origQuoteOrderQty),
    cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
  };
}

/** POST /api/v3/order answer in the requested newOrderRespType. */
export function newOrderJson(o: SimOrder, respType: string, trades: SimTrade[]): Record<string, unknown> {
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime: o.time };
  if (respType === 'ACK') return ack;
  const result: Record<string, unknown> = {
    ...ack,
    ...execution(o),
    workingTime: o.workingTime,
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
  if (isConditional(o.type)) result.stopPrice = fmt(o.stopPrice);
  if (respType === 'FULL') {
    result.fills = trades
      .filter((t) => t.orderId === o.orderId)
      .map((t) => ({ price: fmt(t.price), qty: fmt(t.qty), commission: fmt(t.commission), commissionAsset: t.commissionAsset, tradeId: t.id }));
  }
  return result;
}

/** DELETE /api/v3/order answer. */
export function cancelJson(o: SimOrder, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: `cancel${o.orderId}`,
    transactTime: now,
    ...execution(o),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
  if (isConditional(o.type)) out.stopPrice = fmt(o.stopPrice);
  return out;
}

/** An order list; with reports (POST / DELETE answers) it carries each order's full state. */
export function orderListJson(engine: MatchingEngine, list: SimOrderList, withReports: boolean): Record<string, unknown> {
  const orders = engine.listOrders(list);
  const done = engine.listIsDone(list);
  const out: Record<string, unknown> = {
    orderListId: list.orderListId,
    contingencyType: list.contingencyType,
    listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED',
    listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING',
    listClientOrderId: list.listClientOrderId,
    transactionTime: list.transactionTime,
    symbol: list.symbol,
    orders: orders.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
  };
  if (withReports) {
    out.orderReports = orders.map((o) => {
      const r = newOrderJson(o, 'RESULT', []);
      if (o.price === 0) delete r.price;
      return r;
    });
  }
  return out;
}

export function tradeJson(t: SimTrade): Record<string, unknown> {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: t.orderListId,
    price: fmt(t.price),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}
