// Steadiness of a measured window from its per-second timeline: whole seconds of the headline window
// only, CV and half-against-half, the documented thresholds; and its summary.csv columns.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { steadiness, STEADY_MAX_CV, STEADY_MAX_HALF_CHANGE_PCT, STEADY_MIN_SECONDS } from '../../src/measure/steadiness.js';
import { summaryCsv } from '../../src/report/csv.js';
import type { TimelinePoint } from '../../src/run/result.js';
import { buildFixtureRun } from '../helpers/fixture-run.js';

/** A timeline whose consumed counts are `consumed` (sent and confirmed alike). */
const timeline = (consumed: number[]): TimelinePoint[] => consumed.map((c, i) => ({ second: i + 1, sent: c, confirmed: c, consumed: c }));
const consumeWindow = (seconds: number) => ({ sendSeconds: seconds, confirmSeconds: seconds, consumeSeconds: seconds });

describe('steadiness', () => {
  test('a flat window is steady, CV near 0, both halves alike', () => {
    const s = steadiness(timeline([1000, 1010, 990, 1000, 1005, 995]), consumeWindow(6.4));
    assert.equal(s.figure, 'consumed');
    assert.equal(s.seconds, 6);
    assert.ok(s.cv! < 0.02);
    assert.equal(s.firstHalfPerS, 1000);
    assert.equal(s.secondHalfPerS, 1000);
    assert.equal(s.steady, true);
  });

  test('the last partial second and the seconds after the window are left out', () => {
    // 5.5 s window: seconds 1..5 count, the tail (6: 480 in half a second) and a drain second (7) do not.
    const s = steadiness(timeline([1000, 1000, 1000, 1000, 1000, 480, 3000]), consumeWindow(5.5));
    assert.equal(s.seconds, 5);
    assert.equal(s.cv, 0);
    assert.equal(s.steady, true);
  });

  test('rows with their true lengths: rates per row, timer drift tolerated, the short last row left out', () => {
    // ticks 4 ms late each; 1004 counted in a 1.004 s row is 1000/s
    const points: TimelinePoint[] = [1, 2, 3, 4, 5].map((second) => ({ second, sent: 1004, confirmed: 1004, consumed: 1004, seconds: 1.004 }));
    points.push({ second: 6, sent: 300, confirmed: 300, consumed: 300, seconds: 0.3 });
    const s = steadiness(points, consumeWindow(5.01));
    assert.equal(s.seconds, 5);
    assert.equal(s.firstHalfPerS, 1000);
    assert.equal(s.cv, 0);
    // a window of 5.3 s: the sixth, partial row ends inside it and is still left out
    assert.equal(steadiness(points, consumeWindow(5.4)).seconds, 5);
  });

  test('a window that slows down is unsteady by its halves even with a modest CV', () => {
    const s = steadiness(timeline([1000, 1000, 1000, 1000, 850, 850, 850, 850]), consumeWindow(8));
    assert.ok(s.cv! <= STEADY_MAX_CV, `cv ${s.cv}`);
    assert.equal(Math.round(s.halfChangePct!), -15);
    assert.ok(Math.abs(s.halfChangePct!) > STEADY_MAX_HALF_CHANGE_PCT);
    assert.equal(s.steady, false);
  });

  test('a window that stalls for a second is unsteady by its CV with equal halves', () => {
    const s = steadiness(timeline([1000, 0, 1000, 1000, 1000, 1000, 0, 1000]), consumeWindow(8));
    assert.equal(s.halfChangePct, 0);
    assert.ok(s.cv! > STEADY_MAX_CV);
    assert.equal(s.steady, false);
  });

  test('an odd count of seconds leaves the middle one out of both halves', () => {
    const s = steadiness(timeline([100, 100, 5000, 100, 100]), consumeWindow(5));
    assert.equal(s.firstHalfPerS, 100);
    assert.equal(s.secondHalfPerS, 100);
  });

  test(`fewer than ${STEADY_MIN_SECONDS} whole seconds: not judged`, () => {
    const s = steadiness(timeline([1000, 1000, 1000, 400]), consumeWindow(3.4));
    assert.equal(s.seconds, 3);
    assert.equal(s.steady, null);
    assert.equal(s.cv, null);
  });

  test('the headline figure follows the window: confirmed without consumers, sent for `none`', () => {
    const points: TimelinePoint[] = [1, 2, 3, 4, 5].map((second) => ({ second, sent: 2000, confirmed: second < 3 ? 1000 : 500, consumed: 0 }));
    const confirmed = steadiness(points, { sendSeconds: 5, confirmSeconds: 5, consumeSeconds: null });
    assert.equal(confirmed.figure, 'confirmed');
    assert.equal(confirmed.steady, false);
    const sent = steadiness(points, { sendSeconds: 5, confirmSeconds: null, consumeSeconds: null });
    assert.equal(sent.figure, 'sent');
    assert.equal(sent.steady, true);
  });

  test('a window in which nothing was counted is not steady', () => {
    assert.equal(steadiness(timeline([0, 0, 0, 0, 0]), consumeWindow(5)).steady, false);
  });
});

describe('summary.csv steadiness columns', () => {
  test('every repetition row that ran has them; aggregate rows leave them empty', () => {
    const run = buildFixtureRun();
    const rows = parse(summaryCsv(run), { columns: true }) as Record<string, string>[];
    const repetitions = rows.filter((row) => row.repetition !== 'all');
    assert.equal(repetitions.length, run.cells.length);
    for (const row of repetitions) {
      assert.match(row.steady, /^(true|false)$/);
      assert.equal(row.steady_figure, 'consumed');
      assert.ok(Number(row.steady_seconds) >= STEADY_MIN_SECONDS);
      assert.ok(Number.isFinite(Number(row.steady_cv)) && row.steady_cv !== '');
    }
    for (const row of rows.filter((r) => r.repetition === 'all')) assert.equal(row.steady, '');
  });
});

describe('report: noise of each cell', () => {
  test('the summary table shows the repetitions\' p99 range and counts unsteady windows', async () => {
    const { summaryTable } = await import('../../src/report/summary-table.js');
    const run = buildFixtureRun();
    // make repetition 2 of the first cell stall for a second
    const first = run.cells[0];
    const second = run.cells.find((r) => r.cell.id === first.cell.id && r.repetition === 2)!;
    second.timeline = second.timeline.map((t, i) => (i === 2 ? { ...t, consumed: 0 } : t));
    delete second.steadiness;
    const table = summaryTable(run);
    const row = table.rows.find((r) => r.cellId === first.cell.id)!;
    assert.equal(row.unsteady, 'unsteady 1/3');
    assert.match(row.p99Range!.e2e!, /^[\d,]+–[\d,]+$/);
    // The fixture's timelines are flat apart from a stall (a second under half the others) in one
    // repetition of some cells: exactly those are flagged.
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const stalled = (id: string) =>
      run.cells.filter((r) => r.cell.id === id).some((r) => {
        const counts = r.timeline.map((t) => t.consumed);
        return counts.some((c) => c < median(counts) / 2);
      });
    const others = table.rows.filter((r) => r.cellId !== first.cell.id);
    assert.ok(others.some((r) => stalled(r.cellId)), 'the fixture has a stalled repetition');
    for (const r of others) assert.equal(r.unsteady !== null, stalled(r.cellId), r.cellId);
  });
});
