// Integrity accounting: producer and consumer reports in, Jepsen-style counts out (docs/architecture.md#the-life-of-one-message, docs/architecture.md#faults).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { account } from '../../src/measure/accounting.js';
import { SeqBitset } from '../../src/measure/bitset.js';
import { idleConsumerReport, idleProducerReport, type ConsumerReport, type ProducerReport, type TransferredBits } from '../../src/run/worker-protocol.js';

function bits(seqs: Iterable<number>): TransferredBits {
  const s = new SeqBitset();
  for (const q of seqs) s.testAndSet(q);
  return s.toTransfer();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

function producer(index: number, sent: number, o: { confirmed?: number[]; nacked?: number; unknown?: number[] } = {}): ProducerReport {
  const confirmed = o.confirmed ?? range(0, sent);
  const unknown = o.unknown ?? [];
  return {
    ...idleProducerReport(index),
    sent,
    confirmed: confirmed.length,
    nacked: o.nacked ?? 0,
    unknown: unknown.length,
    confirmedBits: bits(confirmed),
    unknownBits: bits(unknown),
  };
}

/** `received[p]` lists the seqs this consumer got from producer p. */
function consumer(index: number, received: (number[] | null)[], o: Partial<Pick<ConsumerReport, 'duplicates' | 'outOfOrder' | 'redelivered' | 'unexpected'>> = {}): ConsumerReport {
  return {
    ...idleConsumerReport(index),
    receivedBits: received.map((r) => (r ? bits(r) : null)),
    deliveries: received.reduce((n, r) => n + (r?.length ?? 0), 0),
    duplicates: o.duplicates ?? 0,
    outOfOrder: o.outOfOrder ?? 0,
    redelivered: o.redelivered ?? 0,
    unexpected: o.unexpected ?? 0,
  };
}

describe('account', () => {
  test('everything confirmed and received: nothing lost or missing', () => {
    const c = account([producer(0, 1000)], [consumer(0, [range(0, 1000)])], true, null);
    assert.equal(c.sent, 1000);
    assert.equal(c.confirmed, 1000);
    assert.equal(c.received, 1000);
    assert.equal(c.lost, 0);
    assert.equal(c.missing, 0);
    assert.equal(c.duplicates, 0);
    assert.equal(c.recovered, 0);
  });

  test('a confirmed message never received is lost (and missing)', () => {
    const received = range(0, 100).filter((q) => q !== 42);
    const c = account([producer(0, 100)], [consumer(0, [received])], true, null);
    assert.equal(c.received, 99);
    assert.equal(c.lost, 1);
    assert.equal(c.missing, 1);
  });

  test('without confirms (publish none) a message not received is missing, not lost', () => {
    const c = account([producer(0, 100, { confirmed: [] })], [consumer(0, [range(1, 100)])], false, null);
    assert.equal(c.confirmed, null, 'confirmed is undefined for none, never 0');
    assert.equal(c.lost, 0);
    assert.equal(c.missing, 1);
    assert.equal(c.received, 99);
  });

  test('a nacked message not received is missing, not lost', () => {
    const c = account([producer(0, 10, { confirmed: range(0, 9), nacked: 1 })], [consumer(0, [range(0, 9)])], true, null);
    assert.equal(c.nacked, 1);
    assert.equal(c.lost, 0);
    assert.equal(c.missing, 1);
  });

  test('one message received by two consumers: one duplicate, received once', () => {
    const c = account([producer(0, 10)], [consumer(0, [range(0, 6)]), consumer(1, [range(5, 10)])], true, null);
    assert.equal(c.received, 10);
    assert.equal(c.duplicates, 1);
    assert.equal(c.lost, 0);
    assert.equal(c.missing, 0);
  });

  test('duplicates a consumer saw itself add to the cross-consumer ones', () => {
    const c = account([producer(0, 10)], [consumer(0, [range(0, 6)], { duplicates: 2 }), consumer(1, [range(5, 10)], { duplicates: 1 })], true, null);
    assert.equal(c.duplicates, 2 + 1 + 1);
  });

  test('unknown (no answer before the channel died) and received all the same: recovered', () => {
    const p = producer(0, 10, { confirmed: range(0, 7), unknown: [7, 8, 9] });
    const c = account([p], [consumer(0, [range(0, 9)])], true, null);
    assert.equal(c.unknown, 3);
    assert.equal(c.recovered, 2, '7 and 8 arrived; 9 did not');
    assert.equal(c.lost, 0, 'an unknown message is never lost');
    assert.equal(c.missing, 1);
  });

  test('four producers: counts add up, and a loss is charged to the right producer', () => {
    const producers = [0, 1, 2, 3].map((i) => producer(i, 100 + i));
    // Two consumers share the work; producer 2's seq 50 never arrives.
    const firstHalf = producers.map(() => range(0, 50));
    const secondHalf = producers.map((p) => range(50, p.sent).filter((q) => !(p.index === 2 && q === 50)));
    const c = account(producers, [consumer(0, firstHalf), consumer(1, secondHalf)], true, null);
    const total = 100 + 101 + 102 + 103;
    assert.equal(c.sent, total);
    assert.equal(c.confirmed, total);
    assert.equal(c.received, total - 1);
    assert.equal(c.lost, 1);
    assert.equal(c.missing, 1);
    assert.equal(c.duplicates, 0);
  });

  test("one producer's seqs do not count as another's", () => {
    // Consumer reports producer 1's seqs only; producer 0's messages are all lost.
    const c = account([producer(0, 5), producer(1, 5)], [consumer(0, [null, range(0, 5)])], true, null);
    assert.equal(c.received, 5);
    assert.equal(c.lost, 5);
  });

  test('consumer-side counters are summed', () => {
    const c = account([producer(0, 4)], [consumer(0, [[0, 1]], { outOfOrder: 1, redelivered: 2, unexpected: 3 }), consumer(1, [[2, 3]], { outOfOrder: 4, redelivered: 5, unexpected: 6 })], true, null);
    assert.equal(c.outOfOrder, 5);
    assert.equal(c.redelivered, 7);
    assert.equal(c.unexpected, 9);
  });

  test('publish-only (no consumers): the queue depth stands in for received', () => {
    const all = account([producer(0, 500), producer(1, 500)], [], true, 1000);
    assert.equal(all.received, 1000);
    assert.equal(all.lost, 0);
    assert.equal(all.missing, 0);

    const short = account([producer(0, 500), producer(1, 500)], [], true, 990);
    assert.equal(short.received, 990);
    assert.equal(short.lost, 10, 'lost = confirmed - queued');
    assert.equal(short.missing, 10);

    const unanswered = account([producer(0, 500, { confirmed: [] })], [], false, 490);
    assert.equal(unanswered.confirmed, null);
    assert.equal(unanswered.lost, 0);
    assert.equal(unanswered.missing, 10);
  });
});

describe('several consumers on a stream (every consumer reads every message)', () => {
  test('two consumers each reading all 2000: received 2000, no duplicates, nothing lost', () => {
    const all = range(0, 2000);
    const c = account([producer(0, 2000)], [consumer(0, [all]), consumer(1, [all])], true, null, { readsAll: true });
    assert.equal(c.received, 2000);
    assert.equal(c.duplicates, 0);
    assert.equal(c.lost, 0);
    assert.equal(c.missing, 0);
  });

  test('the same reports from a classic queue are 2000 duplicates (each message should reach one consumer)', () => {
    const all = range(0, 2000);
    assert.equal(account([producer(0, 2000)], [consumer(0, [all]), consumer(1, [all])], true, null).duplicates, 2000);
  });

  test('a second delivery to the same consumer is still a duplicate', () => {
    const all = range(0, 100);
    const c = account([producer(0, 100)], [consumer(0, [all], { duplicates: 3 }), consumer(1, [all])], true, null, { readsAll: true });
    assert.equal(c.duplicates, 3);
  });
});
