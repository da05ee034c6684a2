// What each client does with a body after publish() returns, pinned against the real broker, because
// the producer reuses bodies on the strength of it (src/run/bodies.ts): an upgrade that changes it
// fails here, not as silently corrupted messages.
// - amqplib copies the body into its own frame before sendToQueue returns ('copied'), even while its
//   socket is backed up;
// - rabbitmq-client encodes body frames lazily, as the socket takes them ('until-answered'): behind a
//   backed-up socket, a body overwritten after basicPublish returned goes out overwritten.
// - rhea encodes the whole AMQP 1.0 message (the body as one data section) into a buffer of its own
//   in Sender.send ('copied'), before it has link credit or socket room for it.
// - stream (rabbitmq-stream-js-client) keeps the body in its publisher's queue and encodes it when the
//   queue is written, at the latest on the next setImmediate ('until-answered'); no socket needs to be
//   backed up for that. No message may exceed the stream protocol's frame max (1 MiB by default), so
//   its big message is STREAM_BIG, and its queues are stream queues (the only ones it reaches).
// For all, a body the broker has answered (confirm) has been read: overwriting it changes nothing sent.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AmqpChannel } from '../../src/clients/adapter.js';
import { loadAdapter } from '../../src/clients/registry.js';
import { BodySource } from '../../src/run/bodies.js';
import { CLIENTS } from '../../src/scenario/types.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Larger than a loopback socket's send buffer, so the socket is still backed up when publish returns. */
const BIG = 16 * 1024 * 1024;
/** The stream client's big message: as big as its frame max lets one be. */
const STREAM_BIG = 512 * 1024;

/** Consumes `n` messages of `q` and returns their first 4 bytes as text (the big one, of `big` bytes: 'big'). */
async function receive(ch: AmqpChannel, q: string, n: number, big: number): Promise<string[]> {
  const got: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const tag = await ch.consume(q, { noAck: true, prefetch: 0 }, (body) => {
    got.push(body.length === big ? 'big' : body.toString('latin1', 0, 4));
    if (got.length === n) done();
  });
  await all;
  await ch.cancel(tag);
  return got;
}

const expected = { amqplib: 'copied', 'rabbitmq-client': 'until-answered', rhea: 'copied', stream: 'until-answered' } as const;

for (const client of CLIENTS) {
  describe(`${client}: a body after publish`, () => {
    const connect = async () => (await loadAdapter(client)).connect(URL, { connectionName: `ackbench test ${client} bodies`, timeoutMs: 5000 });
    const queue = (what: string) => `ackbench.test.bodies.${client}.${what}.${process.pid}`;
    // The stream client reaches stream queues only.
    const type = client === 'stream' ? 'stream' : 'classic';
    const big = client === 'stream' ? STREAM_BIG : BIG;

    test(`behind a backed-up socket: the adapter says '${expected[client]}', and that is what the client does`, { timeout: 30_000 }, async () => {
      const conn = await connect();
      const ch = await conn.openChannel();
      const q = queue('backlog');
      try {
        assert.equal(ch.bodyAfterPublish, expected[client]);
        await ch.declareQueue(q, type);
        ch.publish(q, Buffer.alloc(big), false);
        const body = Buffer.from('AAAA', 'latin1');
        ch.publish(q, body, false);
        body.write('BBBB', 'latin1');
        await ch.sync(q);
        const got = await receive(ch, q, 2, big);
        assert.deepEqual(got, ['big', ch.bodyAfterPublish === 'copied' ? 'AAAA' : 'BBBB']);
      } finally {
        await ch.deleteQueue(q).catch(() => undefined);
        await conn.close();
      }
    });

    test('once the broker confirmed a publish, overwriting its body changes nothing that was sent', { timeout: 30_000 }, async () => {
      const conn = await connect();
      let confirmed = 0;
      let wake: (() => void) | null = null;
      const ch = await conn.openChannel({
        confirms: (tag, multiple, ack) => {
          assert.equal(ack, true);
          confirmed = multiple ? tag : confirmed + 1;
          wake?.();
        },
      });
      const q = queue('answered');
      try {
        await ch.declareQueue(q, type);
        ch.publish(q, Buffer.alloc(big), false);
        const body = Buffer.from('AAAA', 'latin1');
        ch.publish(q, body, false);
        while (confirmed < 2) await new Promise<void>((resolve) => (wake = resolve));
        body.write('BBBB', 'latin1');
        const got = await receive(ch, q, 2, big);
        assert.deepEqual(got, ['big', 'AAAA']);
      } finally {
        await ch.deleteQueue(q).catch(() => undefined);
        await conn.close();
      }
    });

    // Another channel of the same connection backs the socket up, as a producer sharing it would (the
    // channels axis): this channel's own write buffer stays under its bound, so publish() keeps
    // returning true while its bodies wait for the socket.
    test('a producer reusing bodies as the channel allows (BodySource) behind a socket another channel backed up: every message goes out as stamped', { timeout: 60_000 }, async () => {
      const conn = await connect();
      const other = await conn.openChannel();
      const ch = await conn.openChannel();
      const q = queue('ring');
      const n = 3000;
      try {
        await ch.declareQueue(q, type);
        const bodies = new BodySource(Buffer.alloc(1024, 0x2e), ch.bodyAfterPublish, 0, ch.heldBodyBytes);
        assert.ok(bodies.reusing);
        other.publish(q, Buffer.alloc(big), false);
        for (let i = 0; i < n; i++) {
          const body = bodies.take();
          body.write(String(i % 10_000).padStart(4, '0'), 'latin1');
          if (!ch.publish(q, body, false)) await ch.drained();
        }
        await Promise.all([ch.sync(q), other.sync(q)]);
        const got = await receive(ch, q, n + 1, big);
        assert.deepEqual(
          got.filter((m) => m !== 'big'),
          Array.from({ length: n }, (_, i) => String(i).padStart(4, '0')),
        );
      } finally {
        await ch.deleteQueue(q).catch(() => undefined);
        await other.close().catch(() => undefined);
        await conn.close();
      }
    });
  });
}
