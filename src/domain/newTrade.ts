import type { PlanTradeCommand } from './commands';
import type { MarketLimits } from './market';
import { compare, toDecimal } from './precision';
import { roundToStep, roundTradeLevels } from './sizing';
import { canonicalSymbol } from './symbols';
import type { Trade } from './trade';

/**
 * Trade ids are derived from the symbol workflow's command sequence number, never random and never
 * from the run id (which changes on continue-as-new): a retried or replayed step rebuilds the same
 * id, and the exchange client order ids derived from it adopt orders placed by an earlier attempt.
 */
export function tradeIdFor(symbol: string, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new RangeError(`trade sequence must be a whole number >= 0, got ${sequence}`);
  }
  return `T-${canonicalSymbol(symbol)}-${String(sequence).padStart(6, '0')}`;
}

/** the sequence number in a trade id of this (canonical) symbol, tradeIdFor's inverse; null for any other id */
export function tradeSequenceOf(tradeId: string, symbol: string): number | null {
  const prefix = `T-${symbol}-`;
  if (!tradeId.startsWith(prefix)) return null;
  const digits = tradeId.slice(prefix.length);
  return /^\d{1,15}$/.test(digits) ? Number(digits) : null;
}

export interface NewTradeInput {
  id: string;
  /** a PLAN_TRADE that validateCommand accepted */
  command: PlanTradeCommand;
  /** from sizePosition */
  quantity: number;
  limits: MarketLimits;
  /** epoch ms (the workflow's clock) */
  now: number;
}

/**
 * A PENDING trade for an accepted plan: levels on the tick grid (entry nearest, stop and targets in
 * their safe direction, see roundTradeLevels), quantity on the step grid, no fills, no orders yet.
 *
 * Throws when rounding to the tick grid collapses the plan (e.g. a stop less than one tick from the
 * entry): placing it would not protect anything. validateCommand accepts such plans only when the
 * levels are within one tick of each other, which a sane strategist never proposes.
 */
export function createPendingTrade({ id, command, quantity, limits, now }: NewTradeInput): Trade {
  const setup = command.trade_setup;
  const symbol = canonicalSymbol(setup.symbol);
  if (symbol !== canonicalSymbol(limits.symbol)) {
    throw new Error(`trade ${id}: the plan is for ${symbol} but the market limits are for ${limits.symbol}`);
  }
  const levels = roundTradeLevels(
    setup.direction,
    { entryPrice: setup.entry_price, stopLossPrice: setup.stop_loss_price, takeProfitPrices: setup.take_profit_prices },
    limits.tickSize,
  );
  const long = setup.direction === 'LONG';
  const beyond = (a: number, b: number) => compare(toDecimal(a), toDecimal(b)) === (long ? 1 : -1);
  if (!(levels.stopLossPrice > 0) || !beyond(levels.entryPrice, levels.stopLossPrice)) {
    throw new Error(
      `trade ${id}: on the ${limits.tickSize} tick grid the stop (${levels.stopLossPrice}) is no longer ` +
        `${long ? 'below' : 'above'} the entry (${levels.entryPrice})`,
    );
  }
  let previous = levels.entryPrice;
  for (const [i, target] of levels.takeProfitPrices.entries()) {
    if (!beyond(target, previous)) {
      throw new Error(
        `trade ${id}: on the ${limits.tickSize} tick grid target ${i + 1} (${target}) is no longer beyond ${
          i === 0 ? 'the entry' : `target ${i}`
        } (${previous})`,
      );
    }
    previous = target;
  }
  const stepped = roundToStep(quantity, limits.amountStep);
  if (!(stepped > 0)) {
    throw new Error(`trade ${id}: quantity ${quantity} is not a positive amount on the ${limits.amountStep} step grid`);
  }
  return {
    id,
    symbol,
    direction: setup.direction,
    status: 'PENDING',
    entryPrice: levels.entryPrice,
    stopLossPrice: levels.stopLossPrice,
    takeProfitPrices: levels.takeProfitPrices,
    quantity: stepped,
    positionSizePercent: setup.position_size_percent,
    entryFills: [],
    exitFills: [],
    orders: [],
    createdAt: now,
    appliedEventIds: [],
  };
}
