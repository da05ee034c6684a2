// Runs one repetition of one cell: declares a fresh queue, starts consumers then producers in worker
// threads, warms up, opens the measured window for all producers at once, drains, and turns the
// workers' reports into a CellResult. Progress is read from the workers' shared counters.

import { Worker } from 'node:worker_threads';
import { loadAdapter } from '../clients/registry.js';
import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { maskCredentials } from '../broker/url.js';
import { account } from '../measure/accounting.js';
import { nowNs } from '../measure/clock.js';
import { encodeHistogram, mergeEncoded, summarize } from '../measure/histogram.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import type { CellResult, IntegrityCounts, LatencyInterval, TimelinePoint } from './result.js';
import { COUNTER, COUNTER_SLOTS, LATENCY_INTERVAL_MS, type ConsumerReport, type MainToWorker, type ProducerReport, type WorkerInit, type WorkerToMain } from './worker-protocol.js';

/** A worker thread whose event loop was this busy over the window was likely the bottleneck. */
const CLIENT_BOUND_UTILISATION = 0.9;
/** A paced cell that sent less than this share of its target rate could not keep up. */
const PACED_SHORTFALL = 0.95;
/** How long consumers may take to receive the warm-up messages before the window opens anyway. */
const WARMUP_DRAIN_MS = 15_000;

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
}

export class CellWorker {
  readonly worker: Worker;
  readonly counters: Int32Array;
  private readyWaiter: Promise<void>;
  readonly report: Promise<ProducerReport | ConsumerReport>;
  /** Encoded latency histogram of each interval of the window (index = interval - 1). */
  readonly intervals: (string | null)[] = [];

  constructor(init: Omit<WorkerInit, 'counters'>) {
    const sab = new SharedArrayBuffer(COUNTER_SLOTS * 4);
    this.counters = new Int32Array(sab);
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...init, counters: sab } });
    let ready!: () => void;
    let readyFailed!: (e: Error) => void;
    this.readyWaiter = new Promise<void>((res, rej) => ((ready = res), (readyFailed = rej)));
    this.report = new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        readyFailed(e);
        reject(e);
      };
      this.worker.on('message', (m: WorkerToMain) => {
        if (m.type === 'ready') ready();
        else if (m.type === 'report') resolve(m.report);
        else if (m.type === 'interval') this.intervals[m.interval - 1] = m.histogram;
        else failed(new Error(m.error));
      });
      this.worker.on('error', (e) => failed(e));
      this.worker.on('exit', (code) => failed(new Error(`${init.role} ${init.index} exited with code ${code} before reporting`)));
    });
    // Both are awaited later; keep an early failure from being reported as unhandled meanwhile.
    this.readyWaiter.catch(() => undefined);
    this.report.catch(() => undefined);
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

/** Latency per interval of the window, each merged over the workers' interval histograms. */
export function latencyIntervals(producers: CellWorker[], consumers: CellWorker[]): LatencyInterval[] {
  const count = Math.max(0, ...[...producers, ...consumers].map((w) => w.intervals.length));
  return Array.from({ length: count }, (_, i) => ({
    interval: i + 1,
    endSecond: Math.round(((i + 1) * LATENCY_INTERVAL_MS) / 1000),
    publish: summarize(mergeEncoded(producers.map((w) => w.intervals[i]))),
    e2e: summarize(mergeEncoded(consumers.map((w) => w.intervals[i]))),
  }));
}

function sum(workers: CellWorker[], slot: number): number {
  return workers.reduce((n, w) => n + w.count(slot), 0);
}

