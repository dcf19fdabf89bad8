/**
 * How figures are written for people (terminal table and report.html share these, so the page and
 * the terminal agree). report.json keeps the raw numbers.
 */

// one formatter: Number#toLocaleString builds a new one per call, which shows on a page of 10,000 trades
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function money(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return MONEY.format(x);
}

export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x.toFixed(2)}%`;
}

export function signedPct(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x > 0 ? '+' : ''}${x.toFixed(2)}%`;
}

export function ratio(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return x.toFixed(2);
}

export function count(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return String(x);
}

/** 3d 4h, 5h 15m, 45m */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'n/a';
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
