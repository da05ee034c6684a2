// One producer: warm-up, then the measured window, publishing in the cell's mode. Runs in a worker.

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AmqpConnection } from '../clients/adapter.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import { ConfirmTracker } from '../measure/confirm-tracker.js';
import { bodyTemplate, writeHeader } from '../measure/header.js';
import { Pacer } from '../measure/pacer.js';
import { deduplicationOf } from '../scenario/matrix.js';
import { maxOutstanding } from '../scenario/modes.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { BodySource } from './bodies.js';
import { openModeDriver, type ModeDriver } from './publish-modes.js';
import { busyExcept, PaceWaiter } from './pace-wait.js';
import type { LatencyRecorder } from '../measure/latency-recorder.js';
import { COUNTER, type ProducerReport } from './worker-protocol.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** Yield to the event loop this often in the fast path, so socket writes and acks get through. */
const YIELD_EVERY = 512;

export interface ProducerControl {
  /**
   * The name of this producer's stream publisher (connection-name.ts publisherName), the same on
   * every connection it opens; given to its channels on deduplication cells only.
   */
  publisherName: string;
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

export function runProducer(
  connection: AmqpConnection,
  cell: Cell,
  window: RunWindow,
  queue: string,
  id: number,
  counters: Int32Array,
  control: ProducerControl,
): Promise<ProducerReport> {
  return new Producer(connection, cell, window, queue, id, counters, control).run();
}

/**
 * One connection of the producer; `after: continue` opens another. Answers and closes of an earlier
 * one change nothing: every handler is bound to its generation and ignored once it is not the current.
 */
class Generation {
  /** Why this connection ended; null while it is up. */
  failure: Error | null = null;
  constructor(readonly connection: AmqpConnection) {}
}

/**
 * The producer's state, in the order of its phases: attach (a channel in the mode), warm-up, the
 * measured window (with reconnects under `after: continue`), close, report.
 */
class Producer {
  // What the report counts.
  private sent = 0;
  private confirmed = 0;
  private nacked = 0;
  private unknown = 0;
  private lastConfirmNs = 0;
  private reconnects = 0;
  private resumedAtNs = 0;
  private firstSendNs = 0;
  private sendEndNs = 0;
  private busy = 0;
  /** Paced duration cells: messages due before the deadline (sent or not: the producer may fall behind). */
  private dueByDeadline: number | null = null;
  /** Why a connection last ended, even if a later one then held. */
  private lastError: Error | null = null;
  private readonly confirmedBits = new SeqBitset();
  private readonly unknownBits = new SeqBitset();

  private readonly tracker: ConfirmTracker | null;
  private readonly template: Buffer;
  private readonly persistent: boolean;
  private gen: Generation;
  // The current generation's channel in its mode and its bodies: set by attach(), before any phase.
  private driver!: ModeDriver;
  private bodies!: BodySource;
  /** The next sequence number of the phase; kept across a reconnect, so no number is used twice. */
  private next = 0;
  private pace: PaceWaiter | null = null;

  constructor(
    connection: AmqpConnection,
    private readonly cell: Cell,
    private readonly window: RunWindow,
    private readonly queue: string,
    private readonly id: number,
    private readonly counters: Int32Array,
    private readonly control: ProducerControl,
  ) {
    this.gen = new Generation(connection);
    this.template = bodyTemplate(cell.size);
    this.persistent = cell.durability === 'persistent';
    const latency = control.latency;
    this.tracker = publishAnswered(cell.publish.kind)
      ? new ConfirmTracker(maxOutstanding(cell.publish), {
          confirmed: (seq, latencyNs, atNs) => {
            this.confirmed++;
            this.lastConfirmNs = atNs;
            this.confirmedBits.testAndSet(seq);
            latency.record(latencyNs / 1000);
            Atomics.add(counters, COUNTER.confirmed, 1);
          },
          nacked: () => {
            this.nacked++;
          },
        })
      : null;
  }

  async run(): Promise<ProducerReport> {
    await this.attach(this.gen);
    try {
      await this.publish(this.window.warmupMessages, null, true);
      await this.driver.finish();
      this.control.ready();
      await this.control.go;
      await this.measure();
    } catch (err) {
      this.failNow(err);
    }
    this.pace?.close();
    if (!this.sendEndNs) this.sendEndNs = nowNs();
    if (!this.gen.failure) await this.driver.channel.close().catch(() => undefined);
    return this.report();
  }

  /** Make `gen` the current generation: the producer's channel on its connection, in its mode, with this generation's handlers. */
  private async attach(gen: Generation): Promise<void> {
    this.gen = gen;
    const { connection } = gen;
    const { tracker, counters } = this;
    tracker?.reopen();
    connection.onClose((err) => this.fail(gen, err));
    // A memory or disk alarm blocks publishers: shown to the main thread, which names it if the cell times out.
    connection.onBlocked((reason) => {
      Atomics.store(counters, COUNTER.blocked, reason === null ? 0 : 1);
      if (reason !== null) Atomics.add(counters, COUNTER.blockedTimes, 1);
    });
    const confirms = (tag: number, multiple: boolean, ack: boolean) => {
      if (gen === this.gen && tracker) tracker.settle(tag, multiple, ack, nowNs());
    };
    // Deduplication cells: every channel of this producer, on every connection, under its one name.
    const named = deduplicationOf(this.cell) === 'on' ? { publisherName: this.control.publisherName } : {};
    const driver = await openModeDriver(this.cell.publish, tracker, connection, confirms, this.queue, named);
    driver.channel.onClose((err) => this.fail(gen, err));
    this.driver = driver;
    // Reused bodies keep to the tracker's bound, which tracker.sent() enforces (it throws past it).
    this.bodies = new BodySource(this.template, driver.channel.bodyAfterPublish, tracker ? tracker.capacity : 0, driver.channel.heldBodyBytes);
  }

