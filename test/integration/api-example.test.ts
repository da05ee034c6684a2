// The README's programmatic API snippet is examples/api.ts, word for word, and runs as shown: built
// with the project, it imports the package by its name ('ackbench', through package.json exports).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunFile } from '../../src/run/result.js';
import { REPO, tempDir } from '../helpers/cli.js';

test('the README snippet is examples/api.ts', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Programmatic API'));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, 'a ts code block under "## Programmatic API"');
  assert.equal(snippet, readFileSync(join(REPO, 'examples', 'api.ts'), 'utf8'));
});

test('examples/api.js runs against the broker and writes the run it prints', () => {
  const cwd = tempDir();
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'examples', 'api.js')], { cwd, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'run-start');
  assert.ok(lines.includes('run-end'));
  const run = JSON.parse(readFileSync(join(cwd, 'results', 'api-example', 'run.json'), 'utf8')) as RunFile;
  assert.equal(run.cells.length, 2);
  for (const c of run.cells) {
    assert.equal(c.status, 'ok', c.reason);
    assert.equal(c.counts.received, 2000);
    assert.ok(r.stdout.includes(c.cell.id), `${c.cell.id} printed`);
  }
});
