import ccxt from '../../exchange/ccxtLib';
import { canonicalSymbol } from '../../domain/symbols';
import type { ExchangeFill, ExchangeOrder, ExchangeOrderList, ExchangeOrderStatus } from '../../exchange/types';
import { BinanceError } from '../../simulator/errors';
import type { MarketSpec } from '../../simulator/markets';
import type { SimOrder, SimOrderList, SimTrade } from '../../simulator/types';

/**
 * What the ccxt gateway would have made of the simulator's answers, without the HTTP and JSON in
 * between: the same fields, the same 8-decimal rounding the wire applies (the simulator prints
 * every number with 8 decimals), the same status mapping, and the same ccxt error classes for
 * Binance's error codes. The parity test (test/integration/backtest-parity.test.ts) holds the two
 * paths to the same orders, fills and PnL.
 */

/** a number as it comes back over the wire: printed with 8 decimals, read back */
export function wire(n: number): number {
  return Math.round(n * 1e8) / 1e8;
}

const STATUS: Record<string, ExchangeOrderStatus> = {
  NEW: 'OPEN',
  PENDING_NEW: 'OPEN',
  PARTIALLY_FILLED: 'OPEN',
  FILLED: 'FILLED',
  CANCELED: 'CANCELLED',
  REJECTED: 'REJECTED',
  EXPIRED: 'EXPIRED',
};

export function toExchangeOrder(o: SimOrder): ExchangeOrder {
  const filled = wire(o.executedQty);
  const cost = wire(o.cummulativeQuoteQty);
  const price = wire(o.price);
  const stop = wire(o.stopPrice);
  return {
    symbol: canonicalSymbol(o.symbol),
    exchangeOrderId: String(o.orderId),
    clientOrderId: o.clientOrderId,
    side: o.side,
    type: o.type,
    status: STATUS[o.status] ?? 'OPEN',
    pending: o.status === 'PENDING_NEW',
    price: price || null,
    stopPrice: stop > 0 ? stop : null,
    quantity: wire(o.origQty),
    filled,
    // ccxt: average = cost / filled when both are known
    averagePrice: filled > 0 && cost > 0 ? cost / filled : null,
    orderListId: o.orderListId >= 0 ? String(o.orderListId) : null,
    updatedAt: o.updateTime,
  };
}

export function toExchangeFill(t: SimTrade, spec: MarketSpec): ExchangeFill {
  const price = wire(t.price);
  const fee = wire(t.commission);
  // fees in quote currency; a base-asset fee valued at the fill price (as the gateway's mapping does)
  const feeQuote = t.commissionAsset === spec.quoteAsset ? fee : t.commissionAsset === spec.baseAsset ? fee * price : 0;
  return {
    tradeId: String(t.id),
    exchangeOrderId: String(t.orderId),
    symbol: canonicalSymbol(t.symbol),
    side: t.isBuyer ? 'BUY' : 'SELL',
    price,
    quantity: wire(t.qty),
    feeQuote,
    fee,
    feeAsset: t.commissionAsset,
    at: t.time,
  };
}

export function toExchangeOrderList(list: SimOrderList, legs: readonly SimOrder[], done: boolean): ExchangeOrderList {
  return {
    symbol: canonicalSymbol(list.symbol),
    orderListId: String(list.orderListId),
    listClientOrderId: list.listClientOrderId,
    status: done ? 'ALL_DONE' : 'EXECUTING',
    orders: legs.map((o) => ({ clientOrderId: o.clientOrderId, exchangeOrderId: String(o.orderId) })),
  };
}

let errorMapper: InstanceType<typeof ccxt.binance> | undefined;

/**
 * A Binance error as ccxt raises it (InsufficientFunds, InvalidOrder, OrderNotFound, ...): ccxt's
 * own binance error table decides, offline (the instance never makes a request).
 */
export function asCcxtError(err: unknown, path: string): unknown {
  if (!(err instanceof BinanceError)) return err;
  errorMapper ??= new ccxt.binance();
  const body = JSON.stringify({ code: err.code, msg: err.msg });
  try {
    errorMapper.handleErrors(err.httpStatus, '', `in-process${path}`, 'POST', {}, body, { code: err.code, msg: err.msg }, {}, '');
  } catch (mapped) {
    return mapped;
  }
  return new ccxt.ExchangeError(`binance ${body}`);
}
