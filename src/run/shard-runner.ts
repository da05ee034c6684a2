// One repetition of one cell as one shard of a sharded run (ackbench run --shard I/N): this agent runs
// its share of the cell's producers (with globally unique producer ids) and consumers, on the queue
// shared by all N agents, in step with the others through the control exchange (shard-control.ts).
//
// Sequence (every wait bounded by the cell timeout, and ended at once when a peer announces `fail`):
//   shard 1 deletes and declares the shared queue, then announces `queue`; the others wait for it;
//   start this shard's consumers, then its producers, which publish their warm-up;
//   with consumers: announce `warm <n>` as this shard's consumers receive warm-up messages, until the
//     sum over all shards reaches every producer's warm-up (or 15 s); without consumers: shard 1 purges
//     the queue once every other shard is ready; then announce `ready`;
//   once all N shards are ready, open the measured window;
//   when this shard's producers finish, announce `sent <n>`; once all N sent counts are in, the
//     consumers drain: each shard announces `consumed <n>` as it goes and, when the sum over the
//     shards reaches the sum of sent, tells its consumers to finish (else they end when it goes quiet);
//   announce `done`; shard 1 waits for every `done`, counts the queue (publish-only cells) and deletes it.
//
// The CellResult is this shard's own view: its sent / confirmed, what its consumers received, rates
// over its own window. Loss cannot be judged from one shard (a message may have gone to another
// shard's consumer), so lost / missing / recovered are 0 here; `ackbench merge` decides them from the
// bitsets this returns for bits/<cell>.r<rep>.json.

import { setTimeout as sleep } from 'node:timers/promises';
import { loadAdapter } from '../clients/registry.js';
import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { maskCredentials } from '../broker/url.js';
import { account } from '../measure/accounting.js';
import { nowNs } from '../measure/clock.js';
import { encodeHistogram } from '../measure/histogram.js';
import type { Cell } from '../scenario/types.js';
import { everyConsumerReadsAll } from './stream-fan-out.js';
import { behindSchedule } from './behind-schedule.js';
import { busiest, cellResultFrom, clientBound, clientThreads, cpuPercent, firstError, measuredWindow } from './cell-result.js';
import { startCostSampler, type CostSampler } from '../broker/cost-sampler.js';
import { allProducerReports, cellTimeout, CellWorker, latencyIntervals, mergedIntervals, notRunResult, openWindow, startWorkers, sumCounter, unsupportedReason, WARMUP_DRAIN_MS, type CellRunOptions } from './cell-runner.js';
import type { CellResult, IntegrityCounts } from './result.js';
import type { ControlBus } from './shard-control.js';
import { shardQueueName } from './queue-name.js';
import { shareOf, storeReports, type ShardBitsFile, type ShardInfo, type StoredInterval } from './shard.js';
import { COUNTER, idleProducerReport, type ConsumerReport, type ProducerReport } from './worker-protocol.js';

/** How often the shared warm-up and drain counts are compared (and this shard's announced). */
const POLL_MS = 20;

export interface ShardCellOptions extends CellRunOptions {
  shard: ShardInfo;
  bus: ControlBus;
  /** Each shard's clock domain, as announced when the agents joined. */
  clocks: ReadonlyMap<number, string>;
}

export interface ShardCellOutcome {
  result: CellResult;
  /** The reports' bitsets and timestamps for `ackbench merge`; null when nothing ran. */
  bits: ShardBitsFile | null;
}

function range(r: { start: number; end: number }): number[] {
  return Array.from({ length: r.end - r.start }, (_, k) => r.start + k);
}

/**
 * This shard's counts: its producers' sent / confirmed / nacked / unknown, and the distinct messages its
 * consumers received from any shard's producers. lost, missing and recovered need every shard's
 * bitsets: 0 here, decided by `ackbench merge`. Publish-only cells: `queued` (shard 1) is received.
 */
export function shardCounts(cell: Cell, producers: ProducerReport[], consumers: ConsumerReport[], answered: boolean, queued: number | null): IntegrityCounts {
  // One stand-in per global producer id, confirming nothing, so account() counts what was received of each.
  const everyProducer = Array.from({ length: cell.producers }, (_, index) => idleProducerReport(index));
  const received = account(everyProducer, consumers, answered, cell.consumers === 0 ? (queued ?? 0) : null);
  const own = account(producers, [], answered, 0);
  return { ...received, sent: own.sent, confirmed: own.confirmed, nacked: own.nacked, unknown: own.unknown, lost: 0, missing: 0, recovered: 0 };
}

