import { splitQuantity, roundToStep } from '../domain/sizing';
import type { MarketLimits } from '../domain/market';
import { isOrderable } from './protectionSplit';

/**
 * How a plan with several targets goes to the exchange: N slices, each its own OTOCO (a working
 * limit entry for the slice's quantity whose complete fill makes the exchange itself place the
 * slice's OCO: the shared stop and the slice's target). Slice k sells at target k. Pure: the
 * exchange's numbers come in, the slices go out.
 *
 * Fewer slices than targets (nearest targets first, the quantity spread over those) when:
 * - a slice's entry or its protection would be below the market's minimum amount or notional
 *   (the protection is judged at the stop, the lowest price its stop leg may sell at);
 * - the market's cap on stop orders (Binance MAX_NUM_ALGO_ORDERS: an OTOCO's waiting stop counts)
 *   leaves room for fewer.
 * `reason` says why, for the journal; it is absent when every target got its slice.
 */

export interface SliceInput {
  /** the plan's entry quantity, on the step grid */
  quantity: number;
  targets: number;
  entryPrice: number;
  /** the price the stop leg may sell at (a market stop: its trigger) */
  worstPrice: number;
  /** the fee rate taken from what a BUY receives (0 for a SELL entry) */
  feeRate: number;
  limits: MarketLimits;
  /** stop orders the market still has room for */
  stopRoom: number;
}

export interface Slice {
  index: number;
  /** the working entry's quantity */
  quantity: number;
  /** what its OCO sells once the entry filled: the quantity after a fee paid in the coin bought */
  protectionQuantity: number;
}

export interface SlicePlan {
  slices: Slice[];
  reason?: string;
}

export function planSlices(input: SliceInput): SlicePlan {
  const { quantity, targets, limits } = input;
  const room = Math.max(1, Math.floor(input.stopRoom));
  const most = Math.min(targets, room);
  for (let n = most; n >= 1; n--) {
    const slices = slicesOf(input, n);
    if (n === 1 || slices.every((s) => fits(s, input))) {
      const why: string[] = [];
      if (room < targets) why.push(`the market has room for ${room} more stop order(s) (MAX_NUM_ALGO_ORDERS)`);
      if (n < most) why.push(`${most} slices of ${quantity} would be below the market's minimum order (amount ${limits.minAmount}, notional ${limits.minNotional})`);
      const reason = n < targets ? `${n} slice(s) for ${targets} targets: ${why.join('; ')}` : undefined;
      return reason ? { slices, reason } : { slices };
    }
  }
  return { slices: slicesOf(input, 1) };
}

function slicesOf(input: SliceInput, n: number): Slice[] {
  return splitQuantity(input.quantity, n, input.limits.amountStep).map((q, index) => ({
    index,
    quantity: q,
    protectionQuantity: roundToStep(q * (1 - input.feeRate), input.limits.amountStep),
  }));
}

function fits(slice: Slice, input: SliceInput): boolean {
  return isOrderable(slice.quantity, input.entryPrice, input.limits) && isOrderable(slice.protectionQuantity, input.worstPrice, input.limits);
}
