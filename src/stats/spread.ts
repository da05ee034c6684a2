// Spread of a figure over repetitions: median, min, max and a 95% confidence interval of the mean.

import quantile from '@stdlib/stats-base-dists-t-quantile';

/** The spread of one rate over repetitions. */
export interface RateSpread {
  median: number;
  min: number;
  max: number;
  /** 95% confidence interval of the mean (Student's t); null with fewer than 2 repetitions. Never below 0. */
  ci95Low: number | null;
  ci95High: number | null;
  /** The interval's half-width exceeds a quarter of the mean (stats/spread.ts): too wide to mean much. */
  ci95TooWide?: boolean;
}

/**
 * An interval whose half-width exceeds this share of the mean says little: the mean is not known to
 * within a quarter of itself, too loose to tell apart cells that differ by less. With 2 repetitions
 * (t = 12.7) this is nearly always so.
 */
export const CI_TOO_WIDE_SHARE = 0.25;

/** The 97.5% quantile of Student's t (two-sided 95%), exact for any degrees of freedom. */
export function tQuantile975(degreesOfFreedom: number): number {
  if (!(degreesOfFreedom >= 1)) throw new RangeError(`degrees of freedom must be at least 1, got ${degreesOfFreedom}`);
  return quantile(0.975, degreesOfFreedom);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The spread of values that cannot be negative (rates, latencies): the interval's low end is clamped
 * at 0, and an interval too wide to mean much (CI_TOO_WIDE_SHARE) is flagged.
 */
export function spread(values: number[]): RateSpread {
  if (values.length === 0) throw new RangeError('spread of no values');
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let ci95Low: number | null = null;
  let ci95High: number | null = null;
  let ci95TooWide = false;
  if (n >= 2) {
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
    ci95Low = Math.max(0, mean - half);
    ci95High = mean + half;
    ci95TooWide = half > CI_TOO_WIDE_SHARE * mean;
  }
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), ci95Low, ci95High, ci95TooWide };
}
