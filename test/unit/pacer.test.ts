// Rate control (docs/architecture.md#rate-control-and-the-sweep) with a fake clock: messages evenly spaced, latency measured
// from the intended send time so a broker stall shows in the percentiles (coordinated omission).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pacer } from '../../src/measure/pacer.js';

const MS = 1e6; // ns
const UPTIME = 5e12; // a plausible monotonic clock reading: ~83 minutes of uptime, in ns

describe('Pacer', () => {
  test('message i is due at start + i / rate', () => {
    const p = new Pacer(UPTIME, 1000);
    assert.equal(p.intendedNs(0), UPTIME);
    assert.equal(p.intendedNs(1), UPTIME + MS);
    assert.equal(p.intendedNs(12_345), UPTIME + 12_345 * MS);
  });

  test('evenly spaced: consecutive intended times differ by exactly 1e9 / rate', () => {
    const p = new Pacer(UPTIME, 1000);
    for (let i = 1; i <= 100_000; i++) assert.equal(p.intendedNs(i) - p.intendedNs(i - 1), MS, `message ${i}`);
  });

  test('no bursts and no drift at rates that do not divide a second', () => {
    for (const rate of [3, 7, 12_345.6]) {
      const p = new Pacer(UPTIME, rate);
      const interval = 1e9 / rate;
      for (let i = 1; i <= 200_000; i++) {
        const gap = p.intendedNs(i) - p.intendedNs(i - 1);
        assert.ok(Math.abs(gap - interval) < 1, `rate ${rate}, message ${i}: gap ${gap}`);
      }
      // After a million messages the schedule is still where i / rate says, to the nanosecond.
      assert.ok(Math.abs(p.intendedNs(1e6) - UPTIME - 1e6 * interval) < 1, `rate ${rate}: drift`);
    }
  });

  test('every second holds the same number of messages (no once-per-second burst)', () => {
    const rate = 50;
    const p = new Pacer(0, rate);
    for (let s = 0; s < 10; s++) {
      // Any one-second window, wherever it starts, holds `rate` messages.
      const from = s * 1e9 + 123_456_789;
      let inWindow = 0;
      for (let i = 0; i < 20 * rate; i++) if (p.intendedNs(i) >= from && p.intendedNs(i) < from + 1e9) inWindow++;
      assert.equal(inWindow, rate, `window from ${from}`);
    }
  });

  test('waitMs: the time until the message is due when early, 0 when due or late', () => {
    const p = new Pacer(UPTIME, 100); // every 10 ms
    assert.equal(p.waitMs(0, UPTIME), 0);
    assert.equal(p.waitMs(1, UPTIME), 10);
    assert.equal(p.waitMs(1, UPTIME + 2.5 * MS), 7.5);
    assert.equal(p.waitMs(5, UPTIME + 50 * MS), 0, 'exactly due');
    assert.equal(p.waitMs(5, UPTIME + 80 * MS), 0, 'late: send at once, do not sleep');
    assert.equal(p.waitMs(3, UPTIME - 10 * MS), 40, 'before the start');
  });

  test('a rate must be positive', () => {
    for (const rate of [0, -5, Number.NaN]) assert.throws(() => new Pacer(0, rate), RangeError, `rate ${rate}`);
  });
});

describe('coordinated-omission correction', () => {
  /**
   * One producer, one message in flight at a time (publish mode `single`), 1000 msgs/s. The broker
   * answers in 0.1 ms, except for message 300, which it holds for 100 ms.
   */
  function simulate() {
    const rate = 1000;
    const pacer = new Pacer(UPTIME, rate);
    let now = UPTIME;
    const fromIntended: number[] = [];
    const fromActualSend: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const wait = pacer.waitMs(i, now);
      waits.push(wait);
      now += wait * MS; // the fake sleep
      const sentAt = now;
      now += i === 300 ? 100 * MS : 0.1 * MS; // the broker's answer
      fromIntended.push(now - pacer.intendedNs(i));
      fromActualSend.push(now - sentAt);
    }
    return { fromIntended, fromActualSend, waits };
  }

  test('latency from the intended time shows the stall in every message scheduled during it', () => {
    const { fromIntended } = simulate();
    const stalled = fromIntended.filter((ns) => ns >= 50 * MS).length;
    assert.ok(stalled >= 45, `${stalled} messages at >= 50 ms`);
    assert.ok(fromIntended.filter((ns) => ns >= 10 * MS).length >= 85);
    assert.ok(Math.abs(Math.max(...fromIntended) - 100 * MS) < 1, 'the worst is the stall itself');
    // Message 301 was due 1 ms after 300 and waited for the whole stall.
    assert.ok(Math.abs(fromIntended[301] - (100 + 0.1 - 1) * MS) < 1, `message 301: ${fromIntended[301]}`);
  });

  test('latency from the actual send would hide it: one slow message (what the correction prevents)', () => {
    const { fromActualSend } = simulate();
    assert.equal(fromActualSend.filter((ns) => ns >= 50 * MS).length, 1);
  });

  test('the producer catches up without sleeping, then returns to schedule', () => {
    const { fromIntended, waits } = simulate();
    // While behind, every wait is 0: the backlog is sent back to back, not skipped.
    for (let i = 301; i < 400; i++) assert.equal(waits[i], 0, `message ${i} should not wait`);
    // Well after the stall, the latency is the broker's 0.1 ms again.
    for (let i = 500; i < 1000; i++) assert.ok(Math.abs(fromIntended[i] - 0.1 * MS) < 1, `message ${i}: ${fromIntended[i]}`);
    // And before it, likewise.
    for (let i = 0; i < 300; i++) assert.ok(Math.abs(fromIntended[i] - 0.1 * MS) < 1, `message ${i}: ${fromIntended[i]}`);
  });
});

