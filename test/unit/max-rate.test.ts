// --max-rate's judgement of a probe and its search: the highest rate held, never one that failed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backlogGrowth, judgeProbe, maxRateOf, MAX_RATE_PROBES, nextProbeRate, REJECT_AFTER_FAILS, type MaxRateProbe } from '../../src/run/max-rate.js';
import type { CellResult, TimelinePoint } from '../../src/run/result.js';
import { headlineRate } from '../../src/report/chart-data.js';
import { aggregate } from '../../src/stats/aggregate.js';
import { buildFixtureRun } from '../helpers/fixture-run.js';

/** A paced repetition: `seconds` whole seconds sending `rate`, consuming `consumed` a second. */
function probeResult(rate: number, consumed: number, p99Us: number, seconds = 6, over: Partial<CellResult> = {}): CellResult {
  const timeline: TimelinePoint[] = Array.from({ length: seconds }, (_, k) => ({ second: k + 1, sent: rate, confirmed: 0, consumed }));
  const base = buildFixtureRun({ repetitions: 1 }).cells.find((c) => c.cell.publish.kind === 'none' && c.status === 'ok')!;
  return {
    ...base,
    status: 'ok',
    counts: { ...base.counts, lost: 0, unexpected: 0 },
    window: { sendSeconds: seconds + 0.4, confirmSeconds: null, consumeSeconds: seconds + 0.5 },
    rates: { sentPerS: rate, confirmedPerS: null, consumedPerS: consumed },
    e2eLatency: { count: 1, minUs: 1, meanUs: p99Us / 2, p50Us: p99Us / 2, p90Us: p99Us, p99Us, p999Us: p99Us, maxUs: p99Us },
    timeline,
    ...over,
  };
}

test('a probe holds when the pace was kept, p99 is under the bound and the backlog did not grow', () => {
  assert.equal(judgeProbe(probeResult(1000, 1000, 20_000), 1000, 500).held, true);
  const slow = judgeProbe(probeResult(1000, 1000, 900_000), 1000, 500);
  assert.equal(slow.held, false);
  assert.match(slow.reason!, /p99 900 ms > 500 ms/);
  assert.match(judgeProbe(probeResult(800, 800, 1000), 1000, 500).reason!, /producers reached 800 msg\/s of 1000/);
  // consumers 10% behind: within the bound on latency for a short window, but the backlog grows
  const behind = judgeProbe(probeResult(1000, 900, 100_000), 1000, 500);
  assert.equal(behind.held, false);
  assert.match(behind.reason!, /backlog grew by 300/);
  assert.match(judgeProbe(probeResult(1000, 1000, 1000, 6, { status: 'failed', reason: 'broker gone' }), 1000, 500).reason!, /failed: broker gone/);
});

test('backlog growth: over the second half of the whole seconds of sending; null under 2 seconds', () => {
  assert.deepEqual(backlogGrowth(probeResult(100, 90, 1, 4)), { grew: 20, sent: 200 });
  assert.equal(backlogGrowth(probeResult(100, 90, 1, 1)), null);
});

test('the search converges below the capacity of a system it does not know, and never reports a failed rate', () => {
  for (const capacity of [37, 950, 4_321, 19_999]) {
    const search = { unpacedConsumedPerS: capacity * 1.7, unpacedSentPerS: capacity * 2.5, probes: [] as MaxRateProbe[] };
    for (let rate = nextProbeRate(search, 12); rate !== null; rate = nextProbeRate(search, 12)) {
      const held = rate <= capacity;
      search.probes.push({ ratePerS: rate, held, reason: held ? null : 'too fast', e2eP99Us: null, sentPerS: rate, consumedPerS: null });
    }
    const found = maxRateOf(search.probes)!;
    assert.ok(found <= capacity, `${capacity}: ${found}`);
    assert.ok(found >= capacity * 0.97, `${capacity}: ${found} after ${search.probes.length} probes`);
    search.probes.forEach((p, k) => {
      const before = search.probes.slice(0, k).filter((q) => q.ratePerS === p.ratePerS);
      if (before.length === 0) return;
      assert.ok(before.length < REJECT_AFTER_FAILS && !search.probes[k - 1].held && search.probes[k - 1].ratePerS === p.ratePerS, `${capacity}: ${p.ratePerS} probed again only straight after it failed`);
    });
  }
});

