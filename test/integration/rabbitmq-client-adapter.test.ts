// Pins the rabbitmq-client adapter against the real broker (confirm tags and tx, shared with amqplib,
// are in adapter-contract.test.ts): nacks, deliveries and acks, write backpressure, the fail-fast connect that replaces the library's
// endless reconnect, close reporting through onClose, and the server properties read from
// connection.start through the library's internals (src/clients/rabbitmq-client.ts explains why).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as amqplib from 'amqplib';
import { amqplibAdapter } from '../../src/clients/amqplib.js';
import { rabbitmqClientAdapter, WRITE_HIGH_WATER_BYTES } from '../../src/clients/rabbitmq-client.js';
import { freePort } from '../../src/broker/local-node.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);
let seq = 0;
const queueName = (what: string) => `ackbench.test.rmqc.${what}.${process.pid}.${++seq}`;
const connect = (name = 'ackbench test rabbitmq-client', url = URL, timeoutMs = 5000) =>
  rabbitmqClientAdapter.connect(url, { connectionName: name, timeoutMs });

/** A TCP server on a free port that `onSocket` handles; counts the connections it gets. */
async function fakeBroker(onSocket: (s: net.Socket) => void): Promise<{ port: number; accepted: () => number; close: () => void }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('server properties come from connection.start, the same as amqplib reports', async () => {
  const conn = await connect();
  const other = await amqplibAdapter.connect(URL, { connectionName: 'ackbench test amqplib', timeoutMs: 5000 });
  try {
    assert.equal(conn.server.product, 'RabbitMQ');
    assert.match(conn.server.version, /^\d+\.\d+\.\d+/);
    assert.match(conn.server.platform ?? '', /Erlang/);
    assert.deepEqual(conn.server, other.server);
  } finally {
    await other.close();
    await conn.close();
  }
});

test('confirm mode: a basic.nack reaches confirms as ack=false for its own tag', async () => {
  // A queue that refuses publishes beyond 5 messages: the broker nacks the rest.
  const q = queueName('nack');
  const raw = await amqplib.connect(URL);
  const rawCh = await raw.createChannel();
  await rawCh.assertQueue(q, { durable: true, arguments: { 'x-max-length': 5, 'x-overflow': 'reject-publish' } });
  const conn = await connect();
  const answers = new Map<number, boolean>();
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const ch = await conn.openChannel({
    confirms: (tag, multiple, ack) => {
      assert.equal(multiple, false);
      assert.equal(answers.has(tag), false, `tag ${tag} answered twice`);
      answers.set(tag, ack);
      if (answers.size === 10) done();
    },
  });
  try {
    for (let i = 0; i < 10; i++) {
      ch.publish(q, Buffer.from(`m${i}`), false);
      await ch.sync(q); // one at a time, so the queue is full exactly from the sixth on
    }
    await all;
    assert.deepEqual([...answers.entries()].sort((a, b) => a[0] - b[0]), Array.from({ length: 10 }, (_, i) => [i + 1, i < 5]));
  } finally {
    await rawCh.deleteQueue(q);
    await raw.close();
    await conn.close();
  }
});

test('TCP_NODELAY: a tx.commit right after a publish is not held back by Nagle', async () => {
  const conn = await connect();
  const ch = await conn.openChannel();
  const q = queueName('nodelay');
  const rounds = 20;
  try {
    await ch.declareQueue(q, 'classic');
    await ch.txSelect();
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      ch.publish(q, Buffer.alloc(16), false);
      await ch.txCommit();
      times.push(performance.now() - t0);
    }
    // With Nagle on, every commit waits for the broker's delayed ACK (~40 ms); the median is not moved
    // by a few rounds that a loaded machine stalls.
    const median = times.sort((a, b) => a - b)[rounds / 2];
    assert.ok(median < 20, `median ${median.toFixed(1)} ms per publish + tx.commit`);
  } finally {
    await ch.deleteQueue(q);
    await conn.close();
  }
});

