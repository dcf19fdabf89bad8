import type { Direction } from './commands';
import { abs, compare, mul, sub, toDecimal } from './precision';

/**
 * Every price of a command, checked before anything is placed: a finite positive number, inside
 * the exchange's price filter (min, max, and at least one tick), inside its percent-price band
 * around the last price (Binance PERCENT_PRICE / PERCENT_PRICE_BY_SIDE), and, for stops and
 * targets, inside the configured distance from the last price. Pure: the same numbers give the same
 * verdict in the OMS, the strategist's validation and a backtest.
 *
 * Why all of them and not only the entry: with several targets the entry is placed alone and its
 * protection later, when it fills; a target the exchange refuses then (a take-profit of 1e308) would
 * leave a filled position with a stop only, or none. Refusing the whole command up front is the only
 * state that is never half done.
 */

/** Binance's PERCENT_PRICE_BY_SIDE multipliers (PERCENT_PRICE gives the same pair to both sides). */
export interface PercentPriceBand {
  bidMultiplierUp: number;
  bidMultiplierDown: number;
  askMultiplierUp: number;
  askMultiplierDown: number;
}

/** The exchange's price rules for one market, as its market info publishes them. */
export interface PriceRules {
  tickSize: number;
  /** PRICE_FILTER minPrice / maxPrice; 0 means "no bound" as on Binance */
  minPrice: number;
  maxPrice: number;
  percentPrice?: PercentPriceBand;
}

export interface PriceLimits {
  /** how far a stop may be from the last price, percent */
  maxStopDistancePercent: number;
  /** how far a take-profit may be from the last price, percent */
  maxTargetDistancePercent: number;
}

export type PriceRejectionCode = 'PRICE_NOT_FINITE' | 'PRICE_FILTER' | 'PERCENT_PRICE' | 'STOP_TOO_FAR' | 'TARGET_TOO_FAR';

export interface PriceRejection {
  ok: false;
  code: PriceRejectionCode;
  reason: string;
}

export type PriceRole = 'entry' | 'stop' | 'target';

export interface CommandPrice {
  /** how the reason names it: "entry", "stop", "target 2", "new stop", "new target 1" */
  label: string;
  role: PriceRole;
  value: number;
  /** the side of the order that will carry this price */
  side: 'BUY' | 'SELL';
}

/** The prices of a plan or an adjustment, each with the side of the order that carries it. */
export function commandPrices(
  direction: Direction,
  levels: { entry?: number; stop: number; targets?: readonly number[] | null },
  prefix = '',
): CommandPrice[] {
  const entrySide = direction === 'LONG' ? 'BUY' : 'SELL';
  const exitSide = direction === 'LONG' ? 'SELL' : 'BUY';
  const out: CommandPrice[] = [];
  if (levels.entry !== undefined) out.push({ label: `${prefix}entry`, role: 'entry', value: levels.entry, side: entrySide });
  out.push({ label: `${prefix}stop`, role: 'stop', value: levels.stop, side: exitSide });
  (levels.targets ?? []).forEach((t, i) => out.push({ label: `${prefix}target ${i + 1}`, role: 'target', value: t, side: exitSide }));
  return out;
}

/** the first price that is not a finite positive number, or null */
export function firstNonFinite(prices: readonly CommandPrice[]): PriceRejection | null {
  const bad = prices.find((p) => !(typeof p.value === 'number' && Number.isFinite(p.value) && p.value > 0));
  return bad ? reject('PRICE_NOT_FINITE', `${bad.label} ${String(bad.value)} is not a finite positive price`) : null;
}

/**
 * The first price of the command that breaks a rule, or null when all pass. `lastPrice` must be a
 * valid price (the caller has checked it); `rules` is absent where the exchange's market info is not
 * at hand (the strategist's own check): the OMS always passes it, before placing anything.
 */
