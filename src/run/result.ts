// What one measured repetition of a cell produced, and the run file that holds them all.
// These shapes are the run.json format (docs/architecture.md#output-formats): extend, never rename.

import type { Steadiness } from '../measure/steadiness.js';
// The figures measure/ and stats/ compute are declared beside the code that computes them (they import
// nothing from run/); re-exported here so the run file's shape reads in one place.
import type { IntegrityCounts } from '../measure/accounting.js';
import type { Bottleneck, ClientThread } from '../measure/bottleneck.js';
import type { CellCost, MetricsSourceKind } from '../measure/cost.js';
import type { LatencySummary } from '../measure/histogram.js';
import type { TimelinePoint } from '../measure/timeline.js';
import type { RateSpread } from '../stats/spread.js';
export type { IntegrityCounts, Bottleneck, ClientThread, CellCost, MetricsSourceKind, LatencySummary, TimelinePoint, RateSpread };
import type { Cell, FaultAfter, FaultKind, RunWindow, ScenarioFault } from '../scenario/types.js';

export interface CellRates {
  /** sent / (last send returned - first measured send), messages per second. */
  sentPerS: number;
  /** confirmed / (last confirm - first measured send); null for `none`. */
  confirmedPerS: number | null;
  /** received / (last delivery - first measured send); null when consumers = 0. */
  consumedPerS: number | null;
}

/** Latency over one interval of the measured window (a minute; the last one may be shorter). */
export interface LatencyInterval {
  /** 1-based. */
  interval: number;
  /** The second of the window the interval ends at (the timeline row it is written on). */
  endSecond: number;
  publish: LatencySummary | null;
  e2e: LatencySummary | null;
}

export type CellStatus = 'ok' | 'failed' | 'unsupported';

/** A fault injected mid-run on a broker the harness owns (docs/architecture.md#faults). */
export type { FaultKind } from '../scenario/types.js';

/** What a node said about a queue it no longer had after a fault (queue-recovery.ts). */
export interface QueueGone {
  durableRecord: boolean | null;
  log: string[];
}

/**
 * What a fault cell saw, counted as Jepsen's total-queue checker does, over measured messages:
 * attempted = ok + fail + unknown; after recovery everything left in the queue is drained.
 */