test('without confirms publish() reports a full write buffer and drained() releases it', async () => {
  const conn = await connect();
  const ch = await conn.openChannel();
  const q = queueName('backpressure');
  const n = 2000;
  const body = Buffer.alloc(1024, 1);
  let refused = 0;
  try {
    await ch.declareQueue(q, 'classic');
    for (let i = 0; i < n; i++) {
      if (!ch.publish(q, body, false)) {
        refused++;
        await ch.drained();
      }
    }
    await ch.sync(q);
    assert.ok(refused > 0, `${n} KiB published in a tight loop never exceeded ${WRITE_HIGH_WATER_BYTES} bytes`);
    assert.equal(await ch.countMessages(q), n);
  } finally {
    await ch.deleteQueue(q);
    await conn.close();
  }
});

test('a consumer gets every message once, not redelivered, and acks (single and multiple) empty the queue', async () => {
  const conn = await connect();
  const pub = await conn.openChannel();
  const sub = await conn.openChannel();
  const q = queueName('consume');
  const n = 300;
  try {
    await pub.declareQueue(q, 'classic');
    for (let i = 0; i < n; i++) pub.publish(q, Buffer.from(String(i)), true);
    await pub.sync(q);
    const seen = new Uint8Array(n);
    let got = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const tag = await sub.consume(q, { noAck: false, prefetch: 50 }, (body, redelivered, handle) => {
      assert.ok(Buffer.isBuffer(body));
      assert.equal(redelivered, false);
      seen[Number(body.toString())]++;
      got++;
      // the first half one by one, the rest ten at a time with multiple
      if (got <= n / 2) sub.ack(handle, false);
      else if (got % 10 === 0) sub.ack(handle, true);
      if (got === n) done();
    });
    await all;
    await sub.cancel(tag);
    await sub.sync(q); // the acks are sent before this round trip
    await sub.close(); // unacked deliveries would now be requeued
    assert.equal(seen.every((c) => c === 1), true, 'each message delivered exactly once');
    assert.equal(await pub.countMessages(q), 0);
  } finally {
    await pub.deleteQueue(q);
    await conn.close();
  }
});

test('connect to a closed port rejects with ECONNREFUSED at once', async () => {
  const port = await freePort();
  const t0 = Date.now();
  await assert.rejects(connect('ackbench test refused', `amqp://guest:guest@127.0.0.1:${port}`, 3000), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ECONNREFUSED');
    return true;
  });
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
});

test('a broker that never answers: rejects within the timeout and does not retry', async () => {
  const broker = await fakeBroker(() => undefined); // accepts, says nothing
  try {
    const t0 = Date.now();
    await assert.rejects(connect('ackbench test silent', `amqp://guest:guest@127.0.0.1:${broker.port}`, 500), /timed out/);
    const ms = Date.now() - t0;
    assert.ok(ms >= 450 && ms < 1500, `took ${ms} ms`);
    // rabbitmq-client would retry after 1-2 s (util.js expBackoff(1000, 30000, 1))
    await sleep(2100);
    assert.equal(broker.accepted(), 1, 'the client came back after the connect attempt failed');
  } finally {
    broker.close();
  }
});

test('wrong password: rejects with access refused', async () => {
  const bad = URL.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:wrong-password@');
  assert.notEqual(bad, URL);
  await assert.rejects(connect('ackbench test bad password', bad), (err: Error) => {
    assert.match(err.message, /ACCESS_REFUSED/);
    return true;
  });
});

test('an unknown vhost: rejects with not allowed', async () => {
  const bad = URL.replace(/(\/\/[^/]+)(\/.*)?$/, '$1/ackbench-no-such-vhost');
  await assert.rejects(connect('ackbench test bad vhost', bad), /NOT_ALLOWED/);
});

