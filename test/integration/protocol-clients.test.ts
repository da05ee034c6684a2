// The clients of other protocols (AMQP 1.0 through rhea, src/clients/rhea.ts; the stream protocol,
// src/clients/stream.ts) as a user runs them, through the CLI: a small matrix against the system
// broker delivers every message (lost 0) and refuses the cells the protocol cannot run with the
// reason; a kill -9 of a private node mid-publish, with persistent messages and per-message
// settlement, loses nothing the broker had accepted.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

describe('rhea (AMQP 1.0) through the CLI', { concurrency: false }, () => {
  test('a small matrix: every message delivered, lost 0; tx cells unsupported with the reason', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const r = await runCli(
      ['run', '--client', 'rhea', '--publish', 'none,single,batch:50,async:100,tx:1', '--consume', 'manual:100,auto:100', '--durability', 'transient,persistent', '--queue', 'classic,quorum', '--messages', '500', '--warmup', '50', '--out', out, '--no-report'],
      { timeoutMs: 110_000 },
    );
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = readRun(out);
    assert.equal(run.cells.length, 2 * 5 * 2 * 2);
    for (const c of run.cells) {
      if (c.cell.publish.kind === 'tx') {
        assert.equal(c.status, 'unsupported');
        assert.match(c.reason ?? '', /no AMQP 1\.0 transactions/);
        continue;
      }
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.equal(c.counts.sent, 500, c.cell.id);
      assert.equal(c.counts.received, 500, c.cell.id);
      assert.equal(c.counts.lost, 0, c.cell.id);
      if (c.cell.publish.kind !== 'none') assert.equal(c.counts.confirmed, 500, c.cell.id);
    }
    assert.match(r.stdout, /unsupported: rhea\..*tx-1.*: RabbitMQ has no AMQP 1\.0 transactions/);
  });

  test('kill -9 of a private node mid-publish, persistent, single: nothing confirmed is lost', { timeout: 150_000 }, async () => {
    const dir = tempDir();
    const scenario = join(dir, 'rhea-kill9.yaml');
    const axes = '{ client: rhea, durability: persistent, publish: single, consume: manual:100, queue: [classic, quorum], size: 256 }';
    writeFileSync(scenario, `name: rhea-kill9\nmessages: 3000\nwarmup: 50\ndrain: 2\ntimeout: 60\naxes: ${axes}\nfaults: [{ kind: kill9, at: 500 }]\n`);
    const out = join(dir, 'run');
    const r = await runCli(['faults', scenario, '--out', out, '--no-report'], { timeoutMs: 140_000 });
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = readRun(out);
    assert.equal(run.cells.length, 2);
    for (const c of run.cells) {
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.ok(c.fault, 'the cell carries its fault outcome');
      assert.ok(c.fault.sentAtInjection >= 500, `the fault came mid-publish (sent ${c.counts.sent})`);
      assert.ok(c.fault.ok > 0, 'messages were confirmed before the fault');
      assert.equal(c.fault.lost, 0, `${c.cell.id}: nothing confirmed lost (ok ${c.fault.ok}, unknown ${c.fault.unknown})`);
    }
  });
});

describe('stream (the stream protocol) through the CLI', { concurrency: false }, () => {
  test('a small matrix: every message delivered, lost 0; classic queues and tx unsupported with the reason', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const r = await runCli(
      ['run', '--client', 'stream', '--publish', 'none,single,async:100,tx:1', '--consume', 'manual:100', '--durability', 'transient,persistent', '--queue', 'stream,classic', '--messages', '500', '--warmup', '50', '--out', out, '--no-report'],
      { timeoutMs: 110_000 },
    );
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = readRun(out);
    assert.equal(run.cells.length, 4 * 2 * 2);
    for (const c of run.cells) {
      if (c.cell.queue !== 'stream' || c.cell.publish.kind === 'tx') {
        assert.equal(c.status, 'unsupported', c.cell.id);
        assert.match(c.reason ?? '', c.cell.queue !== 'stream' ? /stream queues only/ : /no transactions/);
        continue;
      }
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.equal(c.counts.sent, 500, c.cell.id);
      assert.equal(c.counts.received, 500, c.cell.id);
      assert.equal(c.counts.lost, 0, c.cell.id);
      assert.equal(c.counts.duplicates, 0, c.cell.id);
      if (c.cell.publish.kind !== 'none') assert.equal(c.counts.confirmed, 500, c.cell.id);
    }
    assert.equal(run.environment!.clients.stream, '1.0.0');
  });

  test('kill -9 of a private node mid-publish, persistent, single: nothing confirmed is lost', { timeout: 150_000 }, async () => {
    const dir = tempDir();
    const scenario = join(dir, 'stream-kill9.yaml');
    const axes = '{ client: stream, durability: persistent, publish: single, consume: manual:100, queue: stream, size: 256 }';
    writeFileSync(scenario, `name: stream-kill9\nmessages: 3000\nwarmup: 50\ndrain: 2\ntimeout: 60\naxes: ${axes}\nfaults: [{ kind: kill9, at: 500 }]\n`);
    const out = join(dir, 'run');
    const r = await runCli(['faults', scenario, '--out', out, '--no-report'], { timeoutMs: 140_000 });
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const [c, ...rest] = readRun(out).cells;
    assert.equal(rest.length, 0);
    assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
    assert.ok(c.fault, 'the cell carries its fault outcome');
    assert.ok(c.fault.sentAtInjection >= 500, `the fault came mid-publish (sent ${c.counts.sent})`);
    assert.ok(c.fault.ok > 0, 'messages were confirmed before the fault');
    assert.equal(c.fault.lost, 0, `nothing confirmed lost (ok ${c.fault.ok}, unknown ${c.fault.unknown})`);
  });
});
