// The micro-benchmark runs and writes well-formed output. How fast it was is not a test's business.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/cli.js';

test('bench/micro/hot-paths runs and writes one well-formed result per hot path', () => {
  const out = join(tempDir(), 'micro.json');
  const script = fileURLToPath(new URL('../../bench/micro/hot-paths.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--time-ms', '20', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const written = JSON.parse(readFileSync(out, 'utf8')) as { node: string; results: { name: string; opsPerSecond: number; meanNs: number; samples: number }[] };
  assert.equal(written.node, process.version);
  const names = written.results.map((x) => x.name);
  assert.equal(new Set(names).size, names.length);
  for (const hot of ['nowNs', 'body', 'readHeader', 'bitset', 'histogram', 'tracker']) assert.ok(names.some((n) => n.includes(hot)), hot);
  for (const x of written.results) {
    assert.ok(Number.isFinite(x.opsPerSecond) && x.opsPerSecond > 0, `${x.name} ops/s`);
    assert.ok(Number.isFinite(x.meanNs) && x.meanNs > 0, `${x.name} mean`);
    assert.ok(x.samples > 0, `${x.name} samples`);
  }
});
