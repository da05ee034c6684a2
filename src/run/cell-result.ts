// The figures of one repetition (docs/architecture.md#figures-clocks-and-windows) from what was measured: window lengths, rates,
// latency from merged histograms, status, client CPU and whether the client was the limit. Pure: the
// cell runner, a shard, a fault cell and `ackbench merge` all turn their measurements into a CellResult
// here, so a figure means the same whichever of them wrote it.

import { maskCredentials } from '../broker/url.js';
import { encodeHistogram, mergeEncoded, summarize } from '../measure/histogram.js';
import { steadiness } from '../measure/steadiness.js';
import type { Cell } from '../scenario/types.js';
import type { BehindSchedule, CellRates, CellResult, IntegrityCounts, LatencyInterval, TimelinePoint } from './result.js';
import type { ConsumerReport, ProducerReport } from './worker-protocol.js';

/** A worker thread whose event loop was this busy over the window was likely the bottleneck. */
const CLIENT_BOUND_UTILISATION = 0.9;
/** A paced cell that sent less than this share of its target rate could not keep up. */
const PACED_SHORTFALL = 0.95;

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

/** The highest event-loop utilisation of any of these workers over the window, 0..1. */
export function busiest(reports: ReadonlyArray<{ busy: number }>): number {
  return Math.max(0, ...reports.map((r) => r.busy));
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
 * The client, not the broker, was likely the limit. A paced producer sleeps between messages
 * (run/pace-wait.ts), so its utilisation says little about how close it ran to its limit: a paced
 * cell is client-bound when it fell behind its target rate.
 */
export function clientBound(load: ClientLoad): boolean {
  return load.rate ? load.sent < PACED_SHORTFALL * load.rate * load.producers * load.sendSeconds : load.busiest > CLIENT_BOUND_UTILISATION;
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
  };
}