  /** `gen`'s connection or channel ended: what was unanswered on it is unknown. Only the first reason of the current generation counts. */
  private fail(gen: Generation, err: Error): void {
    if (gen !== this.gen || gen.failure) return;
    gen.failure = this.lastError = err;
    if (!this.tracker) return;
    const abandoned = this.tracker.abandon(err);
    this.unknown += abandoned.unknown;
    this.unknownBits.or(abandoned.seqs);
  }

  private failNow(err: unknown): void {
    this.fail(this.gen, err instanceof Error ? err : new Error(String(err)));
  }

  /** The measured window: from `go` until the count or the duration, on as many connections as `after: continue` opens. */
  private async measure(): Promise<void> {
    const { cell, control } = this;
    const elu0 = performance.eventLoopUtilization();
    this.firstSendNs = nowNs();
    const pacer = cell.rate ? new Pacer(this.firstSendNs, cell.rate) : null;
    const untilNs = this.window.durationSeconds ? this.firstSendNs + this.window.durationSeconds * 1e9 : null;
    this.pace = pacer ? new PaceWaiter(pacer) : null;
    this.next = 0;
    for (;;) {
      try {
        await this.publish(this.window.messages, untilNs, false);
        if (!this.gen.failure) {
          this.sendEndNs = nowNs();
          await this.driver.finish();
          if (!this.driver.answered) this.sendEndNs = nowNs();
        }
      } catch (err) {
        this.failNow(err);
      }
      // `after: continue`: a new connection, and on from the next sequence number (a paced producer
      // keeps its schedule, so latency after the outage is counted from the intended send times).
      if (!this.gen.failure || control.stopped() || !control.reconnect) break;
      const next = await control.reconnect(this.gen.connection);
      if (!next) break;
      try {
        await this.attach(new Generation(next));
        this.reconnects++;
        this.resumedAtNs = nowNs();
      } catch (err) {
        this.failNow(err);
      }
    }
    this.busy = busyExcept(performance.eventLoopUtilization(elu0), this.pace?.blockedMs ?? 0);
    if (pacer && untilNs !== null) this.dueByDeadline = pacer.dueBefore(untilNs);
  }

  /**
   * The hot path: publish until `count` messages (or until `untilNs`), paced when the measured window
   * has a pace, until the generation fails or the main thread says stop. Runs on one generation
   * (attach() happens only between calls), so its channel, driver and bodies are read once.
   */
  private async publish(count: number | null, untilNs: number | null, warmup: boolean): Promise<void> {
    const { control, tracker, counters, queue, id, persistent, driver, bodies, gen } = this;
    const channel = driver.channel;
    const pace = warmup ? null : this.pace;
    const pacer = pace ? pace.pacer : null;
    for (;;) {
      if (control.stopped() || gen.failure) return;
      const i = this.next;
      if (count !== null ? i >= count : nowNs() >= untilNs!) return;
      let sendNs: number;
      if (pace && pacer) {
        // Send what is due; sleep until the next one is (pace-wait.ts: no polling). A message of a
        // duration cell belongs to the window only if it was due before the deadline.
        if (untilNs !== null && pacer.intendedNs(i) >= untilNs) return;
        await pace.untilDue(i, control.stopped);
        if (control.stopped() || gen.failure) return;
        sendNs = pacer.intendedNs(i);
      } else {
        sendNs = nowNs();
      }
      // Reused where the client allows it (bodies.ts), else fresh: only the header changes.
      const body = bodies.take();
      writeHeader(body, id, i, sendNs, warmup);
      // Tracked after the publish call: one that throws (the channel is gone) was never attempted,
      // and its number goes to the next message. No answer can come within this synchronous step.
      const writable = channel.publish(queue, body, persistent);
      tracker?.sent(i, sendNs, warmup);
      const published = (this.next = i + 1);
      if (!warmup) {
        this.sent++;
        Atomics.add(counters, COUNTER.sent, 1);
      }
      const wait = driver.afterPublish(published);
      if (wait) await wait;
      else if (!writable) await channel.drained();
      else if (published % YIELD_EVERY === 0) await yieldToLoop();
    }
  }

  private report(): ProducerReport {
    const error = this.gen.failure;
    return {
      role: 'producer',
      index: this.id,
      sent: this.sent,
      confirmed: this.confirmed,
      nacked: this.nacked,
      unknown: this.unknown,
      confirmedBits: this.confirmedBits.toTransfer(),
      unknownBits: this.unknownBits.toTransfer(),
      reconnects: this.reconnects,
      resumedAtNs: this.resumedAtNs,
      lastError: this.lastError ? this.lastError.message : null,
      publishHistogram: null, // filled in by the worker (worker.ts), on the first report of its producers
      firstSendNs: this.firstSendNs,
      sendEndNs: this.sendEndNs,
      lastConfirmNs: this.lastConfirmNs,
      busy: this.busy,
      dueByDeadline: this.dueByDeadline,
      error: error ? error.message : null,
    };
  }
}
