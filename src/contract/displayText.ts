/**
 * Small wording helpers for what people read in the Temporal Web UI (summaries, details) and the
 * CLI. Pure: the workflows use them too, so no clock and no locale (times are UTC, written out).
 */

/** one line: whitespace collapsed, cut at `max` characters with an ellipsis */
export function oneLineOf(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Text from outside (a model's reasoning, an exchange's error) placed inside markdown: one line,
 * bounded, and the characters that would format it or open HTML escaped, so it reads as written.
 */
export function plainMarkdown(text: string, max = 300): string {
  // an underscore inside a word (PLAN_TRADE) formats nothing and stays as it is
  return oneLineOf(text, max).replace(/[\\`*[\]<>|#~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => `\\${c}`);
}

/** "12:45 UTC", with seconds when the time has any ("12:45:30 UTC") */
export function utcClock(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  const seconds = iso.slice(17, 19);
  return `${iso.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`} UTC`;
}

/** "2026-12-02 12:45 UTC" */
export function utcDateTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 10)} ${utcClock(epochMs)}`;
}

/** "20 s", "15 min", "1 h", "90 min" */
export function durationText(ms: number): string {
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000 || (ms < 7_200_000 && ms % 3_600_000 !== 0)) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}

/** "every 20 s", "every 15 min", "every 1 h", "every 90 min" */
export function cadenceText(ms: number): string {
  return `every ${durationText(ms)}`;
}

/** a price or quantity as a trader writes it: no float noise (64702.020000001 -> 64702.02) */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(10)));
}

/** "+1.2%", "-0.35%", "0%" */
export function signedPercent(p: number): string {
  const rounded = Math.round(p * 100) / 100;
  return `${rounded > 0 ? '+' : ''}${rounded}%`;
}

/** "12,345": a whole count with thousands separators (written out: no locale in workflow code) */
export function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "$0.02", "$0.0004" for a fraction of a cent, "$0" */
export function usd(x: number): string {
  if (x === 0) return '$0';
  return x < 0.01 ? `$${Number(x.toPrecision(2))}` : `$${x.toFixed(2)}`;
}
