// The producer (src/run/producer.ts) in every publish mode (src/run/publish-modes.ts), on the
// in-memory broker of test/helpers/fake-adapter.ts: what it publishes, what it counts as confirmed,
// nacked and unknown, and what the mode lets be outstanding. No RabbitMQ needed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COUNTER } from '../../src/run/worker-protocol.js';
import { ackEach, ackMultiple, ackReversed, FakeBroker, nackMeasured, type FakeChannel, type FakePublish } from '../helpers/fake-adapter.js';
import { channelsOf, fakeCell, fakeWindow, measuredSeqs, newCounters, produce, QUEUE, seqsIn } from '../helpers/fake-run.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The one channel the producer published on. */
function publishingChannel(broker: FakeBroker): FakeChannel {
  const channels = channelsOf(broker).filter((c) => c.published.length > 0);
  assert.equal(channels.length, 1);
  return channels[0];
}

/** Records the most publishes ever unanswered (confirms) or uncommitted (tx) at a publish. */
function outstandingProbe(broker: FakeBroker): { max: number } {
  const probe = { max: 0 };
  broker.onPublish = (_p: FakePublish, ch: FakeChannel) => {
    probe.max = Math.max(probe.max, ch.transactional ? ch.uncommitted.length : ch.pending.length);
  };
  return probe;
}

describe('publish modes on the fake broker', () => {
  const window = fakeWindow({ messages: 300, warmupMessages: 20 });

  test('none: no confirm channel, every measured sequence number published once, nothing counted as answered', async () => {
    const broker = new FakeBroker();
    const { report, counters } = await produce(broker, fakeCell('none'), window);
    const ch = publishingChannel(broker);
    assert.equal(ch.answers.length, 0);
    assert.ok(ch.published.every((p) => p.tag === 0 && p.persistent));
    assert.deepEqual(measuredSeqs(ch.published), range(300));
    assert.equal(ch.published.length, 320, 'warm-up and measured');
    assert.deepEqual([report.sent, report.confirmed, report.nacked, report.unknown], [300, 0, 0, 0]);
    assert.equal(Atomics.load(counters, COUNTER.sent), 300);
    assert.equal(broker.queue(QUEUE).ready.length, 320);
    assert.equal(report.error, null);
    assert.ok(ch.closed, 'the producer closed its channel');
  });

  test('single: never more than one publish unanswered; every measured message confirmed and timed once', async () => {
    const broker = new FakeBroker();
    const probe = outstandingProbe(broker);
    const { report, counters, latency } = await produce(broker, fakeCell('single'), window);
    assert.equal(probe.max, 1);
    assert.deepEqual([report.sent, report.confirmed, report.nacked, report.unknown], [300, 300, 0, 0]);
    assert.deepEqual(seqsIn(report.confirmedBits, 300), range(300));
    assert.equal(latency.count, 300, 'warm-up confirms are not timed');
    assert.equal(Atomics.load(counters, COUNTER.confirmed), 300);
    assert.ok(report.lastConfirmNs >= report.firstSendNs);
  });

  test('batch:N: a batch of N unanswered, then a wait for all of them; multiple acks confirm every message once', async () => {
    const broker = new FakeBroker({ confirms: ackMultiple });
    const probe = outstandingProbe(broker);
    const { report } = await produce(broker, fakeCell('batch:25'), window);
    assert.equal(probe.max, 25);
    assert.ok(publishingChannel(broker).answers.some((a) => a.multiple), 'the broker answered with multiple');
    assert.deepEqual([report.sent, report.confirmed, report.unknown], [300, 300, 0]);
    assert.deepEqual(seqsIn(report.confirmedBits, 300), range(300));
  });

  test('async:W: at most W unanswered; confirms out of order are each counted once', async () => {
    const broker = new FakeBroker({ confirms: ackReversed });
    const probe = outstandingProbe(broker);
    const { report, latency } = await produce(broker, fakeCell('async:16'), window);
    assert.ok(probe.max <= 16 && probe.max > 1, `outstanding ${probe.max}`);
    const answers = publishingChannel(broker).answers;
    assert.ok(
      answers.some((a, k) => k > 0 && a.tag < answers[k - 1].tag),
      'some confirm came before an earlier tag',
    );
    assert.deepEqual([report.sent, report.confirmed, report.nacked, report.unknown], [300, 300, 0, 0]);
    assert.deepEqual(seqsIn(report.confirmedBits, 300), range(300));
    assert.equal(latency.count, 300);
  });

  test('async:W with nacks: a nacked message is counted nacked, not confirmed', async () => {
    const broker = new FakeBroker({ confirms: nackMeasured((seq) => seq % 7 === 3) });
    const { report } = await produce(broker, fakeCell('async:50'), window);
    const nacked = range(300).filter((s) => s % 7 === 3);
    assert.equal(report.nacked, nacked.length);
    assert.equal(report.confirmed, 300 - nacked.length);
    const confirmed = seqsIn(report.confirmedBits, 300);
    assert.ok(nacked.every((s) => !confirmed.includes(s)));
  });

  test('tx:N: a commit every N and one for the rest; messages reach the queue at their commit; all confirmed', async () => {
    const broker = new FakeBroker();
    const probe = outstandingProbe(broker);
    const { report } = await produce(broker, fakeCell('tx:40', 'manual:100', {}), window);
    const ch = publishingChannel(broker);
    assert.ok(ch.transactional);
    // Warm-up 20: none at 40, one for the rest; measured 300: 7 of 40, one for the last 20.
    assert.equal(ch.commits, 1 + 8);
    assert.equal(probe.max, 40, 'N publishes uncommitted, then the commit');
    assert.equal(ch.uncommitted.length, 0);
    assert.equal(broker.queue(QUEUE).ready.length, 320);
    assert.deepEqual([report.sent, report.confirmed, report.unknown], [300, 300, 0]);
  });
});

