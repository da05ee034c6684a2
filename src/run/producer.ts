// One producer: warm-up, then the measured window, publishing in the cell's mode. Runs in a worker.

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import { ConfirmTracker } from '../measure/confirm-tracker.js';
import { bodyTemplate, HEADER_BYTES, writeHeader } from '../measure/header.js';
import { Pacer } from '../measure/pacer.js';
import { maxOutstanding } from '../scenario/modes.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { modeDriver } from './publish-modes.js';
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
  let failure: Error | null = null;
  let unknown = 0;
  let unknownBits = new SeqBitset();
  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    if (tracker) ({ unknown, seqs: unknownBits } = tracker.abandon(err));
  };
  connection.onClose(fail);
  // A memory or disk alarm blocks publishers: shown to the main thread, which names it if the cell times out.
  connection.onBlocked((reason) => {
    Atomics.store(counters, COUNTER.blocked, reason === null ? 0 : 1);
    if (reason !== null) Atomics.add(counters, COUNTER.blockedTimes, 1);
  });

  const ch = await driver.open(connection, (tag, multiple, ack) => tracker!.settle(tag, multiple, ack, nowNs()));
  ref.ch = ch;
  ch.onClose(fail);

  const template = bodyTemplate(cell.size);
  const persistent = cell.durability === 'persistent';
  let sent = 0;

  /** Publish until `count` messages (or until `untilNs`), paced when the cell has a rate. */
  async function phase(count: number | null, untilNs: number | null, warmup: boolean, pacer: Pacer | null): Promise<void> {
    for (let i = 0; ; ) {
      if (control.stopped() || failure) return;
      if (count !== null ? i >= count : nowNs() >= untilNs!) return;
      let sendNs: number;
      if (pacer) {
        // Wait until due without blocking the event loop (confirms must keep flowing): timers for
        // whole milliseconds, then event-loop turns for the sub-millisecond remainder.
        for (let waitMs = pacer.waitMs(i, nowNs()); waitMs > 0; waitMs = pacer.waitMs(i, nowNs())) {
          if (waitMs >= 1.5) await sleep(Math.floor(waitMs - 0.5));
          else await yieldToLoop();
        }
        sendNs = pacer.intendedNs(i);
      } else {
        sendNs = nowNs();
      }
      // A fresh body per message: clients may keep a reference to it until the socket write.
      const body = Buffer.allocUnsafe(cell.size);
      template.copy(body, HEADER_BYTES, HEADER_BYTES);
      writeHeader(body, id, i, sendNs, warmup);
      tracker?.sent(i, sendNs, warmup);
      const writable = ch.publish(queue, body, persistent);
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
  try {
    await phase(window.warmupMessages, null, true, null);
    await driver.finish(queue);
    control.ready();
    await control.go;
    const elu0 = performance.eventLoopUtilization();
    firstSendNs = nowNs();
    const pacer = cell.rate ? new Pacer(firstSendNs, cell.rate) : null;
    const untilNs = window.durationSeconds ? firstSendNs + window.durationSeconds * 1e9 : null;
    await phase(window.messages, untilNs, false, pacer);
    sendEndNs = nowNs();
    await driver.finish(queue);
    if (!driver.answered) sendEndNs = nowNs();
    busy = performance.eventLoopUtilization(elu0).utilization;
  } catch (err) {
    fail(err instanceof Error ? err : new Error(String(err)));
  }
  if (!sendEndNs) sendEndNs = nowNs();
  if (!failure) await ch.close().catch(() => undefined);
  const error = failure as Error | null; // assigned in callbacks, which TypeScript's narrowing cannot see
  return {
    role: 'producer',
    index: id,
    sent,
    confirmed,
    nacked,
    unknown,
    confirmedBits: confirmedBits.toTransfer(),
    unknownBits: unknownBits.toTransfer(),
    publishHistogram: latency.encodeTotal(),
    firstSendNs,
    sendEndNs,
    lastConfirmNs,
    busy,
    error: error ? error.message : null,
  };
}
