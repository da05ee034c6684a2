// Runs one repetition of one cell: declares a fresh queue, starts consumers then producers in worker
// threads, warms up, opens the measured window for all producers at once, drains, and turns the
// workers' reports into a CellResult (cell-result.ts). Progress is read from the workers' shared counters.
// The steps the shard and fault runners take the same way are exported: starting the workers, the
// cell timeout, opening and sampling the measured window.

import { Worker } from 'node:worker_threads';
import { clientUnsupportedReason, loadAdapter } from '../clients/registry.js';
import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { maskCredentials } from '../broker/url.js';
import { account } from '../measure/accounting.js';
import { nowNs } from '../measure/clock.js';
import { mergeEncoded, summarize, type Histogram } from '../measure/histogram.js';
import { Timeline, type RunningTotals } from '../measure/timeline.js';
import { channelsOf } from '../scenario/matrix.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { behindSchedule } from './behind-schedule.js';
import { queueName } from './queue-name.js';
import { consumedSoFar, everyConsumerReadsAll } from './stream-fan-out.js';
import { busiest, cellResultFrom, clientBound, clientThreads, cpuPercent, firstError, measuredWindow } from './cell-result.js';
import { startCostSampler, type CostSampler, type MetricsSource } from '../broker/cost-sampler.js';
import type { CellResult, IntegrityCounts, LatencyInterval } from './result.js';
import { COUNTER, COUNTER_SLOTS, LATENCY_INTERVAL_MS, type ConsumerReport, type MainToWorker, type ProducerReport, type WorkerInit, type WorkerToMain } from './worker-protocol.js';

/** How long consumers may take to receive the warm-up messages before the window opens anyway. */
export const WARMUP_DRAIN_MS = 15_000;

export interface Progress {
  sent: number;
  confirmed: number;
  consumed: number;
  /** Measured messages the cell will send in all; null for a duration-bound cell. */
  total: number | null;
  elapsedSeconds: number;
}

export interface CellRunOptions {
  url: string;
  runId: string;
  window: RunWindow;
  onProgress?: (p: Progress) => void;
  /** Aborting stops the producers; the repetition ends early and is marked failed. */
  signal?: AbortSignal;
  /** Where broker-side cost figures come from (resolveMetricsSource); none without it. */
  metrics?: MetricsSource;
}

/**
 * Young-generation cap of each worker's V8 heap. By default V8 grows it towards its maximum over a
 * long run, so peak RSS rose with the message count (100k: 135 MiB, 1M: 147, 5M: 177) though live
 * data stayed flat; at 12 MiB (4 MiB semi-spaces) 100k and 1.5M messages both peak at 133 MiB.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

export class CellWorker {
  readonly worker: Worker;
  readonly counters: Int32Array;
  private readyWaiter: Promise<void>;
  /** Every report of the worker: one per producer it runs, or its consumer's one. */
  readonly reports: Promise<(ProducerReport | ConsumerReport)[]>;
  /** Encoded latency histogram of each interval of the window (index = interval - 1). */
  readonly intervals: (string | null)[] = [];

  constructor(init: Omit<WorkerInit, 'counters'>) {
    const sab = new SharedArrayBuffer(COUNTER_SLOTS * 4);
    this.counters = new Int32Array(sab);
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { ...init, counters: sab },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    let ready!: () => void;
    let readyFailed!: (e: Error) => void;
    this.readyWaiter = new Promise<void>((res, rej) => ((ready = res), (readyFailed = rej)));
    const expected = init.producerIds?.length ?? 1;
    const reports: (ProducerReport | ConsumerReport)[] = [];
    this.reports = new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        readyFailed(e);
        reject(e);
      };
      this.worker.on('message', (m: WorkerToMain) => {
        if (m.type === 'ready') ready();
        else if (m.type === 'report') {
          reports.push(m.report);
          if (reports.length === expected) resolve(reports);
        }
        else if (m.type === 'interval') this.intervals[m.interval - 1] = m.histogram;
        else failed(new Error(m.error));
      });
      this.worker.on('error', (e) => failed(e));
      this.worker.on('exit', (code) => failed(new Error(`${init.role} ${init.index} exited with code ${code} before reporting`)));
    });
    // Both are awaited later; keep an early failure from being reported as unhandled meanwhile.
    this.readyWaiter.catch(() => undefined);
    this.reports.catch(() => undefined);
  }

  /** The report of a worker that runs one producer or one consumer. */
  get report(): Promise<ProducerReport | ConsumerReport> {
    return this.reports.then((r) => r[0]);
  }

  ready(): Promise<void> {
    return this.readyWaiter;
  }

  send(m: MainToWorker): void {
    this.worker.postMessage(m);
  }

  count(slot: number): number {
    return Atomics.load(this.counters, slot);
  }
}

