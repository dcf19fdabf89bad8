import type { Direction } from './commands';
import type { MarketLimits } from './market';
import { splitSymbol } from './symbols';
import {
  add,
  compare,
  divideToInteger,
  mul,
  roundToMultiple,
  toDecimal,
  toNumber,
  ZERO,
  type Decimal,
  type RoundingMode,
} from './precision';

/**
 * Position sizing and the exchange's price/amount grid, exact to the last tick and step
 * (see precision.ts for why floats are not trusted here).
 */

export type SizingRejection = 'BELOW_MIN_NOTIONAL' | 'BELOW_MIN_AMOUNT' | 'INVALID_INPUT';

export type SizingResult =
  | {
      ok: true;
      /** base-currency amount, a whole number of amount steps */
      quantity: number;
      /** quantity x entryPrice, quote currency */
      notional: number;
      /** the entry price the quantity was sized at: the requested one rounded to the nearest tick */
      entryPrice: number;
    }
  | { ok: false; code: SizingRejection; reason: string };

export interface SizingInput {
  /** account equity in quote currency (e.g. USDT) */
  equity: number;
  /** percent of equity to commit, e.g. 10 for 10% */
  positionSizePercent: number;
  entryPrice: number;
  limits: MarketLimits;
}

/**
 * quantity = equity x percent / 100 / entry, rounded DOWN to the amount step (never commit more
 * than the percent allows), refused when below the market's minimum amount or minimum order value.
 * The entry is first rounded to the nearest tick, as it will be placed, so the minimum-notional
 * check is made on the order the exchange will actually see.
 */
export function sizePosition(input: SizingInput): SizingResult {
  const { equity, positionSizePercent, limits } = input;
  const bad = invalidInput(input);
  if (bad) return { ok: false, code: 'INVALID_INPUT', reason: bad };

  const entryPrice = roundToTick(input.entryPrice, limits.tickSize, 'nearest');
  const step = toDecimal(limits.amountStep);
  // steps = floor(equity * percent / (100 * entry * step)), all exact
  const budget = mul(toDecimal(equity), toDecimal(positionSizePercent));
  const stepValue = mul(mul(toDecimal(100), toDecimal(entryPrice)), step);
  const steps = divideToInteger(budget, stepValue, 'down');
  const quantityDec = mul({ units: steps, scale: 0 }, step);
  const quantity = toNumber(quantityDec);
  const notional = toNumber(mul(quantityDec, toDecimal(entryPrice)));
  const budgetText = `${positionSizePercent}% of equity ${equity} at entry ${entryPrice}`;
  const base = baseAsset(limits.symbol);

  if (steps <= 0n || compare(quantityDec, toDecimal(limits.minAmount)) < 0) {
    return {
      ok: false,
      code: 'BELOW_MIN_AMOUNT',
      reason:
        `${budgetText} buys ${quantity} ${base} (step ${limits.amountStep}), ` +
        `below the market's minimum amount ${limits.minAmount}`,
    };
  }
  if (compare(toDecimal(notional), toDecimal(limits.minNotional)) < 0) {
    return {
      ok: false,
      code: 'BELOW_MIN_NOTIONAL',
      reason:
        `${budgetText} is an order worth ${notional} (${quantity} ${base}), ` +
        `below the market's minimum order value ${limits.minNotional}`,
    };
  }
  return { ok: true, quantity, notional, entryPrice };
}

function baseAsset(symbol: string): string {
  try {
    return splitSymbol(symbol).base;
  } catch {
    return symbol;
  }
}

function invalidInput({ equity, positionSizePercent, entryPrice, limits }: SizingInput): string | null {
  const positive: Array<[string, number]> = [
    ['equity', equity],
    ['position size percent', positionSizePercent],
    ['entry price', entryPrice],
    [`${limits.symbol} tick size`, limits.tickSize],
    [`${limits.symbol} amount step`, limits.amountStep],
  ];
  for (const [name, value] of positive) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      return `cannot size a position: ${name} must be a positive number, got ${value}`;
    }
  }
  for (const [name, value] of [
    ['minimum amount', limits.minAmount],
    ['minimum order value', limits.minNotional],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `cannot size a position: ${limits.symbol} ${name} must be zero or more, got ${value}`;
    }
  }
  if (positionSizePercent > 100) {
    return `cannot size a position: ${positionSizePercent}% of equity is more than the whole account`;
  }
  return null;
}

/** price on the tick grid: roundToTick(65000.005, 0.01, 'down') === 65000 */
export function roundToTick(price: number, tick: number, mode: RoundingMode): number {
  return roundToMultiple(price, tick, mode);
}

/** amount on the step grid, always rounded DOWN (never sell or buy more than asked) */
export function roundToStep(amount: number, step: number): number {
  return roundToMultiple(amount, step, 'down');
}

/**
 * The planned levels of a trade on the tick grid, each rounded in the direction that keeps it safe:
 * - entry: nearest tick (the strategist's level, as closely as the market allows);
 * - stop: AWAY from the entry (LONG down, SHORT up), so rounding can never move a stop closer to
 *   the entry, trigger it earlier than planned, or put it on the wrong side;
 * - targets: TOWARD the entry (LONG down, SHORT up), so a take-profit fills no later than the level
 *   the strategist asked for: if price reaches the planned target, the rounded one has filled.
 */
export function roundTradeLevels(
  direction: Direction,
  levels: { entryPrice: number; stopLossPrice: number; takeProfitPrices: readonly number[] },
  tickSize: number,
): { entryPrice: number; stopLossPrice: number; takeProfitPrices: number[] } {
  // stop below / targets above the entry for a LONG: "away" for the stop and "toward" for the
  // targets are both DOWN; for a SHORT both are UP.
  const mode: RoundingMode = direction === 'LONG' ? 'down' : 'up';
  return {
    entryPrice: roundToTick(levels.entryPrice, tickSize, 'nearest'),
    stopLossPrice: roundToTick(levels.stopLossPrice, tickSize, mode),
    takeProfitPrices: levels.takeProfitPrices.map((p) => roundToTick(p, tickSize, mode)),
  };
}

/**
 * Splits a quantity across `parts` take-profits (one OCO per target): every part but the last is
 * the same whole number of steps, and the last takes the remainder, so the parts sum exactly to
 * `total` (in decimal). When total holds fewer steps than parts, the early parts are 0: the caller
 * skips zero parts (and may merge parts that fall below the minimum order value).
 */
export function splitQuantity(total: number, parts: number, step: number): number[] {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`cannot split into ${parts} parts`);
  if (!Number.isFinite(total) || total < 0) throw new RangeError(`cannot split quantity ${total}`);
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`amount step must be positive, got ${step}`);
  const stepDec = toDecimal(step);
  const totalDec = toDecimal(total);
  const steps = divideToInteger(totalDec, stepDec, 'down');
  const each: Decimal = mul({ units: steps / BigInt(parts), scale: 0 }, stepDec);
  const result: number[] = [];
  let allocated: Decimal = ZERO;
  for (let i = 0; i < parts - 1; i++) {
    result.push(toNumber(each));
    allocated = add(allocated, each);
  }
  result.push(toNumber(add(totalDec, { units: -allocated.units, scale: allocated.scale })));
  return result;
}