/**
 * What a sharded run cannot measure yet. Consumers of a stream each read every message (fan-out,
 * stream-fan-out.ts), but the shards' shared drain adds their counts up and the merge counts a message
 * read by two consumers as a duplicate: the figures would be wrong, so the cell says why instead.
 */
export function shardUnsupportedReason(cell: Cell): string | null {
  if (everyConsumerReadsAll(cell) && cell.consumers > 1) return 'a sharded run cannot yet account for several consumers of a stream (each reads every message); run this cell without --shard';
  return null;
}

export async function runShardCellRepetition(cell: Cell, repetition: number, options: ShardCellOptions): Promise<ShardCellOutcome> {
  const unsupported = unsupportedReason(cell) ?? shardUnsupportedReason(cell);
  if (unsupported) return { result: notRunResult(cell, repetition, 'unsupported', unsupported), bits: null };

  const { url, window, shard, bus } = options;
  const owner = shard.index === 1;
  const others = bus.all().filter((i) => i !== shard.index);
  const queue = shardQueueName(shard.group, cell, repetition);
  const producerIds = range(shareOf(cell.producers, shard.index, shard.count));
  const consumerIds = range(shareOf(cell.consumers, shard.index, shard.count));
  // Send times written on another host's clock cannot be compared with ours: no end-to-end latency.
  const untimedProducers = bus.all().filter((j) => options.clocks.get(j) !== shard.clock).flatMap((j) => range(shareOf(cell.producers, j, shard.count)));

  let admin: AmqpConnection | null = null;
  let adminChannel: AmqpChannel | null = null;
  const workers: CellWorker[] = [];
  const timers: NodeJS.Timeout[] = [];
  const cleanup = new AbortController();
  let stage = 'connecting';
  let failAnnounced = false;
  let costs: CostSampler | null = null;
  try {
    const deadline = Date.now() + window.cellTimeoutSeconds * 1000;
    const timeout = cellTimeout(window, workers, () => stage, timers);
    timeout.catch(() => undefined);
    const aborted = new Promise<never>((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true, signal: cleanup.signal });
    });
    aborted.catch(() => undefined);
    // A peer failing the repetition, or leaving before it is done, ends it here at once too.
    const peers = bus.watch(cell.id, repetition, cleanup.signal);
    const bounded = <T>(p: Promise<T>) => Promise.race([p, timeout, aborted, peers]);
    const waitAll = (verb: Parameters<ControlBus['waitAll']>[0], shards?: number[]) => bounded(bus.waitAll(verb, cell.id, repetition, shards, cleanup.signal));
    const check = () => {
      const trouble = bus.trouble(cell.id, repetition);
      if (trouble) throw trouble;
    };
    const announce = (verb: Parameters<ControlBus['announce']>[0], arg?: number) => bus.announce(verb, cell.id, repetition, arg);

    if (owner) {
      const adapter = await loadAdapter(cell.client);
      admin = await adapter.connect(url, { connectionName: `ackbench ${cell.id} admin (shard 1/${shard.count})`, timeoutMs: 5000 });
      adminChannel = await admin.openChannel();
      await adminChannel.deleteQueue(queue);
      await adminChannel.declareQueue(queue, cell.queue);
      announce('queue');
    } else {
      stage = 'waiting for shard 1 to declare the queue';
      await waitAll('queue', [1]);
    }

    stage = 'starting consumers';
    const { consumers, producers } = await startWorkers({ cell, window, url, queue }, { consumers: consumerIds, producers: producerIds }, workers, bounded, { untimedProducers });

    stage = 'warming up';
    await bounded(Promise.all(producers.map((p) => p.ready())));
    if (cell.consumers > 0) {
      const warmupTotal = window.warmupMessages * cell.producers;
      const until = Math.min(deadline, Date.now() + WARMUP_DRAIN_MS);
      let announced = -1;
      for (;;) {
        const n = sumCounter(consumers, COUNTER.warmupConsumed);
        if (n !== announced) announce('warm', (announced = n));
        if (bus.sum('warm', cell.id, repetition) >= warmupTotal || Date.now() >= until) break;
        check();
        await bounded(sleep(POLL_MS));
      }
    } else if (owner) {
      // Purge only once every shard's warm-up is in the queue: the window must start empty.
      stage = 'waiting for every shard to warm up';
      await waitAll('ready', others);
      await adminChannel!.purgeQueue(queue);
    }
    announce('ready');
    stage = 'waiting for every shard to be ready';
    await waitAll('ready');
    costs = await bounded(startCostSampler(options.metrics));

    const { goNs, cpu0, timeline } = openWindow({ window, workers, producers, consumers, timers, signal: options.signal, until: cleanup.signal, onProgress: options.onProgress });

    stage = 'publishing the measured window';
    const producerReports = await bounded(allProducerReports(producers));
    announce(
      'sent',
      producerReports.reduce((n, r) => n + r.sent, 0),
    );
    stage = 'waiting for every shard to finish sending';
    const sentBy = await waitAll('sent');
    const expected = [...sentBy.values()].reduce((n, v) => n + Number(v), 0);

    stage = 'draining consumers';
    for (const c of consumers) c.send({ type: 'drain', expected });
    let consumerReports: ConsumerReport[] = [];
    if (consumers.length > 0) {
      const reports = Promise.all(consumers.map((c) => c.report)) as Promise<ConsumerReport[]>;
      let settled = false;
      reports.then(
        () => (settled = true),
        () => (settled = true),
      );
      let announced = -1;
      let finished = false;
      while (!settled) {
        const n = sumCounter(consumers, COUNTER.consumed);
        if (n !== announced) announce('consumed', (announced = n));
        if (!finished && bus.sum('consumed', cell.id, repetition) >= expected) {
          for (const c of consumers) c.send({ type: 'finish' });
          finished = true;
        }
        check();
        await bounded(Promise.race([reports, sleep(POLL_MS)]));
      }
      consumerReports = await bounded(reports);
      const n = sumCounter(consumers, COUNTER.consumed);
      if (n !== announced) announce('consumed', n);
    }
    announce('done');
    const endNs = nowNs();
    const cpu = process.cpuUsage(cpu0);
    for (const t of timers) clearInterval(t);
    timeline.close();
    const broker = await bounded(costs.stop(cell));

    let queued: number | null = null;
    if (owner) {
      stage = 'waiting for every shard to finish consuming';
      await waitAll('done');
      if (cell.consumers === 0) queued = await adminChannel!.countMessages(queue);
    }

    const answered = cell.publish.kind !== 'none';
    const counts = shardCounts(cell, producerReports, consumerReports, answered, queued);
    // A shard without producers has no start of its own: its consumers' window starts at its `go`.
    const measured = measuredWindow(producerReports, consumerReports, { answered, consumed: cell.consumers > 0, consumeStartWithoutSendsNs: goNs });
    const failure = firstError([...producerReports, ...consumerReports]);
    const intervals: StoredInterval[] = mergedIntervals(producers, consumers).map((i) => ({
      interval: i.interval,
      endSecond: i.endSecond,
      publish: i.publish ? encodeHistogram(i.publish) : null,
      e2e: i.e2e ? encodeHistogram(i.e2e) : null,
    }));

    const result = cellResultFrom({
      cell,
      repetition,
      counts,
      window: measured,
      publishHistograms: producerReports.map((r) => r.publishHistogram),
      e2eHistograms: consumerReports.map((r) => r.e2eHistogram),
      failure,
      clientCpuPct: cpuPercent(cpu, goNs, endNs),
      // Paced, this shard's target is that of its own producers.
      clientBound: clientBound({ rate: cell.rate, producers: producers.length, sent: counts.sent, sendSeconds: measured.sendSeconds, busiest: busiest([...producerReports, ...consumerReports]) }),
      timeline: timeline.points,
      latencyIntervals: latencyIntervals(producers, consumers),
      behindSchedule: behindSchedule(producerReports),
      cost: { producers: producers.length, threads: clientThreads([...producerReports, ...consumerReports]), clientCpuUs: cpu.user + cpu.system, wallUs: (endNs - goNs) / 1000, broker },
    });
    if (failure !== null) {
      bus.announce('fail', cell.id, repetition, oneLine(failure));
      failAnnounced = true;
    }
    return { result, bits: storeReports(cell, repetition, shard, producerReports, consumerReports, queued, intervals) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (!failAnnounced) bus.announce('fail', cell.id, repetition, oneLine(reason));
    return { result: notRunResult(cell, repetition, 'failed', reason), bits: null };
  } finally {
    costs?.cancel();
    for (const t of timers) clearInterval(t);
    cleanup.abort();
    await Promise.all(workers.map((w) => w.worker.terminate()));
    if (adminChannel) await adminChannel.deleteQueue(queue).catch(() => undefined);
    if (admin) await admin.close().catch(() => undefined);
  }
}

function oneLine(text: string): string {
  return maskCredentials(text).replace(/\s+/g, ' ').slice(0, 300);
}
