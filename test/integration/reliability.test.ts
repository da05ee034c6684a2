// Nothing measured is lost: interrupted runs keep finished cells and resume, a broker that closes a
// cell's connections fails that cell only, a bad --out is found before any cell, and passwords never
// reach an output.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunFile } from '../../src/run/result.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { closeConnectionsNamed, rabbitmqctl } from '../helpers/rabbitmqctl.js';

const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('SIGINT mid-matrix keeps finished cells (complete: false); --resume runs only the missing ones', async () => {
  const dir = tempDir();
  const args = ['run', '--publish', 'none,async:100,single', '--durability', 'persistent', '--messages', '1500', '--warmup', '100', '--out', dir, '--no-report'];
  const { child, stderr, exited } = startCli(args);
  await waitFor('the first finished cell', () => existsSync(join(dir, 'run.json')) && readRun(dir).cells.length >= 1);
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr());
  const partial = readRun(dir);
  assert.equal(partial.complete, false);
  assert.ok(partial.cells.length >= 1 && partial.cells.length < 3, `cells: ${partial.cells.length}`);
  for (const c of partial.cells) assert.equal(c.status, 'ok');
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no half-written file');

  const resumed = await runCli(['run', '--resume', dir, '--no-report']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const full = readRun(dir);
  assert.equal(full.complete, true);
  assert.equal(full.cells.length, 3);
  assert.equal(full.runId, partial.runId);
  // The cells finished before the interruption are kept as measured, not run again.
  for (const c of partial.cells) assert.deepEqual(full.cells.find((f) => f.cell.id === c.cell.id), c);
  assert.equal((resumed.stderr.match(/\.\.\.$/gm) ?? []).length, 3 - partial.cells.length, 'only missing cells ran');
});

test('the broker closing a cell\'s connections fails that cell with the reason; the run goes on', async () => {
  const dir = tempDir();
  // 12 s a cell leaves room for rabbitmqctl, which can take seconds to start on a loaded machine:
  // the close must land while the producer still publishes.
  const seconds = 12;
  const args = ['run', '--publish', 'async:100,single', '--duration', String(seconds), '--rate', '500', '--warmup', '50', '--out', dir, '--no-report'];
  const { stderr, exited } = startCli(args);
  await waitFor('the first cell to start', () => stderr().includes('async-100') && stderr().includes('...'));
  // Close the producer's connection as soon as the broker lists it.
  let closed = 0;
  for (const until = Date.now() + 8000; closed === 0 && Date.now() < until; await sleep(200)) {
    closed = await closeConnectionsNamed('async-100.manual-100-1.classic.1024B.p1c1.500ps producer');
  }
  assert.equal(closed, 1, 'one producer connection closed');
  const code = await exited;
  assert.equal(code, 1, 'a failed cell is a failed check');
  const run = readRun(dir);
  assert.equal(run.complete, true);
  assert.equal(run.cells.length, 2);
  const [failed, next] = run.cells;
  assert.equal(failed.status, 'failed');
  assert.match(failed.reason!, /CONNECTION_FORCED|closed/i);
  assert.ok(failed.counts.sent < seconds * 500, `closed mid-stream: ${failed.counts.sent} sent`);
  assert.equal(next.status, 'ok', 'the next cell still runs');
  assert.equal(next.counts.lost, 0);
});

test('an --out directory that cannot be written is found before the first cell', async () => {
  const dir = tempDir();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const r = await runCli(['run', '--out', join(file, 'results'), '--messages', '100']);
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^ackbench: --out .*a-file\/results: .*a-file is a file, not a directory$/);
  assert.equal(statSync(file).isFile(), true);
});

const USER = 'ackbench_mask_test';
const PASSWORD = 'pw-S3cret-4d8f';

before(async () => {
  await rabbitmqctl('add_user', USER, PASSWORD).catch(() => undefined);
  await rabbitmqctl('set_permissions', '-p', '/', USER, '.*', '.*', '.*');
});
after(async () => {
  await rabbitmqctl('delete_user', USER).catch(() => undefined);
});

test('a password in the URL never reaches logs, run.json, CSV, histograms or the report', async () => {
  const dir = tempDir();
  const url = `amqp://${USER}:${PASSWORD}@127.0.0.1:5672/`;
  const r = await runCli(['run', '--url', url, '--publish', 'single,none', '--messages', '300', '--warmup', '10', '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(d, f.name));
      else files.push(join(d, f.name));
    }
  };
  walk(dir);
  assert.ok(files.some((f) => f.endsWith('index.html')) && files.some((f) => f.endsWith('summary.csv')));
  for (const f of files) assert.ok(!readFileSync(f).includes(PASSWORD), `password found in ${f}`);
  assert.equal(readRun(dir).environment!.brokerUrl, `amqp://${USER}:***@127.0.0.1:5672/`);
});

test('broker refusals name the problem: unknown vhost, amqps to a plain port', async () => {
  const vhost = await runCli(['run', '--url', 'amqp://guest:guest@127.0.0.1:5672/no-such-vhost', '--out', tempDir()]);
  assert.equal(vhost.code, 3);
  assert.match(vhost.stderr.trim(), /virtual host 'no-such-vhost' does not exist/);
  const tls = await runCli(['run', '--url', 'amqps://guest:guest@127.0.0.1:5672', '--out', tempDir()]);
  assert.equal(tls.code, 3);
  assert.match(tls.stderr.trim(), /TLS|closed during the handshake/);
  assert.equal(tls.stderr.trim().split('\n').length, 1);
});
