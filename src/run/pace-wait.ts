// How a paced producer waits until its next message is due (the plan comes from measure/pacer.ts):
// on a timer while the message is more than a couple of milliseconds off, then a precise wait for the
// rest, so the message leaves close to its intended time without polling the event loop. Polling
// (a setImmediate loop) kept a core busy for every producer paced above a few hundred messages a
// second, and on a shared machine took the CPU the broker needed: the latency it measured was its own.

import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../measure/clock.js';
import type { Pacer } from '../measure/pacer.js';

/** Atomics.wait on a slot nobody notifies: a sleep of the thread with sub-millisecond precision. */
const never = new Int32Array(new SharedArrayBuffer(4));

/**
 * Paced producers running in this thread. A precise wait blocks the whole thread, so it is used only
 * while one producer is paced here; producers sharing a worker (the channels axis) wait on timers.
 */
let pacedHere = 0;

export class PaceWaiter {
  /** Time this producer spent in precise waits, ms: the thread was asleep, not busy (see busyExcept). */
  blockedMs = 0;
  private open = false;

  /** @param pacer the schedule; the producer reads each message's intended send time from it. */
  constructor(readonly pacer: Pacer) {}

  /** Resolves once message i is due (at once if it is late: a backlog is sent back to back). */
  async untilDue(i: number, stopped: () => boolean): Promise<void> {
    if (!this.open) {
      this.open = true;
      pacedHere++;
    }
    for (;;) {
      if (stopped()) return;
      const wait = this.pacer.plan(i, nowNs(), pacedHere === 1);
      if (wait.kind === 'send') return;
      if (wait.kind === 'timer') {
        await sleep(wait.ms);
        continue;
      }
      // One turn of the event loop first, so the last message's socket write and any answers that
      // arrived are handled before the thread sleeps; then sleep for what is left. Answers arriving
      // during that sleep are read when it ends, at most PRECISE_WAIT_MS later (their latency counts it).
      await yieldToLoop();
      const t0 = nowNs();
      // Again if the wait ended a few microseconds short (its timeout is rounded): never early.
      for (let ms = this.pacer.waitMs(i, t0); ms > 0; ms = this.pacer.waitMs(i, nowNs())) Atomics.wait(never, 0, 0, ms);
      this.blockedMs += (nowNs() - t0) / 1e6;
      return;
    }
  }

  /** The producer is done pacing: others in this thread may wait precisely again. */
  close(): void {
    if (this.open) pacedHere--;
    this.open = false;
  }
}

/**
 * Event-loop utilisation over a window, not counting precise waits: Atomics.wait keeps the loop
 * "active" to performance.eventLoopUtilization, though the thread slept.
 */
export function busyExcept(elu: { idle: number; active: number }, blockedMs: number): number {
  const total = elu.idle + elu.active;
  return total > 0 ? Math.max(0, elu.active - blockedMs) / total : 0;
}
