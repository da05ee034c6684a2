// The clients of other protocols (AMQP 1.0 through rhea, src/clients/rhea.ts; the stream protocol,
// src/clients/stream.ts) as a user runs them, through the CLI: a small matrix against the system
// broker delivers every message (lost 0) and refuses the cells the protocol cannot run with the
// reason; a kill -9 of a private node mid-publish, with persistent messages and per-message
// settlement, loses nothing the broker had accepted; and with `after: continue` the producer and the
// consumer reconnect, the producer publishes its whole window across the outage, nothing confirmed lost.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CellResult, RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

/** Measured messages of a continued cell, its pace (msg/s) and where the kill -9 comes: about 4 s of publishing, 1 s before the fault. */
const CONTINUE_MESSAGES = 2000;
const CONTINUE_RATE = 500;
const CONTINUE_AT = 500;

/**
 * `ackbench faults` on one cell of `client` on `queue` under a kill -9 at CONTINUE_AT with `after:
 * continue`, paced so that the fault lands mid-publish; its one result.
 */
async function continuedCell(client: string, queue: string): Promise<CellResult> {
  const dir = tempDir();
  const scenario = join(dir, `${client}-continue.yaml`);
  const axes = `{ client: ${client}, durability: persistent, publish: async:100, consume: manual:100, queue: ${queue}, size: 256, rate: ${CONTINUE_RATE} }`;
  writeFileSync(scenario, `name: ${client}-continue\nmessages: ${CONTINUE_MESSAGES}\nwarmup: 50\ndrain: 2\ntimeout: 45\naxes: ${axes}\nfaults: [{ kind: kill9, at: ${CONTINUE_AT}, after: continue }]\n`);
  const out = join(dir, 'run');
  const r = await runCli(['faults', scenario, '--out', out, '--no-report'], { timeoutMs: 55_000 });
  assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
  const [c, ...rest] = readRun(out).cells;
  assert.equal(rest.length, 0);
  return c;
}

/** What a continued cell must show (as test/integration/faults.test.ts checks for the AMQP 0-9-1 clients). */
function checkContinued(c: CellResult): void {
  assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
  const f = c.fault!;
  assert.ok(f, 'the cell carries its fault outcome');
  assert.equal(f.after, 'continue');
  assert.ok(f.sentAtInjection >= CONTINUE_AT && f.sentAtInjection < CONTINUE_MESSAGES, `the fault came mid-publish (sent ${f.sentAtInjection} at the kill)`);
  assert.equal(f.producersCut, 1, 'the kill cut the producer');
  assert.ok(f.reconnects >= 1, `the producer connected again (reconnects ${f.reconnects})`);
  assert.ok(f.resumeSeconds !== null && f.resumeSeconds > 0, 'a producer was publishing again after the restart');
  // Published after the restart: the producer got through its whole window, past what it had sent at the kill.
  assert.equal(c.counts.sent, CONTINUE_MESSAGES, 'the producer published its whole window across the outage');
  assert.equal(f.attempted, c.counts.sent);
  assert.equal(f.attempted, f.ok + f.fail + f.unknown);
  assert.ok(f.ok > f.sentAtInjection, `messages published after the restart were confirmed (ok ${f.ok}, sent at the kill ${f.sentAtInjection})`);
  assert.equal(f.lost, 0, `nothing confirmed lost (ok ${f.ok}, unknown ${f.unknown})`);
  assert.equal(f.unexpected, 0);
}

describe('rhea (AMQP 1.0) through the CLI', { concurrency: false }, () => {
  test('a small matrix: every message delivered, lost 0; tx cells unsupported with the reason', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const r = await runCli(
      ['run', '--client', 'rhea', '--publish', 'none,single,batch:50,async:100,tx:1', '--consume', 'manual:100,auto:100', '--durability', 'persistent', '--queue', 'classic,quorum', '--messages', '500', '--warmup', '50', '--out', out, '--no-report'],
      { timeoutMs: 110_000 },
    );
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = readRun(out);
    // Persistent only: rhea's transient cells run in matrix.test.ts's quick matrix (2 durabilities x 5 modes).
    assert.equal(run.cells.length, 5 * 2 * 2);
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

  test('kill -9 mid-publish with after: continue, classic queue: producer and consumer reconnect, the whole window sent, nothing confirmed lost', { timeout: 60_000 }, async (t) => {
    const c = await continuedCell('rhea', 'classic');
    t.diagnostic(`sent ${c.counts.sent} at kill ${c.fault!.sentAtInjection} ok ${c.fault!.ok} unknown ${c.fault!.unknown} reconnects ${c.fault!.reconnects} resume ${c.fault!.resumeSeconds?.toFixed(2)} s drained ${c.fault!.drained}`);
    checkContinued(c);
    assert.equal(c.fault!.reconnects, 2, 'one producer and one consumer connected again');
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

  test('kill -9 mid-publish with after: continue, stream queue: producer and consumer reconnect, the whole window sent, nothing confirmed lost', { timeout: 60_000 }, async (t) => {
    const c = await continuedCell('stream', 'stream');
    t.diagnostic(`sent ${c.counts.sent} at kill ${c.fault!.sentAtInjection} ok ${c.fault!.ok} unknown ${c.fault!.unknown} reconnects ${c.fault!.reconnects} resume ${c.fault!.resumeSeconds?.toFixed(2)} s drained ${c.fault!.drained} duplicated ${c.fault!.duplicated}`);
    checkContinued(c);
    assert.equal(c.fault!.reconnects, 2, 'one producer and one consumer connected again');
  });
});
