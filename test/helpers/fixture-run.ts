// A synthetic but realistic run: 2 durabilities x 5 publish modes x 3 repetitions, with histograms
// encoded from generated latencies and per-second timelines, aggregated by the runner's own code.
// Deterministic for a given seed, so two fixtures with equal options are equal runs.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, decodeHistogram, encodeHistogram, recordMicros, summarize } from '../../src/measure/histogram.js';
import { summaryCsv, timelineCsv } from '../../src/report/csv.js';
import { notRunResult } from '../../src/run/not-run.js';
import type { CellResult, Environment, IntegrityCounts, RunFile, TimelinePoint } from '../../src/run/result.js';
import { parsePublishMode } from '../../src/scenario/modes.js';
import { cellId } from '../../src/scenario/matrix.js';
import type { Cell, ClientName, Durability, PublishKind, QueueType } from '../../src/scenario/types.js';
import { sweepCells } from '../../src/run/sweep.js';
import { aggregate } from '../../src/stats/aggregate.js';
import { mulberry32 } from '../../src/stats/prng.js';
import { median } from '../../src/stats/spread.js';

export const FIXTURE_PUBLISH = ['none', 'single', 'batch:100', 'async:1000', 'tx:1'] as const;
export const FIXTURE_DURABILITIES: readonly Durability[] = ['transient', 'persistent'];
const SECONDS = 10;
const SAMPLES_PER_HISTOGRAM = 2000;

export interface FixtureOptions {
  name?: string;
  runId?: string;
  startedAt?: string;
  complete?: boolean;
  repetitions?: number;
  clients?: ClientName[];
  /** Multiplies every rate (0.5 = a candidate twice as slow). */
  rateFactor?: number;
  /** Multiplies every latency (2 = a candidate twice as slow to confirm and deliver). */
  latencyFactor?: number;
  /** Adds a persistent tx:10 cell whose every repetition failed, with this reason. */
  failedReason?: string;
  environment?: Environment | null;
  /** Seed of the repetition-to-repetition noise. */
  seed?: number;
  /** The publish modes, durabilities and queue types of the matrix (default FIXTURE_PUBLISH x both x classic). */
  publish?: readonly string[];
  durabilities?: readonly Durability[];
  queues?: readonly QueueType[];
  /**
   * Rate sweep (ackbench run --sweep): after each cell, the same cell paced at these fractions of its
   * median throughput (src/run/sweep.ts). The broker keeps up to SWEEP_CAPACITY of the unpaced rate;
   * latency climbs as the target nears it.
   */
  sweep?: readonly number[];
}

/** A paced cell achieves at most this share of its unpaced rate: pacing costs a little. */
export const SWEEP_CAPACITY = 0.88;

/** Typical figures on a small host: rates in msg/s, median latencies in µs; persistent is slower. */
const PROFILES: Record<PublishKind, { rate: number; consumeShare: number; publishUs: number | null; e2eUs: number }> = {
  none: { rate: 42_000, consumeShare: 0.7, publishUs: null, e2eUs: 25_000 },
  single: { rate: 1_800, consumeShare: 1, publishUs: 450, e2eUs: 520 },
  batch: { rate: 14_000, consumeShare: 0.98, publishUs: 6_000, e2eUs: 3_200 },
  async: { rate: 24_000, consumeShare: 0.95, publishUs: 30_000, e2eUs: 21_000 },
  tx: { rate: 1_100, consumeShare: 1, publishUs: 800, e2eUs: 850 },
};
const PERSISTENT_RATE = 0.4;
const PERSISTENT_LATENCY = 2.6;

