// Messages between the cell runner (main thread) and its producer / consumer worker threads.
// Progress goes through shared counters instead of messages, so the hot path never posts.

import type { Cell, RunWindow } from '../scenario/types.js';

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
  /** Producer id (written in each message header) or consumer index. */
  index: number;
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
}

export type MainToWorker =
  | { type: 'go' }
  /** Consumers: producers are done; finish once `expected` distinct messages arrived or it goes quiet. */
  | { type: 'drain'; expected: number }
  /** Stop publishing now (a signal, or the cell timeout); finish what is in flight. */
  | { type: 'stop' }
  /** Consumers, while draining: everything sent has arrived (counted over all shards); end now. */
  | { type: 'finish' };

export interface TransferredBits {
  index: number[];
  words: Uint32Array[];
}

export interface ProducerReport {
  role: 'producer';
  index: number;
  sent: number;
  confirmed: number;
  nacked: number;
  unknown: number;
  confirmedBits: TransferredBits;
  /** Sequence numbers of messages with no answer (channel died with them outstanding). */
  unknownBits: TransferredBits;
  publishHistogram: string | null;
  firstSendNs: number;
  /** After the last publish returned (for `none`: after the round trip that follows it). */
  sendEndNs: number;
  /** When the last confirm or commit-ok arrived; 0 if none did. */
  lastConfirmNs: number;
  /** Event-loop utilisation of the worker over the measured window, 0..1. */
  busy: number;
  error: string | null;
}

export interface ConsumerReport {
  role: 'consumer';
  index: number;
  /** Per producer id: the sequence numbers received. */
  receivedBits: (TransferredBits | null)[];
  deliveries: number;
  duplicates: number;
  outOfOrder: number;
  redelivered: number;
  /** Bodies that are not ackbench messages of this cell. */
  unexpected: number;
  e2eHistogram: string | null;
  lastReceiveNs: number;
  busy: number;
  error: string | null;
}

/** Latency percentiles are also reported per interval of the measured window, for long cells. */
export const LATENCY_INTERVAL_MS = 60_000;

export type WorkerToMain =
  | { type: 'ready' }
  /** The latency histogram of interval `interval` (1-based) of the window; null if it recorded nothing. */
  | { type: 'interval'; interval: number; histogram: string | null }
  | { type: 'report'; report: ProducerReport | ConsumerReport }
  | { type: 'failed'; error: string };