/** Each interval of the window with the workers' interval histograms merged: producers' publish, consumers' e2e. */
export function mergedIntervals(producers: CellWorker[], consumers: CellWorker[]): Array<{ interval: number; endSecond: number; publish: Histogram | null; e2e: Histogram | null }> {
  const count = Math.max(0, ...[...producers, ...consumers].map((w) => w.intervals.length));
  return Array.from({ length: count }, (_, i) => ({
    interval: i + 1,
    endSecond: Math.round(((i + 1) * LATENCY_INTERVAL_MS) / 1000),
    publish: mergeEncoded(producers.map((w) => w.intervals[i])),
    e2e: mergeEncoded(consumers.map((w) => w.intervals[i])),
  }));
}

/** Latency per interval of the window, each merged over the workers' interval histograms. */
export function latencyIntervals(producers: CellWorker[], consumers: CellWorker[]): LatencyInterval[] {
  return mergedIntervals(producers, consumers).map((i) => ({ interval: i.interval, endSecond: i.endSecond, publish: summarize(i.publish), e2e: summarize(i.e2e) }));
}

/** One shared counter (a COUNTER slot) summed over workers. */
export function sumCounter(workers: CellWorker[], slot: number): number {
  return workers.reduce((n, w) => n + w.count(slot), 0);
}

/**
 * The producers are done, having sent `expected` measured messages: each consumer drains, and with
 * several consumers the drain ends as soon as they received that many between them (alone, each
 * would wait until nothing had arrived for drainSeconds, since it cannot know its own share). When
 * every consumer reads every message (`readsAll`, a stream), each ends once it has all `expected`.
 */
export async function drainConsumers(consumers: CellWorker[], expected: number, readsAll = false): Promise<ConsumerReport[]> {
  for (const c of consumers) c.send({ type: 'drain', expected });
  const reports = Promise.all(consumers.map((c) => c.report)) as Promise<ConsumerReport[]>;
  if (consumers.length > 1 && !readsAll) {
    let done = false;
    reports.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done && sumCounter(consumers, COUNTER.consumed) < expected) await new Promise((r) => setTimeout(r, 20));
    if (!done) for (const c of consumers) c.send({ type: 'finish' });
  }
  return reports;
}

/** Every producer report of these producer workers, in worker order. */
export async function allProducerReports(producers: CellWorker[]): Promise<ProducerReport[]> {
  return (await Promise.all(producers.map((p) => p.reports))).flat() as ProducerReport[];
}

/** Producer ids in runs of `perConnection`: the producers of one worker, sharing its connection. */
export function connectionGroups(ids: number[], perConnection: number): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < ids.length; i += perConnection) groups.push(ids.slice(i, i + perConnection));
  return groups;
}

/** 0 .. n-1: the worker indices of a cell run on one host. */
export function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Starts the consumers and, once every one is ready (awaited through `wait`), the producers, which
 * begin their warm-up at once. Each worker joins `workers` as it starts, for the caller to terminate.
 */
export async function startWorkers(
  base: Pick<WorkerInit, 'cell' | 'window' | 'url' | 'queue' | 'reconnectForMs'>,
  ids: { consumers: number[]; producers: number[] },
  workers: CellWorker[],
  wait: (ready: Promise<unknown>) => Promise<unknown>,
  consumerOnly: Pick<WorkerInit, 'untimedProducers'> = {},
): Promise<{ consumers: CellWorker[]; producers: CellWorker[] }> {
  const consumers = ids.consumers.map((index) => new CellWorker({ ...base, role: 'consumer', index, ...consumerOnly }));
  workers.push(...consumers);
  await wait(Promise.all(consumers.map((c) => c.ready())));
  const producers = connectionGroups(ids.producers, channelsOf(base.cell)).map((group) => new CellWorker({ ...base, role: 'producer', index: group[0], producerIds: group }));
  workers.push(...producers);
  return { consumers, producers };
}

/**
 * Rejects once the cell's timeout has passed, naming the stage it was in and whether the broker was
 * blocking publishers. The timer joins `timers`, for the caller to clear.
 */