export interface FaultOutcome {
  kind: FaultKind;
  /** The fault was due when this many measured messages were sent (all producers); null if timed. */
  atMessages: number | null;
  /** The fault was due this long after the measured window opened; null if counted. */
  atSeconds: number | null;
  /**
   * What clients do after the fault: 'stop' (producers and consumers end with their connection) or
   * 'continue' (they reconnect with exponential backoff and go on: producers until their count or
   * duration, consumers until the drain).
   */
  after: FaultAfter;
  /** Measured messages sent (all producers) when the fault was injected. */
  sentAtInjection: number;
  /** When the fault was injected, on the clock of the message headers (measure/clock.ts nowNs). */
  injectedAtNs: number;
  /** From injection until the broker accepted a new AMQP connection. */
  recoverySeconds: number;
  /**
   * Producers whose connection died before they had sent everything (with `after: continue`, whether
   * or not they reconnected). 0 means the fault landed after publishing ended (e.g. close-connections:
   * rabbitmqctl takes a few hundred ms to act).
   */
  producersCut: number;
  /** Connections producers and consumers opened again after the fault (`after: continue`). */
  reconnects: number;
  /**
   * `after: continue`: from injection until the last producer to reconnect was publishing again;
   * null if no producer reconnected.
   */
  resumeSeconds: number | null;
  /**
   * kill9 / restart: how long the queue still answered 404 NOT_FOUND after the node accepted
   * connections again, after which ackbench restarted the node once more (gracefully) to reach what
   * the queue held on disk (queue-recovery.ts); null when the queue answered.
   */
  queueUnavailableSeconds?: number | null;
  /**
   * kill9 / restart: the queue still answered 404 NOT_FOUND after that second restart. The drain could
   * read nothing, so every confirmed message the cell's consumers had not received counts as lost.
   * What the node said: whether its durable record (rabbit_durable_queue) was still there (null if it
   * could not be asked) and its log lines that name the queue or report an error. null otherwise.
   */
  queueGone?: QueueGone | null;
  /** Distinct measured messages the drain consumer read after recovery. */
  drained: number;
  /** Messages producers tried to publish: ok + fail + unknown. */
  attempted: number;
  /** Confirmed by basic.ack, or covered by a tx.commit-ok. */
  ok: number;
  /** Refused by basic.nack. */
  fail: number;
  /** No answer before the connection died. */
  unknown: number;
  /** ok and never received, before the fault or in the drain. */
  lost: number;
  /** unknown and received all the same. */
  recovered: number;
  /** Deliveries of a message already received (by any consumer, drain included). */
  duplicated: number;
  /** Received and never attempted: foreign bodies, or sequence numbers no producer sent. */
  unexpected: number;
  /** The node the fault hit (node name); on a cluster, the one holding the queue's leader. */
  node?: string;
  /** Quorum and stream queues: the queue's leader when the fault came (rabbitmqctl list_queues leader). */
  leader?: string | null;
  /** On a cluster, when the fault hit the leader's node: the leader after recovery. */
  leaderAfter?: string | null;
  /** kill-consumer: consumer connections closed on the broker. */
  consumersKilled?: number;
  /**
   * Rates from the first measured send until the fault (null where undefined: confirmed for `none`,
   * consumed without consumers): what the cell cost while nothing was wrong.
   */
  beforeFault?: { seconds: number; sentPerS: number; confirmedPerS: number | null; consumedPerS: number | null };
}

/** The broker a fault run owned: a private node or cluster ackbench started, killed and removed. */
export interface FaultBroker {
  /** local: a private node; cluster: three private nodes; docker: a container ackbench started. */
  kind: 'local' | 'cluster' | 'docker';
  /** Every node, the one clients connect to first. distPort is null for a container (not published). */
  nodes: Array<{ name: string; amqpPort: number; distPort: number | null }>;
  /** kind docker: the container's name and image. */
  container?: { name: string; image: string };
  /** Node-level faults (kill9, restart) hit this node. */
  target: string;
}

export interface CellResult {
  cell: Cell;
  /** 1-based repetition number. */
  repetition: number;
  status: CellStatus;
  /** Why the cell failed or is unsupported; credentials masked. */
  reason?: string;
  counts: IntegrityCounts;
  /** Lengths of the measured windows in seconds, all starting at the first measured send. */
  window: { sendSeconds: number; confirmSeconds: number | null; consumeSeconds: number | null };
  rates: CellRates;
  /** Publish latency: hand-off to the client until the covering confirm / commit-ok; null for `none`. */
  publishLatency: LatencySummary | null;
  /** End-to-end latency: send time in the message header until the consumer's delivery callback. */
  e2eLatency: LatencySummary | null;
  /** HdrHistogram compressed base64 encodings (values in microseconds), mergeable by any HdrHistogram tool. */
  histograms: { publish: string | null; e2e: string | null };
  /** Client process CPU (user + system) over the cell, percent of one core. */
  clientCpuPct: number;
  /**
   * A client worker thread was busy (on a CPU, or waiting for one) over 90% of its window: the
   * client, not the broker, was the limit (measure/thread-cpu.ts).
   */
  clientBound: boolean;
  /** Each worker thread's CPU over the window (Linux only). */
  clientThreads?: ClientThread[];
  /** Cost per message, client and broker side. */
  cost?: CellCost;
  /** Which resource limited the repetition. */
  bottleneck?: Bottleneck;
  timeline: TimelinePoint[];
  /** Whether the window was steady: CV and half-against-half rate over its whole seconds (measure/steadiness.ts). */
  steadiness?: Steadiness;
  /** Publish and end-to-end latency minute by minute, merged over workers (for long and soak cells). */
  latencyIntervals?: LatencyInterval[];
  /** Set on fault cells only (ackbench faults). */
  fault?: FaultOutcome;
  /** Paced --duration cells only: messages due before the deadline, and how many of them were not sent. */
  behindSchedule?: BehindSchedule;
  /** --max-rate: the highest paced rate at which consumers kept up (run/max-rate.ts), on each repetition of the unpaced cell. */
  maxRate?: MaxRateSearch;
}