describe('waiting without polling (Pacer.plan)', () => {
  const p = new Pacer(UPTIME, 100); // every 10 ms

  test('due or late: send at once', () => {
    assert.deepEqual(p.plan(0, UPTIME, true), { kind: 'send' });
    assert.deepEqual(p.plan(1, UPTIME + 15 * MS, true), { kind: 'send' });
    assert.deepEqual(p.plan(1, UPTIME + 15 * MS, false), { kind: 'send' });
  });

  test('far off: a timer that wakes before the message is due even when it fires a millisecond late', () => {
    const w = p.plan(1, UPTIME, true);
    assert.equal(w.kind, 'timer');
    assert.ok(w.kind === 'timer' && w.ms + 1 <= 10, `timer ${JSON.stringify(w)}`);
  });

  test('close: a precise wait of exactly what is left, never an event-loop turn', () => {
    assert.deepEqual(p.plan(1, UPTIME + 8.5 * MS, true), { kind: 'precise', ms: 1.5 });
    const w = p.plan(1, UPTIME + 9.9 * MS, true);
    assert.ok(w.kind === 'precise' && Math.abs(w.ms - 0.1) < 1e-9, JSON.stringify(w));
  });

  test('without precise waits: a timer rounded up, at least 1 ms (never 0, which would poll)', () => {
    assert.deepEqual(p.plan(1, UPTIME + 9.9 * MS, false), { kind: 'timer', ms: 1 });
    assert.deepEqual(p.plan(1, UPTIME + 2.5 * MS, false), { kind: 'timer', ms: 8 });
  });

  test('following the plan with a fake clock never waits 0 ms and sends each message on time', () => {
    // Timers fire up to 1 ms late here; a precise wait is exact.
    const q = new Pacer(UPTIME, 300);
    let now = UPTIME;
    let waits = 0;
    let timers = 0;
    for (let i = 0; i < 3000; i++) {
      for (;;) {
        const w = q.plan(i, now, true);
        if (w.kind === 'send') break;
        assert.ok(w.ms > 0, `message ${i}: a wait of ${w.ms} ms`);
        waits++;
        if (w.kind === 'timer') timers++;
        now += (w.kind === 'timer' ? w.ms + (i % 2) : w.ms) * MS;
      }
      assert.ok(now - q.intendedNs(i) < 0.001 * MS, `message ${i} sent ${(now - q.intendedNs(i)) / MS} ms late`);
      now += 0.05 * MS; // the publish call
    }
    assert.ok(waits < 3 * 3000, `${waits} waits for 3000 messages`);
    assert.ok(timers >= 2900, `most of each 3.3 ms gap is slept on a timer (${timers})`);
  });
});

describe('messages due before a deadline (Pacer.dueBefore)', () => {
  test('those with intendedNs < end, at rates that do and do not divide a second', () => {
    for (const rate of [1000, 3, 7, 12_345.6, 400]) {
      const p = new Pacer(UPTIME, rate);
      for (const seconds of [0.001, 0.5, 1, 2.5, 10]) {
        const end = UPTIME + seconds * 1e9;
        const n = p.dueBefore(end);
        assert.ok(p.intendedNs(n - 1) < end || n === 0, `rate ${rate}, ${seconds} s: message ${n - 1} is due before the end`);
        assert.ok(p.intendedNs(n) >= end, `rate ${rate}, ${seconds} s: message ${n} is not`);
      }
    }
  });

  test('1000/s for 4 s: 4000 due; nothing before the start', () => {
    const p = new Pacer(UPTIME, 1000);
    assert.equal(p.dueBefore(UPTIME + 4e9), 4000);
    assert.equal(p.dueBefore(UPTIME), 0);
    assert.equal(p.dueBefore(UPTIME - 1e9), 0);
  });
});
