// Confidence intervals of rates over repetitions (stats/spread.ts): Student's t quantile at any
// degrees of freedom, a low bound never below 0, and an interval too wide to mean much flagged.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CI_TOO_WIDE_SHARE, spread, tQuantile975 } from '../../src/stats/spread.js';
import { tooWideRates, wideIntervalNotes } from '../../src/stats/interval-notes.js';
import type { CellAggregate } from '../../src/run/result.js';

describe("Student's t, 97.5% quantile", () => {
  // Published two-sided 95% critical values (any t table), to three decimals.
  const table: Array<[number, number]> = [
    [1, 12.706], [2, 4.303], [5, 2.571], [10, 2.228], [30, 2.042],
    [31, 2.04], [40, 2.021], [60, 2.0], [120, 1.98], [1000, 1.962],
  ];
  for (const [df, t] of table) {
    test(`df ${df}: ${t}`, () => assert.ok(Math.abs(tQuantile975(df) - t) < 6e-4, `${tQuantile975(df)}`));
  }

  test('beyond 30 degrees of freedom it still falls with df, towards the normal 1.95996', () => {
    for (let df = 30; df < 200; df++) assert.ok(tQuantile975(df + 1) < tQuantile975(df), `df ${df}`);
    assert.ok(tQuantile975(31) > 1.96 + 0.07, 'df 31 is not the normal quantile');
    assert.ok(Math.abs(tQuantile975(1e7) - 1.959964) < 1e-5);
  });

  test('fewer than 1 degree of freedom is an error', () => {
    assert.throws(() => tQuantile975(0), RangeError);
  });
});

describe('a rate interval', () => {
  test('never goes below 0 (two repetitions far apart: the mean minus t·s/√n is negative)', () => {
    const s = spread([100, 1500]);
    assert.equal(s.ci95Low, 0);
    assert.ok(s.ci95High! > 1500);
    assert.equal(s.ci95TooWide, true);
  });

  test('two close repetitions: still too wide, since t(0.975, 1) is 12.7', () => {
    // half-width = 12.706 · |a - b| / 2: 5% apart gives ±32% of the mean.
    const s = spread([1000, 1050]);
    assert.ok(s.ci95Low! > 0);
    assert.equal(s.ci95TooWide, true);
  });

  test('many steady repetitions: narrow, not flagged', () => {
    const s = spread([1000, 1010, 990, 1005, 995, 1002]);
    assert.equal(s.ci95TooWide, false);
    assert.ok((s.ci95High! - s.ci95Low!) / 2 < CI_TOO_WIDE_SHARE * 1000);
  });

  test('one repetition: no interval, nothing flagged', () => {
    assert.equal(spread([5]).ci95TooWide, false);
  });
});

describe('where a too-wide interval is said', () => {
  const wide = spread([100, 1500]);
  const narrow = spread([1000, 1010, 990, 1005, 995, 1002]);
  const a = { cell: { id: 'c1' }, repetitions: 2, rates: { sentPerS: narrow, confirmedPerS: null, consumedPerS: wide } } as unknown as CellAggregate;

  test('the rates named are those flagged', () => {
    assert.deepEqual(tooWideRates(a), ['consumed/s']);
  });

  test('the terminal line names the cell, the rate and the repetitions', () => {
    const [line] = wideIntervalNotes(a);
    assert.match(line, /^c1: .*consumed\/s.* 2 repetitions: too wide to mean much/);
    assert.deepEqual(wideIntervalNotes({ ...a, rates: { ...a.rates, consumedPerS: narrow } }), []);
  });
});
