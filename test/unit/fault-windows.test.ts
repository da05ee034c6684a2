// A fault cell's rates over two windows (DESIGN.md 4): until the fault, where sent, confirmed and
// consumed share one window, and the whole measured window, which holds the outage, the recovery
// and the drain. Wherever a rate is shown, its window is named, and the two are never side by side
// as if comparable.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { throughputRows } from '../../src/report/chart-data.js';
import { throughputSpec } from '../../src/report/charts.js';
import { summaryCsv } from '../../src/report/csv.js';
import { guaranteeTable } from '../../src/report/guarantees.js';
import { reportHtml } from '../../src/report/html.js';
import { faultRateLine, resultTable, tableNotes } from '../../src/run/console-view.js';
import type { CellResult, FaultOutcome, RunFile } from '../../src/run/result.js';
import { faultCell } from '../../src/scenario/faults.js';
import { aggregate } from '../../src/stats/aggregate.js';
import { buildFixtureRun } from '../helpers/fixture-run.js';

/** `single persistent` under kill9: 89 consumed/s over a window with the outage, 1,341/s before it. */
function faultRun(): RunFile {
  const plain = buildFixtureRun({ repetitions: 1 });
  const base = plain.cells.find((r) => r.cell.durability === 'persistent' && r.cell.publish.kind === 'single')!;
  const fault: FaultOutcome = {
    kind: 'kill9', atMessages: 2000, atSeconds: null, after: 'stop', sentAtInjection: 2000, injectedAtNs: 1, recoverySeconds: 4.2,
    producersCut: 1, reconnects: 0, resumeSeconds: null, drained: 0, attempted: 2000, ok: 1995, fail: 0, unknown: 5, lost: 0,
    recovered: 5, duplicated: 0, unexpected: 0,
    beforeFault: { seconds: 1.49, sentPerS: 1342, confirmedPerS: 1337, consumedPerS: 1341 },
  };
  const result: CellResult = {
    ...base,
    cell: faultCell(base.cell, { kind: 'kill9', atMessages: 2000 }),
    window: { sendSeconds: 1.55, confirmSeconds: 1.49, consumeSeconds: 22.4 },
    rates: { sentPerS: 1291, confirmedPerS: 1337, consumedPerS: 89 },
    fault,
  };
  return { ...plain, scenario: { ...plain.scenario, name: 'faults' }, cells: [result], aggregates: aggregate([result]) };
}

describe('fault cell windows', () => {
  const run = faultRun();

  test('the terminal table names each row’s window and shows the rates until the fault, all three over it', () => {
    const table = resultTable(run);
    assert.match(table.split('\n')[0], /rates over/);
    const row = table.split('\n')[2];
    assert.match(row, /to fault 1\.49 s +1,342 +1,337 +1,341 /);
    assert.doesNotMatch(row, / 89 /, 'the whole-window rate is not beside the before-fault ones');
    assert.ok(tableNotes(run).some((n) => n.startsWith('fault cells:') && n.includes('not comparable')));
  });

  test('the per-cell line names both windows', () => {
    assert.equal(faultRateLine(run.cells[0]), 'consumed 1,341/s before the fault (1.49 s); consumed 89/s over the whole 22.40 s with the outage and drain');
  });

  test('summary.csv keeps the whole-window rates and the before-fault ones in their own columns', () => {
    const [row] = parse(summaryCsv(run), { columns: true }) as Record<string, string>[];
    assert.equal(row.consumed_per_s, '89');
    assert.equal(row.fault_before_s, '1.49');
    assert.equal(row.fault_before_sent_per_s, '1342');
    assert.equal(row.fault_before_confirmed_per_s, '1337');
    assert.equal(row.fault_before_consumed_per_s, '1341');
  });

  test('the throughput chart shows the rate before the fault, and says so', () => {
    const [row] = throughputRows(run);
    assert.equal(row.window, 'before the fault');
    assert.equal(row.median_msg_per_s, 1341);
    const title = (throughputSpec([row]) as { title: { subtitle: string[] } }).title;
    assert.ok(title.subtitle.some((line) => line.includes('until the fault')), JSON.stringify(title));
  });

  test("the report's summary table says its rates are over the whole window; a plain run's does not", () => {
    const page = reportHtml({ run, charts: [], chartsHref: 'charts', runFiles: [], historyHref: null });
    assert.match(page, /Fault cells: these rates are over the whole measured window/);
    const plain = buildFixtureRun({ repetitions: 1 });
    assert.doesNotMatch(reportHtml({ run: plain, charts: [], chartsHref: 'charts', runFiles: [], historyHref: null }), /Fault cells: these rates/);
  });

  test('the guarantees table gives the length of the window before the fault', () => {
    const [row] = guaranteeTable(run);
    assert.deepEqual(row.throughput, { value: 1341, source: 'before the fault', measure: 'consumed', seconds: 1.49 });
  });
});
