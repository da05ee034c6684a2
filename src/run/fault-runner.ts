// Fault cells (docs/architecture.md#a-fault-cell): one cell on a node the harness owns (FaultNode: a private node or a
// container), with a fault injected mid-run (kill -9 of the node and a start on the same data, a
// graceful restart, closing every client connection, or killing the consumers), then a drain of
// everything left, counted as Jepsen's total-queue checker does.
//
// kill-consumer: each consumer dies mid-stream. The delivery it is handling when the fault comes is
// processed but never acked (a crash between processing and ack), nothing after it is processed, and
// its connection is closed on the broker (`rabbitmqctl close_connection`, found by its connection_name
// `ackbench <cell> consumer <i>`), as the broker would see a dead client's socket close. What the
// broker had handed over meanwhile (in TCP buffers, in the client's, or pushed until the close) is
// where the consume modes part: with manual ack it was unacked, goes back to the queue and reaches
// the drain consumer (the one processed-not-acked comes back as a duplicate); with auto-ack the broker
// forgot it when it sent it, and it is lost. The producers are not touched and run to the end.
//
// On a cluster (options.target), node-level faults hit the target node, and the queue is declared
// through a connection to it, so a quorum queue's leader starts there (RabbitMQ places it on the
// declaring client's node): clients stay connected to another node while the leader dies.
//
// Sequence of one cell (the cell lifecycle, cell-lifecycle.ts, with FaultInjector below on its hooks):
//   declare the queue, and let it settle (until `rabbitmqctl list_queues` shows it and at least
//   settleMs after declare-ok: a queue declared a moment before kill -9 can itself be gone after restart);
//   start consumers, then producers (warm-up as in a plain run), open the measured window;
//   when the producers' shared `sent` counters reach fault.atMessages (or fault.atSeconds passed, or
//   every producer is done), inject the fault;
//   `after: stop` (the default): producers end with their connection, and report confirmed, nacked
//   and unknown (in flight when the connection died: ConfirmTracker.abandon); pre-fault consumers
//   report what they received;
//   `after: continue`: producers and consumers connect again with exponential backoff (worker.ts)
//   while the node comes back; producers go on from their next sequence number until their count or
//   duration, consumers consume again, and drain once the producers are done;
//   once the node accepts connections again and the cell's own clients are done, a fresh drain
//   consumer reads everything left in the queue;
//   account() merges every producer report with every consumer report (pre-fault and drain).
//
// Counts (FaultOutcome): attempted = ok + fail + unknown, ok = confirmed (tx: committed), fail =
// nacked, unknown = no answer; lost = ok never received by anyone; recovered = unknown received;
// duplicated = deliveries of a message already received (redeliveries of what a consumer received
// but had not acked, or acked too late, are expected under at-least-once); unexpected = received
// and never attempted. For publish mode `none` nothing is ever answered: every message sent counts
// as unknown (so recovered = received), and nothing can be lost.

import type { FaultNode } from '../broker/fault-node.js';
import { consumedSoFar, everyConsumerReadsAll } from './stream-fan-out.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import { FAULT_AFTER, FAULT_KINDS, type Cell, type FaultAfter, type RunWindow, type ScenarioFault } from '../scenario/types.js';
import { ownedNodesSource } from '../broker/cost-sampler.js';
import type { AdminConnection } from './admin-connection.js';
import { accountOf, everyConsumer, runRepetition, type CellAddIn, type Collected, type Repetition } from './cell-lifecycle.js';
import { CellWorker, indices, sumCounter } from './cell-worker.js';
import { connectionName } from './connection-name.js';
import { notRunResult } from './not-run.js';
import type { OpenedWindow, Progress } from './open-window.js';
import { queueName } from './queue-name.js';
import type { CellResult, FaultKind, FaultOutcome, IntegrityCounts } from './result.js';
import { COUNTER, idleConsumerReport, type ConsumerReport, type ProducerReport } from './worker-protocol.js';
import { QUEUE_RECOVERY_MS, queueGoneEvidence, waitForQueue } from './queue-recovery.js';
import { publishAnswered } from '../scenario/publish-traits.js';

