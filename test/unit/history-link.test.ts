// The report's "all runs (history)" link (report/index.ts, run/run-dir.ts): a run under ./results
// gets the history page written with it; a report elsewhere links to a history page only if one is
// there. The first report a new user opens has no dead link.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeHistory } from '../../src/report/history.js';
import { writeReport } from '../../src/report/index.js';
import { writeRunReport } from '../../src/run/run-dir.js';
import { buildFixtureRun, removeFixtureDirs, writeFixtureRun } from '../helpers/fixture-run.js';

const LINK = '← all runs (history)';
const base = mkdtempSync(join(tmpdir(), 'ackbench-history-link-'));
after(async () => {
  await removeFixtureDirs();
  await rm(base, { recursive: true, force: true });
});

describe('history link', () => {
  const run = buildFixtureRun({ repetitions: 1 });

  test('a report in a directory without a history page beside it has no link', async () => {
    const dir = await writeFixtureRun(run, join(base, 'elsewhere', 'run-1'));
    const { html } = await writeReport(dir);
    assert.ok(!readFileSync(html, 'utf8').includes(LINK));
    assert.ok(!existsSync(join(base, 'elsewhere', 'index.html')), 'no history page written outside ./results');
  });

  test('once `ackbench history` wrote the page, a report there links to it', async () => {
    await writeHistory(join(base, 'elsewhere'));
    const { html } = await writeReport(join(base, 'elsewhere', 'run-1'));
    const page = readFileSync(html, 'utf8');
    assert.ok(page.includes(LINK));
    assert.ok(page.includes('href="../index.html"'));
  });

  test('a run under ./results writes the history page with its report, and links to it', async (t) => {
    const cwd = process.cwd();
    process.chdir(base);
    t.after(() => process.chdir(cwd));
    const dir = await writeFixtureRun(run, join(base, 'results', 'run-2'));
    await writeRunReport(dir, run, true);
    assert.ok(readFileSync(join(dir, 'index.html'), 'utf8').includes(LINK));
    const history = readFileSync(join(base, 'results', 'index.html'), 'utf8');
    assert.ok(history.includes('run-2'), 'the history page lists the run');
  });

  test('--no-report: neither report nor history', async (t) => {
    const cwd = process.cwd();
    const other = mkdtempSync(join(base, 'quiet-'));
    process.chdir(other);
    t.after(() => process.chdir(cwd));
    const dir = await writeFixtureRun(run, join(other, 'results', 'run-3'));
    await writeRunReport(dir, run, false);
    assert.ok(!existsSync(join(dir, 'index.html')));
    assert.ok(!existsSync(join(other, 'results', 'index.html')));
  });
});
