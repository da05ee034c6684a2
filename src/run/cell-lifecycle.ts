// The life of one repetition of one cell, written once for every kind of run
// (docs/architecture.md#the-life-of-one-cell), in named phases: declare, start consumers, start
// producers, warm up, open window, await producers, drain, collect, clean up. A plain run takes the
// phases as they are (cell-runner.ts); a sharded run and a fault cell are add-ins on their hooks
// (CellAddIn): a barrier with the other shards (shard-runner.ts), a fault injector (fault-runner.ts).
// The cell timeout, the abort, the result and the cleanup are here only, so the runs cannot drift apart.

import { setTimeout as sleep } from 'node:timers/promises';
import { startCostSampler, type CostSampler, type MetricsSource } from '../broker/cost-sampler.js';
import { account } from '../measure/accounting.js';
import { nowNs } from '../measure/clock.js';
import type { BrokerWindow } from '../measure/cost.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { AdminConnection } from './admin-connection.js';
import { behindSchedule } from './behind-schedule.js';
import { busiest, cellResultFrom, clientBound, clientThreads, cpuPercent, firstError, measuredWindow } from './cell-result.js';
import { allProducerReports, drainConsumers, latencyIntervals, startConsumers, startProducers, sumCounter, type CellWorker, type WorkerBase } from './cell-worker.js';
import { connectionName } from './connection-name.js';
import { notRunResult, unsupportedReason } from './not-run.js';
import { openWindow, type OpenedWindow, type Progress } from './open-window.js';
import type { CellResult, IntegrityCounts, TimelinePoint } from './result.js';
import { everyConsumerReadsAll } from './stream-fan-out.js';
import { COUNTER, type ConsumerReport, type ProducerReport, type WorkerInit } from './worker-protocol.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** How long consumers may take to receive the warm-up messages before the window opens anyway. */
export const WARMUP_DRAIN_MS = 15_000;

/** How often the warm-up (and a shard's drain) compares the shared counters. */
export const POLL_MS = 20;

export interface RepetitionOptions {
  /** Where the cell's clients connect. */
  url: string;
  window: RunWindow;
  queue: string;
  /** The worker indices of this host: consumers, and producers (global producer ids). */
  ids: { consumers: number[]; producers: number[] };
  /** Aborting (before or during) stops the producers; the repetition ends early and is marked failed. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Where broker-side cost figures come from (cost-sampler.ts); none without it. */
  metrics?: MetricsSource;
}

/** What the phases measured, for the result and for what an add-in keeps (a shard's bitsets, a fault's outcome). */
export interface Collected {
  producers: CellWorker[];
  consumers: CellWorker[];
  producerReports: ProducerReport[];
  /** The cell's consumers' reports. */
  consumerReports: ConsumerReport[];
  /** Reports of consumers an add-in ran after the cell's (a fault cell's drain consumer); they count as received. */
  drainReports: ConsumerReport[];
  /** The queue's message count standing in for received (publish-only cells), or null. */
  queued: number | null;
  goNs: number;
  endNs: number;
  cpu: NodeJS.CpuUsage;
  timeline: TimelinePoint[];
  broker: BrokerWindow | null;
}

/**
 * The hooks of the phases, each optional: left out, the phase does what a plain run does. An add-in
 * waits through `r.bounded`, so the timeout, the abort and `ends` cut every wait short.
 */