const probeAt = (ratePerS: number, held: boolean): MaxRateProbe => ({ ratePerS, held, reason: held ? null : 'stalled', e2eP99Us: null, sentPerS: ratePerS, consumedPerS: null });

test('a rate that failed once is probed again at once; it is rejected only after failing twice, and held once it held', () => {
  const base = { unpacedConsumedPerS: 1000, unpacedSentPerS: 2000 };
  assert.equal(nextProbeRate({ ...base, probes: [probeAt(1000, false)] }), 1000, 'a first failure is retried');
  assert.equal(nextProbeRate({ ...base, probes: [probeAt(1000, false), probeAt(1000, false)] }), 500, 'rejected after two: bisect below it');
  assert.equal(nextProbeRate({ ...base, probes: [probeAt(1000, false), probeAt(1000, true)] }), 1500, 'held on the retry: bisect above it');
  // A failure below a rate that already held settles nothing: no retry.
  assert.equal(nextProbeRate({ ...base, probes: [probeAt(1000, true), probeAt(1500, false), probeAt(1500, true), probeAt(1250, false)] }), 1750);
  assert.equal(maxRateOf([probeAt(1000, false), probeAt(1000, true)]), 1000);
});

test('a system that stalls once at any rate near its capacity: the retrying search still finds it', () => {
  // Each rate within 15% below capacity fails its first probe (a stall), holds on the next; above capacity it always fails.
  for (const capacity of [950, 4_321, 34_000]) {
    const search = { unpacedConsumedPerS: capacity * 0.75, unpacedSentPerS: capacity * 1.3, probes: [] as MaxRateProbe[] };
    const tried = new Set<number>();
    for (let rate = nextProbeRate(search); rate !== null; rate = nextProbeRate(search)) {
      const stalls = rate > capacity * 0.85 && !tried.has(rate);
      tried.add(rate);
      search.probes.push(probeAt(rate, rate <= capacity && !stalls));
    }
    assert.ok(search.probes.length <= MAX_RATE_PROBES);
    const found = maxRateOf(search.probes)!;
    assert.ok(found <= capacity && found >= capacity * 0.9, `${capacity}: found ${found} in ${search.probes.map((p) => `${p.ratePerS}${p.held ? '+' : '-'}`).join(' ')}`);
  }
});

test('the first probe is the unpaced consumed rate, capped by the unpaced sent rate; nothing held gives null', () => {
  assert.equal(nextProbeRate({ unpacedConsumedPerS: 900.4, unpacedSentPerS: 2000, probes: [] }), 900);
  assert.equal(nextProbeRate({ unpacedConsumedPerS: 3000, unpacedSentPerS: 2000, probes: [] }), 2000);
  assert.equal(maxRateOf([{ ratePerS: 5, held: false, reason: 'x', e2eP99Us: null, sentPerS: null, consumedPerS: null }]), null);
});

test("the report's headline of a `none` cell is its max rate when one was searched, else consumed/s", () => {
  const run = buildFixtureRun({ repetitions: 2 });
  const none = run.cells.filter((c) => c.cell.publish.kind === 'none');
  const single = run.cells.filter((c) => c.cell.publish.kind === 'single');
  const search = { ratePerS: 1234, unpacedConsumedPerS: 2000, unpacedSentPerS: 3000, p99BoundMs: 500, probes: [] };
  for (const r of [...none, ...single]) r.maxRate = search;
  const aggregates = aggregate(run.cells);
  const noneAgg = aggregates.find((a) => a.cell.publish.kind === 'none')!;
  assert.deepEqual(headlineRate(noneAgg), { measure: 'max-rate', spread: { median: 1234, min: 1234, max: 1234, ci95Low: null, ci95High: null } });
  assert.equal(headlineRate(aggregates.find((a) => a.cell.publish.kind === 'single')!).measure, 'consumed');
});
