// What the repetitions of a cell say about its noise, for the report's summary table: the range of the
// per-repetition p99 latencies (the table's p99 is the merged histogram's, which hides that spread), and
// how many repetitions had an unsteady window (measure/steadiness.ts). Pure.

import type { CellResult } from '../run/result.js';
import { formatWhole } from './format.js';
import { steadinessOf } from './steadiness-columns.js';

/** "min–max" of the per-repetition p99, or null with fewer than two repetitions or no spread. */
export function p99RangeText(results: readonly CellResult[], kind: 'publish' | 'e2e'): string | null {
  const values = results
    .filter((result) => result.status === 'ok')
    .map((result) => (kind === 'publish' ? result.publishLatency : result.e2eLatency)?.p99Us)
    .filter((value): value is number => typeof value === 'number');
  if (values.length < 2) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? null : `${formatWhole(min)}–${formatWhole(max)}`;
}

/** "unsteady 1/3" when any repetition that ran had an unsteady window, else null. */
export function unsteadyText(results: readonly CellResult[]): string | null {
  const judged = results.map(steadinessOf).filter((s) => s !== null && s.steady !== null);
  const unsteady = judged.filter((s) => s!.steady === false).length;
  return unsteady ? `unsteady ${unsteady}/${judged.length}` : null;
}