/** One probe of a --max-rate search (run/max-rate.ts). */
export interface MaxRateProbe {
  /** Target rate of the whole cell (all producers), msg/s. */
  ratePerS: number;
  held: boolean;
  /** Why it did not hold; null when it held. */
  reason: string | null;
  e2eP99Us: number | null;
  sentPerS: number | null;
  consumedPerS: number | null;
}

/** Set on every repetition of the unpaced cell the search started from. */
export interface MaxRateSearch {
  /** The highest probed rate (all producers) that held, msg/s; null if none did. */
  ratePerS: number | null;
  /** The unpaced figures it started from (medians over the cell's repetitions). */
  unpacedConsumedPerS: number;
  unpacedSentPerS: number;
  p99BoundMs: number;
  probes: MaxRateProbe[];
}

/**
 * A paced --duration cell stops at its deadline: `due` messages were due before it, and `unsent` of
 * them were never sent because the producers were behind schedule (the latest ones, missing from
 * the latency figures).
 */
export interface BehindSchedule {
  due: number;
  unsent: number;
}

/** One cell over all its repetitions: rates spread, latency from merged histograms, counts summed. */
export interface CellAggregate {
  cell: Cell;
  repetitions: number;
  failed: number;
  counts: IntegrityCounts;
  rates: { sentPerS: RateSpread; confirmedPerS: RateSpread | null; consumedPerS: RateSpread | null };
  publishLatency: LatencySummary | null;
  e2eLatency: LatencySummary | null;
  histograms: { publish: string | null; e2e: string | null };
  clientCpuPct: number;
  /** --max-rate: the search run from this (unpaced) cell, if any. */
  maxRate?: MaxRateSearch;
}

export interface Environment {
  /** Broker URL with the password masked. */
  brokerUrl: string;
  broker: { product: string; version: string; erlang: string | null; cluster: string | null };
  node: string;
  clients: Record<string, string>;
  os: string;
  cpu: { model: string; cores: number };
  hostname: string;
}

export interface RunFile {
  format: 'ackbench-run/1';
  runId: string;
  ackbenchVersion: string;
  /** false until the last cell is written; a partial run can be resumed. */
  complete: boolean;
  startedAt: string;
  finishedAt: string | null;
  scenario: { name: string; axes: Record<string, string[]>; window: RunWindow; faults?: ScenarioFault[]; nodes?: number };
  environment: Environment | null;
  cells: CellResult[];
  aggregates: CellAggregate[];
  /** Peak resident memory of the harness process (all worker threads) over the run, MiB. */
  peakRssMiB?: number;
  /** Where the broker-side cost figures came from, or why there were none (broker/cost-sampler.ts). */
  metrics?: { source: MetricsSourceKind; detail: string };
  /** ackbench faults: the private broker the faults were injected on. */
  faultBroker?: FaultBroker;
  /**
   * ackbench run --shard I/N: this directory holds shard `index` of `count` of the run `group`. Counts
   * are this shard's own (lost / missing / recovered are decided by ackbench merge, from bits/).
   * `clock` names the monotonic clock of its timestamps (the kernel boot id, else the host name).
   */
  shard?: { index: number; count: number; group: string; clock: string };
  /** ackbench merge: the shard runs this run was merged from, in shard order, and how its windows were taken. */
  merged?: { group: string; count: number; runIds: string[]; sameClock: boolean };
}
