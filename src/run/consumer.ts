// One consumer: counts every delivery against the senders' sequence numbers and records end-to-end
// latency. Runs in a worker until the main thread says the producers are done and it has drained.

import { performance } from 'node:perf_hooks';
import type { AmqpChannel, AmqpConnection, DeliveryHandle } from '../clients/adapter.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import { readHeaderInto, type MessageHeader } from '../measure/header.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import type { LatencyRecorder } from '../measure/latency-recorder.js';
import { COUNTER, type ConsumerReport } from './worker-protocol.js';

export interface ConsumerControl {
  /** Consuming has started: tell the main thread. */
  ready: () => void;
  /** Resolves with the number of distinct measured messages sent, once producers are done. */
  drain: Promise<number>;
  /** Resolves when the measured window starts (to time event-loop utilisation). */
  go: Promise<void>;
  /** End-to-end latency of measured messages; the worker reports its intervals minute by minute. */
  latency: LatencyRecorder;
  /** Sharded runs: resolves when every shard's sent messages have arrived somewhere; ends the drain. */
  finish?: Promise<void>;
  /** Sharded runs: producer ids whose send times are on another clock (no end-to-end latency). */
  untimedProducers?: number[];
  /**
   * Fault cells with `after: continue`: a new connection once the old one died (the worker retries
   * with backoff) and the queue answers on it, or null to end here. Absent: the consumer ends with
   * its connection.
   */
  reconnect?: (dead: AmqpConnection) => Promise<AmqpConnection | null>;
}

export function runConsumer(
  connection: AmqpConnection,
  cell: Cell,
  window: RunWindow,
  queue: string,
  index: number,
  counters: Int32Array,
  control: ConsumerControl,
): Promise<ConsumerReport> {
  return new Consumer(connection, cell, window, queue, index, counters, control).run();
}

/**
 * One connection of the consumer and its channel; `after: continue` opens another. Deliveries and
 * closes of an earlier one change nothing: every handler is bound to its subscription.
 */
class Subscription {
  /** Why this connection ended, or consuming on it failed; null while it is up. */
  failure: Error | null = null;
  /** Set once the channel is open. */
  channel: AmqpChannel | null = null;
  consumerTag = '';
  /**
   * Manual ack: deliveries on this channel not acked yet, and the last one's handle (acked with
   * multiple at the end). Unacked deliveries of an earlier channel went back to the queue with it.
   */
  unacked = 0;
  lastHandle: DeliveryHandle = null;
  constructor(readonly connection: AmqpConnection) {}
}

/**
 * The consumer's state, in the order of its phases: subscribe, consume until the drain (resubscribing
 * under `after: continue`), cancel and ack what it holds, report.
 */
class Consumer {
  // What the report counts.
  private readonly received: SeqBitset[] = [];
  private readonly maxSeq: number[] = [];
  private distinct = 0;
  private deliveries = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private redelivered = 0;
  private unexpected = 0;
  private reconnects = 0;
  private lastReceiveNs = 0;
  /** The last delivery of any kind, or the last (re)subscribe: the drain ends after drainSeconds of quiet. */
  private lastDeliveryNs = nowNs();

  private readonly manual: boolean;
  private readonly multiAck: number;
  private readonly untimed: Set<number>;
  private readonly producers: number;
  private readonly latency: LatencyRecorder;
  /** The one header object every delivery is read into. */
  private readonly header: MessageHeader = { producer: 0, seq: 0, sendNs: 0, warmup: false };
  private sub: Subscription;
  /** The resubscribe under way after a failure, if any. */
  private reconnecting: Promise<void> | null = null;
  /** Distinct measured messages to wait for; null until the drain starts. */
  private expected: number | null = null;
  /** Sharded runs: every shard's messages arrived somewhere. */
  private finished = false;
  /** Ends the drain's current wait early (a delivery completed it, a failure, a finish). */
  private wake: (() => void) | null = null;
  /**
   * kill-consumer: once the main thread sets the halt slot, the delivery in hand is processed but
   * never acked (the consumer dies between processing and ack), and nothing after it is processed.
   */
  private halted = false;

  constructor(
    connection: AmqpConnection,
    private readonly cell: Cell,
    private readonly window: RunWindow,
    private readonly queue: string,
    private readonly index: number,
    private readonly counters: Int32Array,
    private readonly control: ConsumerControl,
  ) {
    this.sub = new Subscription(connection);
    this.manual = cell.consume.ack === 'manual';
    this.multiAck = cell.consume.ack === 'manual' ? cell.consume.multiAck : 1;
    this.untimed = new Set(control.untimedProducers ?? []);
    this.producers = cell.producers;
    this.latency = control.latency;
  }

  async run(): Promise<ConsumerReport> {
    const { control } = this;
    control.finish?.then(() => {
      this.finished = true;
      this.wake?.();
    });
    await this.subscribe(this.sub, this.cell.queue === 'stream' ? 'first' : undefined);
    control.ready();
    await control.go;
    const elu0 = performance.eventLoopUtilization();
    this.expected = await control.drain;
    await this.drain(this.expected);
    const busy = performance.eventLoopUtilization(elu0).utilization;
    // A killed consumer acks nothing more: what it held goes back to the queue when its connection closes.
    const { failure, channel } = this.sub;
    if (!failure && channel && !this.killed()) {
      await channel.cancel(this.sub.consumerTag).catch(() => undefined);
      if (this.manual && this.sub.unacked > 0) channel.ack(this.sub.lastHandle, true);
      await channel.close().catch(() => undefined);
    }
    return this.report(busy);
  }