export type { FaultKind, FaultOutcome } from './result.js';

export type FaultCellResult = CellResult & { fault: FaultOutcome };

export interface FaultCellOptions {
  /** The node the cell's clients connect to (a private node or a container); killed / restarted by the fault unless target is given. */
  node: FaultNode;
  /**
   * Another node of the same cluster, hit by kill9 / restart instead of `node`; the queue is declared
   * through it, so a quorum queue's leader starts there. Default: node.
   */
  target?: FaultNode;
  runId: string;
  window: RunWindow;
  /** 1-based; default 1. */
  repetition?: number;
  /** The nodes whose counters give the cell's broker-side cost figures (a cluster's members); default node and target. */
  metricsNodes?: readonly FaultNode[];
  /** Least time between declare-ok and the first measured publish; default 1000 ms. */
  settleMs?: number;
  /** Bound on the broker accepting AMQP again after the fault; default 90 s. */
  recoveryTimeoutMs?: number;
  /** How long the queue may answer 404 after that before the node is restarted once more; default 20 s. */
  queueRecoveryMs?: number;
  onProgress?: (p: Progress) => void;
  /** Aborting stops the producers; the cell ends early and is marked failed. */
  signal?: AbortSignal;
}

const DEFAULT_SETTLE_MS = 1000;
const DEFAULT_RECOVERY_TIMEOUT_MS = 90_000;
const FAULT_REASON = 'ackbench fault injection';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fault spec checked, with its trigger decided. */
export interface ResolvedFault {
  kind: FaultKind;
  after: FaultAfter;
  atMessages: number | null;
  atSeconds: number | null;
}

/**
 * Checks a fault spec against a cell and window; without a trigger, the fault comes a quarter of the
 * way in (a quarter of the cell's measured messages, or of its duration).
 */
export function resolveFault(fault: ScenarioFault, cell: Cell, window: RunWindow): ResolvedFault {
  if (!(FAULT_KINDS as readonly string[]).includes(fault.kind)) throw new Error(`unknown fault kind '${fault.kind}' (expected ${FAULT_KINDS.join(', ')})`);
  const after = fault.after ?? 'stop';
  if (!(FAULT_AFTER as readonly string[]).includes(after)) throw new Error(`fault.after '${after}': expected ${FAULT_AFTER.join(' or ')}`);
  if (fault.atMessages !== undefined && fault.atSeconds !== undefined) throw new Error('fault: give atMessages or atSeconds, not both');
  if (fault.atMessages !== undefined && !(Number.isInteger(fault.atMessages) && fault.atMessages >= 0)) throw new Error(`fault.atMessages must be a whole number >= 0, got ${fault.atMessages}`);
  if (fault.atSeconds !== undefined && !(fault.atSeconds >= 0)) throw new Error(`fault.atSeconds must be >= 0, got ${fault.atSeconds}`);
  let atMessages = fault.atMessages ?? null;
  let atSeconds = fault.atSeconds ?? null;
  if (atMessages === null && atSeconds === null) {
    if (window.messages !== null) atMessages = Math.ceil((window.messages * cell.producers) / 4);
    else atSeconds = (window.durationSeconds ?? 4) / 4;
  }
  return { kind: fault.kind, after, atMessages, atSeconds };
}

function emptyOutcome(f: ResolvedFault): FaultOutcome {
  return {
    kind: f.kind,
    atMessages: f.atMessages,
    atSeconds: f.atSeconds,
    after: f.after,
    sentAtInjection: 0,
    injectedAtNs: 0,
    recoverySeconds: 0,
    producersCut: 0,
    reconnects: 0,
    resumeSeconds: null,
    queueUnavailableSeconds: null,
    queueGone: null,
    drained: 0,
    attempted: 0,
    ok: 0,
    fail: 0,
    unknown: 0,
    lost: 0,
    recovered: 0,
    duplicated: 0,
    unexpected: 0,
  };
}

