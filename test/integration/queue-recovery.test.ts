// waitForQueue, which reconnecting producers and consumers and the fault drain use before touching a
// queue that may not answer yet after a broker restart: it finds a queue that appears while it waits,
// gives up on one that never does, and 404s on its probe channels leave the connection usable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { amqplibAdapter } from '../../src/clients/amqplib.js';
import { waitForQueue } from '../../src/run/queue-recovery.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

test('waitForQueue: false for a queue that never appears, true once one appears; the connection lives on', { timeout: 20_000 }, async () => {
  const conn = await amqplibAdapter.connect(URL, { connectionName: 'ackbench test queue-recovery', timeoutMs: 5000 });
  let closed: Error | null = null;
  conn.onClose((err) => (closed = err));
  const q = `ackbench.test.queue-recovery.${process.pid}`;
  try {
    const t0 = Date.now();
    assert.equal(await waitForQueue(conn, q, 800), false);
    assert.ok(Date.now() - t0 >= 800, 'tried for the whole time given');

    const admin = await conn.openChannel();
    const appearing = sleep(700).then(() => admin.declareQueue(q, 'classic'));
    const t1 = Date.now();
    assert.equal(await waitForQueue(conn, q, 10_000), true);
    assert.ok(Date.now() - t1 >= 600, 'found only once declared');
    await appearing;
    assert.equal(await admin.countMessages(q), 0, 'the connection and its other channels still work');
    await admin.deleteQueue(q);
    assert.equal(closed, null);
  } finally {
    await conn.close();
  }
});
