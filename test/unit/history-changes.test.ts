// Change points over a synthetic history of runs (fixture runs with a known step and known noise):
// records name the right run, direction and figures; the newest runs' regressions are the ones the
// nightly fails on; `ackbench history` writes changes.json and shows them on the page.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyChanges, newRegressions, type ChangeRecord } from '../../src/stats/history-changes.js';
import { writeHistory } from '../../src/report/history.js';
import { buildFixtureRun, fixtureTempDir, removeFixtureDirs, writeFixtureRun } from '../helpers/fixture-run.js';
import { runCli } from '../helpers/cli.js';
import type { RunFile } from '../../src/run/result.js';

after(removeFixtureDirs);

/** `count` nightly runs a day apart, each with its own noise; from run `stepAt` on, `factor` times slower. */
function history(count: number, stepAt: number | null, factor = 0.7): RunFile[] {
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
    return buildFixtureRun({
      name: 'nightly',
      runId: `nightly-${String(i).padStart(3, '0')}`,
      startedAt: day,
      seed: 1000 + i,
      rateFactor: stepAt !== null && i >= stepAt ? factor : 1,
    });
  });
}

const RATE_FIGURES = new Set(['sentPerS', 'confirmedPerS', 'consumedPerS']);

describe('historyChanges', () => {
  test('a 30% drop in every rate is found at its first run, as a regression of each rate figure', () => {
    const runs = history(20, 12);
    const changes = historyChanges(runs.reverse());
    const rateChanges = changes.filter((c) => RATE_FIGURES.has(c.figure));
    // 10 cells: sent and consumed of each, confirmed of all but the 2 `none` cells: 28 series
    assert.equal(rateChanges.length, 28, JSON.stringify(rateChanges.map((c) => [c.cell, c.figure, c.index])));
    for (const c of rateChanges) {
      assert.equal(c.index, 12);
      assert.equal(c.runId, 'nightly-012');
      assert.equal(c.startedAt, new Date(Date.UTC(2026, 0, 13)).toISOString());
      assert.equal(c.direction, 'regression');
      assert.ok(c.after < c.before * 0.8 && c.after > c.before * 0.6, `${c.before} → ${c.after}`);
      assert.ok(c.pValue <= 0.01);
    }
    // latency is unchanged by rateFactor: no change point there
    assert.deepEqual(changes.filter((c) => !RATE_FIGURES.has(c.figure)), []);
  });

  test('a rise in rates is an improvement', () => {
    const changes = historyChanges(history(16, 8, 1.5));
    assert.ok(changes.length > 0);
    assert.ok(changes.every((c) => c.direction === 'improvement' && c.index === 8));
  });

  test('a scenario whose window changed starts new series instead of a change point', () => {
    const runs = history(20, 10).map((run, i) =>
      i < 10 ? run : { ...run, scenario: { ...run.scenario, window: { ...run.scenario.window, durationSeconds: null, messages: 5000 } } },
    );
    assert.deepEqual(historyChanges(runs), []);
  });

  test('a noise-only history gives no change point', () => {
    assert.deepEqual(historyChanges(history(20, null)), []);
  });
});

describe('newRegressions', () => {
  const record = (index: number, direction: ChangeRecord['direction'], figure: ChangeRecord['figure'] = 'sentPerS'): ChangeRecord => ({
    cell: 'c', figure, runId: `r${index}`, startedAt: '', index, before: 1, after: 1, pValue: 0.002, direction, scenario: 's', window: '10 s', unit: 'msg/s',
  });

  test('only a regression that starts among the newest runs and was not followed by a later change', () => {
    assert.equal(newRegressions([record(16, 'regression')], 20, 5).length, 1);
    assert.equal(newRegressions([record(14, 'regression')], 20, 5).length, 0, 'older than the newest 5 runs');
    assert.equal(newRegressions([record(16, 'improvement')], 20, 5).length, 0);
    assert.equal(newRegressions([record(10, 'regression'), record(17, 'improvement')], 20, 5).length, 0);
    assert.equal(newRegressions([record(10, 'improvement'), record(17, 'regression')], 20, 5).length, 1);
    assert.equal(newRegressions([record(17, 'regression'), record(17, 'regression', 'e2eP99Us')], 20, 5).length, 2, 'one per figure');
  });

  test('fresh on the synthetic history: a drop in the newest 4 runs fails, the same drop 8 runs back does not', () => {
    const recent = history(24, 20);
    assert.equal(newRegressions(historyChanges(recent), recent.length, 5).length, 28);
    const older = history(24, 16);
    assert.equal(newRegressions(historyChanges(older), older.length, 5).length, 0);
  });
});

describe('writeHistory change points', () => {
  test('writes changes.json and changes.md, and lists each change on the page', async () => {
    const dir = await fixtureTempDir('ackbench-changes-');
    for (const run of history(16, 11)) await writeFixtureRun(run, join(dir, run.runId));
    const out = await writeHistory(dir, { recent: 5 });
    const written = JSON.parse(await readFile(join(dir, 'changes.json'), 'utf8')) as ChangeRecord[];
    assert.deepEqual(written, out.changes);
    assert.ok(written.length > 0);
    for (const c of written) {
      for (const key of ['cell', 'figure', 'runId', 'index', 'before', 'after', 'pValue', 'direction']) assert.ok(key in c, key);
      assert.equal(c.runId, 'nightly-011');
    }
    assert.equal(out.fresh.length, written.length, 'index 11 of 16 is among the newest 5');
    const page = await readFile(out.html, 'utf8');
    assert.equal((page.match(/<tr data-change="regression" data-new="true">/g) ?? []).length, written.length);
    assert.match(page, /href="nightly-011\/run\.json">nightly-011</);
    const markdown = await readFile(join(dir, 'changes.md'), 'utf8');
    assert.ok(markdown.includes(`**${written.length} regressions started in the newest 5 runs:**`), markdown.slice(0, 300));
    assert.equal(markdown, out.markdown);
  });
});

describe('ackbench history --fail-on-regression', () => {
  test('exits 1 on a regression the newest runs started, 0 once it is older than --recent, 2 on a bad --recent', async () => {
    const dir = await fixtureTempDir('ackbench-history-cli-');
    for (const run of history(16, 12)) await writeFixtureRun(run, join(dir, run.runId));
    const failing = await runCli(['history', dir, '--fail-on-regression']);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stdout, /changes: .*changes\.json \(28 change points, 28 new regressions\)/);
    const older = await runCli(['history', dir, '--fail-on-regression', '--recent', '3']);
    assert.equal(older.code, 0, older.stderr);
    const withoutFlag = await runCli(['history', dir]);
    assert.equal(withoutFlag.code, 0);
    const bad = await runCli(['history', dir, '--recent', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--recent/);
  });
});