/**
 * The producer's connection or channel closes at measured message `at`, the broker answering
 * nothing from there: what was outstanding then, by sequence number (unanswered confirms, or for
 * tx the publishes since the last commit).
 */
function closeAt(broker: FakeBroker, at: number, what: 'channel' | 'connection'): { outstanding: number[] | null } {
  const seen = { outstanding: null as number[] | null };
  broker.onPublish = (p, ch) => {
    if (measuredSeqs([p])[0] !== at || seen.outstanding) return;
    seen.outstanding = measuredSeqs(ch.transactional ? ch.uncommitted : ch.pending);
    if (what === 'channel') ch.kill();
    else ch.connection.kill();
  };
  return seen;
}

describe('a close at message N: what was outstanding is unknown, the rest is counted once', () => {
  const window = fakeWindow({ messages: 400, warmupMessages: 0 });
  for (const mode of ['single', 'batch:30', 'async:64', 'tx:30'] as const) {
    for (const what of ['channel', 'connection'] as const) {
      test(`${mode}, the ${what} closes at 250`, async () => {
        const broker = new FakeBroker({ confirms: ackMultiple });
        const seen = closeAt(broker, 250, what);
        const { report } = await produce(broker, fakeCell(mode), window);
        assert.ok(seen.outstanding, 'the close happened');
        const outstanding = seen.outstanding;
        assert.ok(outstanding.includes(250));
        assert.equal(report.unknown, outstanding.length);
        assert.deepEqual(seqsIn(report.unknownBits, 400), outstanding);
        assert.equal(report.sent, 251, 'nothing published after the close');
        assert.equal(report.confirmed + report.nacked + report.unknown, report.sent);
        const confirmed = seqsIn(report.confirmedBits, 400);
        assert.ok(confirmed.every((s) => !outstanding.includes(s)), 'never both confirmed and unknown');
        assert.notEqual(report.error, null);
        assert.equal(report.lastError, report.error);
      });
    }
  }

  test('none, the connection closes at 250: nothing is unknown without confirms; the error is reported', async () => {
    const broker = new FakeBroker();
    closeAt(broker, 250, 'connection');
    const { report } = await produce(broker, fakeCell('none'), window);
    assert.deepEqual([report.sent, report.confirmed, report.unknown], [251, 0, 0]);
    assert.notEqual(report.error, null);
  });
});

describe('connection.blocked', () => {
  test('a publish that returns false waits for drained(); the blocked counter shows it; everything is confirmed after unblock', async () => {
    const broker = new FakeBroker({ confirms: ackEach });
    const counters = newCounters();
    let heldWhileBlocked = 0;
    let blockedSlot = -1;
    broker.onPublish = (p, ch) => {
      if (measuredSeqs([p])[0] === 100) ch.connection.block('low on memory');
      else if (ch.connection.blocked) {
        heldWhileBlocked++;
        // The unblock comes two turns later, once the producer had every chance to publish more.
        setImmediate(() =>
          setImmediate(() => {
            blockedSlot = Atomics.load(counters, COUNTER.blocked);
            ch.connection.unblock();
          }),
        );
      }
    };
    const { report } = await produce(broker, fakeCell('async:1000'), fakeWindow({ messages: 300, warmupMessages: 0 }), { counters });
    assert.equal(heldWhileBlocked, 1, 'one publish returned false, then the producer waited');
    assert.equal(blockedSlot, 1, 'shown to the main thread while blocked');
    assert.equal(Atomics.load(counters, COUNTER.blocked), 0, 'unblocked at the end');
    assert.equal(Atomics.load(counters, COUNTER.blockedTimes), 1);
    assert.deepEqual([report.sent, report.confirmed, report.unknown], [300, 300, 0]);
    assert.equal(broker.queue(QUEUE).ready.length, 300, 'the held publish reached the queue after unblock');
  });
});
