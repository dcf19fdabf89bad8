import type { NewOrder } from './engineTypes';
import { fmt } from './markets';
import { byTimeFilter, int, limited, num, orderRef, orderType, req, side, str } from './params';
import { cancelJson, newOrderJson, orderJson, tradeJson } from './responses';
import type { Route } from './route';

/** allOrders and myTrades: forward from an id or a start time when one is sent, else the newest. */
function page<T extends { time: number }>(items: T[], p: URLSearchParams, fromId: number | undefined): T[] {
  return limited(byTimeFilter(items, p), p, fromId !== undefined || p.has('startTime'));
}

/** Signed endpoints of one account: balances, single orders, trades. */
export const accountRoutes: Record<string, Route> = {
  'GET /api/v3/account': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const omitZero = str(params, 'omitZeroBalances') === 'true';
      const balances = Object.entries(account!.balances)
        .filter(([, b]) => !omitZero || b.free !== 0 || b.locked !== 0)
        .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      return {
        makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
        canTrade: true, canWithdraw: false, canDeposit: false, brokered: false,
        requireSelfTradePrevention: false, preventSor: false,
        updateTime: ctx.now(), accountType: 'SPOT', balances, permissions: ['SPOT'], uid: 1,
      };
    },
  },
  'POST /api/v3/order': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const order: NewOrder = {
        symbol: req(params, 'symbol'),
        side: side(req(params, 'side')),
        type: orderType(req(params, 'type')),
        timeInForce: str(params, 'timeInForce'),
        quantity: num(params, 'quantity'),
        quoteOrderQty: num(params, 'quoteOrderQty'),
        price: num(params, 'price'),
        stopPrice: num(params, 'stopPrice'),
        newClientOrderId: str(params, 'newClientOrderId'),
      };
      const placed = ctx.engine.placeOrder(account!.apiKey, order, ctx.now());
      const respType = str(params, 'newOrderRespType') ?? (placed.type === 'LIMIT' || placed.type === 'MARKET' ? 'FULL' : 'ACK');
      return newOrderJson(placed, respType, ctx.engine.state.trades);
    },
  },
  'GET /api/v3/order': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => orderJson(ctx.engine.getOrder(account!.apiKey, req(params, 'symbol'), orderRef(params))),
  },
  'DELETE /api/v3/order': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const { order, list } = ctx.engine.cancelOrder(account!.apiKey, req(params, 'symbol'), orderRef(params), ctx.now());
      const out = cancelJson(order, ctx.now());
      if (list) out.orderListId = list.orderListId;
      return out;
    },
  },
  'GET /api/v3/openOrders': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = str(params, 'symbol');
      if (symbol) ctx.engine.spec(symbol);
      return ctx.engine.state.orders
        .filter((o) => o.account === account!.apiKey && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (!symbol || o.symbol === symbol))
        .map(orderJson);
    },
  },
  'DELETE /api/v3/openOrders': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) =>
      ctx.engine.cancelAll(account!.apiKey, req(params, 'symbol'), ctx.now()).map((o) => cancelJson(o, ctx.now())),
  },
  'GET /api/v3/allOrders': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
      const fromId = int(params, 'orderId');
      const mine = ctx.engine.state.orders.filter(
        (o) => o.account === account!.apiKey && o.symbol === symbol && (fromId === undefined || o.orderId >= fromId),
      );
      return page(mine, params, fromId).map(orderJson);
    },
  },
  'GET /api/v3/myTrades': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const symbol = ctx.engine.spec(req(params, 'symbol')).symbol;
      const orderId = int(params, 'orderId');
      const fromId = int(params, 'fromId');
      const mine = ctx.engine.state.trades.filter(
        (t) => t.account === account!.apiKey && t.symbol === symbol &&
          (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId),
      );
      return page(mine, params, fromId).map(tradeJson);
    },
  },
};
