import type { ListRef, NewOco, NewOtoco, OcoLeg } from './engineTypes';
import { BinanceError, mandatory } from './errors';
import { isOpen } from './orderRules';
import { byTimeFilter, int, limited, num, orderType, req, side, str } from './params';
import { orderListJson } from './responses';
import type { ApiContext, Route } from './route';
import type { SimOrderList } from './types';

function leg(p: URLSearchParams, prefix: string, typeRequired: boolean): OcoLeg | undefined {
  const type = typeRequired ? req(p, `${prefix}Type`) : str(p, `${prefix}Type`);
  if (!type) return undefined;
  return {
    type: orderType(type),
    price: num(p, `${prefix}Price`),
    stopPrice: num(p, `${prefix}StopPrice`),
    timeInForce: str(p, `${prefix}TimeInForce`),
    clientOrderId: str(p, `${prefix}ClientOrderId`),
  };
}

function requiredNum(p: URLSearchParams, name: string): number {
  const v = num(p, name);
  if (v === undefined) throw mandatory(name);
  return v;
}

function parseOco(p: URLSearchParams): NewOco {
  const quantity = requiredNum(p, 'quantity');
  return {
    symbol: req(p, 'symbol'),
    side: side(req(p, 'side')),
    quantity,
    above: leg(p, 'above', true)!,
    below: leg(p, 'below', true)!,
    listClientOrderId: str(p, 'listClientOrderId'),
  };
}

/** Legacy POST /api/v3/order/oco: price (limit maker), stopPrice, stopLimitPrice. */
function parseLegacyOco(p: URLSearchParams): NewOco {
  const s = side(req(p, 'side'));
  const quantity = requiredNum(p, 'quantity');
  const price = requiredNum(p, 'price');
  const stopPrice = requiredNum(p, 'stopPrice');
  const stopLimitPrice = num(p, 'stopLimitPrice');
  const target: OcoLeg = { type: 'LIMIT_MAKER', price, clientOrderId: str(p, 'limitClientOrderId') };
  const stop: OcoLeg = stopLimitPrice !== undefined
    ? { type: 'STOP_LOSS_LIMIT', price: stopLimitPrice, stopPrice, timeInForce: str(p, 'stopLimitTimeInForce') ?? 'GTC', clientOrderId: str(p, 'stopClientOrderId') }
    : { type: 'STOP_LOSS', stopPrice, clientOrderId: str(p, 'stopClientOrderId') };
  return {
    symbol: req(p, 'symbol'),
    side: s,
    quantity,
    above: s === 'SELL' ? target : stop,
    below: s === 'SELL' ? stop : target,
    listClientOrderId: str(p, 'listClientOrderId'),
  };
}

function parseOtoco(p: URLSearchParams): NewOtoco {
  const workingPrice = requiredNum(p, 'workingPrice');
  const workingQuantity = requiredNum(p, 'workingQuantity');
  const pendingQuantity = requiredNum(p, 'pendingQuantity');
  return {
    symbol: req(p, 'symbol'),
    listClientOrderId: str(p, 'listClientOrderId'),
    working: {
      type: orderType(req(p, 'workingType')),
      side: side(req(p, 'workingSide')),
      price: workingPrice,
      quantity: workingQuantity,
      timeInForce: str(p, 'workingTimeInForce'),
      clientOrderId: str(p, 'workingClientOrderId'),
    },
    pendingSide: side(req(p, 'pendingSide')),
    pendingQuantity,
    above: leg(p, 'pendingAbove', true)!,
    below: leg(p, 'pendingBelow', false),
  };
}

/** A list by orderListId, else by the client id in `clientIdParam` (Binance names it differently per endpoint). */
function listRef(p: URLSearchParams, clientIdParam: string): ListRef {
  const orderListId = int(p, 'orderListId');
  const listClientOrderId = str(p, clientIdParam);
  if (orderListId === undefined && listClientOrderId === undefined) {
    throw new BinanceError(400, -1102, `Param '${clientIdParam}' or 'orderListId' must be sent, but both were empty/null!`);
  }
  return orderListId !== undefined ? { orderListId } : { listClientOrderId };
}

function placing(place: (ctx: ApiContext, apiKey: string, params: URLSearchParams) => SimOrderList): Route {
  return {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => orderListJson(ctx.engine, place(ctx, account!.apiKey, params), true),
  };
}

/** Signed endpoints for OCO and OTOCO order lists. */
export const orderListRoutes: Record<string, Route> = {
  'POST /api/v3/orderList/oco': placing((ctx, key, p) => ctx.engine.placeOco(key, parseOco(p), ctx.now())),
  'POST /api/v3/order/oco': placing((ctx, key, p) => ctx.engine.placeOco(key, parseLegacyOco(p), ctx.now())),
  'POST /api/v3/orderList/otoco': placing((ctx, key, p) => ctx.engine.placeOtoco(key, parseOtoco(p), ctx.now())),
  'GET /api/v3/orderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const list = ctx.engine.findList(account!.apiKey, listRef(params, 'origClientOrderId'));
      if (!list) throw new BinanceError(400, -2013, 'Order list does not exist.');
      return orderListJson(ctx.engine, list, false);
    },
  },
  'DELETE /api/v3/orderList': {
    signed: true,
    mutates: true,
    handle: (ctx, { params, account }) => {
      const ref = listRef(params, 'listClientOrderId');
      const list = ctx.engine.cancelOrderList(account!.apiKey, req(params, 'symbol'), ref, ctx.now());
      return orderListJson(ctx.engine, list, true);
    },
  },
  'GET /api/v3/openOrderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { account }) =>
      ctx.engine.state.orderLists
        .filter((l) => l.account === account!.apiKey && ctx.engine.listOrders(l).some(isOpen))
        .map((l) => orderListJson(ctx.engine, l, false)),
  },
  'GET /api/v3/allOrderList': {
    signed: true,
    mutates: false,
    handle: (ctx, { params, account }) => {
      const fromId = int(params, 'fromId');
      const mine = ctx.engine.state.orderLists
        .filter((l) => l.account === account!.apiKey && (fromId === undefined || l.orderListId >= fromId))
        .map((l) => ({ time: l.transactionTime, l }));
      return limited(byTimeFilter(mine, params), params, fromId !== undefined).map(({ l }) => orderListJson(ctx.engine, l, false));
    },
  },
};
