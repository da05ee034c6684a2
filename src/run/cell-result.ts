// The figures of one repetition (docs/architecture.md#figures-clocks-and-windows) from what was measured: window lengths, rates,
// latency from merged histograms, status, client CPU and whether the client was the limit. Pure: the
// cell runner, a shard, a fault cell and `ackbench merge` all turn their measurements into a CellResult
// here, so a figure means the same whichever of them wrote it.

import { maskCredentials } from '../broker/url.js';
import { encodeHistogram, mergeEncoded, summarize } from '../measure/histogram.js';
import { steadiness } from '../measure/steadiness.js';
import type { Cell } from '../scenario/types.js';
import { CLIENT_BOUND_SHARE } from '../measure/bottleneck.js';
import { clientThread, costOf, type BrokerWindow } from '../measure/cost.js';
import { busyShare, type ThreadLoad } from '../measure/thread-cpu.js';
import type { BehindSchedule, CellRates, CellResult, ClientThread, IntegrityCounts, LatencyInterval, TimelinePoint } from './result.js';
import type { ConsumerReport, ProducerReport } from './worker-protocol.js';


export type MeasuredWindow = CellResult['window'];

export interface WindowOptions {
  /** Confirms are measured (publish mode is not `none`); else confirmSeconds is null. */
  answered: boolean;
  /** Deliveries are measured; else consumeSeconds is null. */
  consumed: boolean;
  /**
   * Where the consume window starts when no producer sent anything (a shard without producers: its
   * `go`). Without it, that consume window is 0 s long.
   */
  consumeStartWithoutSendsNs?: number;
}

/**
 * The measured windows of one host's reports, each from the first measured send of any producer until
 * the last publish returned, the last confirm, or the last delivery; 0 s when nothing was sent.
 */
export function measuredWindow(producers: ProducerReport[], consumers: ConsumerReport[], options: WindowOptions): MeasuredWindow {
  const startNs = Math.min(...producers.map((r) => r.firstSendNs || Infinity));
  const consumeStartNs = Number.isFinite(startNs) ? startNs : (options.consumeStartWithoutSendsNs ?? startNs);
  const seconds = (end: number, start: number) => (Number.isFinite(start) && end > start ? (end - start) / 1e9 : 0);
  return {
    sendSeconds: seconds(Math.max(0, ...producers.map((r) => r.sendEndNs)), startNs),
    confirmSeconds: options.answered ? seconds(Math.max(0, ...producers.map((r) => r.lastConfirmNs)), startNs) : null,
    consumeSeconds: options.consumed ? seconds(Math.max(0, ...consumers.map((r) => r.lastReceiveNs)), consumeStartNs) : null,
  };
}

/** n over a window: null where the window is undefined (no confirms, no consumers), 0 over an empty one. */
function perSecond(n: number, seconds: number | null): number | null {
  return seconds ? n / seconds : seconds === null ? null : 0;
}

/** Each rate over its own window. */
export function ratesOver(counts: IntegrityCounts, window: MeasuredWindow): CellRates {
  return {
    sentPerS: perSecond(counts.sent, window.sendSeconds) ?? 0,
    confirmedPerS: perSecond(counts.confirmed ?? 0, window.confirmSeconds),
    consumedPerS: perSecond(counts.received, window.consumeSeconds),
  };
}

/** Client process CPU (user + system, from process.cpuUsage) between two nowNs() times, percent of one core. */
export function cpuPercent(cpu: NodeJS.CpuUsage, fromNs: number, toNs: number): number {
  return Math.round(((cpu.user + cpu.system) / ((toNs - fromNs) / 1000)) * 1000) / 10;
}

/**
 * The highest share of its window any of these worker threads was busy (on a CPU or waiting for one,
 * thread-cpu.ts), 0..1. Off Linux, where no thread figures exist: the highest event-loop utilisation.
 */
export function busiest(reports: ReadonlyArray<{ busy: number; thread?: ThreadLoad | null }>): number {
  const threads = reports.flatMap((r) => (r.thread ? [r.thread] : []));
  if (threads.length) return Math.max(0, ...threads.map(busyShare));
  return Math.max(0, ...reports.map((r) => r.busy));
}

