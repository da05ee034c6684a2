// Rate control (docs/architecture.md#rate-control-and-the-sweep): message i is due at start + i / rate, evenly, never in
// once-per-second bursts. Latency is measured from that intended time, so a stalled broker shows
// up in the percentiles instead of silently slowing the sender (coordinated-omission correction).
// The same holds for the harness's own lateness: a message sent after its time because the sender
// slept too long counts from when it was due (as wrk2 does), so how the sender waits can change the
// figures only by what it really adds, never hide it.

/**
 * Node's timers fire on the event loop's millisecond clock, about a millisecond either side of what
 * was asked. With no more than this left until a message is due, a timer could overshoot it.
 */
export const PRECISE_WAIT_MS = 2;

/**
 * How to wait for the next message: send it now; sleep on a timer (which wakes about a millisecond
 * early, to wait the rest precisely); or wait precisely for `ms` (a blocking wait of the thread).
 */
export type PaceWait = { kind: 'send' } | { kind: 'timer'; ms: number } | { kind: 'precise'; ms: number };

export class Pacer {
  private readonly intervalNs: number;

  constructor(
    private readonly startNs: number,
    ratePerSecond: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be positive');
    this.intervalNs = 1e9 / ratePerSecond;
  }

  /** When message i (from 0) is due, ns on the monotonic clock. */
  intendedNs(i: number): number {
    return this.startNs + i * this.intervalNs;
  }

  /** How long to wait, in ms, before sending message i at time `nowNs`; 0 when it is due or late. */
  waitMs(i: number, nowNs: number): number {
    const early = this.intendedNs(i) - nowNs;
    return early > 0 ? early / 1e6 : 0;
  }

  /** How many messages are due before `endNs` (those with intendedNs(i) < endNs). */
  dueBefore(endNs: number): number {
    if (endNs <= this.startNs) return 0;
    const n = Math.ceil((endNs - this.startNs) / this.intervalNs);
    // Float rounding at an exact multiple: message n - 1 must be due before endNs, message n not.
    return this.intendedNs(n - 1) >= endNs ? n - 1 : this.intendedNs(n) < endNs ? n + 1 : n;
  }

  /**
   * How to wait for message i at `nowNs`, never by polling the event loop (which takes a core the
   * broker may need). `precise`: the thread may block for the last PRECISE_WAIT_MS; without it, a
   * timer rounded up to whole milliseconds, and the message is sent up to about a millisecond late.
   */
  plan(i: number, nowNs: number, precise: boolean): PaceWait {
    const ms = this.waitMs(i, nowNs);
    if (ms <= 0) return { kind: 'send' };
    if (!precise) return { kind: 'timer', ms: Math.max(1, Math.ceil(ms)) };
    if (ms <= PRECISE_WAIT_MS) return { kind: 'precise', ms };
    // A timer that wakes before the message is due even when it fires a millisecond early or late.
    return { kind: 'timer', ms: Math.max(1, Math.floor(ms) - 1) };
  }
}
