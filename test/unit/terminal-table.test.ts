// The terminal's result table against summary.csv: one source for a repetition's figures, a median
// row per cell with repetitions, and notes for what the figures leave out.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { summaryCsv } from '../../src/report/csv.js';
import { behindSchedule, behindScheduleNote, sumBehindSchedule } from '../../src/run/behind-schedule.js';
import { resultTable, tableNotes } from '../../src/run/console-view.js';
import type { RunFile } from '../../src/run/result.js';
import { aggregate } from '../../src/stats/aggregate.js';
import { buildFixtureRun } from '../helpers/fixture-run.js';

/** The table's rows as cells split on the two-space column gaps (the label holds single spaces). */
function tableRows(table: string): string[][] {
  return table.split('\n').slice(2).map((line) => line.trim().split(/\s{2,}/));
}

/** The fixture with repetition 2 of its first cell failed by a worker error after it had measured. */
function withWorkerError(): RunFile {
  const run = buildFixtureRun({ repetitions: 3 });
  const r = run.cells[1];
  run.cells[1] = { ...r, status: 'failed', reason: 'producer 0: channel closed' };
  return { ...run, aggregates: aggregate(run.cells) };
}

describe('terminal table', () => {
  test('a repetition failed by a worker error shows no rates or latency, as in summary.csv', () => {
    const run = withWorkerError();
    const failed = tableRows(resultTable(run))[1];
    assert.equal(failed[1], 'failed');
    assert.equal(failed.length, 2, `figures shown for a failed repetition: ${failed.join(' | ')}`);
    const row = (parse(summaryCsv(run), { columns: true }) as Record<string, string>[]).find((x) => x.cell === run.cells[1].cell.id && x.repetition === '2')!;
    for (const col of ['sent_per_s', 'confirmed_per_s', 'consumed_per_s', 'publish_p50_us', 'e2e_p50_us', 'client_cpu_pct']) assert.equal(row[col], '', `summary.csv ${col}`);
  });

  test('with repetitions, each cell has a median row after its last repetition, with the aggregate figures', () => {
    const run = buildFixtureRun({ repetitions: 3 });
    const rows = tableRows(resultTable(run));
    const medians = rows.filter((r) => r[0].endsWith(' median'));
    assert.equal(medians.length, run.aggregates.length);
    // Row 4 is the first cell's median, after r1..r3.
    assert.ok(rows[2][0].endsWith(' r3') && rows[3][0].endsWith(' median'), rows.slice(0, 4).map((r) => r[0]).join(' / '));
    // A cell with every figure (publish single), so that no empty column shifts the split.
    const at = run.aggregates.findIndex((x) => x.cell.publish.kind === 'single');
    const a = run.aggregates[at];
    const median = medians[at];
    const csv = (parse(summaryCsv(run), { columns: true }) as Record<string, string>[]).find((x) => x.cell === a.cell.id && x.repetition === 'all')!;
    assert.equal(median[1], '3 ok');
    assert.equal(median[2].replace(/,/g, ''), String(Math.round(Number(csv.sent_per_s))));
    assert.equal(median[4].replace(/,/g, ''), String(Math.round(Number(csv.consumed_per_s))));
    assert.equal(median[5].replace(/,/g, ''), csv.publish_p50_us);
    assert.equal(median[8].replace(/,/g, ''), csv.e2e_p99_us);
    assert.ok(tableNotes(run).some((n) => n.startsWith('median rows:')));
  });

  test('without repetitions, no median rows', () => {
    const run = buildFixtureRun({ repetitions: 1 });
    assert.ok(!resultTable(run).includes(' median'));
  });
});

describe('a paced duration cell behind schedule', () => {
  test('counts what was due before the deadline and not sent', () => {
    assert.deepEqual(behindSchedule([{ sent: 1980, dueByDeadline: 2000 }, { sent: 1977, dueByDeadline: 2000 }]), { due: 4000, unsent: 43 });
    assert.deepEqual(behindSchedule([{ sent: 2000, dueByDeadline: 2000 }]), { due: 2000, unsent: 0 });
    assert.equal(behindSchedule([{ sent: 10, dueByDeadline: null }, { sent: 10 }]), undefined, 'not paced, or a count-bound cell');
  });

  test('is said in the terminal, in summary.csv and in run.json', () => {
    const run = buildFixtureRun({ repetitions: 1 });
    run.cells[0] = { ...run.cells[0], behindSchedule: { due: 4000, unsent: 43 } };
    assert.match(behindScheduleNote(run.cells[0].cell.id, 1, run.cells[0].behindSchedule)!, /43 of 4,000 messages due were not sent/);
    assert.ok(tableNotes(run).some((n) => n.includes('behind schedule')));
    const row = (parse(summaryCsv(run), { columns: true }) as Record<string, string>[])[0];
    assert.equal(row.due_by_deadline, '4000');
    assert.equal(row.due_unsent, '43');
    assert.equal(behindScheduleNote('x', 1, { due: 10, unsent: 0 }), null);
  });
});

describe('a sharded paced duration cell', () => {
  test('merge adds the shards’ due and unsent messages', () => {
    assert.deepEqual(sumBehindSchedule([{ due: 2000, unsent: 20 }, { due: 2000, unsent: 23 }]), { due: 4000, unsent: 43 });
    assert.deepEqual(sumBehindSchedule([undefined, { due: 10, unsent: 0 }]), { due: 10, unsent: 0 });
    assert.equal(sumBehindSchedule([undefined, undefined]), undefined);
  });
});
