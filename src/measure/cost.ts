// A repetition's cost per message (CellCost) and its bottleneck verdict, from what the cost sampler
// (broker/cost-sampler.ts) read of the broker and what the client measured of itself. Pure.

import { bottleneckOf, type Bottleneck, type ClientThread } from './bottleneck.js';
import { busyShare, cpuShare, type ThreadLoad } from './thread-cpu.js';

/** Where a cell's broker-side figures came from (broker/cost-sampler.ts). */
export type MetricsSourceKind = 'local' | 'prometheus' | 'none';

/**
 * What one repetition cost per message, client and broker side, over the measured window (README:
 * Cost per message). Per message = per measured message sent. A figure no source could give is null, and
 * `note` says why; never a zero that was not measured.
 */
export interface CellCost {
  /** Client process CPU (every thread: workers and main) over the window, µs per message. */
  clientCpuUsPerMsg: number | null;
  /** Broker CPU over the window: local, user + system time of its VM; prometheus, user time only. */
  brokerCpuMs: number | null;
  brokerCpuUsPerMsg: number | null;
  /** Broker fsyncs (file handle cache syncs, plus quorum WAL batches where local) per 1000 messages. */
  fsyncsPer1k: number | null;
  /** Bytes the broker wrote to its message files (file handle cache io_write) per message. */
  diskBytesPerMsg: number | null;
  /** The broker's peak resident memory over the window, MiB. */
  brokerRssPeakMib: number | null;
  metricsSource: MetricsSourceKind;
  /** How fine the broker's counters are: /proc CPU ticks (local), collect_statistics_interval (prometheus). */
  resolutionMs: number | null;
  /** What the figures cover and how they were read, or why some are missing. */
  note: string | null;
  /** Time the broker spent in those fsyncs (its own io_sync time, else fsyncs x a measured fsync latency), ms. */
  fsyncTimeMs?: number | null;
  /** Cores the broker could use over the window (on a shared host: its cores less the client's CPU). */
  brokerCores?: number | null;
}

/** What a cost sampler measured of the broker over one window, before it is put per message. */
export interface BrokerWindow {
  source: MetricsSourceKind;
  /** Between the CPU readings at the two edges, ms (harness clock). */
  spanMs: number;
  cpuMs: number | null;
  fsyncs: number | null;
  fsyncTimeMs: number | null;
  writeBytes: number | null;
  rssPeakBytes: number | null;
  resolutionMs: number | null;
  /** Cores the broker's host has (local), or its schedulers online (prometheus). */
  cores: number | null;
  /** The broker runs on the client's host: they share its cores. */
  sharedHost: boolean;
  notes: string[];
}

/** What the client measured of itself over the window. */
export interface ClientSide {
  /** Messages sent in the measured window (the per-message denominator). */
  sent: number;
  /** Process CPU (user + system, every thread) over the window, µs. */
  cpuUs: number;
  /** That window, µs. */
  wallUs: number;
}

export interface CostInput {
  rate: number | null;
  producers: number;
  sendSeconds: number;
  client: ClientSide;
  threads: ClientThread[];
  broker: BrokerWindow | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const perMsg = (v: number | null, sent: number, scale = 1, digits = 1) => (v === null || sent <= 0 ? null : round((v * scale) / sent, digits));

/** One worker thread's figures, from the load its worker reported. */
export function clientThread(role: ClientThread['role'], index: number, load: ThreadLoad): ClientThread {
  return { role, index, cpuPct: Math.round(cpuShare(load) * 1000) / 10, busyPct: Math.round(busyShare(load) * 1000) / 10 };
}

export function costOf(i: CostInput): { cost: CellCost; bottleneck: Bottleneck } {
  const b = i.broker;
  const sent = i.client.sent;
  const notes = [...(b?.notes ?? ['no broker figures: no metrics source'])];
  if (sent <= 0) notes.push('nothing was sent in the window: no per-message figures');
  const cost: CellCost = {
    clientCpuUsPerMsg: perMsg(i.client.cpuUs, sent),
    brokerCpuMs: b?.cpuMs == null ? null : round(b.cpuMs, 1),
    brokerCpuUsPerMsg: perMsg(b?.cpuMs ?? null, sent, 1000),
    fsyncsPer1k: perMsg(b?.fsyncs ?? null, sent, 1000),
    diskBytesPerMsg: perMsg(b?.writeBytes ?? null, sent, 1, 0),
    brokerRssPeakMib: b?.rssPeakBytes == null ? null : round(b.rssPeakBytes / 2 ** 20, 1),
    metricsSource: b?.source ?? 'none',
    resolutionMs: b?.resolutionMs ?? null,
    note: notes.join('; ') || null,
    fsyncTimeMs: b?.fsyncTimeMs == null ? null : round(b.fsyncTimeMs, 1),
    brokerCores: null,
  };
  const clientCores = i.client.wallUs > 0 ? i.client.cpuUs / i.client.wallUs : null;
  let broker = null;
  if (b && b.spanMs > 0) {
    const usable = b.cores === null ? null : b.sharedHost && clientCores !== null ? Math.max(0.1, b.cores - clientCores) : b.cores;
    cost.brokerCores = usable === null ? null : round(usable, 2);
    broker = {
      cores: b.cpuMs === null ? null : b.cpuMs / b.spanMs,
      usableCores: usable,
      fsyncShare: b.fsyncTimeMs === null ? null : b.fsyncTimeMs / b.spanMs,
      fsyncsPer1k: cost.fsyncsPer1k,
      fsyncLatencyUs: b.fsyncTimeMs !== null && b.fsyncs ? (b.fsyncTimeMs * 1000) / b.fsyncs : null,
    };
  }
  const bottleneck = bottleneckOf({ rate: i.rate, producers: i.producers, sent, sendSeconds: i.sendSeconds, threads: i.threads, clientCores, broker });
  return { cost, bottleneck };
}