export interface CellAddIn {
  /** Why this kind of run cannot measure the cell, asked after unsupportedReason (which every run asks first). */
  unsupported?(cell: Cell): string | null;
  /** Raced by every bounded wait too (a shard's peers failing); `ended` aborts when the repetition ends. */
  ends?(ended: AbortSignal): Promise<never>;
  /** connection_name of the admin connection; default `ackbench <cell> admin`. */
  adminName?: string;
  /** declare: default, the admin connection deletes and declares the queue. */
  declare?(r: Repetition): Promise<void>;
  /** Init fields of every worker (after: continue's reconnectForMs). */
  workerInit?: Pick<WorkerInit, 'reconnectForMs'>;
  /** Init fields of consumers only (a shard's untimedProducers). */
  consumerInit?: Pick<WorkerInit, 'untimedProducers'>;
  /** warm up: the warm-up messages consumed that count, from this host's `own` (a shard adds the other shards'). */
  warmupConsumed?(own: number): number;
  /** warm up of a publish-only cell: default, the queue is purged. */
  purge?(r: Repetition): Promise<void>;
  /** Last step of warm up, before the broker counters start (a shard's `ready` barrier, a fault cell's queue settling). */
  beforeWindow?(r: Repetition): Promise<void>;
  /** Progress counts consumed as the slowest consumer's read (stream-fan-out.ts); default: on a stream. */
  progressReadsAll?: boolean;
  /** await producers, while they publish (a fault's injection and recovery); `producersDone` says whether all reported. */
  whilePublishing?(r: Repetition, window: OpenedWindow, producersDone: () => boolean): Promise<void>;
  /** await producers: the messages the drain waits for, from this host's `sent` (a shard's: the sum over shards). */
  expected?(r: Repetition, sent: number): Promise<number>;
  /** drain: default drainConsumers (drain, then finish once they have all `expected`). */
  drain?(r: Repetition, expected: number): Promise<ConsumerReport[]>;
  /** drain, after the cell's consumers (a fault cell's drain consumer). */
  afterDrain?(r: Repetition, producerReports: ProducerReport[], consumerReports: ConsumerReport[], expected: number): Promise<ConsumerReport[]>;
  /** collect: the queue's count standing in for received; default, counted for publish-only cells. */
  queued?(r: Repetition): Promise<number | null>;
  /** collect: default accountOf. */
  counts?(c: Collected, cell: Cell): IntegrityCounts;
  /** collect: why the repetition failed though it ran; default, the first error a worker reported. */
  failure?(c: Collected): string | null;
  /** Latency per interval and behind-schedule counts go in the result; default true. */
  intervals?: boolean;
  /** Called once, before clean up, when the repetition failed (a shard tells its peers). */
  failed?(reason: string): void;
  /** clean up, after the workers are terminated: default, the queue deleted and the admin connection closed. */
  cleanUp?(r: Repetition): Promise<void>;
}

/** The state of one repetition as the phases and the add-in's hooks share it. */
export class Repetition {
  readonly admin: AdminConnection;
  /** Aborted when the repetition ends: listeners and waits tied to it go with it. */
  readonly ended = new AbortController();
  readonly deadline: number;
  /** Every worker started, for the timeout's blocked check and for termination. */
  readonly workers: CellWorker[] = [];
  consumers: CellWorker[] = [];
  producers: CellWorker[] = [];
  /** Whose deliveries the window's progress counts: the cell's consumers, and any an add-in adds. */
  readonly counted: CellWorker[] = [];
  /** Named in a timeout's reason, so a hang says where it happened. */
  stage = 'connecting';
  costs: CostSampler | null = null;
  /** The window's sampling intervals. */
  readonly samplers: NodeJS.Timeout[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly stops: Promise<never>[];

  constructor(
    readonly cell: Cell,
    readonly repetition: number,
    readonly options: RepetitionOptions,
    addIn: CellAddIn,
  ) {
    this.admin = new AdminConnection(cell.client, addIn.adminName ?? connectionName(cell.id, 'admin'));
    const seconds = options.window.cellTimeoutSeconds;
    this.deadline = Date.now() + seconds * 1000;
    let timedOut!: (e: Error) => void;
    const timeout = new Promise<never>((_, reject) => (timedOut = reject));
    this.timer = setTimeout(() => timedOut(new Error(`cell timed out after ${seconds} s while ${this.stage}${this.blockedNote()}`)), seconds * 1000);
    const signal = options.signal;
    const aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(new Error('interrupted'));
      signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true, signal: this.ended.signal });
    });
    this.stops = [timeout, aborted, ...(addIn.ends ? [addIn.ends(this.ended.signal)] : [])];
    // Each is raced later; keep one that rejects first from being reported as unhandled meanwhile.
    for (const p of this.stops) p.catch(() => undefined);
  }

  get window(): RunWindow {
    return this.options.window;
  }

  get queue(): string {
    return this.options.queue;
  }

  get url(): string {
    return this.options.url;
  }

  /** `p`, or the cell timeout, the abort or the add-in's end, whichever comes first. */
  readonly bounded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, ...this.stops]);

  /** Throws at once when the run was aborted (before the first bounded wait could say so). */
  throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new Error('interrupted');
  }

  private blockedNote(): string {
    return sumCounter(this.workers, COUNTER.blocked) > 0 ? '; the broker was blocking publishers (connection.blocked: a memory or disk alarm)' : '';
  }

  stopSampling(): void {
    for (const t of this.samplers) clearInterval(t);
  }

  /** clean up: the one path every repetition ends through, whatever happened. */
  async cleanUp(addIn: CellAddIn): Promise<void> {
    this.costs?.cancel();
    this.stopSampling();
    clearTimeout(this.timer);
    this.ended.abort();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    if (addIn.cleanUp) await addIn.cleanUp(this);
    else await this.admin.deleteQueueAndClose(this.queue);
  }
}

