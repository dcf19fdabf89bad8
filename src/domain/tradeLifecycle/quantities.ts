import { anyEntryWorking, isSliced } from '../entryOrders';
import { add, sub, toDecimal, toNumber, ZERO, type Decimal } from '../precision';
import type { Fill, Trade } from '../trade';

/**
 * How much of a trade is filled, exited and open. Quantities are summed as exact decimals; "flat"
 * allows a relative 1e-9 of the trade's size for quantities that reached us as floats.
 */

export const FLAT_TOLERANCE = 1e-9;

/** exact filled / exited / open quantities of a trade */
export function tradeQuantities(trade: Trade): { filled: number; exited: number; open: number } {
  const filled = sumQuantities(trade.entryFills);
  const exited = sumQuantities(trade.exitFills);
  return { filled: toNumber(filled), exited: toNumber(exited), open: toNumber(sub(filled, exited)) };
}

export function quantities(trade: Trade): { filled: Decimal; open: Decimal } {
  const filled = sumQuantities(trade.entryFills);
  return { filled, open: sub(filled, sumQuantities(trade.exitFills)) };
}

export function isFlat(open: Decimal, trade: Trade): boolean {
  const scale = Math.max(trade.quantity, toNumber(sumQuantities(trade.entryFills)));
  return toNumber(open) <= scale * FLAT_TOLERANCE;
}

/** the entry order may still be resting: not fully filled and no cancel/expiry seen (sliced: a slice's entry is working) */
export function entryMayStillFill(trade: Trade, filled: Decimal): boolean {
  if (trade.entryEndedAt !== undefined) return false;
  if (isSliced(trade)) return anyEntryWorking(trade);
  return toNumber(filled) < trade.quantity * (1 - FLAT_TOLERANCE);
}

export function sumQuantities(fills: readonly Fill[]): Decimal {
  return fills.reduce<Decimal>((acc, f) => add(acc, toDecimal(f.quantity)), ZERO);
}
