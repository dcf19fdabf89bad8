import type { PlanTradeCommand } from '../domain/commands';
import { roundToStep, sizePosition } from '../domain/sizing';
import { createPendingTrade, tradeIdFor } from '../domain/newTrade';
import type { OrderRef, Trade } from '../domain/trade';
import { classifyExchangeError, ExchangeRejection } from '../exchange/errors';
import type { ExchangeOrder } from '../exchange/types';
import {
  entryClientId,
  otocoListClientId,
  otocoStopClientId,
  otocoTakeProfitClientId,
} from './clientIds';
import { entryRef, entrySide, quoteAsset } from './exchangeView';
import { stopLegLimitPrice } from './protection';
import { DEFAULT_PROTECTION, type OmsContext, type OmsResult } from './types';

/**
 * PLAN_TRADE on the exchange: size, then place the limit entry with its protection.
 *
 * - One target: an OTOCO. The exchange itself places the OCO (take-profit + stop) the moment the
 *   entry fills, so protection does not depend on this process being alive.
 * - Several targets: the LIMIT entry alone; every fill (partial fills too) is then protected by
 *   ensureProtection (one OCO per target, sharing the stop) when the tracker reports it.
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
    const orders = oneTarget ? await placeOtoco(trade, ctx) : [entryRef(await placeEntry(trade, ctx, already))];
    return { outcome: 'EXECUTED', trade: { ...trade, orders }, events: [], alerts: [] };
  } catch (err) {
    if (!(err instanceof ExchangeRejection)) throw err;
    const c = classifyExchangeError(err);
    return rejected(ctx, `EXCHANGE_${c.kind.toUpperCase()}`, `the exchange refused the entry of ${trade.id}: ${c.message}`);
  }
}

async function placeEntry(trade: Trade, ctx: OmsContext, already: ExchangeOrder | null): Promise<ExchangeOrder> {
  if (already) return already;
  return ctx.gateway.placeLimitOrder({
    symbol: trade.symbol,
    side: entrySide(trade),
    quantity: trade.quantity,
    price: trade.entryPrice,
    clientOrderId: entryClientId(trade.id),
  });
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
