// What the publish modes and the integrity accounting rely on from every client adapter, pinned
// against the real broker for each client on the `client` axis, so an upgrade that breaks it fails:
// - confirm answers carry delivery tags counting from 1 and cover every publish exactly once, as
//   acks (amqplib gives tags only through undocumented 'ack' events; rabbitmq-client through one
//   promise per publish);
// - tx.select / tx.commit (amqplib: through channel.rpc() with raw method ids) keep published
//   messages out of the queue until the commit; a client without transactions (AMQP 1.0 on
//   RabbitMQ) refuses tx cells with its reason instead (clientUnsupportedReason);
// - a connection closed mid-stream, with answers and deliveries still coming, closes within its
//   timeout, its onClose reports nothing (the close was ours; its channels may say they closed), and
//   counts stay within what was sent.
// The stream client (the stream protocol) runs each on a stream queue, the only kind it reaches, and
// has no message count to compare (a passive declare of a stream answers 0).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientUnsupportedReason, loadAdapter } from '../../src/clients/registry.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { CLIENTS, type ClientName } from '../../src/scenario/types.js';

/** The queue type each client's cases run on: the stream client reaches stream queues only. */
const queueTypeOf = (client: ClientName) => (client === 'stream' ? 'stream' : 'classic');

/** Why `client` refuses tx cells, or null when it runs them. */
function txRefusal(client: ClientName): string | null {
  const [cell] = expandMatrix({ client: [client], durability: ['persistent'], publish: ['tx:1'], consume: ['manual:100'], queue: [queueTypeOf(client)], size: [64], producers: [1], channels: [1], deduplication: ['off'], consumers: [1], rate: ['unlimited'] });
  return clientUnsupportedReason(cell);
}

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

for (const client of CLIENTS) {
  describe(`${client} adapter contract`, () => {
    const connect = async () => (await loadAdapter(client)).connect(URL, { connectionName: `ackbench test ${client}`, timeoutMs: 5000 });
    const queue = (what: string) => `ackbench.test.contract.${client}.${what}.${process.pid}`;
    const type = queueTypeOf(client);

    test('confirms: tags count from 1 and every publish is acked exactly once', { timeout: 20_000 }, async (t) => {
      const conn = await connect();
      const n = 2000;
      const acks = new Uint8Array(n + 1);
      let answered = 0;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const ch = await conn.openChannel({
        confirms: (tag, multiple, ack) => {
          assert.equal(ack, true, `tag ${tag} nacked`);
          assert.ok(tag >= 1 && tag <= n, `tag ${tag} out of range`);
          // The broker answers out of order (a transient message before an earlier persistent one);
          // multiple=true answers every tag up to this one not answered yet.
          if (!multiple) {
            acks[tag]++;
            answered++;
          } else {
            for (let t = 1; t <= tag; t++) if (acks[t] === 0) (acks[t] = 1), answered++;
          }
          if (answered >= n) done();
        },
      });
      const q = queue('tags');
      try {
        await ch.declareQueue(q, type);
        // transient and persistent in turn, so answers come out of order
        for (let i = 0; i < n; i++) ch.publish(q, Buffer.from(`m${i}`), i % 2 === 0);
        await all;
        await ch.sync(q);
        assert.equal(answered, n);
        assert.equal(acks.subarray(1).every((c) => c === 1), true, 'each tag acked exactly once');
        // A stream answers a passive declare with a message count of 0 (RabbitMQ 3.10), so there is no count to check.
        if (type === 'stream') t.diagnostic('stream queue: the count is not checked (a passive declare of a stream answers 0)');
        else assert.equal(await ch.countMessages(q), n);
      } finally {
        await ch.deleteQueue(q).catch(() => undefined);
        await conn.close();
      }
    });

    const refusal = txRefusal(client);
    if (refusal) {
      test('tx: cells are refused, with the reason', () => {
        assert.match(refusal, /transaction/);
      });
    }

    test('tx: nothing is visible before tx.commit, everything after', { timeout: 20_000, skip: refusal ?? false }, async () => {
      const conn = await connect();
      const admin = await conn.openChannel();
      const ch = await conn.openChannel();
      const q = queue('tx');
      try {
        await admin.declareQueue(q, type);
        await ch.txSelect();
        for (let i = 0; i < 10; i++) ch.publish(q, Buffer.from('x'), true);
        await ch.sync(q);
        assert.equal(await admin.countMessages(q), 0, 'uncommitted messages must not be in the queue');
        await ch.txCommit();
        assert.equal(await admin.countMessages(q), 10);
      } finally {
        await admin.deleteQueue(q).catch(() => undefined);
        await conn.close();
      }
    });

    test('a close mid-stream: answers and deliveries in flight, close() returns, the connection reports no failure', { timeout: 20_000 }, async () => {
      const conn = await connect();
      let failures = 0;
      conn.onClose(() => failures++);
      let confirmed = 0;
      let received = 0;
      const n = 2000;
      const admin = await conn.openChannel();
      const ch = await conn.openChannel({ confirms: (tag, multiple) => (confirmed = multiple ? Math.max(confirmed, tag) : confirmed + 1) });
      const q = queue('close');
      try {
        await admin.declareQueue(q, type);
        const consumer = await conn.openChannel();
        await consumer.consume(q, { noAck: false, prefetch: 50 }, (_body, _r, handle) => {
          received++;
          consumer.ack(handle, false);
        });
        for (let i = 0; i < n; i++) if (!ch.publish(q, Buffer.alloc(256), true)) await ch.drained();
        const t0 = Date.now();
        await conn.close();
        assert.ok(Date.now() - t0 < 5000, 'close() within its timeout');
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(failures, 0, 'a close of our own is no connection failure');
        assert.ok(confirmed <= n && received <= n, `confirmed ${confirmed}, received ${received} of ${n}`);
      } finally {
        const cleanup = await connect();
        const c = await cleanup.openChannel();
        await c.deleteQueue(q).catch(() => undefined);
        await cleanup.close();
      }
    });
  });
}
