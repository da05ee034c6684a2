// The amqplib adapter relies on two things amqplib does not document: confirm-channel 'ack' events
// carry delivery tags counting from 1, and tx.select / tx.commit work through channel.rpc() with
// raw method ids. These tests pin both against the real broker, so an upgrade that breaks them fails.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amqplibAdapter } from '../../src/clients/amqplib.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

test('amqplib confirm channel: ack events carry tags from 1, covering every publish once', async () => {
  const conn = await amqplibAdapter.connect(URL, { connectionName: 'ackbench test', timeoutMs: 5000 });
  const settled = new Set<number>();
  let highest = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const ch = await conn.openChannel({
    confirms: (tag, multiple, ack) => {
      assert.equal(ack, true);
      for (let t = multiple ? highest + 1 : tag; t <= tag; t++) settled.add(t);
      highest = Math.max(highest, tag);
      if (settled.size === 500) done();
    },
  });
  const q = `ackbench.test.tags.${process.pid}`;
  await ch.declareQueue(q, 'classic');
  for (let i = 0; i < 500; i++) ch.publish(q, Buffer.from(`m${i}`), false);
  await all;
  assert.deepEqual([...settled].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i + 1));
  assert.equal(await ch.countMessages(q), 500);
  await ch.deleteQueue(q);
  await conn.close();
});

test('amqplib tx through rpc(): nothing is visible before tx.commit, everything after', async () => {
  const conn = await amqplibAdapter.connect(URL, { connectionName: 'ackbench test', timeoutMs: 5000 });
  const admin = await conn.openChannel();
  const ch = await conn.openChannel();
  const q = `ackbench.test.tx.${process.pid}`;
  await admin.declareQueue(q, 'classic');
  await ch.txSelect();
  for (let i = 0; i < 10; i++) ch.publish(q, Buffer.from('x'), true);
  await ch.sync(q);
  assert.equal(await admin.countMessages(q), 0, 'uncommitted messages must not be in the queue');
  await ch.txCommit();
  assert.equal(await admin.countMessages(q), 10);
  await admin.deleteQueue(q);
  await conn.close();
});