  /** A consumer killed by the fault stays dead: it does not reconnect. */
  private killed(): boolean {
    return this.halted || Atomics.load(this.counters, COUNTER.halt) === 1;
  }

  /** Consume on a channel of `sub`'s connection, as the consumer's current subscription. */
  private async subscribe(sub: Subscription, streamOffset: 'first' | 'next' | undefined): Promise<void> {
    this.sub = sub;
    sub.connection.onClose((err) => this.fail(sub, err));
    const channel = await sub.connection.openChannel();
    channel.onClose((err) => this.fail(sub, err));
    sub.channel = channel;
    const options = { noAck: !this.manual, prefetch: this.cell.consume.prefetch, streamOffset };
    sub.consumerTag = await channel.consume(this.queue, options, (body, redelivered, handle) => this.deliver(sub, channel, body, redelivered, handle));
    this.lastDeliveryNs = nowNs();
  }

  /** Only the first reason of the current subscription counts; with `after: continue` it starts a resubscribe. */
  private fail(sub: Subscription, err: Error): void {
    if (sub !== this.sub || sub.failure) return;
    sub.failure = err;
    if (this.control.reconnect && !this.killed()) this.reconnecting ??= this.resubscribe(this.control.reconnect);
    this.wake?.();
  }

  /** `after: continue`: a new connection (with backoff, in the worker) and consuming again, until one holds or the worker gives up. */
  private async resubscribe(reconnect: (dead: AmqpConnection) => Promise<AmqpConnection | null>): Promise<void> {
    try {
      for (;;) {
        const conn = await reconnect(this.sub.connection);
        if (!conn || this.killed()) return; // given up: the failure stays, and the consumer ends
        const sub = new Subscription(conn);
        try {
          // A stream keeps what was read: go on from new messages, not from its start again (the
          // fault cell's drain consumer reads the whole stream, so nothing missed here goes uncounted).
          await this.subscribe(sub, this.cell.queue === 'stream' ? 'next' : undefined);
          this.reconnects++;
          return;
        } catch (err) {
          sub.failure = err instanceof Error ? err : new Error(String(err));
        }
      }
    } finally {
      this.reconnecting = null;
      this.wake?.();
    }
  }

  /** The hot path: one delivery counted against its sender's sequence numbers, and acked in turn. */
  private deliver(sub: Subscription, channel: AmqpChannel, body: Buffer, isRedelivered: boolean, handle: DeliveryHandle): void {
    if (this.halted || sub !== this.sub) return;
    const { counters, header: h } = this;
    const dying = Atomics.load(counters, COUNTER.halt) === 1;
    const t = nowNs();
    this.lastDeliveryNs = t;
    this.deliveries++;
    if (isRedelivered) this.redelivered++;
    if (!readHeaderInto(body, h) || h.producer >= this.producers) {
      this.unexpected++;
    } else if (h.warmup) {
      Atomics.add(counters, COUNTER.warmupConsumed, 1);
    } else {
      const bits = (this.received[h.producer] ??= new SeqBitset());
      if (bits.testAndSet(h.seq)) {
        this.duplicates++;
      } else {
        this.distinct++;
        this.lastReceiveNs = t;
        if (!this.untimed.has(h.producer)) this.latency.record((t - h.sendNs) / 1000);
        Atomics.add(counters, COUNTER.consumed, 1);
        if (h.seq < (this.maxSeq[h.producer] ?? -1)) this.outOfOrder++;
        else this.maxSeq[h.producer] = h.seq;
      }
    }
    if (dying) {
      this.halted = true;
      return;
    }
    if (this.manual) {
      sub.unacked++;
      sub.lastHandle = handle;
      if (sub.unacked >= this.multiAck) {
        channel.ack(handle, this.multiAck > 1);
        sub.unacked = 0;
      }
    }
    if (this.expected !== null && this.distinct >= this.expected) this.wake?.();
  }

  /**
   * Wait until everything sent has arrived, or nothing has arrived for drainSeconds (not counting
   * time spent reconnecting).
   */
  private async drain(expected: number): Promise<void> {
    const drainMs = this.window.drainSeconds * 1000;
    while (!this.finished && this.distinct < expected && (!this.sub.failure || this.reconnecting)) {
      const quietMs = this.reconnecting ? 0 : (nowNs() - this.lastDeliveryNs) / 1e6;
      const leftMs = drainMs - quietMs;
      if (leftMs <= 0) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(leftMs, 250));
      });
      this.wake = null;
    }
  }

  private report(busy: number): ConsumerReport {
    const failure = this.sub.failure;
    return {
      role: 'consumer',
      index: this.index,
      receivedBits: Array.from({ length: this.producers }, (_, p) => this.received[p]?.toTransfer() ?? null),
      deliveries: this.deliveries,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      redelivered: this.redelivered,
      unexpected: this.unexpected,
      reconnects: this.reconnects,
      e2eHistogram: this.latency.encodeTotal(),
      lastReceiveNs: this.lastReceiveNs,
      busy,
      error: failure ? failure.message : null,
    };
  }
}
