// Figures of small runs against the real broker, each checked against its definition: several
// consumers on a stream, a paced duration cell that falls behind, repetitions in the terminal.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { decodeHistogram } from '../../src/measure/histogram.js';
import type { RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

function load(dir: string): { run: RunFile; rows: Record<string, string>[] } {
  return { run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), rows: parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) };
}

describe('a stream with two consumers, twice: each consumer reads every message', () => {
  const dir = tempDir();
  let run: RunFile;
  let rows: Record<string, string>[];
  let stdout = '';

  before(async () => {
    const r = await runCli(['run', '--queue', 'stream', '--consumers', '2', '--publish', 'async:200', '--messages', '2000', '--warmup', '50', '--repetitions', '2', '--out', dir, '--no-report'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    stdout = r.stdout;
    ({ run, rows } = load(dir));
  });

  test('received 2000, no duplicates, nothing lost, per repetition', () => {
    assert.equal(run.cells.length, 2);
    for (const r of run.cells) {
      assert.equal(r.status, 'ok', r.reason);
      assert.equal(r.counts.received, 2000);
      assert.equal(r.counts.duplicates, 0);
      assert.equal(r.counts.lost, 0);
    }
  });

  test('end-to-end latency once per message and consumer: 4000 values', () => {
    for (const r of run.cells) {
      assert.equal(r.e2eLatency!.count, 4000);
      assert.equal(decodeHistogram(r.histograms.e2e!).totalCount, 4000);
    }
  });

  test('the timeline counts a message consumed once (when the slower consumer has read it)', () => {
    for (const r of run.cells) assert.equal(r.timeline.reduce((n, t) => n + t.consumed, 0), 2000);
  });

  test('the terminal shows a median row after the two repetitions; the CI never goes below 0', () => {
    assert.match(stdout, / r1 .*\n.* r2 .*\n.* median +2 ok/);
    const all = rows.find((x) => x.repetition === 'all')!;
    for (const col of ['sent_per_s_ci95_low', 'consumed_per_s_ci95_low']) assert.ok(Number(all[col]) >= 0, `${col} ${all[col]}`);
    assert.match(all.consumed_per_s_ci95_too_wide, /^(true|false)$/);
  });
});

describe('a paced duration cell beyond what its mode can do', () => {
  const dir = tempDir();
  let run: RunFile;
  let rows: Record<string, string>[];
  let stdout = '';

  before(async () => {
    // `single` waits for each confirm: 20,000/s is far beyond it on any machine, so it falls behind.
    const r = await runCli(['run', '--publish', 'single', '--rate', '20000', '--duration', '1', '--warmup', '20', '--out', dir, '--no-report'], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}\n${r.stderr}`);
    stdout = r.stdout;
    ({ run, rows } = load(dir));
  });

  test('counts what was due before the deadline and not sent, and says so', () => {
    const [r] = run.cells;
    assert.equal(r.status, 'ok', r.reason);
    assert.equal(r.behindSchedule!.due, 20_000);
    assert.equal(r.behindSchedule!.unsent, 20_000 - r.counts.sent);
    assert.ok(r.behindSchedule!.unsent > 0);
    assert.equal(rows[0].due_unsent, String(r.behindSchedule!.unsent));
    assert.match(stdout, /behind schedule at the deadline: [\d,]+ of 20,000 messages due were not sent/);
  });

  test('its timeline ends with the true length of the last row', () => {
    const last = run.cells[0].timeline.at(-1)!;
    assert.ok(last.seconds! > 0 && last.seconds! < 1.1, `last row ${last.seconds} s`);
  });
});
