import type { PlanTradeCommand } from '../domain/commands';
import { roundToStep, sizePosition } from '../domain/sizing';
import { createPendingTrade, tradeIdFor } from '../domain/newTrade';
import type { OrderRef, Trade } from '../domain/trade';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { MarketLimits } from '../domain/market';
import {
  belongsTo,
  entryClientId,
  isEntryClientId,
  otocoListClientId,
  otocoStopClientId,
  otocoTakeProfitClientId,
} from './clientIds';
import { entryRef, entrySide, quoteAsset } from './exchangeView';
import { stopLegLimitPrice } from './stopLeg';
import { placeSlices, stopOrdersOnMarket } from './sliceOrders';
import { planSlices } from './slicing';
import { DEFAULT_PROTECTION, type OmsContext, type OmsResult } from './types';

/**
 * PLAN_TRADE on the exchange: size, then place the limit entry with its protection, so that the
 * exchange itself protects every complete fill, whether or not this process is alive.
 *
 * - One target: an OTOCO. The exchange places the OCO (take-profit + stop) the moment the entry
 *   has filled.
 * - Several targets: slices (slicing.ts), one OTOCO per slice: slice k's entry, whose complete
 *   fill places its OCO of the shared stop and target k. Fewer slices (or one) when the market's
 *   minimums or its cap on stop orders allow fewer; an alert says so for the journal.
 * A PARTLY filled entry (or slice) is the one thing the exchange does not protect (Binance places
 * an OTOCO's pair only on a full fill): ensureProtection covers it as soon as the fill is heard.
 *
 * Sizing uses the account's FREE quote balance as equity: on a spot account the quote currency not
 * committed to open orders is what a new trade can use (holdings in other coins are not valued).
 *
 * Idempotent: the entry's client id comes from the trade id, which comes from the workflow's
 * sequence number. If an earlier attempt already placed it, the order is adopted as it is (with its
 * quantity) and nothing is sized or placed again.
 */
export async function placeTradePlan(command: PlanTradeCommand, ctx: OmsContext): Promise<OmsResult> {
  const { gateway } = ctx;
  const now = ctx.now ?? Date.now();
  const symbol = ctx.symbol;
  const tradeId = tradeIdFor(symbol, ctx.sequence);
  const limits = await gateway.marketLimits(symbol);
  const oneTarget = command.trade_setup.take_profit_prices.length === 1;

  const already = await gateway.findOrder(symbol, entryClientId(tradeId));
  // several targets are slices; an entry placed alone by an attempt before slices existed is adopted as it is
  if (!oneTarget && !already) return placeSlicedPlan(command, ctx, tradeId, limits, now);

  let quantity: number;
  if (already) {
    quantity = already.quantity;
  } else {
    const quote = await gateway.fetchBalance(quoteAsset(symbol));
    const sized = sizePosition({
      equity: quote.free,
      positionSizePercent: command.trade_setup.position_size_percent,
      entryPrice: command.trade_setup.entry_price,
      limits,
    });
    if (!sized.ok) return rejected(ctx, sized.code, sized.reason);
    quantity = sized.quantity;
  }

  let trade: Trade;
  try {
    trade = createPendingTrade({ id: tradeId, command, quantity, limits, now });
  } catch (err) {
    return rejected(ctx, 'LEVELS_COLLAPSE', (err as Error).message);
  }

  try {
    const orders = already && already.orderListId === null ? [entryRef(already)] : await placeOtoco(trade, ctx);
    // (the first: an entry placed alone, the old shape of several targets, protected by ensureProtection)
    return { outcome: 'EXECUTED', trade: { ...trade, orders }, events: [], alerts: [] };
  } catch (err) {
    if (!(err instanceof ExchangeRejection)) throw err;
    const c = classifyExchangeError(err);
    return rejected(ctx, `EXCHANGE_${c.kind.toUpperCase()}`, `the exchange refused the entry of ${trade.id}: ${c.message}`);
  }
}

/**
 * Several targets as slices. Idempotent like the single OTOCO: a retry after a crash finds the
 * slices that landed (their client ids come from the trade id) and sizes as the first attempt did,
 * counting back what those slices lock (their quote, their waiting stops), so the same slices come
 * out and only the missing ones are placed.
 */