/** Opens the admin connection, retrying until the broker accepts or the deadline passes. */
async function openUntil(admin: AdminConnection, url: string, deadline: number): Promise<void> {
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      await admin.open(url);
      return;
    } catch (err) {
      last = err;
      await admin.close();
      await sleep(200);
    }
  }
  throw new Error(`broker did not accept a connection again: ${last instanceof Error ? last.message : String(last)}`);
}

/**
 * Until `rabbitmqctl list_queues` shows the queue, and at least settleMs since declare-ok. Resolves
 * with the queue's leader node for quorum and stream queues (null for classic ones).
 */
async function settleQueue(node: FaultNode, queue: string, declaredAt: number, settleMs: number, withLeader: boolean): Promise<string | null> {
  const deadline = Date.now() + 30_000;
  let leader: string | null = null;
  while (true) {
    const out = await node.ctl(['list_queues', '--quiet', '--no-table-headers', 'name', ...(withLeader ? ['leader'] : [])], 20_000);
    const row = out.split('\n').map((line) => line.trim().split('\t')).find((fields) => fields[0] === queue);
    if (row) {
      leader = row[1]?.trim() || null;
      break;
    }
    if (Date.now() > deadline) throw new Error(`queue ${queue} not listed by rabbitmqctl list_queues 30 s after declare`);
    await sleep(200);
  }
  const left = declaredAt + settleMs - Date.now();
  if (left > 0) await sleep(left);
  return leader;
}

/**
 * The broker-side ids of the connections named `names` (client property connection_name), from
 * `rabbitmqctl list_connections pid client_properties`. Throws if one is not there.
 */
export async function connectionPids(node: FaultNode, names: string[]): Promise<string[]> {
  const out = await node.ctl(['list_connections', '--quiet', '--no-table-headers', 'pid', 'client_properties'], 20_000);
  const byName = new Map<string, string>();
  for (const line of out.split('\n')) {
    const pid = /^(<[^>]+>)/.exec(line)?.[1];
    const name = /\{"connection_name","((?:[^"\\]|\\.)*)"\}/.exec(line)?.[1];
    if (pid && name !== undefined) byName.set(name, pid);
  }
  return names.map((name) => {
    const pid = byName.get(name);
    if (!pid) throw new Error(`no connection named '${name}' in rabbitmqctl list_connections on ${node.nodeName}`);
    return pid;
  });
}

interface InjectContext {
  /** kill-consumer: the consumer workers to halt, and their connections on the broker. */
  consumers: CellWorker[];
  consumerPids: string[];
  /** The node clients connect to (where kill-consumer closes connections). */
  node: FaultNode;
}

async function inject(node: FaultNode, kind: FaultKind, context: InjectContext): Promise<void> {
  switch (kind) {
    case 'kill-consumer':
      // The consumers die first (in the same instant), then the broker learns it by their connections closing.
      for (const c of context.consumers) Atomics.store(c.counters, COUNTER.halt, 1);
      await Promise.all(context.consumerPids.map((pid) => context.node.ctl(['close_connection', pid, FAULT_REASON])));
      return;
    case 'kill9':
      await node.kill9();
      await node.start();
      return;
    case 'restart':
      // SIGTERM: OTP's init:stop(), the orderly shutdown `rabbitmqctl stop` also ends in, but at once
      // (the CLI takes a few hundred ms to start, and the producers run on meanwhile).
      await node.stop({ via: 'sigterm' });
      await node.start();
      return;
    case 'close-connections':
      await context.node.ctl(['close_all_connections', FAULT_REASON]);
      return;
  }
}

/** The distinct sequence numbers of `producer` that any of the consumers received. */
function receivedFrom(consumers: ConsumerReport[], producer: number): SeqBitset {
  const union = new SeqBitset();
  for (const c of consumers) {
    const t = c.receivedBits[producer];
    if (t) union.or(SeqBitset.fromTransfer(t));
  }
  return union;
}

