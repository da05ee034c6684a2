// The consumer (src/run/consumer.ts) in each consume mode, and producer and consumer together under
// `after: continue`, on the in-memory broker of test/helpers/fake-adapter.ts: what is counted as
// received, duplicated, redelivered or unexpected, how it acks under prefetch, and that a reconnect
// goes on from the next sequence number without counting anything twice. No RabbitMQ needed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { account } from '../../src/measure/accounting.js';
import { COUNTER } from '../../src/run/worker-protocol.js';
import { ackMultiple, FakeBroker } from '../helpers/fake-adapter.js';
import { body, channelsOf, consume, fakeCell, fakeWindow, measuredSeqs, newCounters, produce, QUEUE, seqsIn } from '../helpers/fake-run.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `n` measured messages of producer 0 in the queue, after `warmup` warm-up ones. */
/** Kills the publishing connection once, when measured sequence number `seq` is published. */
function killConnectionAt(broker: FakeBroker, seq: number): void {
  let killed = false;
  broker.onPublish = (p, ch) => {
    if (!killed && measuredSeqs([p])[0] === seq) {
      killed = true;
      ch.connection.kill();
    }
  };
}

function fill(broker: FakeBroker, n: number, warmup = 0): void {
  const queue = broker.declare(QUEUE);
  for (let i = 0; i < warmup; i++) queue.enqueue(body(0, i, true));
  for (let i = 0; i < n; i++) queue.enqueue(body(0, i));
}

/** The channel the consumer consumed on (not the probes of a reconnect's queue wait). */
const consumingChannels = (broker: FakeBroker) => channelsOf(broker).filter((c) => c.acks.length > 0 || c.maxUnacked > 0);

describe('consume modes on the fake broker', () => {
  const window = fakeWindow({ drainSeconds: 0.2 });

  for (const [prefetch, multiAck] of [
    [1, 1],
    [10, 1],
    [10, 10],
    [32, 5],
  ]) {
    test(`manual:${prefetch}:${multiAck}: every message received once, acks of ${multiAck} (multiple when more than one), never more than ${prefetch} unacked, none left at the end`, async () => {
      const broker = new FakeBroker();
      fill(broker, 203, 7);
      const counters = newCounters();
      const { report, latency } = await consume(broker, fakeCell('none', `manual:${prefetch}:${multiAck}`), window, 203, { counters });
      const [ch] = consumingChannels(broker);
      assert.deepEqual(seqsIn(report.receivedBits[0]!, 203), range(203));
      assert.equal(report.deliveries, 210);
      assert.deepEqual([report.duplicates, report.unexpected, report.redelivered, report.outOfOrder], [0, 0, 0, 0]);
      assert.equal(Atomics.load(counters, COUNTER.consumed), 203);
      assert.equal(Atomics.load(counters, COUNTER.warmupConsumed), 7);
      assert.equal(latency.count, 203, 'end-to-end latency of measured messages only');
      assert.ok(ch.maxUnacked <= prefetch, `at most ${prefetch} unacked, saw ${ch.maxUnacked}`);
      // Every multiAck-th delivery acked, the rest once at the end with multiple.
      const full = Math.floor(210 / multiAck);
      assert.equal(ch.acks.length, full + (210 % multiAck > 0 ? 1 : 0));
      assert.ok(ch.acks.slice(0, full).every((a, k) => a.tag === (k + 1) * multiAck && a.multiple === multiAck > 1));
      assert.equal(ch.unacked.size, 0, 'nothing left unacked');
      assert.equal(ch.badAcks, 0, 'every ack names a delivery still unacked');
      assert.equal(broker.queue(QUEUE).ready.length, 0);
      assert.equal(report.error, null);
    });
  }

  test('auto: noAck, nothing acked, everything received', async () => {
    const broker = new FakeBroker();
    fill(broker, 150);
    const { report } = await consume(broker, fakeCell('none', 'auto:10'), window, 150);
    assert.ok(channelsOf(broker).every((c) => c.acks.length === 0 && c.unacked.size === 0));
    assert.deepEqual(seqsIn(report.receivedBits[0]!, 150), range(150));
    assert.equal(report.error, null);
  });

  test('redelivered flags, duplicates, out-of-order and foreign bodies are each counted', async () => {
    const broker = new FakeBroker();
    const queue = broker.declare(QUEUE);
    for (const seq of [0, 1, 3, 2, 4]) queue.enqueue(body(0, seq));
    queue.enqueue(body(0, 1), true); // delivered again by the broker: a duplicate, flagged
    queue.enqueue(body(5, 0)); // a producer id outside the cell
    queue.enqueue(Buffer.from('not an ackbench message'));
    queue.enqueue(body(1, 0), true); // producer 1's first message, redelivered (once: no duplicate)
    const { report } = await consume(broker, fakeCell('none', 'manual:100:1', { producers: 2 }), window, 6);
    assert.equal(report.deliveries, 9);
    assert.equal(report.duplicates, 1);
    assert.equal(report.redelivered, 2);
    assert.equal(report.unexpected, 2);
    assert.equal(report.outOfOrder, 1, '2 after 3');
    assert.deepEqual(seqsIn(report.receivedBits[0]!, 10), [0, 1, 2, 3, 4]);
    assert.deepEqual(seqsIn(report.receivedBits[1]!, 10), [0]);
  });

  test('producer and consumer end to end: received equals sent, nothing lost or duplicated', async () => {
    const broker = new FakeBroker({ confirms: ackMultiple });
    const cell = fakeCell('async:50', 'manual:20:4');
    const w = fakeWindow({ messages: 500, warmupMessages: 20 });
    const producer = await produce(broker, cell, w);
    const consumer = await consume(broker, cell, w, producer.report.sent);
    const { sent, confirmed, received, lost, duplicates, unknown } = account([producer.report], [consumer.report], true, null);
    assert.deepEqual({ sent, confirmed, received, lost, duplicates, unknown }, { sent: 500, confirmed: 500, received: 500, lost: 0, duplicates: 0, unknown: 0 });
  });
});

