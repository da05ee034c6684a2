// Number formatting for tables and Markdown: thousands separators, no false precision.

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** Shown where a figure is undefined (publish latency of `none`): empty, never zero. */
export const UNDEFINED_FIGURE = '–';

export function formatWhole(value: number | null | undefined): string {
  return value === null || value === undefined ? UNDEFINED_FIGURE : WHOLE.format(value);
}

export function formatOneDecimal(value: number | null | undefined): string {
  return value === null || value === undefined ? UNDEFINED_FIGURE : ONE_DECIMAL.format(value);
}

/** A signed percentage change, e.g. "+12.3%", "−50.0%". */
export function formatChangePct(change: number | null): string {
  if (change === null || !Number.isFinite(change)) return UNDEFINED_FIGURE;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change).toFixed(1)}%`;
}
