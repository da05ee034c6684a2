// The programmatic API gives the same figures the CLI writes, and --json streams NDJSON events.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadScenario, runScenario, type RunEvent } from '../../src/index.js';
import { runCli, tempDir } from '../helpers/cli.js';

test('runScenario runs a one-cell scenario and returns the figures the CLI files hold', async () => {
  const dir = tempDir();
  const events: RunEvent['type'][] = [];
  const scenario = loadScenario(null, { axes: { publish: 'async:100' }, messages: 800, warmup: 50 });
  const { run, problems } = await runScenario(scenario, { outDir: dir, report: false, onEvent: (e) => events.push(e.type) });
  assert.deepEqual(problems, []);
  assert.equal(run.cells.length, 1);
  const [cell] = run.cells;
  assert.equal(cell.counts.received, 800);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), JSON.parse(JSON.stringify(run)));
  const [row] = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(Number(row.received), cell.counts.received);
  assert.equal(Number(row.publish_p99_us), cell.publishLatency!.p99Us);
  assert.equal(Number(row.consumed_per_s), Math.round(cell.rates.consumedPerS! * 10) / 10);
  assert.deepEqual([events[0], events.at(-1)], ['run-start', 'run-end']);
  assert.ok(events.includes('cell-result'));
});

test('--json streams one JSON event per line: run-start, cell-start, cell-result, run-end', async () => {
  const r = await runCli(['run', '--publish', 'single', '--messages', '300', '--warmup', '10', '--json', '--no-report', '--out', tempDir()]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'run-start');
  assert.equal(types.at(-1), 'run-end');
  assert.ok(types.includes('cell-start') && types.includes('cell-result'));
  const result = events.find((e) => e.type === 'cell-result') as Extract<RunEvent, { type: 'cell-result' }>;
  assert.equal(result.result.counts.received, 300);
});
