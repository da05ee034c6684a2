// bench/overhead.ts runs both sides of every requested cell and writes well-formed ratios. How fast
// either side was is not a test's business (timings belong in bench/).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OverheadRow } from '../../bench/overhead.js';
import { tempDir } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../bench/overhead.js', import.meta.url));

test('bench/overhead runs bare and ackbench cells alternating and writes one ratio per client and cell', () => {
  const out = join(tempDir(), 'overhead.json');
  const args = ['--rounds', '2', '--messages', '200', '--slow-messages', '20', '--warmup', '20'];
  args.push('--publish-cells', 'transient/none,persistent/single', '--flow-cells', 'persistent/async:50', '--out', out);
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { rounds: number; rows: OverheadRow[] };
  assert.equal(doc.rounds, 2);
  const keys = doc.rows.map((row) => `${row.kind} ${row.client} ${row.durability}/${row.publish}`);
  const expected = ['publish', '1p1c'].flatMap((kind) =>
    ['amqplib', 'rabbitmq-client'].flatMap((client) =>
      (kind === 'publish' ? ['transient/none', 'persistent/single'] : ['persistent/async:50']).map((c) => `${kind} ${client} ${c}`),
    ),
  );
  assert.deepEqual(keys, expected);
  for (const row of doc.rows) {
    assert.equal(row.messages, row.publish === 'single' ? 20 : 200);
    assert.equal(row.warmup, row.publish === 'single' ? 2 : 20);
    assert.equal(row.bareRuns.length, 2);
    assert.equal(row.ackbenchRuns.length, 2);
    for (const x of [...row.bareRuns, ...row.ackbenchRuns]) assert.ok(Number.isFinite(x) && x > 0, `${row.client} ${row.publish}: ${x}`);
    assert.ok(Math.abs(row.ratio - row.ackbenchMsgsPerS / row.bareMsgsPerS) < 0.01, `${row.client} ${row.publish} ratio`);
    // The split of a round trip's time per message: only where each message has one.
    if (row.publish === 'single') {
      for (const x of [row.bareLoopUs, row.ackbenchLoopUs]) assert.ok(typeof x === 'number' && Number.isFinite(x), `${row.client} single: loop µs ${x}`);
    } else {
      assert.deepEqual([row.bareLoopUs, row.ackbenchLoopUs], [null, null], `${row.client} ${row.publish}: no loop split`);
    }
    const paired = row.ackbenchRuns.map((a, i) => a / row.bareRuns[i]).sort((a, b) => a - b);
    assert.ok(Math.abs(row.pairedRatio - (paired[0] + paired[1]) / 2) < 0.01, `${row.client} ${row.publish} paired ratio`);
    assert.ok(Math.abs(row.pairedRatioMin - paired[0]) < 0.01 && Math.abs(row.pairedRatioMax - paired[1]) < 0.01, `${row.client} ${row.publish} paired range`);
  }
  // The table goes to stdout, one line per round and cell to stderr.
  assert.match(r.stdout, /ratio/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('round ')).length, 2 * doc.rows.length);
});

test('bench/overhead refuses a misspelled cell with exit code 2 and names the flag', () => {
  const r = spawnSync(process.execPath, [SCRIPT, '--publish-cells', 'persistent/confirm1'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--publish-cells: 'persistent\/confirm1'/);
});
