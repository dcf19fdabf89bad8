import { badPriceRelation, BinanceError, duplicateOrder, mandatory } from './errors';
import type { OcoLeg } from './engineTypes';
import type { MarketBoard } from './marketBoard';
import { checkNotional, checkPrice, checkQty, type MarketSpec } from './markets';
import { hasLimitPrice, isConditional } from './orderRules';
import type { OrderStore } from './orderStore';
import type { OrderType, Side } from './types';

/** Parameter presence and filters for one order or leg (no balance, no price relations). */
export function validateShape(
  board: MarketBoard, spec: MarketSpec, type: OrderType, qty: number, price?: number, stopPrice?: number, tif?: string,
): void {
  const needsTif = type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
  if (needsTif && !tif) throw mandatory('timeInForce');
  if (tif && !['GTC', 'IOC', 'FOK'].includes(tif)) throw new BinanceError(400, -1115, 'Invalid timeInForce.');
  if (hasLimitPrice(type) && price === undefined) throw mandatory('price');
  if (isConditional(type) && stopPrice === undefined) throw mandatory('stopPrice');
  if (price !== undefined && hasLimitPrice(type)) checkPrice(spec, price);
  if (stopPrice !== undefined && isConditional(type)) checkPrice(spec, stopPrice);
  checkQty(spec, qty);
  const ref = hasLimitPrice(type) ? price! : isConditional(type) ? stopPrice! : board.book(spec.symbol).ask;
  checkNotional(spec, ref * qty);
}

/** Validates an OCO pair (Binance's price relations against the reference price). */
export function validateOcoLegs(
  board: MarketBoard, spec: MarketSpec, side: Side, qty: number, above: OcoLeg, below: OcoLeg, reference: number,
): void {
  const stopTypes: OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT'];
  const targetTypes: OrderType[] = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
  const [stopLeg, targetLeg] = side === 'SELL' ? [below, above] : [above, below];
  if (!stopTypes.includes(stopLeg.type) || !targetTypes.includes(targetLeg.type)) {
    throw new BinanceError(400, -1014, 'Unsupported order combination.');
  }
  for (const leg of [above, below]) validateShape(board, spec, leg.type, qty, leg.price, leg.stopPrice, leg.timeInForce);
  // LIMIT_MAKER compares its price; TAKE_PROFIT(_LIMIT) compares its stop price.
  const abovePx = above.type === 'LIMIT_MAKER' ? above.price! : above.stopPrice!;
  const belowPx = below.type === 'LIMIT_MAKER' ? below.price! : below.stopPrice!;
  if (!(abovePx > reference && reference > belowPx)) throw badPriceRelation();
}

/** Binance's MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS filters for `orders` more open orders. */
export function checkCapacity(store: OrderStore, account: string, spec: MarketSpec, orders: number, algoOrders: number): void {
  const open = store.openOrders(account, spec.symbol);
  const algo = open.filter((o) => isConditional(o.type)).length;
  if (open.length + orders > spec.maxNumOrders) throw new BinanceError(400, -2010, 'Filter failure: MAX_NUM_ORDERS');
  if (algo + algoOrders > spec.maxNumAlgoOrders) {
    throw new BinanceError(400, -2010, 'Filter failure: MAX_NUM_ALGO_ORDERS');
  }
}

/** Binance's rule: a client id must be unique among OPEN orders; a closed order's id may be reused. */
export function checkClientIdFree(store: OrderStore, account: string, symbol: string, clientOrderId: string | undefined): void {
  if (clientOrderId === undefined) return;
  const dup = store.openOrders(account, symbol).some((o) => o.clientOrderId === clientOrderId);
  if (dup) throw duplicateOrder();
}

export function checkListClientIdFree(store: OrderStore, account: string, listClientOrderId: string | undefined): void {
  if (listClientOrderId === undefined) return;
  const l = store.findList(account, { listClientOrderId });
  if (l && !store.listIsDone(l)) throw duplicateOrder();
}