test('a server that is not AMQP (an HTTP proxy) rejects the connect instead of crashing the process', async () => {
  // rabbitmq-client alone would read "P/1." as a frame size and ask the socket for > 1 GiB,
  // which throws outside any promise (seen against a real proxy).
  const broker = await fakeBroker((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')));
  try {
    await assert.rejects(connect('ackbench test http', `amqp://guest:guest@127.0.0.1:${broker.port}`, 2000), /not an AMQP 0-9-1 server.*HTTP/);
  } finally {
    broker.close();
  }
});

test('a channel the broker closes (conflicting queue arguments) reports onClose with the reason', async () => {
  const conn = await connect();
  const admin = await conn.openChannel();
  const ch = await conn.openChannel();
  const q = queueName('conflict');
  let connClosed = false;
  conn.onClose(() => (connClosed = true));
  try {
    await admin.declareQueue(q, 'classic');
    const closed = new Promise<Error>((resolve) => ch.onClose(resolve));
    await assert.rejects(ch.declareQueue(q, 'quorum'), /PRECONDITION_FAILED/);
    const reason = await closed;
    assert.match(reason.message, /PRECONDITION_FAILED.*x-queue-type/);
    // the connection and its other channels live on
    assert.equal(await admin.countMessages(q), 0);
    assert.equal(connClosed, false);
  } finally {
    await admin.deleteQueue(q);
    await conn.close();
  }
});

test('a connection the broker closes: onClose on connection and channel, in-flight publishes unanswered, no reconnect', async () => {
  const name = `ackbench.test.forced.${process.pid}`;
  const conn = await connect(name);
  const admin = await conn.openChannel();
  const q = queueName('forced');
  await admin.declareQueue(q, 'classic');
  let answers = 0;
  let nacks = 0;
  let answersAtClose = -1;
  const ch = await conn.openChannel({
    confirms: (_tag, _multiple, ack) => {
      answers++;
      if (!ack) nacks++;
    },
  });
  const connClosed = new Promise<Error>((resolve) => conn.onClose(resolve));
  const chClosed = new Promise<Error>((resolve) => ch.onClose(resolve));
  try {
    const list = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q']);
    const line = list.stdout.split('\n').find((l) => l.includes(name));
    assert.ok(line, `connection ${name} not listed by rabbitmqctl`);
    const pid = /<[^>]+>/.exec(line)![0];

    const body = Buffer.alloc(16 * 1024);
    let published = 0;
    const closing = run('rabbitmqctl', ['close_connection', pid, 'ackbench test forced close']);
    // Publish until the close lands, keeping a window of unanswered publishes open all the time, so
    // some are in flight when it does. No cap on the count: rabbitmqctl may take seconds to start,
    // and a cap reached before the close lands let every publish be answered (CI, session 2).
    let gone = false;
    void connClosed.then(() => {
      gone = true;
      answersAtClose = answers;
    });
    const window = 400;
    const deadline = Date.now() + 30_000;
    while (!gone && Date.now() < deadline) {
      while (published - answers < window) {
        ch.publish(q, body, false);
        published++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(gone, 'the forced close did not land within 30 s');
    await closing;
    const err = await connClosed;
    assert.match(err.message, /CONNECTION_FORCED.*ackbench test forced close/);
    assert.match((await chClosed).message, /CONNECTION_FORCED/);
    assert.equal(nacks, 0);
    assert.ok(answers < published, `all ${published} publishes answered: none in flight at the close`);
    await sleep(200);
    assert.equal(answers, answersAtClose, 'a confirm arrived after the connection closed');
    await assert.rejects(conn.openChannel(), /CONNECTION_FORCED/);
    // rabbitmq-client would reconnect after 1-2 s; the adapter must not
    await sleep(2100);
    const after = await run('rabbitmqctl', ['list_connections', 'client_properties', '-q']);
    assert.equal(after.stdout.includes(name), false, 'the client reconnected');
    await conn.close(); // returns at once on a failed connection
  } finally {
    const cleanup = await connect();
    const c = await cleanup.openChannel();
    await c.deleteQueue(q).catch(() => undefined);
    await cleanup.close();
  }
});