describe('after: continue', () => {
  test('producer: a new connection, tags from 1 again, sequence numbers on from the next one, none published twice, nothing counted twice', async () => {
    const broker = new FakeBroker({ confirms: ackMultiple });
    killConnectionAt(broker, 300);
    const { report } = await produce(broker, fakeCell('async:64'), fakeWindow({ messages: 600, warmupMessages: 10 }), { afterContinue: true });
    const publishing = channelsOf(broker).filter((c) => c.published.length > 0);
    assert.equal(publishing.length, 2, 'one channel per connection');
    assert.equal(publishing[1].published[0].tag, 1, 'the new channel numbers its publishes from 1');
    const first = measuredSeqs(publishing[0].published);
    const second = measuredSeqs(publishing[1].published);
    assert.equal(first.at(-1), 300);
    assert.equal(second[0], 301, 'on from the next sequence number');
    assert.deepEqual([...first, ...second], range(600), 'each number published once');
    assert.equal(report.reconnects, 1);
    assert.equal(report.sent, 600);
    assert.equal(report.confirmed + report.unknown, 600);
    assert.ok(report.unknown >= 1);
    const confirmed = seqsIn(report.confirmedBits, 600);
    const unknown = seqsIn(report.unknownBits, 600);
    assert.ok(unknown.every((s) => s <= 300 && !confirmed.includes(s)), 'unknown only from the dead connection, never also confirmed');
    assert.equal(report.error, null, 'the last connection held');
    assert.notEqual(report.lastError, null);
    assert.ok(report.resumedAtNs > 0);
  });

  test('producer, deduplication on: every channel it opens, on each connection, carries its one publisher name; off: none', async () => {
    for (const deduplication of ['on', 'off'] as const) {
      const broker = new FakeBroker({ confirms: ackMultiple });
      killConnectionAt(broker, 100);
      const { report } = await produce(broker, fakeCell('async:64', 'manual:100', { client: 'stream', queue: 'stream', deduplication }), fakeWindow({ messages: 200, warmupMessages: 10 }), { afterContinue: true });
      assert.equal(report.reconnects, 1);
      const names = channelsOf(broker).filter((c) => c.published.length > 0).map((c) => c.publisherName);
      assert.deepEqual(names, deduplication === 'on' ? ['fake producer 0', 'fake producer 0'] : [null, null], deduplication);
    }
  });

  test('producer: the reconnect gives up (broker down): the producer ends with the error and what was outstanding unknown', async () => {
    const broker = new FakeBroker({ confirms: ackMultiple });
    let outstanding = -1;
    broker.onPublish = (p, ch) => {
      if (outstanding < 0 && measuredSeqs([p])[0] === 100) {
        outstanding = measuredSeqs(ch.pending).length;
        broker.down = true;
        ch.connection.kill();
      }
    };
    const { report } = await produce(broker, fakeCell('async:64'), fakeWindow({ messages: 300, warmupMessages: 0 }), { afterContinue: true });
    assert.equal(report.reconnects, 0);
    assert.equal(report.sent, 101);
    assert.equal(report.unknown, outstanding);
    assert.notEqual(report.error, null);
  });

  test('consumer: the connection dies with deliveries unacked; they come back redelivered on the new one, counted as duplicates once, everything received', async () => {
    const broker = new FakeBroker();
    fill(broker, 300);
    let unackedAtKill = -1;
    broker.onDeliver = (tag, ch) => {
      if (unackedAtKill < 0 && tag === 123) {
        unackedAtKill = ch.unacked.size;
        ch.connection.kill();
      }
    };
    const { report } = await consume(broker, fakeCell('none', 'manual:50:10'), fakeWindow({ drainSeconds: 1 }), 300, { afterContinue: true });
    assert.equal(unackedAtKill, 3, 'deliveries 121 to 123, after the ack of 120');
    assert.equal(report.reconnects, 1);
    assert.deepEqual(seqsIn(report.receivedBits[0]!, 300), range(300));
    assert.equal(report.duplicates, unackedAtKill, 'what was unacked at the kill, delivered again');
    assert.equal(report.redelivered, unackedAtKill);
    assert.equal(report.deliveries, 300 + unackedAtKill);
    assert.equal(report.error, null);
    const channels = consumingChannels(broker);
    assert.equal(channels.length, 2);
    assert.ok(channels.every((c) => c.badAcks === 0), 'no ack of a tag of the old channel, or acked already');
    assert.equal(channels[1].unacked.size, 0, 'the new channel ends with nothing unacked');
    assert.equal(broker.queue(QUEUE).ready.length, 0);
  });
});
