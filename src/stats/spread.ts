// Spread of a figure over repetitions: median, min, max and a 95% confidence interval of the mean.

import type { RateSpread } from '../run/result.js';

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
const T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile975(degreesOfFreedom: number): number {
  return degreesOfFreedom <= T_975.length ? T_975[degreesOfFreedom - 1] : 1.96;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function spread(values: number[]): RateSpread {
  if (values.length === 0) throw new RangeError('spread of no values');
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let ci95Low: number | null = null;
  let ci95High: number | null = null;
  if (n >= 2) {
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
    ci95Low = mean - half;
    ci95High = mean + half;
  }
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), ci95Low, ci95High };
}
