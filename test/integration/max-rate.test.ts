// --max-rate runs paced probes after an unpaced cell with consumers and reports the highest rate that
// held beside the unpaced figure: in run.json, in summary.csv's appended columns and on the terminal.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { MAX_RATE_PROBES } from '../../src/run/max-rate.js';
import type { RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

test('--max-rate: probes are kept as paced cells, the search lands on the unpaced cell, every output shows it', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  const r = await runCli(['run', '--publish', 'none', '--durability', 'transient', '--consumers', '1', '--messages', '600', '--warmup', '50', '--max-rate', '2000', '--no-report', '--out', dir], { timeoutMs: 170_000 });
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunFile;
  assert.equal(run.complete, true);
  const [unpaced, ...probes] = run.cells;
  assert.equal(unpaced.cell.rate, null);
  const search = unpaced.maxRate!;
  assert.ok(search, 'maxRate on the unpaced cell');
  assert.equal(search.p99BoundMs, 2000);
  assert.ok(search.probes.length >= 1 && search.probes.length <= MAX_RATE_PROBES);
  assert.equal(probes.length, search.probes.length);
  // each probe ran paced at its rate, and the one reported is the highest that held
  search.probes.forEach((p, k) => assert.equal(probes[k].cell.rate, p.ratePerS));
  const held = search.probes.filter((p) => p.held).map((p) => p.ratePerS);
  assert.equal(search.ratePerS, held.length ? Math.max(...held) : null);
  for (const p of search.probes) assert.equal(p.held, p.reason === null);
  assert.equal(run.aggregates.find((a) => a.cell.id === unpaced.cell.id)?.maxRate?.ratePerS, search.ratePerS);

  const rows = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(rows[0].cell, unpaced.cell.id);
  assert.equal(rows[0].max_rate_per_s, search.ratePerS === null ? '' : String(search.ratePerS));
  assert.equal(rows[0].max_rate_p99_bound_ms, '2000');
  assert.equal(rows[1].max_rate_per_s, '');
  assert.match(r.stderr, new RegExp(`max rate ${unpaced.cell.id.replace(/\./g, '\\.')}: .*e2e p99 <= 2000 ms`));

  // --resume of the finished run: the same probes follow from the kept results, and none runs again.
  const again = await runCli(['run', '--resume', dir, '--max-rate', '2000', '--no-report', '--json'], { timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /"type":"cell-start"/);
  const resumed = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunFile;
  assert.deepEqual(resumed.cells.map((c) => c.cell.id), run.cells.map((c) => c.cell.id));
  assert.deepEqual(resumed.cells[0].maxRate, search);
});

test('--max-rate refuses a bound that is not a positive number of ms (exit 2)', async () => {
  const r = await runCli(['run', '--max-rate', 'soon', '--no-report', '--out', tempDir()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--max-rate: 'soon'/);
});
