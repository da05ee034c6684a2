// A small seeded PRNG (mulberry32, src/stats/prng.ts) so randomized unit tests are reproducible: a
// failure names its seed.

export { mulberry32 } from '../../src/stats/prng.js';

/** A whole number in [lo, hi], both included. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