/**
 * Received measured messages no producer attempted: sequence numbers at or above what the producer
 * sent (account() already counts bodies that are not ours of this cell).
 */
function neverAttempted(producers: ProducerReport[], consumers: ConsumerReport[]): number {
  let n = 0;
  for (const p of producers) {
    const attempted = new SeqBitset();
    for (let i = 0; i < p.sent; i++) attempted.testAndSet(i);
    n += receivedFrom(consumers, p.index).countAndNot(attempted);
  }
  return n;
}

/** Distinct measured messages of these producers the consumers received between them. */
function distinctReceived(producers: ProducerReport[], consumers: ConsumerReport[]): number {
  return producers.reduce((n, p) => n + receivedFrom(consumers, p.index).count(), 0);
}

/** From injection until the last producer to reconnect was publishing again; null if none did. */
function resumeSeconds(producers: ProducerReport[], injectedAtNs: number): number | null {
  const resumed = producers.filter((p) => p.resumedAtNs > 0).map((p) => p.resumedAtNs);
  return resumed.length ? (Math.max(...resumed) - injectedAtNs) / 1e9 : null;
}

/**
 * The fault a cell adds to the cell lifecycle: the queue declared through the target node and let
 * settle; the fault injected mid-window and the node's recovery waited for; a fresh drain consumer
 * after the cell's own; the fault outcome (FaultOutcome) filled in as it goes.
 */
class FaultInjector implements CellAddIn {
  readonly outcome: FaultOutcome;
  readonly workerInit: { reconnectForMs?: number };
  /** Progress sums the consumers' counts: the drain consumer reads a stream again from its start, and the slowest's count would fall back to zero. */
  readonly progressReadsAll = false;
  /** A fault cell's result has no latency per interval nor behind-schedule counts. */
  readonly intervals = false;
  private readonly target: FaultNode;
  private readonly recoveryTimeoutMs: number;
  private readonly queueRecoveryMs: number;
  private settled: Promise<string | null> = Promise.resolve(null);
  private consumerPids: string[] = [];

  constructor(
    private readonly cell: Cell,
    private readonly spec: ResolvedFault,
    private readonly options: FaultCellOptions,
  ) {
    this.outcome = emptyOutcome(spec);
    this.target = options.target ?? options.node;
    this.recoveryTimeoutMs = options.recoveryTimeoutMs ?? DEFAULT_RECOVERY_TIMEOUT_MS;
    this.queueRecoveryMs = options.queueRecoveryMs ?? QUEUE_RECOVERY_MS;
    // after: continue: the cell's clients keep trying to connect for as long as the node may take to come back.
    this.workerInit = spec.after === 'continue' ? { reconnectForMs: this.recoveryTimeoutMs } : {};
  }

  unsupported(cell: Cell): string | null {
    return this.spec.kind === 'kill-consumer' && cell.consumers === 0 ? 'kill-consumer needs consumers (this cell has none)' : null;
  }

  async declare(r: Repetition): Promise<void> {
    const { node } = this.options;
    const target = this.target;
    if (this.spec.kind === 'kill9' || this.spec.kind === 'restart') this.outcome.node = target.nodeName;
    r.stage = 'starting the node';
    if (!node.running) await node.start();
    if (!target.running) await target.start();
    // Declared through the target node: a quorum or stream queue's leader starts on the declaring client's node.
    // A node just started again after the previous cell's fault can refuse a declare for a moment
    // (404 NOT_FOUND while its queues recover): try again on a fresh connection, for a bounded time.
    r.stage = 'declaring the queue';
    const declareUntil = Date.now() + QUEUE_RECOVERY_MS;
    for (;;) {
      try {
        const channel = await r.admin.open(target.url);
        await channel.deleteQueue(r.queue);
        await channel.declareQueue(r.queue, this.cell.queue);
        break;
      } catch (err) {
        await r.admin.close();
        if (Date.now() > declareUntil || r.options.signal?.aborted) throw err;
        await r.bounded(sleep(500));
      }
    }
    if (this.spec.kind === 'kill9') {
      r.stage = 'syncing the queue declaration to disk';
      await syncQueueDeclarations(target === node ? [node] : [target, node]);
    }
    this.settled = settleQueue(node, r.queue, Date.now(), this.options.settleMs ?? DEFAULT_SETTLE_MS, this.cell.queue !== 'classic');
    this.settled.catch(() => undefined); // awaited before the window, after the workers start
  }