/** What a repetition ended with: `collected` is null when it did not run to the end. */
export interface RepetitionEnd {
  result: CellResult;
  collected: Collected | null;
}

/** Runs one repetition through every phase with the add-in's hooks; never throws, a failure is a failed result. */
export async function runRepetition(cell: Cell, repetition: number, options: RepetitionOptions, addIn: CellAddIn = {}): Promise<RepetitionEnd> {
  const unsupported = unsupportedReason(cell) ?? addIn.unsupported?.(cell) ?? null;
  if (unsupported) return { result: notRunResult(cell, repetition, 'unsupported', unsupported), collected: null };
  const r = new Repetition(cell, repetition, options, addIn);
  let end: RepetitionEnd;
  try {
    const collected = await phases(r, addIn);
    end = { result: resultOf(r, addIn, collected), collected };
  } catch (err) {
    end = { result: notRunResult(cell, repetition, 'failed', err instanceof Error ? err.message : String(err)), collected: null };
  }
  try {
    if (end.result.status === 'failed') addIn.failed?.(end.result.reason ?? 'failed');
  } finally {
    await r.cleanUp(addIn);
  }
  return end;
}

async function phases(r: Repetition, addIn: CellAddIn): Promise<Collected> {
  r.throwIfAborted();
  await (addIn.declare ? addIn.declare(r) : declare(r));
  await startClients(r, addIn);
  await warmUp(r, addIn);
  r.stage = 'reading the broker counters';
  r.costs = await r.bounded(startCostSampler(r.options.metrics));
  const opened = openWindow({
    window: r.window,
    workers: r.workers,
    producers: r.producers,
    consumers: r.counted,
    timers: r.samplers,
    signal: r.options.signal,
    until: r.ended.signal,
    onProgress: r.options.onProgress,
    readsAll: addIn.progressReadsAll ?? everyConsumerReadsAll(r.cell),
  });
  const { producerReports, expected } = await awaitProducers(r, addIn, opened);
  r.stage = 'draining consumers';
  const consumerReports = addIn.drain ? await addIn.drain(r, expected) : await r.bounded(drainConsumers(r.consumers, expected, everyConsumerReadsAll(r.cell)));
  const drainReports = addIn.afterDrain ? await addIn.afterDrain(r, producerReports, consumerReports, expected) : [];
  return collect(r, addIn, opened, { producerReports, consumerReports, drainReports });
}

/** declare: a fresh queue, deleted first in case a previous run left it. */
async function declare(r: Repetition): Promise<void> {
  const channel = await r.admin.open(r.url);
  await channel.deleteQueue(r.queue);
  await channel.declareQueue(r.queue, r.cell.queue);
}

/** start consumers, then (once every one subscribed) start producers, which publish their warm-up at once. */
async function startClients(r: Repetition, addIn: CellAddIn): Promise<void> {
  const base: WorkerBase = { cell: r.cell, window: r.window, url: r.url, queue: r.queue, ...addIn.workerInit };
  r.stage = 'starting consumers';
  r.consumers = startConsumers(base, r.options.ids.consumers, r.workers, addIn.consumerInit);
  r.counted.push(...r.consumers);
  await r.bounded(Promise.all(r.consumers.map((c) => c.ready())));
  r.stage = 'starting producers';
  r.producers = startProducers(base, r.options.ids.producers, r.workers);
}

/** warm up: every producer's warm-up answered, then consumed (or WARMUP_DRAIN_MS passed); a publish-only queue purged. */
async function warmUp(r: Repetition, addIn: CellAddIn): Promise<void> {
  r.stage = 'warming up';
  await r.bounded(Promise.all(r.producers.map((p) => p.ready())));
  if (r.cell.consumers > 0) {
    const total = r.window.warmupMessages * r.cell.producers;
    const until = Math.min(r.deadline, Date.now() + WARMUP_DRAIN_MS);
    for (;;) {
      const own = sumCounter(r.consumers, COUNTER.warmupConsumed);
      if ((addIn.warmupConsumed ? addIn.warmupConsumed(own) : own) >= total || Date.now() >= until) break;
      await r.bounded(sleep(POLL_MS));
    }
  } else if (addIn.purge) {
    await addIn.purge(r);
  } else {
    await r.admin.channel.purgeQueue(r.queue);
  }
  await addIn.beforeWindow?.(r);
}

