// --max-rate's judgement of a probe and its search: the highest rate held, never one that failed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backlogGrowth, judgeProbe, maxRateOf, nextProbeRate, type MaxRateProbe } from '../../src/run/max-rate.js';
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
    assert.equal(new Set(search.probes.map((p) => p.ratePerS)).size, search.probes.length, 'no rate probed twice');
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