  async beforeWindow(r: Repetition): Promise<void> {
    r.stage = 'waiting for the queue to settle';
    const leader = await r.bounded(this.settled);
    if (this.cell.queue !== 'classic') this.outcome.leader = leader;
    if (this.spec.kind === 'kill-consumer') {
      this.consumerPids = await r.bounded(connectionPids(this.options.node, r.consumers.map((_, i) => connectionName(this.cell.id, 'consumer', i))));
    }
    // The admin connection would die with the fault; a new one is opened after recovery.
    await r.admin.close();
  }

  /** Waits for the fault point (enough sent, or enough time, or every producer already done), injects, and waits for recovery. */
  async whilePublishing(r: Repetition, opened: OpenedWindow, producersDone: () => boolean): Promise<void> {
    const { spec, cell, outcome } = this;
    r.stage = 'publishing until the fault';
    const dueNs = spec.atSeconds !== null ? opened.goNs + spec.atSeconds * 1e9 : Infinity;
    await r.bounded(
      (async () => {
        while (!producersDone() && !(spec.atMessages !== null && sumCounter(r.producers, COUNTER.sent) >= spec.atMessages) && nowNs() < dueNs) await sleep(2);
      })(),
    );
    outcome.injectedAtNs = nowNs();
    const atFault = opened.snapshot();
    outcome.sentAtInjection = atFault.sent;
    const beforeSeconds = (outcome.injectedAtNs - opened.goNs) / 1e9;
    const rate = (n: number) => (beforeSeconds > 0 ? Math.round((n / beforeSeconds) * 10) / 10 : 0);
    outcome.beforeFault = {
      seconds: Math.round(beforeSeconds * 1000) / 1000,
      sentPerS: rate(atFault.sent),
      confirmedPerS: publishAnswered(cell.publish.kind) ? rate(atFault.confirmed) : null,
      // On a stream every consumer reads every message: consumed is what the slowest had (stream-fan-out.ts).
      consumedPerS: cell.consumers > 0 ? rate(consumedSoFar(r.consumers.map((c) => c.count(COUNTER.consumed)), everyConsumerReadsAll(cell))) : null,
    };
    r.stage = `injecting the fault (${spec.kind})`;
    await r.bounded(inject(this.target, spec.kind, { consumers: r.consumers, consumerPids: this.consumerPids, node: this.options.node }));
    if (spec.kind === 'kill-consumer') outcome.consumersKilled = this.consumerPids.length;
    await this.recover(r);
    // Producers end with their connection (after: stop), or once they sent everything (after: continue).
    r.stage = spec.after === 'continue' ? 'publishing after recovery' : 'waiting for producer reports';
  }

