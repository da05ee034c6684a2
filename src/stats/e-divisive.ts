// Change points of one series by E-divisive means: hierarchical divisive estimation with the energy
// statistic (Matteson & James, "A Nonparametric Approach for Multiple Change Point Analysis of
// Multivariate Data", JASA 2014), as MongoDB's performance CI uses it (Daly et al., "Change Point
// Detection in Software Performance Testing", ICPE 2020) and Apache Otava (formerly Hunter) after it.
//
// What is followed, and where it departs:
// - alpha = 1 (plain absolute differences), the exponent both papers use; the split statistic is
//   Q(X, Y) = m k / (m + k) * (2/(m k) sum|x - y| - sum_{i<j}|x_i - x_j| / C(m, 2) - sum_{i<j}|y_i - y_j| / C(k, 2)).
// - The right end of a candidate split is the end of its segment (MongoDB's "E-divisive with means"
//   form), not every kappa of Matteson & James: O(n^2) per segment, found incrementally.
// - Significance by permutation, as Matteson & James: the chosen segment's values are shuffled R times
//   and the best split recomputed; p = (1 + #{Q_perm >= Q}) / (1 + R). Only the segment being split is
//   shuffled (Matteson & James shuffle within every current segment and take the best of all).
// - Segments are split while the best candidate is significant at `alpha`; each side keeps at least
//   `minSegment` points, so one noisy run can never be a change on its own.
// - The permutations are drawn from a seeded PRNG, so the same history gives the same p-values.

import { mulberry32 } from './prng.js';

export interface EDivisiveOptions {
  /** Significance level of the permutation test. */
  alpha: number;
  /** Permutations per test; the smallest p-value reachable is 1 / (1 + permutations). */
  permutations: number;
  /** Fewest points on each side of a change. */
  minSegment: number;
  seed: number;
}

export const EDIVISIVE_DEFAULTS: EDivisiveOptions = { alpha: 0.01, permutations: 499, minSegment: 3, seed: 0x5eed };

export interface ChangePoint {
  /** Position in the series of the first point after the change. */
  index: number;
  /** Permutation p-value of the split, when it was made. */
  pValue: number;
  /** The energy statistic Q of the split. */
  q: number;
}

/** The split of `values` (positions minSegment..n-minSegment) with the largest Q, or null if too short. */
export function bestSplit(values: readonly number[], minSegment: number): { at: number; q: number } | null {
  const n = values.length;
  if (n < 2 * minSegment) return null;
  const pairs = (c: number) => (c * (c - 1)) / 2;
  let withinX = 0;
  let withinY = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(values[i] - values[j]);
      if (j < minSegment) withinX += d;
      else if (i >= minSegment) withinY += d;
      else cross += d;
    }
  }
  let best: { at: number; q: number } | null = null;
  for (let tau = minSegment; tau <= n - minSegment; tau++) {
    const m = tau;
    const k = n - tau;
    const energy = (2 * cross) / (m * k) - (m > 1 ? withinX / pairs(m) : 0) - (k > 1 ? withinY / pairs(k) : 0);
    const q = ((m * k) / (m + k)) * energy;
    if (best === null || q > best.q) best = { at: tau, q };
    if (tau === n - minSegment) break;
    // Move values[tau] from Y to X.
    let toX = 0;
    let toY = 0;
    for (let i = 0; i < tau; i++) toX += Math.abs(values[i] - values[tau]);
    for (let j = tau + 1; j < n; j++) toY += Math.abs(values[tau] - values[j]);
    withinX += toX;
    withinY -= toY;
    cross += toY - toX;
  }
  return best;
}

function shuffle(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}

/** Permutation p-value of the best split of `segment`; stops early once it cannot fall below alpha. */
function permutationPValue(segment: readonly number[], observed: number, o: EDivisiveOptions, random: () => number): number {
  const copy = [...segment];
  const limit = Math.ceil(o.alpha * (o.permutations + 1));
  let atLeast = 0;
  for (let r = 0; r < o.permutations; r++) {
    shuffle(copy, random);
    // A relative tolerance: a permutation that reproduces the observed order must count as "as large".
    if ((bestSplit(copy, o.minSegment)?.q ?? 0) >= observed * (1 - 1e-12)) atLeast++;
    if (atLeast + 1 > limit) return (atLeast + 1) / (r + 2);
  }
  return (atLeast + 1) / (o.permutations + 1);
}

/** Significant change points of `series`, ordered by index. */
export function eDivisive(series: readonly number[], options: Partial<EDivisiveOptions> = {}): ChangePoint[] {
  const o = { ...EDIVISIVE_DEFAULTS, ...options };
  const random = mulberry32(o.seed);
  const found: ChangePoint[] = [];
  // Segments as [start, end) with their best split, searched once each.
  type Segment = { start: number; end: number; split: { at: number; q: number } | null };
  const segment = (start: number, end: number): Segment => ({ start, end, split: bestSplit(series.slice(start, end), o.minSegment) });
  const segments: Segment[] = [segment(0, series.length)];
  for (;;) {
    let chosen: Segment | null = null;
    for (const s of segments) if (s.split && s.split.q > 0 && (!chosen || s.split.q > chosen.split!.q)) chosen = s;
    if (!chosen) break;
    const { at, q } = chosen.split!;
    const pValue = permutationPValue(series.slice(chosen.start, chosen.end), q, o, random);
    if (pValue > o.alpha) break;
    const index = chosen.start + at;
    found.push({ index, pValue, q });
    segments.splice(segments.indexOf(chosen), 1, segment(chosen.start, index), segment(index, chosen.end));
  }
  return found.sort((a, b) => a.index - b.index);
}
