import type { AiCommand } from '../domain/commands';
import { validateCommand } from '../domain/validation';
import { isOpen } from '../domain/trade';
import { classifyExchangeError, isPermanentRefusal } from '../exchange/errors';
import { cancelPendingOrder } from './cancelPendingOrder';
import { modifyActiveTrade } from './modifyActiveTrade';
import { placeTradePlan } from './placeTradePlan';
import type { OmsContext, OmsResult } from './types';

/**
 * The OMS entry point: one validated-or-not strategist command in, the exchange work done, and a
 * plain-data result the workflow stores. A command the current state or market does not allow is
 * REJECTED with validateCommand's reason and nothing reaches the exchange. A permanent exchange
 * refusal is REJECTED too, with the exchange's reason and nothing half-placed. Transient exchange
 * failures that outlast the gateway's retries are thrown (ExchangeUnavailable) for the activity to
 * retry; every step is idempotent by client id.
 */
export async function executeAiCommand(command: AiCommand, ctx: OmsContext): Promise<OmsResult> {
  if (command.action === 'DO_NOTHING') {
    return { outcome: 'NOTHING_TO_DO', trade: ctx.trade, events: [], alerts: [] };
  }
  const lastPrice = ctx.lastPrice ?? (await ctx.gateway.fetchTicker(ctx.symbol)).last;
  // every price against the exchange's own rules before the first order: with several targets the
  // protection is placed only after the entry fills, too late to find out a target is refused
  const limits = await ctx.gateway.marketLimits(ctx.symbol);
  const verdict = validateCommand(command, {
    priceRules: { tickSize: limits.tickSize, minPrice: limits.minPrice ?? 0, maxPrice: limits.maxPrice ?? 0, ...(limits.percentPrice ? { percentPrice: limits.percentPrice } : {}) },
    symbol: ctx.symbol,
    trade: ctx.trade,
    lastPrice,
    risk: ctx.risk,
    marketType: 'spot',
    openTradesCount: ctx.openTradesCount,
  });
  if (!verdict.ok) {
    return { outcome: 'REJECTED', trade: ctx.trade, events: [], rejection: { code: verdict.code, reason: verdict.reason }, alerts: [] };
  }
  const valid = verdict.command;
  try {
    switch (valid.action) {
      case 'PLAN_TRADE':
        return await placeTradePlan(valid, ctx);
      case 'CANCEL_ORDER':
        return await cancelPendingOrder(valid, openTrade(ctx), ctx);
      case 'ADJUST_TRADE':
        return await modifyActiveTrade(valid, openTrade(ctx), ctx);
      case 'DO_NOTHING':
        return { outcome: 'NOTHING_TO_DO', trade: ctx.trade, events: [], alerts: [] };
    }
  } catch (err) {
    const c = classifyExchangeError(err);
    if (!isPermanentRefusal(err)) throw err;
    return { outcome: 'REJECTED', trade: ctx.trade, events: [], rejection: { code: `EXCHANGE_${c.kind.toUpperCase()}`, reason: c.message }, alerts: [] };
  }
}

function openTrade(ctx: OmsContext) {
  if (!isOpen(ctx.trade)) throw new Error('validated command without an open trade'); // validateCommand guarantees one
  return ctx.trade;
}
