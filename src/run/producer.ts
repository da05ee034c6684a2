// One producer: warm-up, then the measured window, publishing in the cell's mode. Runs in a worker.

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import { ConfirmTracker } from '../measure/confirm-tracker.js';
import { bodyTemplate, writeHeader } from '../measure/header.js';
import { Pacer } from '../measure/pacer.js';
import { maxOutstanding } from '../scenario/modes.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { BodySource } from './bodies.js';
import { modeDriver } from './publish-modes.js';
import { busyExcept, PaceWaiter } from './pace-wait.js';
import type { LatencyRecorder } from '../measure/latency-recorder.js';
import { COUNTER, type ProducerReport } from './worker-protocol.js';

/** Yield to the event loop this often in the fast path, so socket writes and acks get through. */
const YIELD_EVERY = 512;

export interface ProducerControl {
  /** Resolves when the main thread says to start the measured window. */
  go: Promise<void>;
  /** Set when the main thread asks to stop early. */
  stopped: () => boolean;
  /** Warm-up done and answered: tell the main thread. */
  ready: () => void;
  /** Publish latency of measured messages; the worker reports its intervals minute by minute. */
  latency: LatencyRecorder;
  /**
   * Fault cells with `after: continue`: a new connection once the old one died (the worker retries
   * with backoff) and the queue answers on it, or null to end here. Absent: the producer ends with
   * its connection.
   */
  reconnect?: (dead: AmqpConnection) => Promise<AmqpConnection | null>;
}