export function cellTimeout(window: RunWindow, workers: CellWorker[], stage: () => string, timers: NodeJS.Timeout[]): Promise<never> {
  return new Promise<never>((_, reject) => {
    timers.push(
      setTimeout(() => {
        const blocked = sumCounter(workers, COUNTER.blocked) > 0 ? '; the broker was blocking publishers (connection.blocked: a memory or disk alarm)' : '';
        reject(new Error(`cell timed out after ${window.cellTimeoutSeconds} s while ${stage()}${blocked}`));
      }, window.cellTimeoutSeconds * 1000),
    );
  });
}

export interface OpenWindowOptions {
  window: RunWindow;
  /** Every worker of the window: all are told to go at once. */
  workers: CellWorker[];
  producers: CellWorker[];
  /** Whose deliveries count as consumed; read at each sample, so a consumer added later counts from then on. */
  consumers: CellWorker[];
  /** The sampling intervals are added here, for the caller to clear. */
  timers: NodeJS.Timeout[];
  /** The run-wide signal: aborting it stops the producers. */
  signal?: AbortSignal;
  /** Removes the listener on `signal` when the repetition ends. */
  until: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Every consumer reads every message (stream-fan-out.ts): consumed counts what the slowest has read. */
  readsAll?: boolean;
}

export interface OpenedWindow {
  goNs: number;
  /** process.cpuUsage() when the window opened. */
  cpu0: NodeJS.CpuUsage;
  /** Running totals of the window so far, from the shared counters. */
  snapshot: () => RunningTotals;
  timeline: Timeline;
}

/** Opens the measured window for every worker at once, then samples it: the timeline each second, progress every 250 ms. */
export function openWindow(o: OpenWindowOptions): OpenedWindow {
  const total = o.window.messages === null ? null : o.window.messages * o.producers.length;
  const cpu0 = process.cpuUsage();
  const goNs = nowNs();
  for (const w of o.workers) w.send({ type: 'go' });
  o.signal?.addEventListener('abort', () => o.producers.forEach((p) => p.send({ type: 'stop' })), { once: true, signal: o.until });

  const snapshot = () => ({
    sent: sumCounter(o.producers, COUNTER.sent),
    confirmed: sumCounter(o.producers, COUNTER.confirmed),
    consumed: consumedSoFar(o.consumers.map((c) => c.count(COUNTER.consumed)), Boolean(o.readsAll)),
  });
  const timeline = new Timeline(snapshot);
  o.timers.push(setInterval(() => timeline.tick(), 1000));
  if (o.onProgress) {
    const report = o.onProgress;
    o.timers.push(setInterval(() => report({ ...snapshot(), total, elapsedSeconds: (nowNs() - goNs) / 1e9 }), 250));
  }
  return { goNs, cpu0, snapshot, timeline };
}

function emptyCounts(): IntegrityCounts {
  return { sent: 0, confirmed: null, nacked: 0, unknown: 0, received: 0, duplicates: 0, outOfOrder: 0, lost: 0, missing: 0, recovered: 0, redelivered: 0, unexpected: 0 };
}

/** A result for a cell that could not run: never silently skipped. */
export function notRunResult(cell: Cell, repetition: number, status: 'failed' | 'unsupported', reason: string): CellResult {
  return {
    cell,
    repetition,
    status,
    reason: maskCredentials(reason),
    counts: emptyCounts(),
    window: { sendSeconds: 0, confirmSeconds: null, consumeSeconds: null },
    rates: { sentPerS: 0, confirmedPerS: null, consumedPerS: null },
    publishLatency: null,
    e2eLatency: null,
    histograms: { publish: null, e2e: null },
    clientCpuPct: 0,
    clientBound: false,
    timeline: [],
  };
}

/** Why this client / queue combination cannot be measured, or null if it can. */
export function unsupportedReason(cell: Cell): string | null {
  if (cell.queue === 'stream' && cell.consume.ack === 'auto') return 'stream queues require manual acknowledgement (RabbitMQ refuses noAck consumers on streams)';
  if (cell.queue === 'stream' && cell.consumers === 0) return 'a publish-only cell counts and purges the queue, which stream queues do not support';
  return clientUnsupportedReason(cell);
}

