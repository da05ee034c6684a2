// summary.csv columns of a repetition's steadiness (measure/steadiness.ts), appended after the others.
// Runs written before steadiness was stored get it from their timeline, the same way.

import { steadiness, type Steadiness } from '../measure/steadiness.js';
import type { CellResult } from '../run/result.js';

export const STEADY_COLUMNS = [
  'steady', 'steady_figure', 'steady_seconds', 'steady_cv', 'steady_first_half_per_s', 'steady_second_half_per_s', 'steady_half_change_pct',
] as const;

/** The stored steadiness of a repetition that ran, or the one its timeline gives; null if it did not run. */
export function steadinessOf(r: CellResult): Steadiness | null {
  if (r.status !== 'ok') return null;
  return r.steadiness ?? steadiness(r.timeline, r.window);
}

const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export function steadyColumns(r: CellResult): Record<(typeof STEADY_COLUMNS)[number], string | number | null> | Record<string, never> {
  const s = steadinessOf(r);
  if (!s) return {};
  return {
    steady: s.steady === null ? null : String(s.steady),
    steady_figure: s.figure,
    steady_seconds: s.seconds,
    steady_cv: round(s.cv, 3),
    steady_first_half_per_s: round(s.firstHalfPerS, 1),
    steady_second_half_per_s: round(s.secondHalfPerS, 1),
    steady_half_change_pct: round(s.halfChangePct, 1),
  };
}
