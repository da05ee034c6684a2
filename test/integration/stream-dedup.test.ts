// Stream publisher deduplication (the `deduplication` axis; src/clients/stream.ts, header) against the
// real broker's stream port:
// - at the adapter: a named publisher's second channel, on a new connection, carries its publishing
//   ids on from the broker's last stored one (the stream holds both rounds) while its confirm tags
//   start from 1 again; re-sending stored ids under that name adds nothing to the stream, and the
//   broker confirms those messages all the same (it does not nack or ignore a duplicate);
// - through the CLI: deduplication off and on cells deliver everything, the other clients' `on`
//   cells are refused with the reason, and summary.csv says which is which;
// - a kill -9 of a private node with `after: continue`: the reconnected producer's publisher goes on
//   under its name, and nothing confirmed is lost or duplicated.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import streamClient from 'rabbitmq-stream-js-client';
import type { AmqpChannel, AmqpConnection } from '../../src/clients/adapter.js';
import { streamAdapter } from '../../src/clients/stream.js';
import { streamEndpoint } from '../../src/clients/stream-port.js';
import type { RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

const connect = (what: string) => streamAdapter.connect(URL, { connectionName: `ackbench test dedup ${what}`, timeoutMs: 5000 });

/** `n` messages on a channel named `name` of a new connection: the tags its confirms carried, in order, and whether each was an ack. */
async function publishNamed(name: string, queue: string, prefix: string, n: number, declare = false): Promise<{ tag: number; ack: boolean }[]> {
  const conn = await connect(prefix);
  try {
    const answers: { tag: number; ack: boolean }[] = [];
    const ch = await conn.openChannel({ publisherName: name, confirms: (tag, _multiple, ack) => answers.push({ tag, ack }) });
    if (declare) await ch.declareQueue(queue, 'stream');
    for (let i = 0; i < n; i++) ch.publish(queue, Buffer.from(`${prefix}${i}`), true);
    await ch.sync(queue);
    await ch.close();
    return answers;
  } finally {
    await conn.close();
  }
}

/** Every message of the stream, read from offset first until `expected` arrived and 500 ms more passed quietly (or 10 s). */
async function readAll(ch: AmqpChannel, queue: string, expected: number): Promise<string[]> {
  const got: string[] = [];
  let last = Date.now();
  await ch.consume(queue, { noAck: false, prefetch: 100, streamOffset: 'first' }, (body) => {
    got.push(body.toString());
    last = Date.now();
  });
  const until = Date.now() + 10_000;
  while (Date.now() < until && (got.length < expected || Date.now() - last < 500)) await new Promise((r) => setTimeout(r, 50));
  return got;
}

/** `op`, or a rejection after `ms`. */
function within<T>(op: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)));
  return Promise.race([op, late]).finally(() => clearTimeout(timer));
}

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('stream publisher deduplication at the adapter', { concurrency: false }, () => {
  test('the same name on a new connection carries the ids on (2N stored, tags 1..N each time); stored ids re-sent under it are confirmed and not stored', { timeout: 40_000 }, async () => {
    const n = 150; // more than a frame's 100 messages, so a round takes two publish frames
    const queue = `ackbench.test.dedup.${process.pid}`;
    const name = `ackbench test dedup publisher ${process.pid}`;
    const tags = Array.from({ length: n }, (_, i) => ({ tag: i + 1, ack: true }));
    const first = await publishNamed(name, queue, 'a', n, true);
    const second = await publishNamed(name, queue, 'b', n);
    let reader: AmqpConnection | null = null;
    let library: Awaited<ReturnType<typeof streamClient.connect>> | null = null;
    try {
      assert.deepEqual(first, tags, 'first channel: tags 1..N, all acked');
      assert.deepEqual(second, tags, 'second channel, same name: tags 1..N again (the ids less the broker\'s stored one)');

      // The library itself, under the same name: the broker's last stored id is 2N (the second round
      // went on from N), and ids 1..N sent again are the first round's.
      const endpoint = streamEndpoint(URL);
      const confirmed: bigint[] = [];
      const errors: bigint[] = [];
      library = await streamClient.connect({
        hostname: endpoint.host,
        port: endpoint.port,
        username: 'guest',
        password: 'guest',
        vhost: '/',
        listeners: {
          publish_confirm: (c: { publishingIds: bigint[] }) => confirmed.push(...c.publishingIds),
          publish_error: (e: { publishingError: { publishingId: bigint } }) => errors.push(e.publishingError.publishingId),
        },
      });
      const p = await library.declarePublisher({ stream: queue, publisherRef: name });
      assert.equal(await p.getLastPublishingId(), BigInt(2 * n), 'the broker stored ids up to 2N for the name');
      for (let id = 1n; id <= BigInt(n); id++) await p.send(Buffer.from(`dup${id}`), { publishingId: id });
      await p.flush();
      const until = Date.now() + 10_000;
      while (confirmed.length + errors.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      // What the broker answers for a message it deduplicated: a confirm, as for one it stored.
      assert.deepEqual(errors, [], 'no publish error for a duplicate');
      assert.deepEqual(confirmed.map(Number).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i + 1), 'every duplicate confirmed, once');
      assert.equal(await p.getLastPublishingId(), BigInt(2 * n), 'the stored id did not move');
      // Closed before the stream is deleted: the library's close of a publisher whose stream is gone never settles.
      await within(library.close(), 5000);
      library = null;

      reader = await connect('reader');
      const ch = await reader.openChannel();
      const got = await readAll(ch, queue, 2 * n);
      assert.equal(got.length, 2 * n, 'the stream holds both rounds and none of the re-sent messages');
      assert.deepEqual(got, [...range('a', n), ...range('b', n)]);
      await ch.deleteQueue(queue);
    } finally {
      if (library) await within(library.close(), 5000).catch(() => undefined);
      await reader?.close();
    }
  });
});