/** await producers: every producer's report, and how many measured messages the drain waits for. */
async function awaitProducers(r: Repetition, addIn: CellAddIn, opened: OpenedWindow): Promise<{ producerReports: ProducerReport[]; expected: number }> {
  r.stage = 'publishing the measured window';
  const reports = allProducerReports(r.producers);
  let done = false;
  reports.then(
    () => (done = true),
    () => (done = true),
  );
  await addIn.whilePublishing?.(r, opened, () => done);
  const producerReports = await r.bounded(reports);
  const sent = producerReports.reduce((n, p) => n + p.sent, 0);
  return { producerReports, expected: addIn.expected ? await addIn.expected(r, sent) : sent };
}

/** collect: the window closed, the broker counters of its end, the queue's count where it stands in for received. */
async function collect(r: Repetition, addIn: CellAddIn, opened: OpenedWindow, reports: Pick<Collected, 'producerReports' | 'consumerReports' | 'drainReports'>): Promise<Collected> {
  const endNs = nowNs();
  const cpu = process.cpuUsage(opened.cpu0);
  r.stopSampling();
  opened.timeline.close();
  r.stage = 'reading the broker counters';
  const broker = await r.bounded(r.costs!.stop(r.cell));
  const queued = addIn.queued ? await addIn.queued(r) : r.cell.consumers === 0 ? await r.admin.channel.countMessages(r.queue) : null;
  return { ...reports, producers: r.producers, consumers: r.consumers, queued, goNs: opened.goNs, endNs, cpu, timeline: opened.timeline.points, broker };
}

/** Every consumer report whose deliveries count: the cell's consumers' and the add-in's drain consumers'. */
export function everyConsumer(c: Collected): ConsumerReport[] {
  return [...c.consumerReports, ...c.drainReports];
}

/** The integrity counts of this host's reports (accounting.ts); a publish-only cell's queue count is its received. */
export function accountOf(c: Collected, cell: Cell): IntegrityCounts {
  return account(c.producerReports, everyConsumer(c), publishAnswered(cell.publish.kind), c.queued, { readsAll: everyConsumerReadsAll(cell) });
}

function resultOf(r: Repetition, addIn: CellAddIn, c: Collected): CellResult {
  const { cell } = r;
  const consumers = everyConsumer(c);
  const counts = addIn.counts ? addIn.counts(c, cell) : accountOf(c, cell);
  // A host without producers (a shard) has no start of its own: its consumers' window starts at `go`.
  const window = measuredWindow(c.producerReports, consumers, { answered: publishAnswered(cell.publish.kind), consumed: cell.consumers > 0 || c.drainReports.length > 0, consumeStartWithoutSendsNs: c.goNs });
  // Paced, the target is that of this host's producers.
  const producers = r.options.ids.producers.length;
  const withIntervals = addIn.intervals ?? true;
  return cellResultFrom({
    cell,
    repetition: r.repetition,
    counts,
    window,
    publishHistograms: c.producerReports.map((p) => p.publishHistogram),
    e2eHistograms: consumers.map((p) => p.e2eHistogram),
    failure: addIn.failure ? addIn.failure(c) : firstError([...c.producerReports, ...c.consumerReports]),
    clientCpuPct: cpuPercent(c.cpu, c.goNs, c.endNs),
    // The drain consumer of a fault cell is not part of the cell's load.
    clientBound: clientBound({ rate: cell.rate, producers, sent: counts.sent, sendSeconds: window.sendSeconds, busiest: busiest([...c.producerReports, ...c.consumerReports]) }),
    timeline: c.timeline,
    ...(withIntervals ? { latencyIntervals: latencyIntervals(c.producers, c.consumers), behindSchedule: behindSchedule(c.producerReports) } : {}),
    cost: { producers, threads: clientThreads([...c.producerReports, ...consumers]), clientCpuUs: c.cpu.user + c.cpu.system, wallUs: (c.endNs - c.goNs) / 1000, broker: c.broker },
  });
}
