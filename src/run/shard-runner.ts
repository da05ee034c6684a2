// One repetition of one cell as one shard of a sharded run (ackbench run --shard I/N): this agent runs
// its share of the cell's producers (with globally unique producer ids) and consumers, on the queue
// shared by all N agents, in step with the others through the control exchange (shard-control.ts).
//
// Sequence (the cell lifecycle, cell-lifecycle.ts, with ShardBarrier below on its hooks; every wait
// bounded by the cell timeout, and ended at once when a peer announces `fail`):
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
import { maskCredentials } from '../broker/url.js';
import { account } from '../measure/accounting.js';
import { encodeHistogram } from '../measure/histogram.js';
import type { Cell } from '../scenario/types.js';
import { everyConsumerReadsAll } from './stream-fan-out.js';
import { POLL_MS, runRepetition, type CellAddIn, type Collected, type Repetition } from './cell-lifecycle.js';
import { mergedIntervals, sumCounter } from './cell-worker.js';
import type { CellRunOptions } from './cell-runner.js';
import { connectionName } from './connection-name.js';
import type { CellResult, IntegrityCounts } from './result.js';
import type { ControlBus } from './shard-control.js';
import { shardQueueName } from './queue-name.js';
import { shareOf, storeReports, type ShardBitsFile, type ShardInfo, type StoredInterval } from './shard.js';
import { COUNTER, idleProducerReport, type ConsumerReport, type ProducerReport } from './worker-protocol.js';

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


/**
 * The barrier a shard adds to the cell lifecycle: shard 1 declares, purges, counts and deletes the
 * shared queue; every shard announces its warm-up, readiness, sent and consumed counts and waits for
 * the others' at each step (the sequence at the top of this file).
 */
class ShardBarrier implements CellAddIn {
  readonly adminName: string;
  readonly consumerInit: { untimedProducers: number[] };
  private readonly owner: boolean;
  private warmAnnounced = -1;

  constructor(
    private readonly cell: Cell,
    private readonly repetition: number,
    private readonly shard: ShardInfo,
    private readonly bus: ControlBus,
    clocks: ReadonlyMap<number, string>,
  ) {
    this.owner = shard.index === 1;
    this.adminName = `${connectionName(cell.id, 'admin')} (shard 1/${shard.count})`;
    // Send times written on another host's clock cannot be compared with ours: no end-to-end latency.
    this.consumerInit = { untimedProducers: bus.all().filter((j) => clocks.get(j) !== shard.clock).flatMap((j) => range(shareOf(cell.producers, j, shard.count))) };
  }

  unsupported(cell: Cell): string | null {
    return shardUnsupportedReason(cell);
  }

  /** A peer failing the repetition, or leaving before it is done, ends it here at once too. */
  ends(ended: AbortSignal): Promise<never> {
    return this.bus.watch(this.cell.id, this.repetition, ended);
  }

  private announce(verb: Parameters<ControlBus['announce']>[0], arg?: number): void {
    this.bus.announce(verb, this.cell.id, this.repetition, arg);
  }

  private waitAll(r: Repetition, verb: Parameters<ControlBus['waitAll']>[0], shards?: number[]): Promise<ReadonlyMap<number, string>> {
    return r.bounded(this.bus.waitAll(verb, this.cell.id, this.repetition, shards, r.ended.signal));
  }

  private check(): void {
    const trouble = this.bus.trouble(this.cell.id, this.repetition);
    if (trouble) throw trouble;
  }

  async declare(r: Repetition): Promise<void> {
    if (this.owner) {
      const channel = await r.admin.open(r.url);
      await channel.deleteQueue(r.queue);
      await channel.declareQueue(r.queue, this.cell.queue);
      this.announce('queue');
    } else {
      r.stage = 'waiting for shard 1 to declare the queue';
      await this.waitAll(r, 'queue', [1]);
    }
  }

  warmupConsumed(own: number): number {
    if (own !== this.warmAnnounced) this.announce('warm', (this.warmAnnounced = own));
    this.check();
    return this.bus.sum('warm', this.cell.id, this.repetition);
  }

  async purge(r: Repetition): Promise<void> {
    if (!this.owner) return;
    // Purge only once every shard's warm-up is in the queue: the window must start empty.
    r.stage = 'waiting for every shard to warm up';
    await this.waitAll(
      r,
      'ready',
      this.bus.all().filter((i) => i !== this.shard.index),
    );
    await r.admin.channel.purgeQueue(r.queue);
  }

  async beforeWindow(r: Repetition): Promise<void> {
    this.announce('ready');
    r.stage = 'waiting for every shard to be ready';
    await this.waitAll(r, 'ready');
  }

  async expected(r: Repetition, sent: number): Promise<number> {
    this.announce('sent', sent);
    r.stage = 'waiting for every shard to finish sending';
    const sentBy = await this.waitAll(r, 'sent');
    return [...sentBy.values()].reduce((n, v) => n + Number(v), 0);
  }

  /** Each shard announces what its consumers received; once the sum over shards is every message sent, they finish. */
  async drain(r: Repetition, expected: number): Promise<ConsumerReport[]> {
    const { consumers } = r;
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
        if (n !== announced) this.announce('consumed', (announced = n));
        if (!finished && this.bus.sum('consumed', this.cell.id, this.repetition) >= expected) {
          for (const c of consumers) c.send({ type: 'finish' });
          finished = true;
        }
        this.check();
        await r.bounded(Promise.race([reports, sleep(POLL_MS)]));
      }
      consumerReports = await r.bounded(reports);
      const n = sumCounter(consumers, COUNTER.consumed);
      if (n !== announced) this.announce('consumed', n);
    }
    this.announce('done');
    return consumerReports;
  }

  async queued(r: Repetition): Promise<number | null> {
    if (!this.owner) return null;
    r.stage = 'waiting for every shard to finish consuming';
    await this.waitAll(r, 'done');
    return this.cell.consumers === 0 ? r.admin.channel.countMessages(r.queue) : null;
  }

  counts(c: Collected, cell: Cell): IntegrityCounts {
    return shardCounts(cell, c.producerReports, c.consumerReports, cell.publish.kind !== 'none', c.queued);
  }

  failed(reason: string): void {
    this.bus.announce('fail', this.cell.id, this.repetition, oneLine(reason));
  }
}

export async function runShardCellRepetition(cell: Cell, repetition: number, options: ShardCellOptions): Promise<ShardCellOutcome> {
  const { shard, bus } = options;
  const end = await runRepetition(
    cell,
    repetition,
    {
      url: options.url,
      window: options.window,
      queue: shardQueueName(shard.group, cell, repetition),
      ids: { consumers: range(shareOf(cell.consumers, shard.index, shard.count)), producers: range(shareOf(cell.producers, shard.index, shard.count)) },
      signal: options.signal,
      onProgress: options.onProgress,
      metrics: options.metrics,
    },
    new ShardBarrier(cell, repetition, shard, bus, options.clocks),
  );
  const c = end.collected;
  if (!c) return { result: end.result, bits: null };
  const intervals: StoredInterval[] = mergedIntervals(c.producers, c.consumers).map((i) => ({
    interval: i.interval,
    endSecond: i.endSecond,
    publish: i.publish ? encodeHistogram(i.publish) : null,
    e2e: i.e2e ? encodeHistogram(i.e2e) : null,
  }));
  return { result: end.result, bits: storeReports(cell, repetition, shard, c.producerReports, c.consumerReports, c.queued, intervals) };
}

function oneLine(text: string): string {
  return maskCredentials(text).replace(/\s+/g, ' ').slice(0, 300);
}
