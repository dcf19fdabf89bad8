import { compare, exactDifference, exactProduct, exactSum, toDecimal } from '../domain/precision';
import { splitQuantity } from '../domain/sizing';
import type { MarketLimits } from '../domain/market';
import type { OrderRef } from '../domain/trade';

/**
 * Which quantity to place at which target so that the trade's protection becomes the plan's split of
 * what it holds. Pure: ensureProtection reads the exchange, this decides.
 *
 * The split is per target, not per call: a retry after a crash that left target 0's OCO resting
 * tops up target 1 only, instead of splitting the missing quantity over every target again (which
 * would turn a 50/50 plan into 75/25).
 */

export interface TargetLevel {
  index: number;
  price: number;
}

export interface ProtectionPart {
  target: TargetLevel;
  quantity: number;
}

export interface TopUpInput {
  /** quantity the stops must cover once this is placed */
  held: number;
  /** held minus the stop quantity resting now: exactly what is placed, whatever the split says */
  missing: number;
  /** targets still to be hit, nearest first */
  targets: readonly TargetLevel[];
  /** the trade's open protective lists on the exchange */
  resting: readonly OrderRef[];
  /** the price the stop leg may sell at, which judges the market's minimums */
  worstPrice: number;
  limits: MarketLimits;
  /**
   * each target's share of what is held, aligned with `targets` (a sliced trade: what each slice
   * bought, less its exits); default: the plan's even split (splitForTargets)
   */
  wanted?: readonly number[];
}

export function planProtectionTopUp(input: TopUpInput): ProtectionPart[] {
  const { held, missing, targets, resting, worstPrice, limits } = input;
  if (!isOrderable(missing, worstPrice, limits)) return [];
  // an OCO needs a take-profit price; a plan always has one, so this is a bug, not a market state
  if (targets.length === 0) throw new Error(`cannot protect ${missing}: the trade has no take-profit level to place an OCO at`);
  const restingAt = new Map<number, number>();
  for (const r of resting) restingAt.set(r.targetIndex ?? 0, exactSum([restingAt.get(r.targetIndex ?? 0) ?? 0, r.quantity]));

  // the plan's share of what is held, per target (fewer targets when the parts would be too small)
  const wanted = input.wanted ?? splitForTargets(held, targets.length, worstPrice, limits);
  const shortfall = wanted.map((q, i) => Math.max(0, exactDifference(q, restingAt.get(targets[i]!.index) ?? 0)));

  // place exactly `missing`: a target already over its share (protection placed before this rule)
  // is not cut back, so the others get less; nearest targets are topped up first
  let left = missing;
  const quantities = shortfall.map((q) => {
    const take = compare(toDecimal(q), toDecimal(left)) <= 0 ? q : left;
    left = exactDifference(left, take);
    return take;
  });
  // the stop must cover everything held, whatever the split: what no shortfall absorbed (lists whose
  // take-profit rests without its stop) goes to the nearest target
  if (left > 0) quantities[0] = exactSum([quantities[0]!, left]);

  const parts = quantities.map((quantity, i) => ({ target: targets[i]!, quantity })).filter((p) => p.quantity > 0);
  return mergeSmallParts(parts, worstPrice, limits);
}

/** a part that cannot exist cannot protect anything: it joins the nearest orderable part */
function mergeSmallParts(parts: ProtectionPart[], price: number, limits: MarketLimits): ProtectionPart[] {
  if (parts.every((p) => isOrderable(p.quantity, price, limits))) return parts;
  const big = parts.filter((p) => isOrderable(p.quantity, price, limits)).map((p) => ({ ...p }));
  const small = parts.filter((p) => !isOrderable(p.quantity, price, limits));
  const total = exactSum(small.map((p) => p.quantity));
  if (big.length === 0) return [{ target: parts[0]!.target, quantity: exactSum(parts.map((p) => p.quantity)) }];
  big[0]!.quantity = exactSum([big[0]!.quantity, total]);
  return big;
}

/** one part per target when every part is orderable, else fewer (the nearest targets first) */
export function splitForTargets(quantity: number, targets: number, price: number, limits: MarketLimits): number[] {
  for (let n = targets; n >= 1; n--) {
    const parts = splitQuantity(quantity, n, limits.amountStep);
    if (parts.every((q) => isOrderable(q, price, limits))) return parts;
  }
  return [quantity];
}

export function isOrderable(quantity: number, price: number, limits: MarketLimits): boolean {
  if (!(quantity > 0)) return false;
  if (compare(toDecimal(quantity), toDecimal(limits.minAmount)) < 0) return false;
  return compare(toDecimal(exactProduct(quantity, price)), toDecimal(limits.minNotional)) >= 0;
}