  /** Until the broker accepts a new connection and, after kill9 / restart, the queue answers (restarting once more if it does not). */
  private async recover(r: Repetition): Promise<void> {
    const { node } = this.options;
    const { outcome, target } = this;
    r.stage = 'waiting for the broker to accept connections again';
    // Recovered: the broker accepts a new connection (the fault's own wait already saw one for kill9 / restart).
    const reconnectAdmin = () => r.bounded(openUntil(r.admin, node.url, Math.min(r.deadline, Date.now() + this.recoveryTimeoutMs)));
    /** Whether the queue answers within queueRecoveryMs (and the cell's deadline). */
    const queueAnswers = () => r.bounded(waitForQueue(r.admin.connection, r.queue, Math.max(0, Math.min(r.deadline - Date.now(), this.queueRecoveryMs))));
    await reconnectAdmin();
    outcome.recoverySeconds = (nowNs() - outcome.injectedAtNs) / 1e9;
    if (this.spec.kind === 'kill9' || this.spec.kind === 'restart') {
      // A drain consumer starting before the queue answers again would fail the cell (queue-recovery.ts).
      r.stage = 'waiting for the queue to answer after the fault';
      const waitedFrom = Date.now();
      if (!(await queueAnswers())) {
        // The broker lost the queue's live record, not necessarily what it held: one more (graceful)
        // restart recovers durable queues from disk, so the drain counts what was really kept. Recorded.
        outcome.queueUnavailableSeconds = (Date.now() - waitedFrom) / 1000;
        r.stage = 'restarting the node: its queue did not answer after the fault';
        await r.admin.close();
        await r.bounded(target.stop({ via: 'sigterm' }));
        await r.bounded(target.start());
        await reconnectAdmin();
        r.stage = 'waiting for the queue to answer after the second restart';
        if (!(await queueAnswers())) {
          // Gone for good: what was confirmed into it and not consumed is lost, and the account says so.
          r.stage = 'asking the node about the queue it lost';
          outcome.queueGone = await r.bounded(queueGoneEvidence(target, r.queue));
        }
      }
    }
    if (target !== node && this.cell.queue !== 'classic' && outcome.node) {
      r.stage = 'reading the queue leader after the fault';
      outcome.leaderAfter = await r.bounded(settleQueue(node, r.queue, Date.now(), 0, true));
    }
  }

  /**
   * A fresh consumer reads everything left in the queue, until it has read every message sent (a
   * stream, read again from its start) or nothing arrived for drainSeconds. Not until the queue's
   * message count: right after a restart that count can be short (a quorum queue still recovering,
   * deliveries of a dead consumer not yet returned), and stopping there would call messages lost.
   * A queue the node no longer has leaves nothing to drain (consuming from it would fail with 404).
   */
  async afterDrain(r: Repetition, producerReports: ProducerReport[], consumerReports: ConsumerReport[], sent: number): Promise<ConsumerReport[]> {
    r.stage = 'draining the queue';
    if (this.outcome.queueGone) return [idleConsumerReport(this.cell.consumers)];
    const drainer = new CellWorker({ cell: this.cell, window: r.window, url: r.url, queue: r.queue, role: 'consumer', index: this.cell.consumers });
    r.workers.push(drainer);
    r.counted.push(drainer);
    await r.bounded(drainer.ready());
    drainer.send({ type: 'go' });
    // A stream is read again from its start; from a queue, only what the cell's consumers left can come.
    drainer.send({ type: 'drain', expected: this.cell.queue === 'stream' ? sent : Math.max(0, sent - distinctReceived(producerReports, consumerReports)) });
    return [(await r.bounded(drainer.report)) as ConsumerReport];
  }

  /** The drain consumer counts the queue: no count stands in for received. */
  async queued(): Promise<null> {
    return null;
  }

  counts(c: Collected, cell: Cell): IntegrityCounts {
    // A stream keeps what was read: the drain consumer reads it again from the start, which is not
    // a redelivery (stream-fan-out.ts). Only duplicates seen within one consumer count.
    const counts = accountOf({ ...c, queued: null }, cell);
    counts.unexpected += neverAttempted(c.producerReports, everyConsumer(c));
    if (cell.publish.kind === 'none') {
      // Nothing is ever answered: every message sent is unknown, and those received are recovered.
      counts.unknown = counts.sent;
      counts.recovered = counts.received;
    }
    return counts;
  }

