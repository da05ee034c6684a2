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

export async function runConsumer(
  connection: AmqpConnection,
  cell: Cell,
  window: RunWindow,
  queue: string,
  index: number,
  counters: Int32Array,
  control: ConsumerControl,
): Promise<ConsumerReport> {
  const latency = control.latency;
  const received: SeqBitset[] = [];
  const maxSeq: number[] = [];
  let distinct = 0;
  let deliveries = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let redelivered = 0;
  let unexpected = 0;
  let lastReceiveNs = 0;
  let lastDeliveryNs = nowNs();
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let finished = false;
  control.finish?.then(() => {
    finished = true;
    wake?.();
  });
  const untimed = new Set(control.untimedProducers ?? []);

  const manual = cell.consume.ack === 'manual';
  const multiAck = cell.consume.ack === 'manual' ? cell.consume.multiAck : 1;
  let unacked = 0;
  let lastHandle: DeliveryHandle = null;

  // Each connection is a generation: deliveries and closes of an earlier one change nothing.
  let generation = 0;
  let ch!: AmqpChannel;
  let consumerTag = '';
  let reconnects = 0;
  let reconnecting: Promise<void> | null = null;
  let current = connection;
  // A consumer killed by the fault stays dead: it does not reconnect.
  const killed = () => halted || Atomics.load(counters, COUNTER.halt) === 1;
  const fail = (gen: number, err: Error) => {
    if (gen !== generation || failure) return;
    failure = err;
    if (control.reconnect && !killed()) reconnecting ??= resubscribe(control.reconnect);
    wake?.();
  };

  // kill-consumer: once the main thread sets the halt slot, the delivery in hand is processed but never
  // acked (the consumer dies between processing and ack), and nothing after it is processed at all.
  let halted = false;
  const h: MessageHeader = { producer: 0, seq: 0, sendNs: 0, warmup: false };
  const onDelivery = (channel: AmqpChannel, gen: number, body: Buffer, isRedelivered: boolean, handle: DeliveryHandle) => {
    if (halted || gen !== generation) return;
    const dying = Atomics.load(counters, COUNTER.halt) === 1;
    const t = nowNs();
    lastDeliveryNs = t;
    deliveries++;
    if (isRedelivered) redelivered++;
    if (!readHeaderInto(body, h) || h.producer >= cell.producers) {
      unexpected++;
    } else if (h.warmup) {
      Atomics.add(counters, COUNTER.warmupConsumed, 1);
    } else {
      const bits = (received[h.producer] ??= new SeqBitset());
      if (bits.testAndSet(h.seq)) {
        duplicates++;
      } else {
        distinct++;
        lastReceiveNs = t;
        if (!untimed.has(h.producer)) latency.record((t - h.sendNs) / 1000);
        Atomics.add(counters, COUNTER.consumed, 1);
        if (h.seq < (maxSeq[h.producer] ?? -1)) outOfOrder++;
        else maxSeq[h.producer] = h.seq;
      }
    }
    if (dying) {
      halted = true;
      return;
    }
    if (manual) {
      unacked++;
      lastHandle = handle;
      if (unacked >= multiAck) {
        channel.ack(handle, multiAck > 1);
        unacked = 0;
      }
    }
    if (expected !== null && distinct >= expected) wake?.();
  };

  /** Consume on a channel of `conn`, as this consumer's new generation. */
  async function subscribe(conn: AmqpConnection, streamOffset: 'first' | 'next' | undefined): Promise<void> {
    const gen = ++generation;
    current = conn;
    failure = null;
    // Unacked deliveries of the old channel went back to the queue with it.
    unacked = 0;
    lastHandle = null;
    conn.onClose((err) => fail(gen, err));
    const channel = await conn.openChannel();
    channel.onClose((err) => fail(gen, err));
    ch = channel;
    consumerTag = await channel.consume(queue, { noAck: !manual, prefetch: cell.consume.prefetch, streamOffset }, (body, r, handle) =>
      onDelivery(channel, gen, body, r, handle),
    );
    lastDeliveryNs = nowNs();
  }

  /** `after: continue`: a new connection (with backoff, in the worker) and consuming again, until one holds or the worker gives up. */
  async function resubscribe(reconnect: (dead: AmqpConnection) => Promise<AmqpConnection | null>): Promise<void> {
    try {
      for (;;) {
        const conn = await reconnect(current);
        if (!conn || killed()) return; // given up: failure stays, and the consumer ends
        try {
          // A stream keeps what was read: go on from new messages, not from its start again (the
          // fault cell's drain consumer reads the whole stream, so nothing missed here goes uncounted).
          await subscribe(conn, cell.queue === 'stream' ? 'next' : undefined);
          reconnects++;
          return;
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
        }
      }
    } finally {
      reconnecting = null;
      wake?.();
    }
  }

  let expected: number | null = null;
  await subscribe(connection, cell.queue === 'stream' ? 'first' : undefined);
  control.ready();
  await control.go;
  const elu0 = performance.eventLoopUtilization();
  expected = await control.drain;
  // Wait until everything sent has arrived, or nothing has arrived for drainSeconds (not counting
  // time spent reconnecting).
  while (!finished && distinct < expected && (!failure || reconnecting)) {
    const quietMs = reconnecting ? 0 : (nowNs() - lastDeliveryNs) / 1e6;
    const leftMs = window.drainSeconds * 1000 - quietMs;
    if (leftMs <= 0) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.min(leftMs, 250));
    });
    wake = null;
  }
  const busy = performance.eventLoopUtilization(elu0).utilization;
  // A killed consumer acks nothing more: what it held goes back to the queue when its connection closes.
  if (!failure && !halted && Atomics.load(counters, COUNTER.halt) === 0) {
    await ch.cancel(consumerTag).catch(() => undefined);
    if (manual && unacked > 0) ch.ack(lastHandle, true);
    await ch.close().catch(() => undefined);
  }
  return {
    role: 'consumer',
    index,
    receivedBits: Array.from({ length: cell.producers }, (_, p) => received[p]?.toTransfer() ?? null),
    deliveries,
    duplicates,
    outOfOrder,
    redelivered,
    unexpected,
    reconnects,
    e2eHistogram: latency.encodeTotal(),
    lastReceiveNs,
    busy,
    error: failure ? (failure as Error).message : null,
  };
}