export function checkPrices(
  symbol: string,
  prices: readonly CommandPrice[],
  lastPrice: number,
  limits: PriceLimits,
  rules?: PriceRules,
): PriceRejection | null {
  const nonFinite = firstNonFinite(prices);
  if (nonFinite) return nonFinite;
  for (const p of prices) {
    const failure = (rules ? filterFailure(symbol, p, rules) ?? bandFailure(symbol, p, lastPrice, rules) : null) ?? distanceFailure(p, lastPrice, limits);
    if (failure) return failure;
  }
  return null;
}

function filterFailure(symbol: string, p: CommandPrice, rules: PriceRules): PriceRejection | null {
  const v = toDecimal(p.value);
  if (rules.maxPrice > 0 && compare(v, toDecimal(rules.maxPrice)) > 0) {
    return reject('PRICE_FILTER', `${p.label} ${p.value} is above the exchange's maximum price ${rules.maxPrice} for ${symbol} (PRICE_FILTER)`);
  }
  if (rules.minPrice > 0 && compare(v, toDecimal(rules.minPrice)) < 0) {
    return reject('PRICE_FILTER', `${p.label} ${p.value} is below the exchange's minimum price ${rules.minPrice} for ${symbol} (PRICE_FILTER)`);
  }
  if (rules.tickSize > 0 && compare(mul(v, toDecimal(2)), toDecimal(rules.tickSize)) < 0) {
    // rounded to the tick it would be 0: no such order can exist
    return reject('PRICE_FILTER', `${p.label} ${p.value} is less than half the tick size ${rules.tickSize} of ${symbol} and rounds to 0 (PRICE_FILTER)`);
  }
  return null;
}

function bandFailure(symbol: string, p: CommandPrice, last: number, rules: PriceRules): PriceRejection | null {
  const band = rules.percentPrice;
  if (!band) return null;
  const up = p.side === 'BUY' ? band.bidMultiplierUp : band.askMultiplierUp;
  const down = p.side === 'BUY' ? band.bidMultiplierDown : band.askMultiplierDown;
  const v = toDecimal(p.value);
  const filter = `PERCENT_PRICE: a ${p.side} must be within ${down}x to ${up}x of the last price ${last}`;
  if (up > 0 && compare(v, mul(toDecimal(up), toDecimal(last))) > 0) {
    return reject('PERCENT_PRICE', `${p.label} ${p.value} is more than ${up}x the last price ${last} of ${symbol} (${filter})`);
  }
  if (down > 0 && compare(v, mul(toDecimal(down), toDecimal(last))) < 0) {
    return reject('PERCENT_PRICE', `${p.label} ${p.value} is less than ${down}x the last price ${last} of ${symbol} (${filter})`);
  }
  return null;
}

function distanceFailure(p: CommandPrice, last: number, limits: PriceLimits): PriceRejection | null {
  if (p.role === 'entry') return null; // the entry has its own, tighter limit (ENTRY_TOO_FAR)
  const max = p.role === 'stop' ? limits.maxStopDistancePercent : limits.maxTargetDistancePercent;
  // |price - last| * 100 <= max% * last, exactly
  const distance = mul(abs(sub(toDecimal(p.value), toDecimal(last))), toDecimal(100));
  if (compare(distance, mul(toDecimal(max), toDecimal(last))) <= 0) return null;
  const pct = (Math.abs(p.value - last) / last) * 100;
  const shown = pct >= 1e6 ? pct.toExponential(2) : String(Number(pct.toFixed(2)) > max ? Number(pct.toFixed(2)) : pct);
  return reject(
    p.role === 'stop' ? 'STOP_TOO_FAR' : 'TARGET_TOO_FAR',
    `${p.label} ${p.value} is ${shown}% ${p.value > last ? 'above' : 'below'} the last price ${last}; ` +
      `a ${p.role === 'stop' ? 'stop' : 'take-profit'} must be within ${max}% of the market (risk.max_${p.role}_distance_percent)`,
  );
}

function reject(code: PriceRejectionCode, reason: string): PriceRejection {
  return { ok: false, code, reason };
}
