// A duration-measured cell on the real broker carries its steadiness in run.json and summary.csv,
// over the whole seconds of its window. Paced at 400 msg/s for 5 s: small and bounded.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadScenario, runScenario } from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';

test('a 5 s paced window: 5 whole seconds judged, run.json and summary.csv agree', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const scenario = loadScenario(null, { axes: { publish: 'async:100', rate: '400' }, duration: 5, warmup: 50 });
  const { run, problems } = await runScenario(scenario, { outDir: dir, report: false });
  assert.deepEqual(problems, []);
  const [cell] = run.cells;
  const s = cell.steadiness!;
  assert.equal(s.figure, 'consumed');
  // The whole timeline rows that end inside the window; one that ends up to 50 ms after it still counts (steadiness.ts).
  assert.equal(s.seconds, Math.floor(cell.window.consumeSeconds! + 0.05));
  assert.ok(s.seconds >= 4 && s.seconds <= 5, `${s.seconds} whole seconds`);
  // Paced at 400 msg/s: every whole second carries about 400, so both halves do too.
  assert.ok(Math.abs(s.firstHalfPerS! - 400) < 80 && Math.abs(s.secondHalfPerS! - 400) < 80, JSON.stringify(s));
  assert.equal(typeof s.steady, 'boolean');
  const [row] = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(row.steady, String(s.steady));
  assert.equal(Number(row.steady_seconds), s.seconds);
  assert.equal(Number(row.steady_cv), Math.round(s.cv! * 1000) / 1000);
});