async function placeSlicedPlan(command: PlanTradeCommand, ctx: OmsContext, tradeId: string, limits: MarketLimits, now: number): Promise<OmsResult> {
  const { gateway, symbol } = ctx;
  const setup = command.trade_setup;
  const settings = { ...DEFAULT_PROTECTION, ...ctx.protection };
  const onMarket = await gateway.fetchOpenOrders(symbol);
  const placedBefore = onMarket.filter((o) => belongsTo(o.clientOrderId, tradeId));
  const lockedByThese = placedBefore
    .filter((o) => isEntryClientId(o.clientOrderId) && o.side === 'BUY' && o.price !== null)
    .reduce((sum, o) => sum + (o.quantity - o.filled) * o.price!, 0);
  const ours = placedBefore.filter((o) => o.type.startsWith('STOP_LOSS')).length + placedBefore.filter((o) => isEntryClientId(o.clientOrderId)).length;
  // this trade's own slices (a retry) do not take room from it
  const stopsOnMarket = (await stopOrdersOnMarket(gateway, symbol, onMarket)) - ours;

  const quote = await gateway.fetchBalance(quoteAsset(symbol));
  const sized = sizePosition({ equity: quote.free + lockedByThese, positionSizePercent: setup.position_size_percent, entryPrice: setup.entry_price, limits });
  if (!sized.ok) return rejected(ctx, sized.code, sized.reason);
  let trade: Trade;
  try {
    trade = createPendingTrade({ id: tradeId, command, quantity: sized.quantity, limits, now });
  } catch (err) {
    return rejected(ctx, 'LEVELS_COLLAPSE', (err as Error).message);
  }
  const { taker, maker } = await gateway.feeRates(symbol);
  const stopLimit = stopLegLimitPrice(trade, trade.stopLossPrice, limits, settings);
  const plan = planSlices({
    quantity: trade.quantity,
    targets: trade.takeProfitPrices.length,
    entryPrice: trade.entryPrice,
    worstPrice: stopLimit ?? trade.stopLossPrice,
    feeRate: Math.max(taker, maker),
    limits,
    stopRoom: (await gateway.maxConditionalOrders(symbol)) - stopsOnMarket,
  });
  const slices = plan.slices.map((s) => ({ generation: 0, index: s.index, quantity: s.quantity, protectionQuantity: s.protectionQuantity, takeProfitPrice: trade.takeProfitPrices[s.index]! }));
  try {
    const orders = await placeSlices(gateway, trade, slices, trade, limits, settings);
    const alerts = plan.reason ? [`${trade.id}: ${plan.reason}`] : [];
    return { outcome: 'EXECUTED', trade: { ...trade, orders }, events: [], alerts };
  } catch (err) {
    if (!(err instanceof ExchangeRejection)) throw err;
    const c = classifyExchangeError(err);
    return rejected(ctx, `EXCHANGE_${c.kind.toUpperCase()}`, `the exchange refused a slice of ${trade.id}: ${c.message}; no slice was left resting`);
  }
}

async function placeOtoco(trade: Trade, ctx: OmsContext): Promise<OrderRef[]> {
  const { gateway } = ctx;
  const limits = await gateway.marketLimits(trade.symbol);
  const settings = { ...DEFAULT_PROTECTION, ...ctx.protection };
  // a BUY pays its fee in the coin it buys: the OCO can only sell what arrives
  const { taker, maker } = await gateway.feeRates(trade.symbol);
  const protectionQuantity = roundToStep(trade.quantity * (1 - Math.max(taker, maker)), limits.amountStep);
  const stopLimit = stopLegLimitPrice(trade, trade.stopLossPrice, limits, settings);
  const target = trade.takeProfitPrices[0]!;
  const list = await gateway.placeOtoco({
    symbol: trade.symbol,
    side: entrySide(trade),
    entryPrice: trade.entryPrice,
    entryQuantity: trade.quantity,
    entryClientOrderId: entryClientId(trade.id),
    protectionQuantity,
    takeProfitPrice: target,
    stopPrice: trade.stopLossPrice,
    ...(stopLimit !== undefined ? { stopLimitPrice: stopLimit } : {}),
    listClientOrderId: otocoListClientId(trade.id),
    takeProfitClientOrderId: otocoTakeProfitClientId(trade.id),
    stopClientOrderId: otocoStopClientId(trade.id),
  });
  const entryLeg = list.orders.find((o) => o.clientOrderId === entryClientId(trade.id));
  return [
    {
      role: 'ENTRY',
      clientOrderId: entryClientId(trade.id),
      exchangeOrderId: entryLeg?.exchangeOrderId,
      quantity: trade.quantity,
      price: trade.entryPrice,
      status: 'OPEN',
    },
    {
      role: 'OCO',
      clientOrderId: otocoListClientId(trade.id),
      exchangeOrderId: list.orderListId,
      targetIndex: 0,
      quantity: protectionQuantity,
      price: target,
      stopPrice: trade.stopLossPrice,
      status: 'OPEN',
    },
  ];
}

function rejected(ctx: OmsContext, code: string, reason: string): OmsResult {
  return { outcome: 'REJECTED', trade: ctx.trade, events: [], rejection: { code, reason }, alerts: [] };
}
