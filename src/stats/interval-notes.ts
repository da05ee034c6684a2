// What to say of a cell's confidence intervals where they are shown: one that is too wide to mean
// much (spread.ts CI_TOO_WIDE_SHARE) is named, with the repetitions it came from.

import type { CellAggregate, RateSpread } from '../run/result.js';
import { CI_TOO_WIDE_SHARE } from './spread.js';

const RATES = [
  ['sent/s', 'sentPerS'],
  ['confirmed/s', 'confirmedPerS'],
  ['consumed/s', 'consumedPerS'],
] as const;

/** The rates of `a` whose 95% interval is too wide, or an empty list. */
export function tooWideRates(a: CellAggregate): string[] {
  return RATES.filter(([, key]) => (a.rates[key] as RateSpread | null)?.ci95TooWide).map(([name]) => name);
}

/** One line per cell with a too-wide interval, for the terminal. */
export function wideIntervalNotes(a: CellAggregate): string[] {
  const wide = tooWideRates(a);
  if (wide.length === 0) return [];
  return [
    `${a.cell.id}: the 95% interval of ${wide.join(', ')} is wider than ±${CI_TOO_WIDE_SHARE * 100}% of the mean over ${a.repetitions} repetitions: too wide to mean much (more repetitions narrow it)`,
  ];
}