export async function runProducer(
  connection: AmqpConnection,
  cell: Cell,
  window: RunWindow,
  queue: string,
  id: number,
  counters: Int32Array,
  control: ProducerControl,
): Promise<ProducerReport> {
  const latency = control.latency;
  const confirmedBits = new SeqBitset();
  let confirmed = 0;
  let nacked = 0;
  let lastConfirmNs = 0;
  const tracker =
    cell.publish.kind === 'none'
      ? null
      : new ConfirmTracker(maxOutstanding(cell.publish), {
          confirmed(seq, latencyNs, atNs) {
            confirmed++;
            lastConfirmNs = atNs;
            confirmedBits.testAndSet(seq);
            latency.record(latencyNs / 1000);
            Atomics.add(counters, COUNTER.confirmed, 1);
          },
          nacked() {
            nacked++;
          },
        });
  const ref: { ch?: AmqpChannel } = {};
  const driver = modeDriver(cell.publish, tracker, ref);
  // Why the current connection ended, if it did (null while it is up), and the last such reason.
  let failure: Error | null = null;
  let lastError: Error | null = null;
  let unknown = 0;
  const unknownBits = new SeqBitset();
  let reconnects = 0;
  let resumedAtNs = 0;
  // Each connection is a generation: a late close or answer of an earlier one changes nothing.
  let generation = 0;
  const fail = (gen: number, err: Error) => {
    if (gen !== generation || failure) return;
    failure = lastError = err;
    if (!tracker) return;
    const abandoned = tracker.abandon(err);
    unknown += abandoned.unknown;
    unknownBits.or(abandoned.seqs);
  };

  const template = bodyTemplate(cell.size);
  let bodies!: BodySource;

  /** The producer's channel on `conn`, in its mode, with the close and alarm handlers of this generation. */
  async function attach(conn: AmqpConnection): Promise<AmqpChannel> {
    const gen = ++generation;
    failure = null;
    tracker?.reopen();
    conn.onClose((err) => fail(gen, err));
    // A memory or disk alarm blocks publishers: shown to the main thread, which names it if the cell times out.
    conn.onBlocked((reason) => {
      Atomics.store(counters, COUNTER.blocked, reason === null ? 0 : 1);
      if (reason !== null) Atomics.add(counters, COUNTER.blockedTimes, 1);
    });
    const channel = await driver.open(conn, (tag, multiple, ack) => {
      if (gen === generation) tracker!.settle(tag, multiple, ack, nowNs());
    });
    channel.onClose((err) => fail(gen, err));
    ref.ch = channel;
    // Reused bodies keep to the tracker's bound, which tracker.sent() enforces (it throws past it).
    bodies = new BodySource(template, channel.bodyAfterPublish, tracker ? tracker.capacity : 0, channel.heldBodyBytes);
    return channel;
  }

  let ch = await attach(connection);
  let current = connection;

  const persistent = cell.durability === 'persistent';
  let sent = 0;
  /** The next sequence number of the phase; kept across a reconnect, so no number is used twice. */
  let i = 0;

  /** Publish until `count` messages (or until `untilNs`), paced when the cell has a rate. */
  async function phase(count: number | null, untilNs: number | null, warmup: boolean, pacer: Pacer | null): Promise<void> {
    for (;;) {
      if (control.stopped() || failure) return;
      if (count !== null ? i >= count : nowNs() >= untilNs!) return;
      let sendNs: number;
      if (pacer) {
        // Send what is due; sleep until the next one is (pace-wait.ts: no polling). A message of a
        // duration cell belongs to the window only if it was due before the deadline.
        if (untilNs !== null && pacer.intendedNs(i) >= untilNs) return;
        await pace!.untilDue(i, control.stopped);
        if (control.stopped() || failure) return;
        sendNs = pacer.intendedNs(i);
      } else {
        sendNs = nowNs();
      }
      // Reused where the client allows it (bodies.ts), else fresh: only the header changes.
      const body = bodies.take();
      writeHeader(body, id, i, sendNs, warmup);
      // Tracked after the publish call: one that throws (the channel is gone) was never attempted,
      // and its number goes to the next message. No answer can come within this synchronous step.
      const writable = ch.publish(queue, body, persistent);
      tracker?.sent(i, sendNs, warmup);
      i++;
      if (!warmup) {
        sent++;
        Atomics.add(counters, COUNTER.sent, 1);
      }
      const wait = driver.afterPublish(i);
      if (wait) await wait;
      else if (!writable) await ch.drained();
      else if (i % YIELD_EVERY === 0) await yieldToLoop();
    }
  }

  let firstSendNs = 0;
  let sendEndNs = 0;
  let busy = 0;
  let pace: PaceWaiter | null = null;
  /** Paced duration cells: messages due before the deadline (sent or not: the producer may fall behind). */
  let dueByDeadline: number | null = null;
  const failNow = (err: unknown) => fail(generation, err instanceof Error ? err : new Error(String(err)));
  try {
    await phase(window.warmupMessages, null, true, null);
    await driver.finish(queue);
    control.ready();
    await control.go;
    const elu0 = performance.eventLoopUtilization();
    firstSendNs = nowNs();
    const pacer = cell.rate ? new Pacer(firstSendNs, cell.rate) : null;
    const untilNs = window.durationSeconds ? firstSendNs + window.durationSeconds * 1e9 : null;
    pace = pacer ? new PaceWaiter(pacer) : null;
    i = 0;
    for (;;) {
      try {
        await phase(window.messages, untilNs, false, pacer);
        if (!failure) {
          sendEndNs = nowNs();
          await driver.finish(queue);
          if (!driver.answered) sendEndNs = nowNs();
        }
      } catch (err) {
        failNow(err);
      }
      // `after: continue`: a new connection, and on from the next sequence number (a paced producer
      // keeps its schedule, so latency after the outage is counted from the intended send times).
      if (!failure || control.stopped() || !control.reconnect) break;
      const next = await control.reconnect(current);
      if (!next) break;
      current = next;
      try {
        ch = await attach(next);
        reconnects++;
        resumedAtNs = nowNs();
      } catch (err) {
        failNow(err);
      }
    }
    busy = busyExcept(performance.eventLoopUtilization(elu0), pace?.blockedMs ?? 0);
    if (pacer && untilNs !== null) dueByDeadline = pacer.dueBefore(untilNs);
  } catch (err) {
    failNow(err);
  }
  pace?.close();
  if (!sendEndNs) sendEndNs = nowNs();
  if (!failure) await ch.close().catch(() => undefined);
  const error = (failure ?? null) as Error | null; // assigned in callbacks, which TypeScript's narrowing cannot see
  return {
    role: 'producer',
    index: id,
    sent,
    confirmed,
    nacked,
    unknown,
    confirmedBits: confirmedBits.toTransfer(),
    unknownBits: unknownBits.toTransfer(),
    reconnects,
    resumedAtNs,
    lastError: lastError ? (lastError as Error).message : null,
    publishHistogram: null, // filled in by the worker (worker.ts), on the first report of its producers
    firstSendNs,
    sendEndNs,
    lastConfirmNs,
    busy,
    dueByDeadline,
    error: error ? error.message : null,
  };
}
