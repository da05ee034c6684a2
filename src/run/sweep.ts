// Rate sweep: the cells that pace a measured cell at fractions of the throughput it reached.

import { cellId } from '../scenario/matrix.js';
import type { Cell } from '../scenario/types.js';
import type { CellResult } from './result.js';
import { median } from '../stats/spread.js';

export const DEFAULT_SWEEP = [0.1, 0.25, 0.5, 0.75, 0.9, 1];

/** The throughput a cell reached: consumed/s, else confirmed/s (publish-only), else sent/s. */
export function headlineRate(r: CellResult): number {
  return r.rates.consumedPerS ?? r.rates.confirmedPerS ?? r.rates.sentPerS;
}

/**
 * One cell per fraction, paced per producer at fraction x the median throughput of `results`
 * (split evenly over the producers). None when no repetition succeeded.
 */
export function sweepCells(cell: Cell, results: CellResult[], fractions: number[]): Cell[] {
  const ok = results.filter((r) => r.status === 'ok' && headlineRate(r) > 0);
  if (ok.length === 0) return [];
  const max = median(ok.map(headlineRate));
  return fractions.map((f) => {
    const rate = Math.max(1, Math.round((max * f) / cell.producers));
    const paced = { ...cell, rate };
    return { ...paced, id: cellId(paced) };
  });
}