/** A queue name unique to the run, cell and repetition (max 255 bytes in AMQP). */
export function queueName(runId: string, cell: Cell, repetition: number): string {
  return `ackbench.${runId}.${cell.id}.r${repetition}`.slice(0, 255);
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
  return null;
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
  // Named in a timeout's reason, so a hang says where it happened.
  let stage = 'connecting';
  try {
    admin = await adapter.connect(url, { connectionName: `ackbench ${cell.id} admin`, timeoutMs: 5000 });
    adminChannel = await admin.openChannel();
    await adminChannel.deleteQueue(queue);
    await adminChannel.declareQueue(queue, cell.queue);

    stage = 'starting consumers';
    const base = { cell, window, url, queue };
    const consumers = Array.from({ length: cell.consumers }, (_, i) => new CellWorker({ ...base, role: 'consumer', index: i }));
    workers.push(...consumers);
    await Promise.all(consumers.map((c) => c.ready()));
    const producers = Array.from({ length: cell.producers }, (_, i) => new CellWorker({ ...base, role: 'producer', index: i }));
    workers.push(...producers);

    const deadline = Date.now() + window.cellTimeoutSeconds * 1000;
    const timeout = new Promise<never>((_, reject) => {
      timers.push(
        setTimeout(() => {
          const blocked = sum(workers, COUNTER.blocked) > 0 ? '; the broker was blocking publishers (connection.blocked: a memory or disk alarm)' : '';
          reject(new Error(`cell timed out after ${window.cellTimeoutSeconds} s while ${stage}${blocked}`));
        }, window.cellTimeoutSeconds * 1000),
      );
    });
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
      while (sum(consumers, COUNTER.warmupConsumed) < warmupTotal && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } else {
      await adminChannel.purgeQueue(queue);
    }

    const total = window.messages === null ? null : window.messages * cell.producers;
    const cpu0 = process.cpuUsage();
    const goNs = nowNs();
    for (const w of workers) w.send({ type: 'go' });
    options.signal?.addEventListener('abort', () => producers.forEach((p) => p.send({ type: 'stop' })), { once: true, signal: cleanup.signal });

    const timeline: TimelinePoint[] = [];
    let last = { sent: 0, confirmed: 0, consumed: 0 };
    const snapshot = () => ({
      sent: sum(producers, COUNTER.sent),
      confirmed: sum(producers, COUNTER.confirmed),
      consumed: sum(consumers, COUNTER.consumed),
    });
    timers.push(
      setInterval(() => {
        const now = snapshot();
        timeline.push({ second: timeline.length + 1, sent: now.sent - last.sent, confirmed: now.confirmed - last.confirmed, consumed: now.consumed - last.consumed });
        last = now;
      }, 1000),
    );
    if (options.onProgress) {
      const report = options.onProgress;
      timers.push(setInterval(() => report({ ...snapshot(), total, elapsedSeconds: (nowNs() - goNs) / 1e9 }), 250));
    }

    stage = 'publishing the measured window';
    const producerReports = (await bounded(Promise.all(producers.map((p) => p.report)))) as ProducerReport[];
    const expected = producerReports.reduce((n, r) => n + r.sent, 0);
    for (const c of consumers) c.send({ type: 'drain', expected });
    stage = 'draining consumers';
    const consumerReports = (await bounded(Promise.all(consumers.map((c) => c.report)))) as ConsumerReport[];
    const endNs = nowNs();
    const cpu = process.cpuUsage(cpu0);
    for (const t of timers) clearInterval(t);
    const now = snapshot();
    const tail = { sent: now.sent - last.sent, confirmed: now.confirmed - last.confirmed, consumed: now.consumed - last.consumed };
    if (tail.sent || tail.confirmed || tail.consumed) timeline.push({ second: timeline.length + 1, ...tail });

    const queued = cell.consumers === 0 ? await adminChannel.countMessages(queue) : null;
    const answered = cell.publish.kind !== 'none';
    const counts = account(producerReports, consumerReports, answered, queued);

    const startNs = Math.min(...producerReports.map((r) => r.firstSendNs || Infinity));
    const seconds = (end: number) => (Number.isFinite(startNs) && end > startNs ? (end - startNs) / 1e9 : 0);
    const sendSeconds = seconds(Math.max(...producerReports.map((r) => r.sendEndNs)));
    const confirmSeconds = answered ? seconds(Math.max(...producerReports.map((r) => r.lastConfirmNs))) : null;
    const consumeSeconds = cell.consumers > 0 ? seconds(Math.max(0, ...consumerReports.map((r) => r.lastReceiveNs))) : null;
    const perSecond = (n: number, s: number | null) => (s ? n / s : s === null ? null : 0);

    const publishHist = mergeEncoded(producerReports.map((r) => r.publishHistogram));
    const e2eHist = mergeEncoded(consumerReports.map((r) => r.e2eHistogram));
    const errors = [...producerReports, ...consumerReports].map((r) => r.error).filter((e): e is string => e !== null);
    const busiest = Math.max(0, ...producerReports.map((r) => r.busy), ...consumerReports.map((r) => r.busy));

    return {
      cell,
      repetition,
      status: errors.length ? 'failed' : 'ok',
      ...(errors.length ? { reason: maskCredentials(errors[0]) } : {}),
      counts,
      window: { sendSeconds, confirmSeconds, consumeSeconds },
      rates: {
        sentPerS: perSecond(counts.sent, sendSeconds) ?? 0,
        confirmedPerS: answered ? perSecond(counts.confirmed ?? 0, confirmSeconds) : null,
        consumedPerS: cell.consumers > 0 ? perSecond(counts.received, consumeSeconds) : null,
      },
      publishLatency: summarize(publishHist),
      e2eLatency: summarize(e2eHist),
      histograms: { publish: publishHist ? encodeHistogram(publishHist) : null, e2e: e2eHist ? encodeHistogram(e2eHist) : null },
      clientCpuPct: Math.round(((cpu.user + cpu.system) / ((endNs - goNs) / 1000)) * 1000) / 10,
      // A paced producer polls its event loop while it waits, so utilisation says nothing there:
      // a paced cell is client-bound when it fell behind its target rate.
      clientBound: cell.rate ? counts.sent < PACED_SHORTFALL * cell.rate * cell.producers * sendSeconds : busiest > CLIENT_BOUND_UTILISATION,
      timeline,
      latencyIntervals: latencyIntervals(producers, consumers),
    };
  } catch (err) {
    return notRunResult(cell, repetition, 'failed', err instanceof Error ? err.message : String(err));
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of cleanups) c();
    await Promise.all(workers.map((w) => w.worker.terminate()));
    if (adminChannel) await adminChannel.deleteQueue(queue).catch(() => undefined);
    if (admin) await admin.close().catch(() => undefined);
  }
}