export async function runCellRepetition(cell: Cell, repetition: number, options: CellRunOptions): Promise<CellResult> {
  const unsupported = unsupportedReason(cell);
  if (unsupported) return notRunResult(cell, repetition, 'unsupported', unsupported);

  const { url, window } = options;
  const queue = queueName(options.runId, cell, repetition);
  const adapter = await loadAdapter(cell.client);
  let admin: AmqpConnection | null = null;
  let adminChannel: AmqpChannel | null = null;
  const workers: CellWorker[] = [];
  const timers: NodeJS.Timeout[] = [];
  const cleanups: (() => void)[] = [];
  let costs: CostSampler | null = null;
  // Named in a timeout's reason, so a hang says where it happened.
  let stage = 'connecting';
  try {
    admin = await adapter.connect(url, { connectionName: `ackbench ${cell.id} admin`, timeoutMs: 5000 });
    adminChannel = await admin.openChannel();
    await adminChannel.deleteQueue(queue);
    await adminChannel.declareQueue(queue, cell.queue);

    stage = 'starting consumers';
    const { consumers, producers } = await startWorkers({ cell, window, url, queue }, { consumers: indices(cell.consumers), producers: indices(cell.producers) }, workers, (ready) => ready);

    const deadline = Date.now() + window.cellTimeoutSeconds * 1000;
    const timeout = cellTimeout(window, workers, () => stage, timers);
    // Listeners on the run-wide signal are removed with this repetition (cleanup aborts them).
    const cleanup = new AbortController();
    cleanups.push(() => cleanup.abort());
    const aborted = new Promise<never>((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true, signal: cleanup.signal });
    });
    aborted.catch(() => undefined);
    const bounded = <T>(p: Promise<T>) => Promise.race([p, timeout, aborted]);

    stage = 'warming up';
    await bounded(Promise.all(producers.map((p) => p.ready())));
    if (cell.consumers > 0) {
      const warmupTotal = window.warmupMessages * cell.producers;
      const until = Math.min(deadline, Date.now() + WARMUP_DRAIN_MS);
      while (sumCounter(consumers, COUNTER.warmupConsumed) < warmupTotal && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } else {
      await adminChannel.purgeQueue(queue);
    }
    stage = 'reading the broker counters';
    costs = await bounded(startCostSampler(options.metrics));

    const readsAll = everyConsumerReadsAll(cell);
    const { goNs, cpu0, timeline } = openWindow({ window, workers, producers, consumers, timers, signal: options.signal, until: cleanup.signal, onProgress: options.onProgress, readsAll });

    stage = 'publishing the measured window';
    const producerReports = await bounded(allProducerReports(producers));
    const expected = producerReports.reduce((n, r) => n + r.sent, 0);
    stage = 'draining consumers';
    const consumerReports = await bounded(drainConsumers(consumers, expected, readsAll));
    const endNs = nowNs();
    const cpu = process.cpuUsage(cpu0);
    for (const t of timers) clearInterval(t);
    timeline.close();
    stage = 'reading the broker counters';
    const broker = await bounded(costs.stop(cell));

    const queued = cell.consumers === 0 ? await adminChannel.countMessages(queue) : null;
    const answered = cell.publish.kind !== 'none';
    const counts = account(producerReports, consumerReports, answered, queued, { readsAll });
    const measured = measuredWindow(producerReports, consumerReports, { answered, consumed: cell.consumers > 0 });

    return cellResultFrom({
      cell,
      repetition,
      counts,
      window: measured,
      publishHistograms: producerReports.map((r) => r.publishHistogram),
      e2eHistograms: consumerReports.map((r) => r.e2eHistogram),
      failure: firstError([...producerReports, ...consumerReports]),
      clientCpuPct: cpuPercent(cpu, goNs, endNs),
      clientBound: clientBound({ rate: cell.rate, producers: cell.producers, sent: counts.sent, sendSeconds: measured.sendSeconds, busiest: busiest([...producerReports, ...consumerReports]) }),
      timeline: timeline.points,
      latencyIntervals: latencyIntervals(producers, consumers),
      behindSchedule: behindSchedule(producerReports),
      cost: { producers: cell.producers, threads: clientThreads([...producerReports, ...consumerReports]), clientCpuUs: cpu.user + cpu.system, wallUs: (endNs - goNs) / 1000, broker },
    });
  } catch (err) {
    return notRunResult(cell, repetition, 'failed', err instanceof Error ? err.message : String(err));
  } finally {
    costs?.cancel();
    for (const t of timers) clearInterval(t);
    for (const c of cleanups) c();
    await Promise.all(workers.map((w) => w.worker.terminate()));
    if (adminChannel) await adminChannel.deleteQueue(queue).catch(() => undefined);
    if (admin) await admin.close().catch(() => undefined);
  }
}
