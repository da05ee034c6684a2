// How a paced producer waits (run/pace-wait.ts): never early, and without polling the event loop.
// Polling is counted, not timed: each setImmediate the wait schedules is an 'Immediate' async
// resource, so a busy-wait shows up as many of them per message, whatever the machine's speed.

import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { nowNs } from '../../src/measure/clock.js';
import { Pacer } from '../../src/measure/pacer.js';
import { busyExcept, PaceWaiter } from '../../src/run/pace-wait.js';

async function paced(rate: number, messages: number, waiters = 1) {
  const counts = { Immediate: 0, Timeout: 0 };
  const hook = createHook({
    init(_id, type) {
      if (type === 'Immediate' || type === 'Timeout') counts[type]++;
    },
  }).enable();
  let early = 0;
  const run = async () => {
    const pacer = new Pacer(nowNs(), rate);
    const w = new PaceWaiter(pacer);
    for (let i = 0; i < messages; i++) {
      await w.untilDue(i, () => false);
      if (nowNs() < pacer.intendedNs(i)) early++;
    }
    w.close();
    return w.blockedMs;
  };
  const blocked = await Promise.all(Array.from({ length: waiters }, run));
  hook.disable();
  return { counts, early, blocked };
}

describe('PaceWaiter', () => {
  test('one producer at 800/s: never early, at most one event-loop turn and one timer per message', async () => {
    const { counts, early, blocked } = await paced(800, 200);
    assert.equal(early, 0);
    assert.ok(counts.Immediate <= 200, `${counts.Immediate} event-loop turns for 200 messages`);
    assert.ok(counts.Timeout <= 2 * 200, `${counts.Timeout} timers for 200 messages`);
    assert.ok(blocked[0] > 0, 'the last stretch before each message is a precise wait');
  });

  test('a stopped producer returns at once', async () => {
    const w = new PaceWaiter(new Pacer(nowNs(), 1));
    const t0 = nowNs();
    await w.untilDue(5, () => true);
    w.close();
    assert.ok(nowNs() - t0 < 1e9, 'did not wait for message 5 of 1/s');
  });

  test('two producers in one thread wait on timers only (a precise wait would hold the other up)', async () => {
    const { counts, early, blocked } = await paced(400, 60, 2);
    assert.equal(early, 0);
    assert.deepEqual(blocked, [0, 0]);
    assert.ok(counts.Immediate <= 2 * 60, `${counts.Immediate} event-loop turns for 120 messages`);
  });
});

describe('busyExcept', () => {
  test('time asleep in a precise wait is not busy time', () => {
    assert.equal(busyExcept({ idle: 600, active: 400 }, 300), 0.1);
    assert.equal(busyExcept({ idle: 0, active: 100 }, 200), 0, 'never below 0');
    assert.equal(busyExcept({ idle: 0, active: 0 }, 0), 0);
  });
});
