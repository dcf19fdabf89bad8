/**
 * Exact decimal arithmetic for prices, quantities and money.
 *
 * Binary floats cannot hold 0.1 or 0.00001 exactly, so `Math.floor(0.3 / 0.1)` is 2 and
 * 0.1 + 0.2 prints as 0.30000000000000004. An order for 0.30000000000000004 BTC is refused by the
 * exchange (LOT_SIZE), and a floor that lands one step low sizes every trade wrong. Here a number
 * is taken as the decimal it prints as (JavaScript's shortest round-trip form: 0.1 is "0.1"), the
 * arithmetic is done on BigInt integers scaled by a power of ten, and the result is turned back into
 * the nearest float, which prints as the exact decimal again.
 *
 * BigInt only, no imports: this module runs inside Temporal workflow code as well.
 */

/** value = units / 10^scale */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

export type RoundingMode = 'down' | 'up' | 'nearest';

const DECIMAL_FORM = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

export function toDecimal(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not a finite number`);
  const m = DECIMAL_FORM.exec(String(x));
  if (!m) throw new RangeError(`cannot read ${x} as a decimal`);
  const [, sign, whole, frac = '', exp = '0'] = m;
  let units = BigInt(`${sign}${whole}${frac}`);
  let scale = frac.length - Number(exp);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

export function toNumber(d: Decimal): number {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const cut = digits.length - d.scale;
  const text = d.scale > 0 ? `${digits.slice(0, cut)}.${digits.slice(cut)}` : digits;
  const n = Number(negative ? `-${text}` : text);
  return n === 0 ? 0 : n; // never hand out -0
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function sub(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function abs(a: Decimal): Decimal {
  return a.units < 0n ? { units: -a.units, scale: a.scale } : a;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** a / b rounded to an integer (nearest: half away from zero) */
export function divideToInteger(a: Decimal, b: Decimal, mode: RoundingMode): bigint {
  // a/b = (au * 10^bs) / (bu * 10^as)
  let num = a.units * 10n ** BigInt(b.scale);
  let den = b.units * 10n ** BigInt(a.scale);
  if (den === 0n) throw new RangeError('division by zero');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den; // truncates toward zero
  const r = num % den;
  if (r === 0n) return q;
  if (mode === 'down') return num < 0n ? q - 1n : q;
  if (mode === 'up') return num < 0n ? q : q + 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice < den) return q;
  return num < 0n ? q - 1n : q + 1n;
}

/** x rounded to a whole multiple of unit (a tick or a step), exactly */
export function roundToMultiple(x: number, unit: number, mode: RoundingMode): number {
  if (!(unit > 0) || !Number.isFinite(unit)) throw new RangeError(`increment must be a positive number, got ${unit}`);
  const u = toDecimal(unit);
  const n = divideToInteger(toDecimal(x), u, mode);
  return toNumber(mul({ units: n, scale: 0 }, u));
}

/** whether x is a whole multiple of unit, exactly */
export function isMultipleOf(x: number, unit: number): boolean {
  return roundToMultiple(x, unit, 'down') === x;
}

/** sum without float drift: exactSum([0.1, 0.2]) === 0.3 */
export function exactSum(values: readonly number[]): number {
  return toNumber(values.reduce<Decimal>((acc, v) => add(acc, toDecimal(v)), ZERO));
}

/** a - b without float drift */
export function exactDifference(a: number, b: number): number {
  return toNumber(sub(toDecimal(a), toDecimal(b)));
}

/** a * b without float drift: exactProduct(0.00003, 65000.01) === 1.9500003 */
export function exactProduct(a: number, b: number): number {
  return toNumber(mul(toDecimal(a), toDecimal(b)));
}
