// Messages between the cell runner (main thread) and its producer / consumer worker threads.
// Progress goes through shared counters instead of messages, so the hot path never posts.

import type { Cell, RunWindow } from '../scenario/types.js';
import type { ThreadLoad } from '../measure/thread-cpu.js';
import type { ConsumerTally, ProducerTally } from '../measure/accounting.js';
import type { TransferredBits } from '../measure/bitset.js';

export type { TransferredBits };

/** Slots of each worker's shared Int32Array of live counters (read by the main thread). */
export const COUNTER = {
  sent: 0,
  confirmed: 1,
  consumed: 2,
  warmupConsumed: 3,
  /** 1 while the broker blocks this worker's connection (connection.blocked), else 0. */
  blocked: 4,
  /** How many times the broker blocked it. */
  blockedTimes: 5,
  /**
   * Set to 1 by the main thread to kill a consumer (fault kill-consumer): it finishes the delivery in
   * hand without acking it, then processes nothing more, as a consumer process that died would.
   */
  halt: 6,
} as const;
export const COUNTER_SLOTS = 7;

export interface WorkerInit {
  role: 'producer' | 'consumer';
  /** Producer id (written in each message header) or consumer index; with producerIds, the first of them. */
  index: number;
  /**
   * Producers sharing one connection (the cell's channels axis): one producer per id, each on its own
   * channel of the worker's connection. Absent: the one producer `index`.
   */
  producerIds?: number[];
  cell: Cell;
  window: RunWindow;
  url: string;
  queue: string;
  counters: SharedArrayBuffer;
  /**
   * Consumers of a sharded run: producer ids whose send times are on another host's clock, so their
   * end-to-end latency cannot be measured (counted all the same, not recorded in the histogram).
   */
  untimedProducers?: number[];
  /**
   * Fault cells with `after: continue`: when its connection dies, the worker connects again with
   * exponential backoff for up to this long, and its producer or consumer goes on. Absent: it ends.
   */
  reconnectForMs?: number;
}

export type MainToWorker =
  | { type: 'go' }
  /** Consumers: producers are done; finish once `expected` distinct messages arrived or it goes quiet. */
  | { type: 'drain'; expected: number }
  /** Stop publishing now (a signal, or the cell timeout); finish what is in flight. */
  | { type: 'stop' }
  /** Consumers, while draining: everything sent has arrived (counted over all shards); end now. */
  | { type: 'finish' };

/** A producer's report: what accounting reads (measure/accounting.ts ProducerTally) and more. */
export interface ProducerReport extends ProducerTally {
  role: 'producer';
  /** Connections opened again after one died (`after: continue`). */
  reconnects: number;
  /** When the producer was publishing again after its last reconnect; 0 if it never reconnected. */
  resumedAtNs: number;
  /** Why its last connection before the end died, even if it then reconnected; null if none did. */
  lastError: string | null;
  /**
   * Publish latency of the worker's producers, encoded: producers sharing a worker record into one
   * histogram, which goes with the first one's report (null in the others), so merging counts it once.
   */
  publishHistogram: string | null;
  firstSendNs: number;
  /** After the last publish returned (for `none`: after the round trip that follows it). */
  sendEndNs: number;
  /** When the last confirm or commit-ok arrived; 0 if none did. */
  lastConfirmNs: number;
  /** Event-loop utilisation of the worker over the measured window, 0..1. */
  busy: number;
  /**
   * Paced --duration cells: the messages due before the deadline (start + duration), sent or not.
   * Fewer sent means the producer was behind schedule when the window closed. Absent or null otherwise.
   */
  dueByDeadline?: number | null;
  /** The worker thread's CPU from `go` to its report (thread-cpu.ts); with the worker's first report only. */
  thread?: ThreadLoad | null;
  error: string | null;
}

/** A consumer's report: what accounting reads (measure/accounting.ts ConsumerTally) and more. */
export interface ConsumerReport extends ConsumerTally {
  role: 'consumer';
  index: number;
  /** Per producer id: the sequence numbers received. */
  receivedBits: (TransferredBits | null)[];
  deliveries: number;
  /** Connections opened again after one died (`after: continue`). */
  reconnects: number;
  e2eHistogram: string | null;
  lastReceiveNs: number;
  busy: number;
  /** The worker thread's CPU from `go` to its report (thread-cpu.ts). */
  thread?: ThreadLoad | null;
  error: string | null;
}

const NO_BITS: TransferredBits = { index: [], words: [] };

/** A producer report of nothing: sent, answered and timed nothing. Stand-ins and stored reports start from it. */
export function idleProducerReport(index: number): ProducerReport {
  return {
    role: 'producer',
    index,
    sent: 0,
    confirmed: 0,
    nacked: 0,
    unknown: 0,
    confirmedBits: NO_BITS,
    unknownBits: NO_BITS,
    reconnects: 0,
    resumedAtNs: 0,
    lastError: null,
    publishHistogram: null,
    firstSendNs: 0,
    sendEndNs: 0,
    lastConfirmNs: 0,
    busy: 0,
    error: null,
  };
}

/** A consumer report of nothing received; stored reports start from it. */
export function idleConsumerReport(index: number): ConsumerReport {
  return {
    role: 'consumer',
    index,
    receivedBits: [],
    deliveries: 0,
    duplicates: 0,
    outOfOrder: 0,
    redelivered: 0,
    unexpected: 0,
    reconnects: 0,
    e2eHistogram: null,
    lastReceiveNs: 0,
    busy: 0,
    error: null,
  };
}

/** Latency percentiles are also reported per interval of the measured window, for long cells. */
export const LATENCY_INTERVAL_MS = 60_000;

export type WorkerToMain =
  | { type: 'ready' }
  /** The latency histogram of interval `interval` (1-based) of the window; null if it recorded nothing. */
  | { type: 'interval'; interval: number; histogram: string | null }
  /** One per producer of the worker (producerIds), or the consumer's one. */
  | { type: 'report'; report: ProducerReport | ConsumerReport }
  | { type: 'failed'; error: string };
