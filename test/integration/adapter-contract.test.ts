// What the publish modes and the integrity accounting rely on from every client adapter, pinned
// against the real broker for each client on the `client` axis, so an upgrade that breaks it fails:
// - confirm answers carry delivery tags counting from 1 and cover every publish exactly once, as
//   acks (amqplib gives tags only through undocumented 'ack' events; rabbitmq-client through one
//   promise per publish);
// - tx.select / tx.commit (amqplib: through channel.rpc() with raw method ids) keep published
//   messages out of the queue until the commit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadAdapter } from '../../src/clients/registry.js';
import { CLIENTS } from '../../src/scenario/types.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

for (const client of CLIENTS) {
  describe(`${client} adapter contract`, () => {
    const connect = async () => (await loadAdapter(client)).connect(URL, { connectionName: `ackbench test ${client}`, timeoutMs: 5000 });
    const queue = (what: string) => `ackbench.test.contract.${client}.${what}.${process.pid}`;

    test('confirms: tags count from 1 and every publish is acked exactly once', { timeout: 20_000 }, async () => {
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
        await ch.declareQueue(q, 'classic');
        // transient and persistent in turn, so answers come out of order
        for (let i = 0; i < n; i++) ch.publish(q, Buffer.from(`m${i}`), i % 2 === 0);
        await all;
        await ch.sync(q);
        assert.equal(answered, n);
        assert.equal(acks.subarray(1).every((c) => c === 1), true, 'each tag acked exactly once');
        assert.equal(await ch.countMessages(q), n);
      } finally {
        await ch.deleteQueue(q).catch(() => undefined);
        await conn.close();
      }
    });

    test('tx: nothing is visible before tx.commit, everything after', { timeout: 20_000 }, async () => {
      const conn = await connect();
      const admin = await conn.openChannel();
      const ch = await conn.openChannel();
      const q = queue('tx');
      try {
        await admin.declareQueue(q, 'classic');
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
  });
}
