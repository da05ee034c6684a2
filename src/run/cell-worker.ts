// The worker threads of one cell repetition, as the main thread sees them: starting consumers and
// producers (a thread per consumer, one per connection of producers), reading their shared counters and
// reports, and the drain that ends the consumers. The phases of a repetition (cell-lifecycle.ts) use these.

import { Worker } from 'node:worker_threads';
import { mergeEncoded, summarize, type Histogram } from '../measure/histogram.js';
import { channelsOf } from '../scenario/matrix.js';
import type { LatencyInterval } from './result.js';
import { COUNTER, COUNTER_SLOTS, LATENCY_INTERVAL_MS, type ConsumerReport, type MainToWorker, type ProducerReport, type WorkerInit, type WorkerToMain } from './worker-protocol.js';

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

/** The init fields every worker of a repetition shares. */
export type WorkerBase = Pick<WorkerInit, 'cell' | 'window' | 'url' | 'queue' | 'reconnectForMs'>;

/** A worker per consumer, each of which opens its connection and subscribes; each joins `workers`, for the caller to terminate. */
export function startConsumers(base: WorkerBase, ids: number[], workers: CellWorker[], consumerOnly: Pick<WorkerInit, 'untimedProducers'> = {}): CellWorker[] {
  const consumers = ids.map((index) => new CellWorker({ ...base, role: 'consumer', index, ...consumerOnly }));
  workers.push(...consumers);
  return consumers;
}

/**
 * A worker per connection of producers (`channels` producers share one), which begin their warm-up
 * at once; each joins `workers`, for the caller to terminate.
 */
export function startProducers(base: WorkerBase, ids: number[], workers: CellWorker[]): CellWorker[] {
  const producers = connectionGroups(ids, channelsOf(base.cell)).map((group) => new CellWorker({ ...base, role: 'producer', index: group[0], producerIds: group }));
  workers.push(...producers);
  return producers;
}
