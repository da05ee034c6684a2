// ConfirmTracker: which published messages the broker answered, each exactly once, and how fast.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfirmTracker, type ConfirmSink } from '../../src/measure/confirm-tracker.js';
import { mulberry32, randInt } from '../helpers/prng.js';

class RecordingSink implements ConfirmSink {
  confirmations: { seq: number; latencyNs: number; atNs: number }[] = [];
  nacks: number[] = [];
  confirmed(seq: number, latencyNs: number, atNs: number): void {
    this.confirmations.push({ seq, latencyNs, atNs });
  }
  nacked(seq: number): void {
    this.nacks.push(seq);
  }
  get confirmedSeqs(): number[] {
    return this.confirmations.map((c) => c.seq);
  }
}

function setup(capacity: number) {
  const sink = new RecordingSink();
  return { sink, tracker: new ConfirmTracker(capacity, sink) };
}

/** Lets pending promise callbacks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled, and how. */
function observe(p: Promise<void>) {
  const state = { resolved: false, rejected: null as unknown };
  p.then(
    () => (state.resolved = true),
    (e) => (state.rejected = e),
  );
  return state;
}

describe('ConfirmTracker', () => {
  test('delivery tags count from 1', () => {
    const { tracker } = setup(8);
    assert.deepEqual([tracker.sent(0, 0, false), tracker.sent(1, 0, false), tracker.sent(2, 0, false)], [1, 2, 3]);
    assert.equal(tracker.outstanding, 3);
  });

  test('a capacity below 1 is refused', () => {
    assert.throws(() => new ConfirmTracker(0, new RecordingSink()), RangeError);
  });

  test('a multiple ack settles every lower outstanding tag once, with latency = now - send time', () => {
    const { sink, tracker } = setup(16);
    for (let seq = 0; seq < 6; seq++) tracker.sent(seq, 1000 + seq * 10, false);
    tracker.settle(4, true, true, 5000);
    assert.deepEqual(sink.confirmations, [
      { seq: 0, latencyNs: 4000, atNs: 5000 },
      { seq: 1, latencyNs: 3990, atNs: 5000 },
      { seq: 2, latencyNs: 3980, atNs: 5000 },
      { seq: 3, latencyNs: 3970, atNs: 5000 },
    ]);
    assert.equal(tracker.outstanding, 2);
    tracker.settle(6, true, true, 6000);
    assert.deepEqual(sink.confirmedSeqs, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      sink.confirmations.slice(4).map((c) => c.latencyNs),
      [6000 - 1040, 6000 - 1050],
    );
    assert.equal(tracker.outstanding, 0);
  });

  test('a multiple ack skips tags already answered singly', () => {
    const { sink, tracker } = setup(16);
    for (let seq = 0; seq < 5; seq++) tracker.sent(seq, 0, false);
    tracker.settle(3, false, true, 10);
    tracker.settle(5, true, true, 20);
    assert.deepEqual(sink.confirmedSeqs, [2, 0, 1, 3, 4]);
    assert.equal(sink.confirmations[0].atNs, 10);
    assert.ok(sink.confirmations.slice(1).every((c) => c.atNs === 20));
  });

  test('out-of-order single acks settle each once; outstanding shrinks only when the lowest is answered', () => {
    const { sink, tracker } = setup(8);
    for (let seq = 0; seq < 3; seq++) tracker.sent(100 + seq, 0, false);
    tracker.settle(3, false, true, 1);
    assert.deepEqual(sink.confirmedSeqs, [102]);
    assert.equal(tracker.outstanding, 3, 'tag 1 is still unanswered, so the span is unchanged');
    tracker.settle(1, false, true, 2);
    assert.deepEqual(sink.confirmedSeqs, [102, 100]);
    assert.equal(tracker.outstanding, 2, 'tag 1 answered: the span starts at tag 2');
    tracker.settle(2, false, true, 3);
    assert.deepEqual(sink.confirmedSeqs, [102, 100, 101]);
    assert.equal(tracker.outstanding, 0, 'tag 2 answered: the hole at 3 is skipped too');
  });

  test('a slot is never reused while its tag is outstanding', () => {
    const { sink, tracker } = setup(4);
    for (let seq = 0; seq < 4; seq++) tracker.sent(seq, seq, false);
    assert.throws(() => tracker.sent(4, 4, false), /overflow/);
    // Answering everything except the lowest tag frees no slot: the span is still 4.
    tracker.settle(2, false, true, 10);
    tracker.settle(3, false, true, 10);
    tracker.settle(4, false, true, 10);
    assert.equal(tracker.outstanding, 4);
    assert.throws(() => tracker.sent(4, 4, false), /overflow/);
    // Tag 1 still holds its own send time and seq when finally answered.
    tracker.settle(1, false, true, 100);
    assert.deepEqual(sink.confirmations.at(-1), { seq: 0, latencyNs: 100, atNs: 100 });
    assert.equal(tracker.outstanding, 0);
    assert.equal(tracker.sent(4, 50, false), 5);
    tracker.settle(5, false, true, 60);
    assert.deepEqual(sink.confirmations.at(-1), { seq: 4, latencyNs: 10, atNs: 60 });
  });

  test('warm-up messages are never reported, confirmed or nacked', () => {
    const { sink, tracker } = setup(8);
    tracker.sent(0, 0, true);
    tracker.sent(1, 0, true);
    tracker.sent(0, 0, false);
    tracker.sent(1, 0, true);
    tracker.settle(2, true, true, 5);
    tracker.settle(4, false, false, 5);
    tracker.settle(3, false, true, 5);
    assert.deepEqual(sink.confirmedSeqs, [0]);
    assert.deepEqual(sink.nacks, []);
    assert.equal(tracker.outstanding, 0);
  });

  test('a nack reports nacked, not confirmed', () => {
    const { sink, tracker } = setup(8);
    for (let seq = 0; seq < 3; seq++) tracker.sent(seq, 0, false);
    tracker.settle(2, true, false, 5);
    tracker.settle(3, false, true, 5);
    assert.deepEqual(sink.nacks, [0, 1]);
    assert.deepEqual(sink.confirmedSeqs, [2]);
  });

  test('duplicate and unknown tags are ignored', () => {
    const { sink, tracker } = setup(8);
    for (let seq = 0; seq < 3; seq++) tracker.sent(seq, 0, false);
    tracker.settle(2, false, true, 1);
    tracker.settle(2, false, true, 2);
    tracker.settle(2, true, true, 3); // settles 1 only
    tracker.settle(1, false, true, 4);
    tracker.settle(1, true, true, 4);
    tracker.settle(0, true, true, 5);
    tracker.settle(99, true, true, 6);
    tracker.settle(4, false, false, 6);
    assert.deepEqual(sink.confirmedSeqs, [1, 0]);
    assert.deepEqual(sink.nacks, []);
    assert.equal(tracker.outstanding, 1);
  });

  test('settleAll confirms everything outstanding (tx.commit-ok)', () => {
    const { sink, tracker } = setup(8);
    for (let seq = 0; seq < 5; seq++) tracker.sent(seq, seq, false);
    tracker.settle(2, false, true, 10);
    tracker.settleAll(20);
    assert.deepEqual(sink.confirmedSeqs.sort(), [0, 1, 2, 3, 4]);
    assert.equal(tracker.outstanding, 0);
    tracker.settleAll(30); // nothing outstanding: no-op
    assert.equal(sink.confirmations.length, 5);
  });

  test('waitBelow resolves exactly when outstanding drops below the bound', async () => {
    const { tracker } = setup(8);
    for (let seq = 0; seq < 5; seq++) tracker.sent(seq, 0, false);
    const w = observe(tracker.waitBelow(3));
    await tick();
    assert.equal(w.resolved, false);
    tracker.settle(5, false, true, 1); // a hole at the top: the span is still 5
    await tick();
    assert.equal(w.resolved, false);
    tracker.settle(1, false, true, 1); // outstanding 4
    await tick();
    assert.equal(w.resolved, false);
    tracker.settle(2, false, true, 1); // outstanding 3: not below 3
    await tick();
    assert.equal(w.resolved, false);
    tracker.settle(3, false, true, 1); // outstanding 2: tag 4 is the lowest unanswered, span 4..5
    await tick();
    assert.equal(tracker.outstanding, 2);
    assert.equal(w.resolved, true);
  });

  test('waitBelow and waitAll resolve at once when already below', async () => {
    const { tracker } = setup(4);
    await tracker.waitAll();
    tracker.sent(0, 0, false);
    await tracker.waitBelow(2);
    const all = observe(tracker.waitAll());
    await tick();
    assert.equal(all.resolved, false);
    tracker.settleAll(1);
    await tick();
    assert.equal(all.resolved, true);
  });

  test('abandon reports outstanding measured messages as unknown and rejects the waiter', async () => {
    const { sink, tracker } = setup(8);
    tracker.sent(10, 0, false); // tag 1
    tracker.sent(11, 0, true); // tag 2, warm-up
    tracker.sent(12, 0, false); // tag 3
    tracker.sent(13, 0, false); // tag 4
    tracker.sent(14, 0, false); // tag 5
    tracker.settle(1, false, true, 1);
    tracker.settle(4, false, true, 1);
    const w = observe(tracker.waitAll());
    const err = new Error('channel closed');
    const { unknown, seqs } = tracker.abandon(err);
    assert.equal(unknown, 2);
    assert.equal(seqs.count(), 2);
    assert.ok(seqs.has(12) && seqs.has(14));
    assert.ok(!seqs.has(11), 'warm-up is not counted');
    assert.ok(!seqs.has(13), 'answered is not unknown');
    await tick();
    assert.equal(w.rejected, err);
    await assert.rejects(tracker.waitBelow(100), (e) => e === err);
    // A late answer for an abandoned tag changes nothing.
    tracker.settle(5, true, true, 9);
    assert.deepEqual(sink.confirmedSeqs, [10, 13]);
    assert.equal(tracker.outstanding, 0);
  });

  test('reopen after abandon: tags count from 1 again, waits work, and the new tags map to the new seqs', async () => {
    const { sink, tracker } = setup(4);
    tracker.sent(0, 0, false);
    tracker.sent(1, 0, false);
    tracker.settle(1, false, true, 5);
    tracker.abandon(new Error('connection closed'));
    tracker.reopen();
    assert.equal(tracker.outstanding, 0);
    assert.equal(tracker.sent(2, 10, false), 1, 'the new channel numbers from 1');
    const w = observe(tracker.waitAll());
    tracker.settle(1, false, true, 30);
    await tick();
    assert.equal(w.resolved, true);
    assert.deepEqual(sink.confirmations, [
      { seq: 0, latencyNs: 5, atNs: 5 },
      { seq: 2, latencyNs: 20, atNs: 30 },
    ]);
  });

  test('reopen with messages outstanding is refused', () => {
    const { tracker } = setup(4);
    tracker.sent(0, 0, false);
    assert.throws(() => tracker.reopen(), /outstanding/);
  });

  test('randomized: confirmed seqs match a reference model, each at most once', () => {
    for (const seed of [1, 2, 3, 42, 20240607]) {
      const rand = mulberry32(seed);
      const capacity = 64;
      const { sink, tracker } = setup(capacity);
      // Reference: tag -> { seq, sendNs, warmup } for unanswered tags.
      const pending = new Map<number, { seq: number; sendNs: number; warmup: boolean }>();
      const refConfirmed: number[] = [];
      const refNacked: number[] = [];
      const expectedLatency = new Map<number, number>();
      let nextTag = 1;
      let nextSeq = 0;
      let now = 0;
      const span = () => nextTag - (pending.size ? Math.min(...pending.keys()) : nextTag);

      for (let step = 0; step < 2000; step++) {
        now += randInt(rand, 1, 1000);
        const r = rand();
        if (r < 0.5) {
          const warmup = rand() < 0.1;
          if (span() >= capacity) {
            assert.throws(() => tracker.sent(nextSeq, now, warmup), /overflow/, `seed ${seed} step ${step}`);
            continue;
          }
          const tag = tracker.sent(nextSeq, now, warmup);
          assert.equal(tag, nextTag, `seed ${seed} step ${step}`);
          pending.set(tag, { seq: nextSeq, sendNs: now, warmup });
          nextTag++;
          nextSeq++;
        } else {
          // Mostly real outstanding tags, sometimes stale or never-issued ones.
          const tag = rand() < 0.85 && pending.size ? [...pending.keys()][randInt(rand, 0, pending.size - 1)] : randInt(rand, 0, nextTag + 3);
          const multiple = rand() < 0.3;
          const ack = rand() < 0.9;
          const covered = [...pending.keys()].filter((t) => (multiple ? t <= tag : t === tag)).sort((a, b) => a - b);
          if (tag >= nextTag) covered.length = 0;
          for (const t of covered) {
            const m = pending.get(t)!;
            pending.delete(t);
            if (m.warmup) continue;
            if (ack) {
              refConfirmed.push(m.seq);
              expectedLatency.set(m.seq, now - m.sendNs);
            } else refNacked.push(m.seq);
          }
          tracker.settle(tag, multiple, ack, now);
        }
        assert.equal(tracker.outstanding, span(), `seed ${seed} step ${step}: outstanding`);
      }

      const got = sink.confirmedSeqs;
      assert.equal(new Set(got).size, got.length, `seed ${seed}: a seq was confirmed twice`);
      assert.deepEqual([...got].sort((a, b) => a - b), [...refConfirmed].sort((a, b) => a - b), `seed ${seed}: confirmed set`);
      assert.deepEqual([...sink.nacks].sort((a, b) => a - b), [...refNacked].sort((a, b) => a - b), `seed ${seed}: nacked set`);
      for (const c of sink.confirmations) assert.equal(c.latencyNs, expectedLatency.get(c.seq), `seed ${seed}: latency of seq ${c.seq}`);
      assert.ok(refConfirmed.length > 500, `seed ${seed}: the walk should confirm plenty (${refConfirmed.length})`);
    }
  });
});
