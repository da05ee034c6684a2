// Bad usage and an unreachable broker end with one clear line and the documented exit code.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../../src/broker/local-node.js';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0];
}

test('a bad scenario gives one line naming the field, and exit code 2', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'axes:\n  publish: [single, async:0]\n');
  const r = await runCli(['run', file, '--out', join(dir, 'out')]);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /axes\.publish\[1\].*async:0/);
});

test('an unknown flag is bad usage: exit 2', async () => {
  const r = await runCli(['run', '--publsh', 'single']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /unknown option '--publsh'/);
});

test('an unreachable broker gives a clear error within 5 s and exit code 3, password masked', async () => {
  const dir = tempDir();
  const port = await freePort();
  // The CLI's own start (node, its modules) is not the broker's wait: measured apart, and taken off.
  const start = await runCli(['--version']);
  const r = await runCli(['run', '--url', `amqp://guest:s3cret@127.0.0.1:${port}`, '--out', dir]);
  assert.equal(r.code, 3);
  const line = oneLine(r.stderr);
  assert.match(line, /connection refused/);
  assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
  assert.ok(r.ms - start.ms < 5000, `took ${r.ms} ms, of which ${start.ms} ms to start the CLI`);
});

test('wrong credentials: exit 3 naming the user, password masked', async () => {
  const r = await runCli(['run', '--url', 'amqp://guest:wrongpass@127.0.0.1:5672', '--out', tempDir()]);
  assert.equal(r.code, 3);
  assert.match(oneLine(r.stderr), /login refused for user 'guest'/);
  assert.doesNotMatch(r.stderr + r.stdout, /wrongpass/);
});
