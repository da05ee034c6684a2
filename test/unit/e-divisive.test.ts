// E-divisive means on synthetic series: a clean step is found where it is, pure noise gives none at the
// chosen level, and a slow drift is reported in its direction (README: change points).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bestSplit, eDivisive } from '../../src/stats/e-divisive.js';
import { mulberry32 } from '../helpers/prng.js';

/** Normal deviates by Box–Muller from the seeded PRNG. */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function noisy(levels: number[], sd: number, seed: number): number[] {
  const normal = gaussian(mulberry32(seed));
  return levels.map((level) => level + sd * normal());
}

const repeat = (value: number, times: number) => Array.from({ length: times }, () => value);

/** Q of one split computed straight from the definition (Matteson & James 2014, alpha = 1). */
function qByDefinition(values: number[], at: number): number {
  const x = values.slice(0, at);
  const y = values.slice(at);
  const mean = (a: number[], b: number[], same: boolean) => {
    let sum = 0;
    let count = 0;
    a.forEach((u, i) => b.forEach((v, j) => {
      if (same && j <= i) return;
      sum += Math.abs(u - v);
      count++;
    }));
    return count ? sum / count : 0;
  };
  return ((x.length * y.length) / values.length) * (2 * mean(x, y, false) - mean(x, x, true) - mean(y, y, true));
}

describe('bestSplit', () => {
  test('the incremental statistic equals the definition at every split', () => {
    const values = noisy(repeat(100, 12), 5, 7);
    const best = bestSplit(values, 2)!;
    let max = -Infinity;
    let at = -1;
    for (let tau = 2; tau <= values.length - 2; tau++) {
      const q = qByDefinition(values, tau);
      if (q > max) [max, at] = [q, tau];
    }
    assert.equal(best.at, at);
    assert.ok(Math.abs(best.q - max) < 1e-9 * Math.abs(max), `${best.q} vs ${max}`);
  });

  test('a series shorter than two segments has no split', () => {
    assert.equal(bestSplit([1, 2, 3, 4, 5], 3), null);
  });
});

describe('eDivisive', () => {
  test('a clean step is found at the first run after it', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const series = noisy([...repeat(1000, 20), ...repeat(900, 15)], 15, seed);
      const found = eDivisive(series);
      assert.deepEqual(found.map((c) => c.index), [20], `seed ${seed}`);
      assert.ok(found[0].pValue <= 0.01, `seed ${seed}: p ${found[0].pValue}`);
    }
  });

  test('two steps, up then down, are both found', () => {
    const series = noisy([...repeat(500, 15), ...repeat(650, 12), ...repeat(450, 15)], 12, 11);
    assert.deepEqual(eDivisive(series).map((c) => c.index), [15, 27]);
  });

  test('a step in the newest three runs is found once three runs are past it', () => {
    const series = noisy([...repeat(1000, 25), ...repeat(700, 3)], 20, 21);
    assert.deepEqual(eDivisive(series).map((c) => c.index), [25]);
    // ...but one low night is never a change on its own (minSegment 3).
    const oneNight = noisy([...repeat(1000, 25), 700], 20, 21);
    assert.deepEqual(eDivisive(oneNight), []);
  });

  test('pure noise gives no change point at the 1% level', () => {
    const withChange: number[] = [];
    for (let seed = 100; seed < 200; seed++) {
      if (eDivisive(noisy(repeat(1000, 30), 50, seed)).length > 0) withChange.push(seed);
    }
    // 100 noise series at alpha = 0.01: about one false alarm is expected; four or more would mean
    // the test is not at its level.
    assert.ok(withChange.length <= 3, `false change points in ${withChange.length} of 100 noise series: seeds ${withChange}`);
    assert.deepEqual(eDivisive(noisy(repeat(1000, 30), 50, 1)), []);
  });

  test('heavy-tailed noise (an outlier night) gives no change point', () => {
    const series = noisy(repeat(1000, 30), 20, 3);
    series[12] = 400;
    series[29] = 1600;
    assert.deepEqual(eDivisive(series), []);
  });

  test('a slow drift large against the noise is reported, every change in its direction', () => {
    // 40 runs sliding from 1000 to 700 msg/s, noise 1.5%: a staircase of regressions.
    const levels = Array.from({ length: 40 }, (_, i) => 1000 - (300 * i) / 39);
    const series = noisy(levels, 15, 5);
    const found = eDivisive(series);
    assert.ok(found.length >= 1, 'the drift was not reported');
    const bounds = [0, ...found.map((c) => c.index), series.length];
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const means = bounds.slice(1).map((end, i) => mean(series.slice(bounds[i], end)));
    for (let i = 1; i < means.length; i++) assert.ok(means[i] < means[i - 1], `segment means ${means}`);
  });

  test('a slow drift: from 3 noise sds over 40 runs reported, always in its direction; under 1 sd mostly not at all', () => {
    const drift = (totalSds: number, seed: number) => noisy(Array.from({ length: 40 }, (_, i) => 1000 - (totalSds * 15 * i) / 39), 15, seed);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    let reported = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const series = drift(3, seed);
      const found = eDivisive(series);
      if (found.length) reported++;
      const bounds = [0, ...found.map((c) => c.index), series.length];
      const means = bounds.slice(1).map((end, i) => mean(series.slice(bounds[i], end)));
      for (let i = 1; i < means.length; i++) assert.ok(means[i] < means[i - 1], `seed ${seed}: segment means ${means}`);
    }
    assert.ok(reported >= 18, `a 3-sd drift reported in ${reported} of 20 series`);
    let small = 0;
    for (let seed = 1; seed <= 20; seed++) if (eDivisive(drift(0.5, seed)).length) small++;
    assert.ok(small <= 3, `a 0.5-sd drift reported in ${small} of 20 series`);
  });

  test('a constant series has no change point', () => {
    assert.deepEqual(eDivisive(repeat(42, 20)), []);
  });

  test('the same series gives the same p-values (seeded permutations)', () => {
    const series = noisy([...repeat(10, 10), ...repeat(11, 10)], 0.6, 9);
    assert.deepEqual(eDivisive(series), eDivisive(series));
  });
});
