import { BinanceError, mandatory, stopWouldTrigger, wouldMatchAndTake } from './errors';
import type { EngineParts, NewOrder } from './engineTypes';
import { floorToStep, round8 } from './markets';
import { isConditional, isOpen, perUnitLock } from './orderRules';
import type { SimOrder } from './types';
import { checkCapacity, checkClientIdFree, validateShape } from './validation';

/** POST /api/v3/order: validates as Binance does, reserves funds, and takes at once what is marketable. */
export function placeOrder(parts: EngineParts, account: string, req: NewOrder, now: number): SimOrder {
  const { board, ledger, store, fills } = parts;
  const spec = board.spec(req.symbol);
  if (req.side !== 'BUY' && req.side !== 'SELL') throw new BinanceError(400, -1117, 'Invalid side.');
  let qty = req.quantity;
  if (req.type === 'MARKET' && qty === undefined) {
    if (req.quoteOrderQty === undefined) throw mandatory('quantity');
    const px = req.side === 'BUY' ? board.book(spec.symbol).ask : board.book(spec.symbol).bid;
    qty = floorToStep(req.quoteOrderQty / px, spec.stepSize);
  }
  if (qty === undefined) throw mandatory('quantity');
  validateShape(board, spec, req.type, qty, req.price, req.stopPrice, req.timeInForce);
  checkClientIdFree(store, account, spec.symbol, req.newClientOrderId);
  checkCapacity(store, account, spec, 1, isConditional(req.type) ? 1 : 0);
  if (isConditional(req.type) && board.stopWouldFireNow(spec.symbol, req.side, req.type, req.stopPrice!)) {
    throw stopWouldTrigger();
  }
  if (req.type === 'LIMIT_MAKER' && board.wouldTake(spec.symbol, req.side, req.price!)) throw wouldMatchAndTake();

  const asset = req.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
  if (req.type === 'MARKET') {
    const { bid, ask } = board.book(spec.symbol);
    const px = req.side === 'BUY' ? ask : bid;
    ledger.ensureFree(account, asset, req.side === 'BUY' ? qty * px : qty);
    const order = store.newOrder(account, spec, { side: req.side, type: 'MARKET', qty, clientOrderId: req.newClientOrderId, quoteOrderQty: req.quoteOrderQty }, now);
    fills.takeNow(order, px, now);
    // A market order never rests: what the candle's liquidity could not fill expires.
    if (isOpen(order)) fills.finish(order, 'EXPIRED', now);
    return order;
  }

  const perUnit = perUnitLock(req.side, req.type, req.price, req.stopPrice);
  ledger.ensureFree(account, asset, round8(perUnit * qty));
  const order = store.newOrder(
    account,
    spec,
    { side: req.side, type: req.type, qty, price: req.price, stopPrice: req.stopPrice, tif: req.timeInForce, clientOrderId: req.newClientOrderId },
    now,
  );
  order.lockId = ledger.lock(account, asset, perUnit, qty).id;
  if (req.type === 'LIMIT') {
    const { bid, ask } = board.book(spec.symbol);
    if (order.timeInForce === 'FOK' && !canFillFully(parts, order)) {
      fills.finish(order, 'EXPIRED', now);
      return order;
    }
    if (board.wouldTake(spec.symbol, req.side, req.price!)) fills.takeNow(order, req.side === 'BUY' ? ask : bid, now);
    if (order.timeInForce !== 'GTC' && isOpen(order)) fills.finish(order, 'EXPIRED', now);
  }
  return order;
}

function canFillFully({ board, fills }: EngineParts, order: SimOrder): boolean {
  return board.wouldTake(order.symbol, order.side, order.price) && fills.capacity(order) >= order.origQty;
}