/** Log-normal latencies around a median, with a 0.5% slow tail (a GC pause, an fsync) that shows at p99.9. */
function latencyHistogram(random: () => number, medianUs: number): string {
  const histogram = createHistogram();
  for (let i = 0; i < SAMPLES_PER_HISTOGRAM; i++) {
    const u1 = Math.max(random(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
    const tail = random() < 0.005 ? 4 + 6 * random() : 1;
    recordMicros(histogram, medianUs * Math.exp(0.35 * normal) * tail);
  }
  return encodeHistogram(histogram);
}

/** A clean repetition: nothing nacked, lost, duplicated or unexpected. */
const NO_COUNTS: IntegrityCounts = {
  sent: 0,
  confirmed: 0,
  nacked: 0,
  unknown: 0,
  received: 0,
  duplicates: 0,
  outOfOrder: 0,
  lost: 0,
  missing: 0,
  recovered: 0,
  redelivered: 0,
  unexpected: 0,
};

function fixtureCell(client: ClientName, durability: Durability, publish: string, queue: QueueType = 'classic'): Cell {
  const rest: Omit<Cell, 'id'> = {
    client,
    durability,
    publish: parsePublishMode(publish),
    consume: { ack: 'manual', prefetch: 100, multiAck: 1 },
    queue,
    size: 1024,
    producers: 1,
    consumers: 1,
    rate: null,
  };
  return { id: cellId(rest), ...rest };
}

/** Of a paced cell: its target (msg/s, all producers) and the unpaced rate it was derived from. */
interface Pace {
  target: number;
  unpaced: number;
}

function okResult(cell: Cell, repetition: number, random: () => number, options: FixtureOptions, pace?: Pace): CellResult {
  const profile = PROFILES[cell.publish.kind];
  const persistent = cell.durability === 'persistent';
  const jitter = () => 1 + (random() - 0.5) * 0.1;
  const rateFactor = (options.rateFactor ?? 1) * (persistent ? PERSISTENT_RATE : 1);
  // Queueing delay grows steeply as a paced cell nears what the broker can take.
  const load = pace ? Math.min(1, pace.target / (SWEEP_CAPACITY * pace.unpaced)) : 0;
  const latencyFactor = (options.latencyFactor ?? 1) * (persistent ? PERSISTENT_LATENCY : 1) * (pace ? 0.2 + 0.8 * load ** 4 : 1);
  const confirms = cell.publish.kind !== 'none';

  const paced = pace ? Math.min(pace.target * (1 + (random() - 0.5) * 0.01), SWEEP_CAPACITY * pace.unpaced * jitter()) : null;
  const sentPerS = paced ?? profile.rate * rateFactor * jitter();
  const consumedPerS = paced ?? sentPerS * profile.consumeShare * jitter();
  const confirmedPerS = confirms ? sentPerS * 0.995 : null;
  const sent = Math.round(sentPerS * SECONDS);

  const timeline: TimelinePoint[] = [];
  for (let second = 1; second <= SECONDS; second++) {
    // One stall in the persistent async cell's second repetition, as a broker flow-control pause looks.
    const stall = persistent && cell.publish.kind === 'async' && repetition === 2 && second === 6 ? 0.2 : 1;
    const sentInSecond = Math.round(sentPerS * jitter() * stall);
    timeline.push({
      second,
      sent: sentInSecond,
      confirmed: confirms ? Math.round(sentInSecond * 0.995) : 0,
      consumed: Math.round(consumedPerS * jitter() * stall),
    });
  }

  const publishHistogram =
    profile.publishUs === null ? null : latencyHistogram(random, profile.publishUs * latencyFactor * jitter());
  const e2eHistogram = latencyHistogram(random, profile.e2eUs * latencyFactor * jitter());
  const summaryOf = (encoded: string | null) => (encoded === null ? null : summarize(decodeHistogram(encoded)));
  const clientCpuPct = Math.round(Math.min(98, 20 + sentPerS / 500) * 10) / 10;
  return {
    cell,
    repetition,
    status: 'ok',
    counts: { ...NO_COUNTS, sent, confirmed: confirms ? sent : null, received: sent },
    window: {
      sendSeconds: sent / sentPerS,
      confirmSeconds: confirms ? sent / (confirmedPerS ?? sentPerS) : null,
      consumeSeconds: sent / consumedPerS,
    },
    rates: { sentPerS, confirmedPerS, consumedPerS },
    publishLatency: summaryOf(publishHistogram),
    e2eLatency: summaryOf(e2eHistogram),
    histograms: { publish: publishHistogram, e2e: e2eHistogram },
    clientCpuPct,
    clientBound: clientCpuPct > 90,
    timeline,
  };
}


export const FIXTURE_ENVIRONMENT: Environment = {
  brokerUrl: 'amqp://guest:****@127.0.0.1:5672',
  broker: { product: 'RabbitMQ', version: '4.1.4', erlang: '27.3.4', cluster: null },
  node: 'v20.20.2',
  clients: { amqplib: '0.10.9', 'rabbitmq-client': '5.0.8' },
  os: 'Linux 6.1.0-37-amd64 x64',
  cpu: { model: 'AMD EPYC 7B13', cores: 2 },
  hostname: 'bench-1',
};

export function buildFixtureRun(options: FixtureOptions = {}): RunFile {
  const repetitions = options.repetitions ?? 3;
  const clients = options.clients ?? ['amqplib'];
  const random = mulberry32(options.seed ?? 42);
  const cells: CellResult[] = [];
  const publishModes = options.publish ?? FIXTURE_PUBLISH;
  const durabilities = options.durabilities ?? FIXTURE_DURABILITIES;
  const queues = options.queues ?? ['classic'];
  for (const client of clients) {
    for (const queue of queues) {
      for (const durability of durabilities) {
        for (const publish of publishModes) {
          const cell = fixtureCell(client, durability, publish, queue);
          const ofCell: CellResult[] = [];
          for (let repetition = 1; repetition <= repetitions; repetition++) {
            ofCell.push(okResult(cell, repetition, random, options));
          }
          cells.push(...ofCell);
          if (options.sweep) {
            const unpaced = median(ofCell.map((result) => result.rates.consumedPerS ?? result.rates.confirmedPerS ?? result.rates.sentPerS));
            for (const pacedCell of sweepCells(cell, ofCell, [...options.sweep])) {
              for (let repetition = 1; repetition <= repetitions; repetition++) {
                cells.push(okResult(pacedCell, repetition, random, options, { target: pacedCell.rate! * pacedCell.producers, unpaced }));
              }
            }
          }
        }
      }
    }
  }
  if (options.failedReason !== undefined) {
    const cell = fixtureCell(clients[0], 'persistent', 'tx:10');
    for (let repetition = 1; repetition <= repetitions; repetition++) {
      cells.push(notRunResult(cell, repetition, 'failed', options.failedReason));
    }
  }
  const startedAt = options.startedAt ?? '2025-11-24T12:00:00.000Z';
  return {
    format: 'ackbench-run/1',
    runId: options.runId ?? `fixture-${startedAt.replace(/[:.]/g, '-')}`,
    ackbenchVersion: '0.1.0',
    complete: options.complete ?? true,
    startedAt,
    finishedAt: options.complete === false ? null : new Date(Date.parse(startedAt) + 600_000).toISOString(),
    scenario: {
      name: options.name ?? 'quick',
      axes: {
        client: clients,
        durability: [...durabilities],
        publish: [...publishModes, ...(options.failedReason !== undefined ? ['tx:10'] : [])],
        consume: ['manual:100:1'],
        queue: [...queues],
        size: ['1024'],
        producers: ['1'],
        consumers: ['1'],
        rate: ['unlimited'],
      },
      window: {
        messages: null,
        durationSeconds: SECONDS,
        warmupMessages: 1000,
        repetitions,
        cellTimeoutSeconds: 120,
        drainSeconds: 5,
      },
    },
    environment: options.environment === undefined ? FIXTURE_ENVIRONMENT : options.environment,
    cells,
    aggregates: aggregate(cells),
  };
}

const tempDirs: string[] = [];

/** A fresh temp dir, removed by removeFixtureDirs. */
export async function fixtureTempDir(prefix = 'ackbench-report-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every temp dir made by fixtureTempDir (and writeFixtureRun without a dir); call in after(). */
export async function removeFixtureDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Writes run.json, summary.csv and timeline.csv as a run would, into dir or a fresh temp dir. */
export async function writeFixtureRun(run: RunFile, dir?: string): Promise<string> {
  const runDir = dir ?? (await fixtureTempDir());
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(join(runDir, 'summary.csv'), summaryCsv(run));
  await writeFile(join(runDir, 'timeline.csv'), timelineCsv(run));
  return runDir;
}
