import ccxt from '../ccxtLib';
import type { OcoRequest, OrderSide, OtocoRequest } from '../types';
import type { Raw } from './mapping';

/** the implicit Binance endpoints for order lists (ccxt generates them at runtime) */
export interface BinanceOrderListApi {
  privatePostOrderListOco(params: Raw): Promise<Raw>;
  privatePostOrderListOtoco(params: Raw): Promise<Raw>;
  privateGetOrderList(params: Raw): Promise<Raw>;
  privateDeleteOrderList(params: Raw): Promise<Raw>;
  privateGetOpenOrderList(params: Raw): Promise<Raw[]>;
}

/** ccxt's precision helpers as the gateway offers them (strings ready to send) */
export interface Precision {
  price(symbol: string, price: number): Promise<string>;
  amount(symbol: string, amount: number): Promise<string>;
}

/** a SELL (or BUY) OCO: take-profit LIMIT_MAKER above, stop (STOP_LOSS, or STOP_LOSS_LIMIT) below (reversed for BUY) */
export async function ocoParams(precision: Precision, marketId: string | undefined, req: OcoRequest): Promise<Raw> {
  const sell = req.side === 'SELL';
  const { takeProfit, stop } = await exitLegs(precision, req);
  return {
    symbol: marketId,
    side: req.side,
    quantity: await precision.amount(req.symbol, req.quantity),
    listClientOrderId: req.listClientOrderId,
    ...prefixed('above', sell ? takeProfit : stop),
    ...prefixed('below', sell ? stop : takeProfit),
  };
}

/** entry LIMIT whose complete fill places the OCO (take-profit + stop) on the exchange itself */
export async function otocoParams(precision: Precision, marketId: string | undefined, req: OtocoRequest): Promise<Raw> {
  const exitSide: OrderSide = req.side === 'BUY' ? 'SELL' : 'BUY';
  const sellExit = exitSide === 'SELL';
  const { takeProfit, stop } = await exitLegs(precision, req);
  return {
    symbol: marketId,
    listClientOrderId: req.listClientOrderId,
    workingType: 'LIMIT',
    workingSide: req.side,
    workingClientOrderId: req.entryClientOrderId,
    workingPrice: await precision.price(req.symbol, req.entryPrice),
    workingQuantity: await precision.amount(req.symbol, req.entryQuantity),
    workingTimeInForce: 'GTC',
    pendingSide: exitSide,
    pendingQuantity: await precision.amount(req.symbol, req.protectionQuantity),
    ...prefixed('pendingAbove', sellExit ? takeProfit : stop),
    ...prefixed('pendingBelow', sellExit ? stop : takeProfit),
  };
}

/** a lookup of a list the exchange does not know: Binance's codes, or ccxt's words for them */
export function isUnknownListError(err: unknown): boolean {
  return err instanceof ccxt.ExchangeError && /does not exist|unknown order|-2011|-2013|Order list/i.test(String((err as Error).message));
}

type ExitLegRequest = Pick<OcoRequest, 'symbol' | 'takeProfitPrice' | 'takeProfitClientOrderId' | 'stopPrice' | 'stopLimitPrice' | 'stopClientOrderId'>;

async function exitLegs(precision: Precision, req: ExitLegRequest) {
  const tp = await precision.price(req.symbol, req.takeProfitPrice);
  const takeProfit = { Type: 'LIMIT_MAKER', Price: tp, ClientOrderId: req.takeProfitClientOrderId };
  const stop = await stopLeg(precision, req.symbol, req.stopPrice, req.stopLimitPrice, req.stopClientOrderId);
  return { takeProfit, stop };
}

/**
 * The stop leg of an OCO / OTOCO pair. Without a limit price it is a STOP_LOSS: Binance accepts it
 * as belowType (SELL OCO), aboveType (BUY OCO) and pendingBelowType / pendingAboveType (OTOCO); once
 * triggered it is a market order, so a price gap fills it at the market instead of skipping it.
 * With a limit price it is a STOP_LOSS_LIMIT (price + timeInForce are sent only then).
 */
async function stopLeg(
  precision: Precision, symbol: string, stopPrice: number, stopLimitPrice: number | undefined, clientOrderId: string,
): Promise<Record<string, string>> {
  const StopPrice = await precision.price(symbol, stopPrice);
  if (stopLimitPrice === undefined) return { Type: 'STOP_LOSS', StopPrice, ClientOrderId: clientOrderId };
  return { Type: 'STOP_LOSS_LIMIT', Price: await precision.price(symbol, stopLimitPrice), StopPrice, TimeInForce: 'GTC', ClientOrderId: clientOrderId };
}

function prefixed(prefix: string, fields: Record<string, string>): Raw {
  const out: Raw = {};
  for (const [k, v] of Object.entries(fields)) out[prefix + k] = v;
  return out;
}