describe('deduplication through the CLI', { concurrency: false }, () => {
  test('--deduplication off,on: stream cells deliver everything, amqplib on cells are refused with the reason; summary.csv names the setting', { timeout: 120_000 }, async () => {
    const out = join(tempDir(), 'run');
    const r = await runCli(
      ['run', '--client', 'stream,amqplib', '--queue', 'stream', '--deduplication', 'off,on', '--publish', 'single,async:100', '--messages', '400', '--warmup', '50', '--out', out, '--no-report'],
      { timeoutMs: 110_000 },
    );
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = readRun(out);
    assert.equal(run.cells.length, 2 * 2 * 2);
    assert.deepEqual(run.scenario.axes.deduplication, ['off', 'on']);
    for (const c of run.cells) {
      const on = c.cell.deduplication === 'on';
      assert.equal(c.cell.id.includes('.dedup.'), on, c.cell.id);
      if (on && c.cell.client === 'amqplib') {
        assert.equal(c.status, 'unsupported', c.cell.id);
        assert.match(c.reason ?? '', /^deduplication is a stream-protocol publisher feature .*amqplib .* has none$/);
        continue;
      }
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.deepEqual([c.counts.sent, c.counts.confirmed, c.counts.received, c.counts.lost, c.counts.duplicates, c.counts.unknown], [400, 400, 400, 0, 0, 0], c.cell.id);
    }
    assert.match(r.stdout, /unsupported: amqplib\..*\.dedup\..*: deduplication is a stream-protocol publisher feature/);
    const [header, ...rows] = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
    const column = header.split(',').indexOf('deduplication');
    assert.ok(column >= 0, 'summary.csv has a deduplication column');
    const byId = new Map(rows.map((row) => [row.split(',')[0], row.split(',')[column]]));
    for (const c of run.cells) assert.equal(byId.get(c.cell.id), c.cell.deduplication, c.cell.id);
  });

  test('faults: kill -9 of a private node mid-publish, deduplication on, after: continue: the producer reconnects under its name, nothing confirmed lost, no duplicates', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const scenario = join(dir, 'stream-dedup-kill9.yaml');
    const axes = '{ client: stream, durability: persistent, publish: [single, async:100], consume: manual:100, queue: stream, size: 256, deduplication: on }';
    writeFileSync(scenario, `name: stream-dedup-kill9\nmessages: 3000\nwarmup: 50\ndrain: 2\ntimeout: 80\naxes: ${axes}\nfaults: [{ kind: kill9, at: 800, after: continue }]\n`);
    const out = join(dir, 'run');
    const r = await runCli(['faults', scenario, '--out', out, '--no-report'], { timeoutMs: 170_000 });
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const cells = readRun(out).cells;
    assert.equal(cells.length, 2);
    for (const c of cells) {
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.match(c.cell.id, /\.dedup\.max\.kill9-at800-continue$/);
      assert.ok(c.fault, 'the cell carries its fault outcome');
      const f = c.fault;
      const seen = `${c.cell.id}: ok ${f.ok}, unknown ${f.unknown}, lost ${f.lost}, duplicated ${f.duplicated}, reconnects ${f.reconnects}`;
      assert.equal(f.after, 'continue');
      assert.ok(f.sentAtInjection >= 800, `the fault came mid-publish (${seen})`);
      assert.equal(f.producersCut, 1, `the fault cut the producer (${seen})`);
      assert.ok(f.reconnects >= 1, `the producer reconnected (${seen})`);
      assert.equal(c.counts.sent, 3000, `the producer published its whole window across the outage (${seen})`);
      assert.ok(f.ok > 800, `messages were confirmed before and after the fault (${seen})`);
      assert.equal(f.attempted, f.ok + f.fail + f.unknown);
      // The publisher after the reconnect went on past the ids the broker kept: had it started
      // again from 1, the broker would have confirmed and dropped its messages, and they would be lost.
      assert.equal(f.lost, 0, `nothing confirmed lost (${seen})`);
      assert.equal(f.duplicated, 0, `no duplicates (${seen})`);
      assert.equal(f.unexpected, 0, seen);
    }
  });
});
