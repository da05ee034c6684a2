// Histograms merge exactly across workers (encode, decode, add), never by averaging percentiles;
// the .hgrm text says what the histogram says. Plus the spread of a rate over repetitions.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHistogram, encodeHistogram, mergeEncoded, percentileDistribution, recordMicros, summarize, type Histogram } from '../../src/measure/histogram.js';
import { median, spread } from '../../src/stats/spread.js';
import { mulberry32 } from '../helpers/prng.js';

/** Latencies in µs: mostly around a millisecond, a long tail, and rare multi-second stalls. */
function syntheticLatencies(seed: number, n: number): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.001) return 1e6 + rand() * 4e6;
    if (r < 0.05) return 5_000 + rand() * 100_000;
    return 200 + Math.exp(rand() * 7) * 2;
  });
}

/** Rows of the .hgrm text: Value, Percentile (0..1), TotalCount. */
function parseHgrm(text: string): { value: number; percentile: number; totalCount: number }[] {
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+(?:\.\d+)?)\s+(\d\.\d+)\s+(\d+)(?:\s+\S+)?\s*$/.exec(line);
    if (m) rows.push({ value: Number(m[1]), percentile: Number(m[2]), totalCount: Number(m[3]) });
  }
  return rows;
}

/** The bucket bounds hdr-histogram-js has at run time but leaves out of its Histogram type. */
function buckets(h: Histogram) {
  return h as unknown as { lowestEquivalentValue(v: number): number; highestEquivalentValue(v: number): number };
}

/** Equal within the histogram's resolution (3 significant digits): same bucket. */
function assertSameBucket(h: Histogram, actual: number, expected: number, what: string): void {
  assert.equal(buckets(h).lowestEquivalentValue(actual), buckets(h).lowestEquivalentValue(expected), `${what}: ${actual} vs ${expected}`);
}

describe('histogram merge', () => {
  const workers = [11, 22, 33].map((seed) => syntheticLatencies(seed, 10_000));
  const reference = createHistogram();
  for (const values of workers) for (const v of values) recordMicros(reference, v);
  const encoded = workers.map((values) => {
    const h = createHistogram();
    for (const v of values) recordMicros(h, v);
    return encodeHistogram(h);
  });
  const merged = mergeEncoded(encoded)!;

  test('the merged count is the sum of the workers', () => {
    assert.equal(merged.totalCount, 30_000);
    assert.equal(merged.totalCount, reference.totalCount);
  });

  test('every percentile of the merge equals that of one histogram fed every value', () => {
    for (const p of [0, 50, 90, 99, 99.9, 99.99, 100]) {
      assert.equal(merged.getValueAtPercentile(p), reference.getValueAtPercentile(p), `p${p}`);
    }
    assert.equal(merged.minNonZeroValue, reference.minNonZeroValue);
    // Decoding keeps buckets, not raw values: the max is the top of the max's bucket.
    assert.equal(merged.maxValue, buckets(reference).highestEquivalentValue(reference.maxValue));
    assertSameBucket(reference, merged.maxValue, reference.maxValue, 'max');
  });

  test('summarize(merge) equals summarize of the reference taken through the same encoding', () => {
    const refSummary = summarize(mergeEncoded([encodeHistogram(reference)]));
    assert.deepEqual(summarize(merged), refSummary);
    assert.equal(refSummary!.count, 30_000);
  });

  test('the percentiles are real percentiles of the data, not averages of the workers', () => {
    const sorted = workers.flat().sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = Math.round(sorted[Math.ceil((p / 100) * sorted.length) - 1]);
      assertSameBucket(merged, merged.getValueAtPercentile(p), exact, `p${p}`);
    }
  });

  test('merge order does not matter, and null or empty entries are skipped', () => {
    const reversed = mergeEncoded([null, ...[...encoded].reverse(), undefined, ''])!;
    assert.deepEqual(summarize(reversed), summarize(merged));
  });

  test('a stall longer than the trackable range still merges', () => {
    const h = createHistogram();
    recordMicros(h, 10);
    recordMicros(h, 7_200_000_000); // two hours, above the 1-hour highest trackable value
    const m = mergeEncoded([encodeHistogram(h), encoded[0]])!;
    assert.equal(m.totalCount, 10_002);
    assertSameBucket(m, m.maxValue, 7_200_000_000, 'max');
  });

  test('nothing to merge or summarize is null, never zeros', () => {
    assert.equal(mergeEncoded([]), null);
    assert.equal(mergeEncoded([null, undefined]), null);
    assert.equal(summarize(null), null);
    assert.equal(summarize(createHistogram()), null);
  });

  test('sub-microsecond values are recorded as 1 µs', () => {
    const h = createHistogram();
    recordMicros(h, 0);
    recordMicros(h, 0.4);
    assert.equal(h.totalCount, 2);
    assert.equal(h.minNonZeroValue, 1);
    assert.equal(h.maxValue, 1);
  });
});

describe('.hgrm percentile distribution', () => {
  const h = createHistogram();
  for (const v of syntheticLatencies(5, 20_000)) recordMicros(h, v);
  const rows = parseHgrm(percentileDistribution(h));

  test('has the HdrHistogram header and enough rows', () => {
    assert.match(percentileDistribution(h), /^\s*Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    assert.ok(rows.length > 50, `${rows.length} rows`);
  });

  test('each row is the value at its percentile, within resolution', () => {
    for (const r of rows) assertSameBucket(h, r.value, h.getValueAtPercentile(r.percentile * 100), `percentile ${r.percentile}`);
  });

  test('percentiles and counts never decrease; the last row is 100% with the total count', () => {
    for (let k = 1; k < rows.length; k++) {
      assert.ok(rows[k].percentile >= rows[k - 1].percentile, `row ${k} percentile`);
      assert.ok(rows[k].totalCount >= rows[k - 1].totalCount, `row ${k} count`);
      assert.ok(rows[k].value >= rows[k - 1].value, `row ${k} value`);
    }
    const last = rows.at(-1)!;
    assert.equal(last.percentile, 1);
    assert.equal(last.totalCount, h.totalCount);
    assertSameBucket(h, last.value, h.maxValue, 'last value');
  });
});

describe('spread over repetitions', () => {
  test('median of odd and even lists, unsorted input', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  test('median does not reorder its argument', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });

  test('min, max and median', () => {
    const s = spread([30, 10, 20, 50]);
    assert.equal(s.min, 10);
    assert.equal(s.max, 50);
    assert.equal(s.median, 25);
  });

  test('one repetition has no confidence interval', () => {
    const s = spread([42]);
    assert.equal(s.ci95Low, null);
    assert.equal(s.ci95High, null);
    assert.equal(s.median, 42);
  });

  test('[10, 12, 14]: mean ± t(0.975, 2) · sd / √3', () => {
    const s = spread([10, 12, 14]);
    const half = (4.302653 * 2) / Math.sqrt(3); // sd of 10, 12, 14 is 2; t(0.975, 2) = 4.302653
    assert.ok(Math.abs(s.ci95Low! - (12 - half)) < 1e-5, `low ${s.ci95Low}`);
    assert.ok(Math.abs(s.ci95High! - (12 + half)) < 1e-5, `high ${s.ci95High}`);
  });

  test('identical values give a zero-width interval', () => {
    const s = spread([5, 5, 5, 5]);
    assert.equal(s.ci95Low, 5);
    assert.equal(s.ci95High, 5);
  });

  test('no values is an error, not NaN', () => {
    assert.throws(() => spread([]), RangeError);
  });
});
