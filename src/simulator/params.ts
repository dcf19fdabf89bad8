import type { OrderRef } from './engineTypes';
import { BinanceError, mandatory } from './errors';
import type { ApiContext } from './route';
import type { OrderType, Side } from './types';

// Request parameters read as Binance reads them, refused with Binance's codes and messages.

const NUMBER = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;

export function num(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!NUMBER.test(v)) {
    throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
  }
  return Number(v);
}

export function int(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?[0-9]{1,20}$/.test(v)) throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^-?[0-9]{1,20}$'.`);
  return Number(v);
}

export function str(p: URLSearchParams, name: string): string | undefined {
  const v = p.get(name);
  return v === null || v === '' ? undefined : v;
}

export function req(p: URLSearchParams, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw mandatory(name);
  return v;
}

const ORDER_TYPES = ['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'];

export function orderType(v: string): OrderType {
  if (!ORDER_TYPES.includes(v)) throw new BinanceError(400, -1116, 'Invalid orderType.');
  return v as OrderType;
}

export function side(v: string): Side {
  if (v !== 'BUY' && v !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
  return v;
}

export function orderRef(p: URLSearchParams): OrderRef {
  const orderId = int(p, 'orderId');
  const clientOrderId = str(p, 'origClientOrderId');
  if (orderId === undefined && clientOrderId === undefined) {
    throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  }
  return orderId !== undefined ? { orderId } : { clientOrderId };
}

/** `symbol`, or a JSON array in `symbols`, or every market when neither is sent. */
export function symbolsParam(ctx: ApiContext, p: URLSearchParams): string[] {
  const one = str(p, 'symbol');
  if (one) return [ctx.engine.spec(one).symbol];
  const many = str(p, 'symbols');
  if (many) {
    let list: unknown;
    try {
      list = JSON.parse(many);
    } catch {
      throw new BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.");
    }
    if (!Array.isArray(list)) throw new BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.");
    return list.map((s) => ctx.engine.spec(String(s)).symbol);
  }
  return ctx.engine.symbols();
}

/** Binance answers a single object when one `symbol` was asked for, else an array. */
export function oneOrMany<T>(p: URLSearchParams, items: T[]): T | T[] {
  return str(p, 'symbol') ? items[0]! : items;
}

export function byTimeFilter<T extends { time: number }>(items: T[], p: URLSearchParams): T[] {
  const start = int(p, 'startTime');
  const end = int(p, 'endTime');
  return items.filter((i) => (start === undefined || i.time >= start) && (end === undefined || i.time <= end));
}

/** `limit` (default 500, at most 1000) from the start when paging forward, else the newest. */
export function limited<T>(items: T[], p: URLSearchParams, fromStart: boolean): T[] {
  const limit = Math.min(int(p, 'limit') ?? 500, 1000);
  return fromStart ? items.slice(0, limit) : items.slice(Math.max(0, items.length - limit));
}
