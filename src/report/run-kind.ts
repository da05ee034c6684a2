// What a run varies decides which charts answer it: a rate sweep wants one latency-against-throughput
// curve per cell family, a matrix wants the modes side by side, a single cell its own distribution and
// timeline, a fault run the guarantees matrix first. Pure: run in, kind out.

import type { RunFile } from '../run/result.js';
import type { Cell } from '../scenario/types.js';
import { cellId } from '../scenario/matrix.js';
import { chartableAggregates } from './chart-data.js';

export type RunKind = 'faults' | 'sweep' | 'single' | 'matrix';

/** The id a cell has without its rate: the paced cells of a sweep and their unpaced cell share it. */
export function familyId(cell: Cell): string {
  const { id: _id, rate: _rate, ...axes } = cell;
  return cellId({ ...axes, rate: null });
}

/** Families (cells equal but for the rate) measured at two or more rates among these cells. */
export function sweptFamilies(cells: readonly Cell[]): Set<string> {
  const rates = new Map<string, Set<number | null>>();
  for (const cell of cells) {
    const family = familyId(cell);
    const seen = rates.get(family) ?? new Set<number | null>();
    seen.add(cell.rate);
    rates.set(family, seen);
  }
  return new Set([...rates].filter(([, seen]) => seen.size > 1).map(([family]) => family));
}

export function runKind(run: RunFile): RunKind {
  if (run.cells.some((result) => result.fault !== undefined)) return 'faults';
  const charted = chartableAggregates(run).map((aggregate) => aggregate.cell);
  if (sweptFamilies(charted).size > 0) return 'sweep';
  return charted.length === 1 ? 'single' : 'matrix';
}
