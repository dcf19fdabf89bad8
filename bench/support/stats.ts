/** Percentiles by the nearest-rank method: p99 of 100 samples is the 99th smallest, a value that was measured. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
  return {
    count: sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
    mean: sorted.length === 0 ? NaN : sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

/** milliseconds for a table cell: one decimal under 100 ms, whole numbers above */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 100 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
