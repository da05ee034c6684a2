// Sharded runs (`ackbench run --shard I/N`): one run split over N agents, usually on several hosts.
// This file holds the pure parts: parsing I/N, which producers and consumers a shard runs, the shared
// queue name, the clock domain, and the sidecar files (bits/<cell>.r<rep>.json) that `ackbench merge`
// needs to redo the accounting exactly.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { endianness, hostname } from 'node:os';
import { UsageError } from '../errors.js';
import type { Cell, Scenario } from '../scenario/types.js';
import { idleConsumerReport, idleProducerReport, type ConsumerReport, type ProducerReport, type TransferredBits } from './worker-protocol.js';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
  /** Names the control exchange and the shared queues; the same for all N agents. */
  group: string;
}

/** What run.json records of a shard (RunFile.shard). */
export interface ShardInfo extends ShardSpec {
  /**
   * The clock this agent's timestamps are on: the kernel boot id where there is one (every process
   * of one boot shares CLOCK_MONOTONIC), else the host name. Equal clocks make union windows exact.
   */
  clock: string;
}

const GROUP_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/** Parses `I/N` (1 <= I <= N). */
export function parseShard(value: string, group?: string): Omit<ShardSpec, 'group'> & { group?: string } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard: '${value}' is not I/N (e.g. 1/2)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard: '${value}': need 1 <= I <= N`);
  if (group !== undefined && !GROUP_PATTERN.test(group)) {
    throw new UsageError(`--shard-group: '${group}' must be 1 to 100 of A-Z a-z 0-9 _ . -`);
  }
  return { index, count, group };
}

/** The default group: the scenario name and N, so agents started with the same file and N meet. */
export function defaultGroup(scenarioName: string, count: number): string {
  return `${scenarioName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}-${count}`;
}

/** The ids [start, end) of `total` workers that shard `index` of `count` runs: contiguous, balanced. */
export function shareOf(total: number, index: number, count: number): { start: number; end: number } {
  const base = Math.floor(total / count);
  const rem = total % count;
  const start = (index - 1) * base + Math.min(index - 1, rem);
  return { start, end: start + base + (index - 1 < rem ? 1 : 0) };
}

export function clockDomain(): string {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (id) return `boot:${id}`;
  } catch {
    // not Linux: fall back to the host name
  }
  return `host:${hostname()}`;
}

/** Agents must run the same cells with the same window: checked when they meet. */
export function scenarioFingerprint(scenario: Scenario): string {
  const text = JSON.stringify({ cells: scenario.cells, window: scenario.window });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

// ---- the sidecar: bits/<cell>.r<rep>.json ----

/** A bitset as stored: chunk indexes and each chunk's 32-bit words, little-endian, base64. */
export interface StoredBits {
  index: number[];
  words: string[];
}

export interface StoredProducer {
  index: number;
  sent: number;
  confirmed: number;
  nacked: number;
  unknown: number;
  confirmedBits: StoredBits;
  unknownBits: StoredBits;
  /** Monotonic timestamps (ns) on this shard's clock; 0 if never. */
  firstSendNs: number;
  sendEndNs: number;
  lastConfirmNs: number;
  error: string | null;
}

export interface StoredConsumer {
  index: number;
  /** Per global producer id. */
  receivedBits: (StoredBits | null)[];
  deliveries: number;
  duplicates: number;
  outOfOrder: number;
  redelivered: number;
  unexpected: number;
  lastReceiveNs: number;
  error: string | null;
}

export interface ShardBitsFile {
  format: 'ackbench-bits/1';
  cell: string;
  repetition: number;
  shard: ShardInfo;
  /** Publish-only cells: the messages counted in the queue after every shard sent (shard 1 only). */
  queued: number | null;
  producers: StoredProducer[];
  consumers: StoredConsumer[];
  /** Latency of each interval of the window (a minute), encoded and merged over this shard's workers. */
  intervals: StoredInterval[];
}

export interface StoredInterval {
  interval: number;
  endSecond: number;
  publish: string | null;
  e2e: string | null;
}

export function bitsFileName(cellId: string, repetition: number): string {
  return `${cellId}.r${repetition}.json`;
}

const LITTLE_ENDIAN = endianness() === 'LE';

export function storeBits(t: TransferredBits): StoredBits {
  return {
    index: [...t.index],
    words: t.words.map((w) => {
      const b = Buffer.from(w.buffer, w.byteOffset, w.byteLength);
      return (LITTLE_ENDIAN ? b : Buffer.from(b).swap32()).toString('base64');
    }),
  };
}

export function loadBits(s: StoredBits): TransferredBits {
  return {
    index: [...s.index],
    words: s.words.map((text) => {
      const b = Buffer.from(text, 'base64');
      if (b.length % 4 !== 0) throw new Error('stored bitset: length not a multiple of 4 bytes');
      if (!LITTLE_ENDIAN) b.swap32();
      const out = new Uint32Array(b.length / 4);
      Buffer.from(out.buffer).set(b);
      return out;
    }),
  };
}

export function storeReports(
  cell: Cell,
  repetition: number,
  shard: ShardInfo,
  producers: ProducerReport[],
  consumers: ConsumerReport[],
  queued: number | null,
  intervals: StoredInterval[],
): ShardBitsFile {
  return {
    intervals,
    format: 'ackbench-bits/1',
    cell: cell.id,
    repetition,
    shard,
    queued,
    producers: producers.map((p) => ({
      index: p.index,
      sent: p.sent,
      confirmed: p.confirmed,
      nacked: p.nacked,
      unknown: p.unknown,
      confirmedBits: storeBits(p.confirmedBits),
      unknownBits: storeBits(p.unknownBits),
      firstSendNs: p.firstSendNs,
      sendEndNs: p.sendEndNs,
      lastConfirmNs: p.lastConfirmNs,
      error: p.error,
    })),
    consumers: consumers.map((c) => ({
      index: c.index,
      receivedBits: c.receivedBits.map((b) => (b ? storeBits(b) : null)),
      deliveries: c.deliveries,
      duplicates: c.duplicates,
      outOfOrder: c.outOfOrder,
      redelivered: c.redelivered,
      unexpected: c.unexpected,
      lastReceiveNs: c.lastReceiveNs,
      error: c.error,
    })),
  };
}

/** Back to worker reports, as account() takes them (histograms and busy are not stored here). */
export function loadReports(file: ShardBitsFile): { producers: ProducerReport[]; consumers: ConsumerReport[] } {
  return {
    producers: file.producers.map((p) => ({
      ...idleProducerReport(p.index),
      sent: p.sent,
      confirmed: p.confirmed,
      nacked: p.nacked,
      unknown: p.unknown,
      confirmedBits: loadBits(p.confirmedBits),
      unknownBits: loadBits(p.unknownBits),
      lastError: p.error,
      firstSendNs: p.firstSendNs,
      sendEndNs: p.sendEndNs,
      lastConfirmNs: p.lastConfirmNs,
      error: p.error,
    })),
    consumers: file.consumers.map((c) => ({
      ...idleConsumerReport(c.index),
      receivedBits: c.receivedBits.map((b) => (b ? loadBits(b) : null)),
      deliveries: c.deliveries,
      duplicates: c.duplicates,
      outOfOrder: c.outOfOrder,
      redelivered: c.redelivered,
      unexpected: c.unexpected,
      lastReceiveNs: c.lastReceiveNs,
      error: c.error,
    })),
  };
}
