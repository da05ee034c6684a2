// Runs the real producer (src/run/producer.ts) and consumer (src/run/consumer.ts) on the in-memory
// broker of fake-adapter.ts, in this thread, with the controls the worker (src/run/worker.ts) gives
// them: the shared counters, a latency recorder, go and drain, and optionally a reconnect.

import type { AmqpConnection } from '../../src/clients/adapter.js';
import { SeqBitset } from '../../src/measure/bitset.js';
import { readHeader, writeHeader } from '../../src/measure/header.js';
import { LatencyRecorder } from '../../src/measure/latency-recorder.js';
import { runConsumer } from '../../src/run/consumer.js';
import { runProducer } from '../../src/run/producer.js';
import { ReconnectingConnection, reconnectToQueue } from '../../src/run/reconnecting-connection.js';
import { COUNTER_SLOTS, type ConsumerReport, type ProducerReport, type TransferredBits } from '../../src/run/worker-protocol.js';
import { parseConsumeMode, parsePublishMode } from '../../src/scenario/modes.js';
import type { Cell, RunWindow } from '../../src/scenario/types.js';
import type { FakeBroker, FakeChannel, FakeConnection, FakePublish } from './fake-adapter.js';

export const QUEUE = 'ackbench.fake';

export function fakeCell(publish: string, consume = 'manual:100', over: Partial<Cell> = {}): Cell {
  return {
    id: 'fake',
    client: 'amqplib',
    durability: 'persistent',
    publish: parsePublishMode(publish),
    consume: parseConsumeMode(consume),
    queue: 'classic',
    size: 64,
    producers: 1,
    consumers: 1,
    rate: null,
    ...over,
  };
}

export function fakeWindow(over: Partial<RunWindow> = {}): RunWindow {
  return { messages: 200, durationSeconds: null, warmupMessages: 10, repetitions: 1, cellTimeoutSeconds: 30, drainSeconds: 0.3, ...over };
}

export const newCounters = () => new Int32Array(new SharedArrayBuffer(COUNTER_SLOTS * 4));

export interface Run<R> {
  report: R;
  counters: Int32Array;
  latency: LatencyRecorder;
}

type Reconnect = (dead: AmqpConnection) => Promise<AmqpConnection | null>;

/**
 * The connection a worker gives its client (src/run/worker.ts), and with `after: continue` the
 * worker's own reconnect (reconnectToQueue), on a short backoff and queue wait.
 */
async function workerConnection(broker: FakeBroker, afterContinue: boolean): Promise<{ connection: AmqpConnection; reconnect?: Reconnect }> {
  broker.declare(QUEUE);
  const shared = await ReconnectingConnection.open(() => broker.connect());
  if (!afterContinue) return { connection: shared.current };
  const policy = { forMs: 2000, minDelayMs: 1, maxDelayMs: 5 };
  return { connection: shared.current, reconnect: reconnectToQueue(shared, QUEUE, policy, 1000) };
}

export interface RunOptions {
  /** Reconnect when the connection dies, as a fault cell with `after: continue` does. */
  afterContinue?: boolean;
  /** The worker's shared counters, for a test that reads them while the client runs. */
  counters?: Int32Array;
}

/** One producer (id 0) on a new connection of `broker`, from warm-up to its report. */
export async function produce(broker: FakeBroker, cell: Cell, window: RunWindow, { afterContinue = false, counters = newCounters() }: RunOptions = {}): Promise<Run<ProducerReport>> {
  const latency = new LatencyRecorder();
  const { connection, reconnect } = await workerConnection(broker, afterContinue);
  const report = await runProducer(connection, cell, window, QUEUE, 0, counters, { publisherName: 'fake producer 0', go: Promise.resolve(), stopped: () => false, ready: () => undefined, latency, reconnect });
  return { report, counters, latency };
}

/** One consumer on a new connection of `broker`, draining until `expected` distinct measured messages arrived (or it went quiet). */
export async function consume(
  broker: FakeBroker,
  cell: Cell,
  window: RunWindow,
  expected: number,
  { afterContinue = false, counters = newCounters() }: RunOptions = {},
): Promise<Run<ConsumerReport>> {
  const latency = new LatencyRecorder();
  const { connection, reconnect } = await workerConnection(broker, afterContinue);
  const report = await runConsumer(connection, cell, window, QUEUE, 0, counters, { ready: () => undefined, go: Promise.resolve(), drain: Promise.resolve(expected), latency, reconnect });
  return { report, counters, latency };
}

/** A message body as a producer writes it. */
export function body(producer: number, seq: number, warmup = false, size = 64): Buffer {
  const b = Buffer.alloc(size);
  writeHeader(b, producer, seq, 0, warmup);
  return b;
}

/** The measured sequence numbers among `publishes`, in order. */
export function measuredSeqs(publishes: readonly FakePublish[]): number[] {
  const seqs: number[] = [];
  for (const p of publishes) {
    const h = readHeader(p.body);
    if (h && !h.warmup) seqs.push(h.seq);
  }
  return seqs;
}

/** Every channel the broker's connections opened, in order. */
export function channelsOf(broker: FakeBroker): FakeChannel[] {
  return broker.connections.flatMap((c: FakeConnection) => c.channels);
}

export function bitsOf(t: TransferredBits): SeqBitset {
  return SeqBitset.fromTransfer(t);
}

/** The sequence numbers set in `bits`, below `limit`. */
export function seqsIn(t: TransferredBits, limit: number): number[] {
  const bits = bitsOf(t);
  const out: number[] = [];
  for (let i = 0; i < limit; i++) if (bits.has(i)) out.push(i);
  return out;
}