/** Each worker thread's figures, from the reports that carry them (a worker's first). */
export function clientThreads(reports: ReadonlyArray<ProducerReport | ConsumerReport>): ClientThread[] {
  return reports.flatMap((r) => (r.thread ? [clientThread(r.role, r.index, r.thread)] : []));
}

/** The first error any worker reported, or null if none did. */
export function firstError(reports: ReadonlyArray<{ error: string | null }>): string | null {
  return reports.map((r) => r.error).find((e): e is string => e !== null) ?? null;
}

export interface ClientLoad {
  /** The cell's target rate per producer; null when unpaced. */
  rate: number | null;
  /** Producers that ran here. */
  producers: number;
  sent: number;
  sendSeconds: number;
  /** busiest() of the workers that count. */
  busiest: number;
}

/**
 * The client, not the broker, was the limit: a worker thread was busy (on a CPU, or waiting for one)
 * 90% of its window or more, paced or not. A paced cell that fell behind with idle threads is not
 * client-bound: its verdict (measure/bottleneck.ts) names the broker-side resource.
 */
export function clientBound(load: ClientLoad): boolean {
  return load.busiest >= CLIENT_BOUND_SHARE;
}

/** What the cost figures of a repetition are made of (measure/cost.ts), as a runner gathers them. */
export interface CostMeasured {
  /** Producers whose target rate counts here (a shard's own). */
  producers: number;
  threads: ClientThread[];
  /** Client process CPU over [goNs, endNs], µs, and that span. */
  clientCpuUs: number;
  wallUs: number;
  broker: BrokerWindow | null;
}

export interface Measured {
  cell: Cell;
  repetition: number;
  counts: IntegrityCounts;
  window: MeasuredWindow;
  /** Encoded latency histograms to merge (one per worker, or per shard); nulls are skipped. */
  publishHistograms: ReadonlyArray<string | null>;
  e2eHistograms: ReadonlyArray<string | null>;
  /** Why the repetition failed (credentials are masked here), or null: it is ok. */
  failure: string | null;
  clientCpuPct: number;
  clientBound: boolean;
  timeline: TimelinePoint[];
  /** Left out of the result when undefined. */
  latencyIntervals?: LatencyInterval[];
  /** Paced --duration cells (behind-schedule.ts); left out when undefined. */
  behindSchedule?: BehindSchedule;
  /** Cost per message and the bottleneck verdict are left out when undefined. */
  cost?: CostMeasured;
}

/** The CellResult of a repetition that ran (notRunResult is the one of a repetition that did not). */
export function cellResultFrom(m: Measured): CellResult {
  const publishHist = mergeEncoded(m.publishHistograms);
  const e2eHist = mergeEncoded(m.e2eHistograms);
  return {
    cell: m.cell,
    repetition: m.repetition,
    status: m.failure === null ? 'ok' : 'failed',
    ...(m.failure === null ? {} : { reason: maskCredentials(m.failure) }),
    counts: m.counts,
    window: m.window,
    rates: ratesOver(m.counts, m.window),
    publishLatency: summarize(publishHist),
    e2eLatency: summarize(e2eHist),
    histograms: { publish: publishHist ? encodeHistogram(publishHist) : null, e2e: e2eHist ? encodeHistogram(e2eHist) : null },
    clientCpuPct: m.clientCpuPct,
    clientBound: m.clientBound,
    timeline: m.timeline,
    steadiness: steadiness(m.timeline, m.window),
    ...(m.latencyIntervals ? { latencyIntervals: m.latencyIntervals } : {}),
    ...(m.behindSchedule ? { behindSchedule: m.behindSchedule } : {}),
    ...(m.cost ? costFields(m, m.cost) : {}),
  };
}

function costFields(m: Measured, c: CostMeasured): Pick<CellResult, 'clientThreads' | 'cost' | 'bottleneck'> & { clientBound?: boolean } {
  const { cost, bottleneck } = costOf({
    rate: m.cell.rate,
    producers: c.producers,
    sendSeconds: m.window.sendSeconds,
    client: { sent: m.counts.sent, cpuUs: c.clientCpuUs, wallUs: c.wallUs },
    threads: c.threads,
    broker: c.broker,
  });
  // With a verdict, client-bound is that verdict (a thread waiting for a CPU the broker took is not the limit).
  return { clientThreads: c.threads, cost, ...(m.failure === null ? { bottleneck, clientBound: bottleneck.verdict === 'client' } : {}) };
}
