// The recorder's whole-window histogram equals one that recorded every value directly, however the
// values fell into intervals (as the cell reports it, merged), and each interval holds exactly its own values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHistogram, decodeHistogram, encodeHistogram, mergeEncoded, recordMicros, summarize } from '../../src/measure/histogram.js';
import { LatencyRecorder } from '../../src/measure/latency-recorder.js';
import { mulberry32 } from '../helpers/prng.js';

test('whole window = all values recorded directly; intervals partition them', () => {
  const rnd = mulberry32(7);
  const r = new LatencyRecorder();
  const direct = createHistogram();
  let intervalTotal = 0;
  assert.equal(r.encodeTotal(), null);
  for (let k = 0; k < 5; k++) {
    const n = Math.floor(rnd() * 3000);
    const own = createHistogram();
    for (let i = 0; i < n; i++) {
      const us = 1 + rnd() * (k === 3 ? 5_000_000 : 2000);
      r.record(us);
      recordMicros(direct, us);
      recordMicros(own, us);
    }
    // the total can be read mid-interval as well as after one
    if (k === 2) assert.equal(decodeHistogram(r.encodeTotal()!).totalCount, direct.totalCount);
    const taken = r.takeInterval();
    if (n === 0) assert.equal(taken, null);
    else {
      const h = decodeHistogram(taken!);
      assert.equal(h.totalCount, n);
      assert.equal(h.getValueAtPercentile(99), own.getValueAtPercentile(99));
      intervalTotal += n;
    }
  }
  r.record(42);
  recordMicros(direct, 42);
  const total = decodeHistogram(r.encodeTotal()!);
  assert.equal(r.count, intervalTotal + 1);
  assert.equal(total.totalCount, direct.totalCount);
  for (const p of [0, 50, 90, 99, 99.9, 100]) assert.equal(total.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  // What a cell reports: the workers' histograms merged (cell-result.ts), the same either way.
  assert.deepEqual(summarize(mergeEncoded([r.encodeTotal()])), summarize(mergeEncoded([encodeHistogram(direct)])));
});
