// The per-second timeline (measure/timeline.ts) keeps each row's true length, so the last, partial
// second reads as the rate it was, and a cell shorter than a second still draws in its panel.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rowEnd, rowRate, Timeline } from '../../src/measure/timeline.js';
import { timelineRows } from '../../src/report/chart-data.js';
import { timelineSpec } from '../../src/report/charts.js';
import { timelineCsv } from '../../src/report/csv.js';
import { renderChart } from '../../src/report/render.js';
import { buildFixtureRun } from '../helpers/fixture-run.js';

/** A timeline over a fake clock and fake counters, ticked and closed at the given times (s). */
function timelineOf(steps: Array<{ at: number; sent: number }>, closeAt: number, total: number) {
  let now = 0;
  let sent = 0;
  const t = new Timeline(() => ({ sent, confirmed: sent, consumed: sent }), () => now * 1e9);
  for (const s of steps) {
    now = s.at;
    sent = s.sent;
    t.tick();
  }
  now = closeAt;
  sent = total;
  return t.close();
}

describe('timeline rows', () => {
  test('the last row is 0.8 s long, and its rate is over those 0.8 s', () => {
    const points = timelineOf([{ at: 1, sent: 3754 }, { at: 2, sent: 7508 }], 2.8, 10_508);
    assert.equal(points.length, 3);
    assert.equal(points[2].sent, 3000);
    assert.equal(points[2].seconds, 0.8);
    assert.equal(rowRate(points[2], points[2].sent), 3750);
    assert.equal(rowEnd(points[2]), 2.8);
    assert.equal(points[0].seconds, 1);
  });

  test('a drifting timer: rows as long as they were', () => {
    const points = timelineOf([{ at: 1.004, sent: 1004 }], 1.5, 1500);
    assert.equal(points[0].seconds, 1.004);
    assert.equal(rowRate(points[0], points[0].sent), 1000);
    assert.equal(points[1].seconds, 0.496);
  });

  test('nothing after the last tick: no empty row', () => {
    assert.equal(timelineOf([{ at: 1, sent: 10 }], 1.2, 10).length, 1);
  });

  test('rows of runs written before lengths were kept count as 1 s', () => {
    assert.equal(rowRate({ second: 3, sent: 500, confirmed: 0, consumed: 0 }, 500), 500);
  });
});

describe('timeline chart and csv', () => {
  const run = buildFixtureRun({ repetitions: 1 });
  // A cell that finished within its first second: 3000 messages in 0.8 s.
  run.cells[0] = { ...run.cells[0], timeline: [{ second: 1, sent: 3000, confirmed: 3000, consumed: 3000, seconds: 0.8 }] };

  test('a sub-second cell gives a point at 0.8 s with the rate over 0.8 s, drawn with a point mark', () => {
    const rows = timelineRows(run).filter((r) => r.cell === run.cells[0].cell.id);
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.equal(r.second, 0.8);
      assert.equal(r.msg_per_s, 3750);
    }
    const spec = timelineSpec(rows) as unknown as { spec: { mark: { type: string; point?: unknown } } };
    assert.equal(spec.spec.mark.type, 'line');
    assert.ok(spec.spec.mark.point, 'a lone row needs a point to show');
  });

  test('rendered, the one-row panel draws a point for each measure', async () => {
    const rows = timelineRows(run).filter((r) => r.cell === run.cells[0].cell.id);
    const rendered = await renderChart(timelineSpec(rows));
    assert.deepEqual(rendered.warnings, []);
    assert.equal(rendered.marks.symbol, rows.length, JSON.stringify(rendered.marks));
  });

  test('timeline.csv carries each row’s length', () => {
    const [header, first] = timelineCsv(run).split('\n');
    assert.ok(header.split(',').includes('seconds'));
    assert.ok(first.endsWith(',0.8'), first);
  });
});