  /**
   * Connection errors at the fault are what the cell is about: they fail it only when the drain
   * consumer's ends it, or when a client that should have reconnected (after: continue) gave up.
   */
  failure(c: Collected): string | null {
    const drain = c.drainReports[0];
    const gaveUp =
      this.spec.after === 'continue' ? [...c.producerReports, ...(this.spec.kind === 'kill-consumer' ? [] : c.consumerReports)].find((r) => r.error !== null) : undefined;
    return drain?.error ? `drain after the fault: ${drain.error}` : gaveUp ? `${gaveUp.role} ${gaveUp.index} did not reconnect: ${gaveUp.error}` : null;
  }

  /** The outcome's counts, from the repetition's reports and counts. */
  account(c: Collected, counts: IntegrityCounts): void {
    Object.assign(this.outcome, {
      producersCut: c.producerReports.filter((r) => r.lastError !== null).length,
      reconnects: [...c.producerReports, ...c.consumerReports].reduce((n, r) => n + r.reconnects, 0),
      resumeSeconds: resumeSeconds(c.producerReports, this.outcome.injectedAtNs),
      drained: distinctReceived(c.producerReports, c.drainReports),
      ok: counts.confirmed ?? 0,
      fail: counts.nacked,
      unknown: counts.unknown,
      attempted: (counts.confirmed ?? 0) + counts.nacked + counts.unknown,
      lost: counts.lost,
      recovered: counts.recovered,
      duplicated: counts.duplicates,
      unexpected: counts.unexpected,
    } satisfies Partial<FaultOutcome>);
  }

  /** The queue deleted through a fresh admin connection when the node still runs (else it goes with the node's dir). */
  async cleanUp(r: Repetition): Promise<void> {
    if (this.options.node.running) {
      try {
        if (!r.admin.isOpen) {
          await r.admin.close();
          await r.admin.open(this.options.node.url);
        }
        await r.admin.channel.deleteQueue(r.queue);
      } catch {
        // the node is gone or refuses: the queue goes with the node's dir
      }
    }
    await r.admin.close();
  }
}

export async function runFaultCell(cell: Cell, fault: ScenarioFault, options: FaultCellOptions): Promise<FaultCellResult> {
  const repetition = options.repetition ?? 1;
  let spec: ResolvedFault;
  try {
    spec = resolveFault(fault, cell, options.window);
  } catch (err) {
    return { ...notRunResult(cell, repetition, 'failed', (err as Error).message), fault: emptyOutcome({ kind: fault.kind, after: fault.after ?? 'stop', atMessages: null, atSeconds: null }) };
  }
  const injector = new FaultInjector(cell, spec, options);
  const { node } = options;
  const { result, collected } = await runRepetition(
    cell,
    repetition,
    {
      url: node.url,
      window: options.window,
      queue: queueName(options.runId, cell, repetition),
      ids: { consumers: indices(cell.consumers), producers: indices(cell.producers) },
      signal: options.signal,
      onProgress: options.onProgress,
      // The node's counters over the window; a node the fault restarts starts them again from zero.
      metrics: ownedNodesSource(options.metricsNodes ?? [...new Set([node, options.target ?? node])]),
    },
    injector,
  );
  if (collected) injector.account(collected, result.counts);
  return { ...result, fault: injector.outcome };
}

/**
 * RabbitMQ on Mnesia answers queue.declare-ok before the durable queue's record has left the VM: Mnesia
 * writes its transaction log lazily (erlang/otp#3975). A kill -9 soon after the declare then takes the
 * queue itself: seen here once in about 80 kills, the node's log saying "Recovering 0 queues" and the
 * queue answering 404 NOT_FOUND for good. Fault cells are about what becomes of messages, so each node
 * syncs its log (mnesia:sync_log/0) before the window opens. A broker without Mnesia (Khepri) has
 * nothing to sync: the call fails and is ignored.
 */
async function syncQueueDeclarations(nodes: readonly FaultNode[]): Promise<void> {
  for (const n of nodes) await n.ctl(['eval', 'mnesia:sync_log().'], 15_000).catch(() => undefined);
}
