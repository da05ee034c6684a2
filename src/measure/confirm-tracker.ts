// Publisher-side accounting: which published messages the broker has answered, and how fast.
// Publish sequence numbers (delivery tags) count from 1 on a channel after confirm.select or
// tx.select. Unanswered messages live in a ring buffer sized to the mode's bound on outstanding
// messages, so memory does not grow with the message count.

import { SeqBitset } from './bitset.js';

const PENDING = 1;
const WARMUP = 2;

export interface ConfirmSink {
  /** A measured message was confirmed at `atNs`, `latencyNs` after it was sent. */
  confirmed(seq: number, latencyNs: number, atNs: number): void;
  nacked(seq: number): void;
}

export class ConfirmTracker {
  private readonly sendNs: Float64Array;
  private readonly seqOf: Uint32Array;
  private readonly state: Uint8Array;
  private nextTag = 1;
  /** The lowest tag not yet answered (all below it are settled). */
  private lowTag = 1;
  private waiter: { below: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(
    readonly capacity: number,
    private readonly sink: ConfirmSink,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.sendNs = new Float64Array(capacity);
    this.seqOf = new Uint32Array(capacity);
    this.state = new Uint8Array(capacity);
  }

  /**
   * Tags from the lowest unanswered one to the last sent: the ring's occupancy. Out-of-order single
   * acks leave holes inside this span, and a slot is reused only once the span has moved past it.
   */
  get outstanding(): number {
    return this.nextTag - this.lowTag;
  }

  /** Record a publish; returns its delivery tag. Throws if the ring is full (a mode bug, not a broker one). */
  sent(seq: number, sendNs: number, warmup: boolean): number {
    if (this.outstanding >= this.capacity) throw new Error(`confirm tracker overflow: ${this.outstanding} outstanding`);
    const tag = this.nextTag++;
    const slot = tag % this.capacity;
    this.sendNs[slot] = sendNs;
    this.seqOf[slot] = seq;
    this.state[slot] = warmup ? PENDING | WARMUP : PENDING;
    return tag;
  }

  /** The broker answered `tag` (and with `multiple`, every lower tag still outstanding). */
  settle(tag: number, multiple: boolean, ack: boolean, nowNs: number): void {
    if (tag >= this.nextTag || tag < this.lowTag) return; // unknown or already settled: ignore, as clients do
    if (multiple) {
      for (let t = this.lowTag; t <= tag; t++) this.settleOne(t, ack, nowNs);
    } else {
      this.settleOne(tag, ack, nowNs);
    }
    while (this.lowTag < this.nextTag && this.state[this.lowTag % this.capacity] === 0) this.lowTag++;
    this.wake();
  }

  /** tx.commit-ok: every message published so far is confirmed. */
  settleAll(nowNs: number): void {
    if (this.nextTag > this.lowTag) this.settle(this.nextTag - 1, true, true, nowNs);
  }

  /**
   * Resolves when fewer than `below` messages are outstanding; rejects if the channel failed.
   * One waiter at a time: a producer has one publish loop, which waits before it publishes again.
   */
  waitBelow(below: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.outstanding < below) return Promise.resolve();
    if (this.waiter) return Promise.reject(new Error('confirm tracker: a second concurrent waiter'));
    return new Promise((resolve, reject) => {
      this.waiter = { below, resolve, reject };
    });
  }

  waitAll(): Promise<void> {
    return this.waitBelow(1);
  }

  /**
   * The channel or connection died: every outstanding message is now unknown (it may or may not
   * have reached the queue). Returns how many measured messages that is, and their sequence numbers.
   */
  abandon(err: Error): { unknown: number; seqs: SeqBitset } {
    const seqs = new SeqBitset();
    let unknown = 0;
    for (let t = this.lowTag; t < this.nextTag; t++) {
      const slot = t % this.capacity;
      if (this.state[slot] === PENDING) {
        // warm-up messages (PENDING | WARMUP) are not counted
        unknown++;
        seqs.testAndSet(this.seqOf[slot]);
      }
      this.state[slot] = 0;
    }
    this.lowTag = this.nextTag;
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
    return { unknown, seqs };
  }

  /**
   * A new channel after abandon(): tags count from 1 again and waits work again. Only once nothing is
   * outstanding, so no answer of the old channel can be taken for one of the new.
   */
  reopen(): void {
    if (this.outstanding > 0) throw new Error('confirm tracker: reopen with messages outstanding');
    this.nextTag = 1;
    this.lowTag = 1;
    this.failure = null;
  }

  private settleOne(tag: number, ack: boolean, nowNs: number): void {
    const slot = tag % this.capacity;
    const st = this.state[slot];
    if (st === 0) return;
    this.state[slot] = 0;
    if (st & WARMUP) return;
    if (ack) this.sink.confirmed(this.seqOf[slot], nowNs - this.sendNs[slot], nowNs);
    else this.sink.nacked(this.seqOf[slot]);
  }

  private wake(): void {
    const w = this.waiter;
    if (w && this.outstanding < w.below) {
      this.waiter = null;
      w.resolve();
    }
  }
}
