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
// Sequence of one cell:
//   declare the queue, and let it settle (until `rabbitmqctl list_queues` shows it and at least
//   settleMs after declare-ok: a queue declared a moment before kill -9 can itself be gone after restart);
//   start consumers, then producers (warm-up as in runCellRepetition), open the measured window;
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

import { loadAdapter } from '../clients/registry.js';
import type { AmqpChannel, AmqpConnection, ClientAdapter } from '../clients/adapter.js';
import type { FaultNode } from '../broker/fault-node.js';
import { startLocalNode } from '../broker/local-node.js';
import { FAULT_AFTER, FAULT_KINDS, type FaultAfter } from '../scenario/types.js';
import { consumedSoFar, everyConsumerReadsAll } from './stream-fan-out.js';
import { account } from '../measure/accounting.js';
import { SeqBitset } from '../measure/bitset.js';
import { nowNs } from '../measure/clock.js';
import type { Cell, RunWindow, Scenario } from '../scenario/types.js';
import { ownedNodesSource, startCostSampler, type CostSampler } from '../broker/cost-sampler.js';
import { busiest, cellResultFrom, clientBound, clientThreads, cpuPercent, measuredWindow } from './cell-result.js';
import { queueName } from './queue-name.js';
import { allProducerReports, CellWorker, drainConsumers, indices, notRunResult, openWindow, startWorkers, sumCounter, unsupportedReason, WARMUP_DRAIN_MS, type Progress } from './cell-runner.js';
import type { CellResult, FaultKind, FaultOutcome, IntegrityCounts } from './result.js';
import { COUNTER, idleConsumerReport, type ConsumerReport, type ProducerReport } from './worker-protocol.js';
import { QUEUE_RECOVERY_MS, queueGoneEvidence, waitForQueue } from './queue-recovery.js';

export type { FaultKind, FaultOutcome } from './result.js';

export interface FaultSpec {
  kind: FaultKind;
  /** Inject once this many measured messages were sent, over all producers of the cell. */
  atMessages?: number;
  /** Inject this long after the measured window opened (exclusive with atMessages). */
  atSeconds?: number;
  /** What clients do after the fault: end with their connection (stop, the default), or reconnect and go on (continue). */
  after?: FaultAfter;
}

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

export interface FaultRunOptions extends Omit<FaultCellOptions, 'node' | 'runId' | 'window' | 'repetition'> {
  fault: FaultSpec;
  /** Run on this node (left running); default: start a private node and destroy it at the end. */
  node?: FaultNode;
  runId?: string;
  /** Called after each cell with its result. */
  onCell?: (result: FaultCellResult, index: number, total: number) => void;
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
export function resolveFault(fault: FaultSpec, cell: Cell, window: RunWindow): ResolvedFault {
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

/** Connect, retrying until the broker accepts or the deadline passes. */
async function connectUntil(adapter: ClientAdapter, url: string, name: string, deadline: number): Promise<AmqpConnection> {
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      return await adapter.connect(url, { connectionName: name, timeoutMs: 5000 });
    } catch (err) {
      last = err;
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

/** The connection name a cell's worker connects with (worker.ts). */
function workerConnectionName(cell: Cell, role: 'producer' | 'consumer', index: number): string {
  return `ackbench ${cell.id} ${role} ${index}`;
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

export async function runFaultCell(cell: Cell, fault: FaultSpec, options: FaultCellOptions): Promise<FaultCellResult> {
  const repetition = options.repetition ?? 1;
  const { node, window } = options;
  let spec: ResolvedFault;
  try {
    spec = resolveFault(fault, cell, window);
  } catch (err) {
    return { ...notRunResult(cell, repetition, 'failed', (err as Error).message), fault: emptyOutcome({ kind: fault.kind, after: fault.after ?? 'stop', atMessages: null, atSeconds: null }) };
  }
  const outcome = emptyOutcome(spec);
  const unsupported = unsupportedReason(cell) ?? (spec.kind === 'kill-consumer' && cell.consumers === 0 ? 'kill-consumer needs consumers (this cell has none)' : null);
  if (unsupported) return { ...notRunResult(cell, repetition, 'unsupported', unsupported), fault: outcome };
  const target = options.target ?? node;
  if (spec.kind === 'kill9' || spec.kind === 'restart') outcome.node = target.nodeName;

  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? DEFAULT_RECOVERY_TIMEOUT_MS;
  const queueRecoveryMs = options.queueRecoveryMs ?? QUEUE_RECOVERY_MS;
  const queue = queueName(options.runId, cell, repetition);
  const url = node.url;
  const workers: CellWorker[] = [];
  const timers: NodeJS.Timeout[] = [];
  const cleanup = new AbortController();
  let admin: AmqpConnection | null = null;
  let adminChannel: AmqpChannel | null = null;
  const closeAdmin = async () => {
    const c = admin;
    admin = null;
    adminChannel = null;
    if (c) await c.close().catch(() => undefined);
  };
  // Named in a timeout's reason, so a hang says where it happened.
  let stage = 'starting the node';
  let costs: CostSampler | null = null;
  try {
    if (!node.running) await node.start();
    if (!target.running) await target.start();
    const adapter = await loadAdapter(cell.client);
    // Declared through the target node: a quorum or stream queue's leader starts on the declaring client's node.
    // A node just started again after the previous cell's fault can refuse a declare for a moment
    // (404 NOT_FOUND while its queues recover): try again on a fresh connection, for a bounded time.
    stage = 'declaring the queue';
    const declareUntil = Date.now() + QUEUE_RECOVERY_MS;
    for (;;) {
      try {
        admin = await adapter.connect(target.url, { connectionName: `ackbench ${cell.id} admin`, timeoutMs: 5000 });
        adminChannel = await admin.openChannel();
        await adminChannel.deleteQueue(queue);
        await adminChannel.declareQueue(queue, cell.queue);
        break;
      } catch (err) {
        await closeAdmin();
        if (Date.now() > declareUntil || options.signal?.aborted) throw err;
        await sleep(500);
      }
    }
    if (spec.kind === 'kill9') {
      stage = 'syncing the queue declaration to disk';
      await syncQueueDeclarations(target === node ? [node] : [target, node]);
    }
    const settled = settleQueue(node, queue, Date.now(), settleMs, cell.queue !== 'classic');
    settled.catch(() => undefined); // awaited below, after the workers start

    const deadline = Date.now() + window.cellTimeoutSeconds * 1000;
    const timeout = new Promise<never>((_, reject) => {
      timers.push(setTimeout(() => reject(new Error(`fault cell timed out after ${window.cellTimeoutSeconds} s while ${stage}`)), window.cellTimeoutSeconds * 1000));
    });
    timeout.catch(() => undefined);
    const aborted = new Promise<never>((_, reject) => {
      if (options.signal?.aborted) reject(new Error('interrupted'));
      options.signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true, signal: cleanup.signal });
    });
    aborted.catch(() => undefined);
    const bounded = <T>(p: Promise<T>) => Promise.race([p, timeout, aborted]);

    stage = 'starting consumers';
    const base = { cell, window, url, queue };
    // after: continue: the cell's clients keep trying to connect for as long as the node may take to come back.
    const clients = spec.after === 'continue' ? { ...base, reconnectForMs: recoveryTimeoutMs } : base;
    const { consumers, producers } = await startWorkers(clients, { consumers: indices(cell.consumers), producers: indices(cell.producers) }, workers, bounded);
    stage = 'warming up';
    await bounded(Promise.all(producers.map((p) => p.ready())));
    if (cell.consumers > 0) {
      const warmupTotal = window.warmupMessages * cell.producers;
      const until = Math.min(deadline, Date.now() + WARMUP_DRAIN_MS);
      while (sumCounter(consumers, COUNTER.warmupConsumed) < warmupTotal && Date.now() < until) await sleep(20);
    } else {
      await adminChannel.purgeQueue(queue);
    }
    stage = 'waiting for the queue to settle';
    const leader = await bounded(settled);
    if (cell.queue !== 'classic') outcome.leader = leader;
    const consumerPids =
      spec.kind === 'kill-consumer'
        ? await bounded(connectionPids(node, consumers.map((_, i) => workerConnectionName(cell, 'consumer', i))))
        : [];
    // The admin connection would die with the fault; a new one is opened after recovery.
    await closeAdmin();

    // The node's counters over the window; a node the fault restarts starts them again from zero.
    costs = await bounded(startCostSampler(ownedNodesSource(options.metricsNodes ?? [...new Set([node, target])])));
    // Consumers of the cell: the pre-fault ones, and the drain consumer once it exists.
    const allConsumers = [...consumers];
    const { goNs, cpu0, snapshot, timeline } = openWindow({ window, workers, producers, consumers: allConsumers, timers, signal: options.signal, until: cleanup.signal, onProgress: options.onProgress });

    // Wait for the fault point: enough sent, or enough time, or every producer already done.
    let producersDone = false;
    const producerReportsP = allProducerReports(producers);
    producerReportsP.then(() => (producersDone = true)).catch(() => (producersDone = true));
    stage = 'publishing until the fault';
    const dueNs = spec.atSeconds !== null ? goNs + spec.atSeconds * 1e9 : Infinity;
    await bounded(
      (async () => {
        while (!producersDone && !(spec.atMessages !== null && sumCounter(producers, COUNTER.sent) >= spec.atMessages) && nowNs() < dueNs) await sleep(2);
      })(),
    );
    outcome.injectedAtNs = nowNs();
    const atFault = snapshot();
    outcome.sentAtInjection = atFault.sent;
    const beforeSeconds = (outcome.injectedAtNs - goNs) / 1e9;
    const rate = (n: number) => (beforeSeconds > 0 ? Math.round((n / beforeSeconds) * 10) / 10 : 0);
    outcome.beforeFault = {
      seconds: Math.round(beforeSeconds * 1000) / 1000,
      sentPerS: rate(atFault.sent),
      confirmedPerS: cell.publish.kind === 'none' ? null : rate(atFault.confirmed),
      // On a stream every consumer reads every message: consumed is what the slowest had (stream-fan-out.ts).
      consumedPerS: cell.consumers > 0 ? rate(consumedSoFar(consumers.map((c) => c.count(COUNTER.consumed)), everyConsumerReadsAll(cell))) : null,
    };
    stage = `injecting the fault (${spec.kind})`;
    await bounded(inject(target, spec.kind, { consumers, consumerPids, node }));
    if (spec.kind === 'kill-consumer') outcome.consumersKilled = consumerPids.length;
    stage = 'waiting for the broker to accept connections again';
    // Recovered: the broker accepts a new connection (the fault's own wait already saw one for kill9 / restart).
    /** A new admin connection and channel, once the node accepts connections again. */
    const reconnectAdmin = async () => {
      admin = await bounded(connectUntil(adapter, url, `ackbench ${cell.id} admin`, Math.min(deadline, Date.now() + recoveryTimeoutMs)));
      adminChannel = await admin.openChannel();
    };
    /** Whether the queue answers within queueRecoveryMs (and the cell's deadline). */
    const queueAnswers = () => bounded(waitForQueue(admin!, queue, Math.max(0, Math.min(deadline - Date.now(), queueRecoveryMs))));
    await reconnectAdmin();
    outcome.recoverySeconds = (nowNs() - outcome.injectedAtNs) / 1e9;
    if (spec.kind === 'kill9' || spec.kind === 'restart') {
      // A drain consumer starting before the queue answers again would fail the cell (queue-recovery.ts).
      stage = 'waiting for the queue to answer after the fault';
      const waitedFrom = Date.now();
      if (!(await queueAnswers())) {
        // The broker lost the queue's live record, not necessarily what it held: one more (graceful)
        // restart recovers durable queues from disk, so the drain counts what was really kept. Recorded.
        outcome.queueUnavailableSeconds = (Date.now() - waitedFrom) / 1000;
        stage = 'restarting the node: its queue did not answer after the fault';
        await closeAdmin();
        await bounded(target.stop({ via: 'sigterm' }));
        await bounded(target.start());
        await reconnectAdmin();
        stage = 'waiting for the queue to answer after the second restart';
        if (!(await queueAnswers())) {
          // Gone for good: what was confirmed into it and not consumed is lost, and the account says so.
          stage = 'asking the node about the queue it lost';
          outcome.queueGone = await bounded(queueGoneEvidence(target, queue));
        }
      }
    }
    if (target !== node && cell.queue !== 'classic' && outcome.node) {
      stage = 'reading the queue leader after the fault';
      outcome.leaderAfter = await bounded(settleQueue(node, queue, Date.now(), 0, true));
    }

    // Producers end with their connection (after: stop), or once they sent everything (after: continue).
    stage = spec.after === 'continue' ? 'publishing after recovery' : 'waiting for producer reports';
    const producerReports = await bounded(producerReportsP);
    const sent = producerReports.reduce((n, r) => n + r.sent, 0);
    // The cell's consumers: one whose connection died and stayed dead reports at once; one that
    // survived or reconnected drains as in a cell without a fault.
    stage = 'draining consumers';
    const consumerReports = await bounded(drainConsumers(consumers, sent, everyConsumerReadsAll(cell)));

    // Drain: a fresh consumer reads everything left in the queue, until it has read every message sent
    // (a stream, read again from its start) or nothing arrived for drainSeconds. Not until the queue's
    // message count: right after a restart that count can be short (a quorum queue still recovering,
    // deliveries of a dead consumer not yet returned), and stopping there would call messages lost.
    // A queue the node no longer has leaves nothing to drain (consuming from it would fail with 404).
    stage = 'draining the queue';
    let drainReport = idleConsumerReport(cell.consumers);
    if (!outcome.queueGone) {
      const drainer = new CellWorker({ ...base, role: 'consumer', index: cell.consumers });
      workers.push(drainer);
      allConsumers.push(drainer);
      await bounded(drainer.ready());
      drainer.send({ type: 'go' });
      // A stream is read again from its start; from a queue, only what the cell's consumers left can come.
      drainer.send({ type: 'drain', expected: cell.queue === 'stream' ? sent : Math.max(0, sent - distinctReceived(producerReports, consumerReports)) });
      drainReport = (await bounded(drainer.report)) as ConsumerReport;
    }

    const endNs = nowNs();
    const cpu = process.cpuUsage(cpu0);
    for (const t of timers) clearInterval(t);
    timeline.close();
    const broker = await bounded(costs.stop(cell));

    const answered = cell.publish.kind !== 'none';
    const everyConsumer = [...consumerReports, drainReport];
    // A stream keeps what was read: the drain consumer reads it again from the start, which is not
    // a redelivery (stream-fan-out.ts). Only duplicates seen within one consumer count.
    const counts: IntegrityCounts = account(producerReports, everyConsumer, answered, null, { readsAll: everyConsumerReadsAll(cell) });
    counts.unexpected += neverAttempted(producerReports, everyConsumer);
    if (!answered) {
      // Nothing is ever answered: every message sent is unknown, and those received are recovered.
      counts.unknown = counts.sent;
      counts.recovered = counts.received;
    }
    const drained = distinctReceived(producerReports, [drainReport]);
    Object.assign(outcome, {
      producersCut: producerReports.filter((r) => r.lastError !== null).length,
      reconnects: [...producerReports, ...consumerReports].reduce((n, r) => n + r.reconnects, 0),
      resumeSeconds: resumeSeconds(producerReports, outcome.injectedAtNs),
      drained,
      ok: counts.confirmed ?? 0,
      fail: counts.nacked,
      unknown: counts.unknown,
      attempted: (counts.confirmed ?? 0) + counts.nacked + counts.unknown,
      lost: counts.lost,
      recovered: counts.recovered,
      duplicated: counts.duplicates,
      unexpected: counts.unexpected,
    } satisfies Partial<FaultOutcome>);

    // The drain consumer's deliveries count too, with or without consumers of the cell.
    const measured = measuredWindow(producerReports, everyConsumer, { answered, consumed: true });
    // Connection errors at the fault are what the cell is about: they fail it only when the drain
    // consumer's ends it, or when a client that should have reconnected (after: continue) gave up.
    const gaveUp =
      spec.after === 'continue' ? [...producerReports, ...(spec.kind === 'kill-consumer' ? [] : consumerReports)].find((r) => r.error !== null) : undefined;
    const failed = drainReport.error ? `drain after the fault: ${drainReport.error}` : gaveUp ? `${gaveUp.role} ${gaveUp.index} did not reconnect: ${gaveUp.error}` : null;

    return {
      ...cellResultFrom({
        cell,
        repetition,
        counts,
        window: measured,
        publishHistograms: producerReports.map((r) => r.publishHistogram),
        e2eHistograms: everyConsumer.map((r) => r.e2eHistogram),
        failure: failed,
        clientCpuPct: cpuPercent(cpu, goNs, endNs),
        clientBound: clientBound({ rate: cell.rate, producers: cell.producers, sent: counts.sent, sendSeconds: measured.sendSeconds, busiest: busiest([...producerReports, ...consumerReports]) }),
        timeline: timeline.points,
        cost: { producers: cell.producers, threads: clientThreads([...producerReports, ...everyConsumer]), clientCpuUs: cpu.user + cpu.system, wallUs: (endNs - goNs) / 1000, broker },
      }),
      fault: outcome,
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ...notRunResult(cell, repetition, 'failed', why), fault: outcome };
  } finally {
    costs?.cancel();
    for (const t of timers) clearInterval(t);
    cleanup.abort();
    await Promise.all(workers.map((w) => w.worker.terminate()));
    if (node.running) {
      try {
        if (!adminChannel) {
          await closeAdmin();
          admin = await (await loadAdapter(cell.client)).connect(url, { connectionName: `ackbench ${cell.id} admin`, timeoutMs: 5000 });
          adminChannel = await admin.openChannel();
        }
        await adminChannel!.deleteQueue(queue);
      } catch {
        // the node is gone or refuses: the queue goes with the node's dir
      }
    }
    await closeAdmin();
  }
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

/**
 * Every cell of the scenario once, each with the same fault, on one private node (started here
 * and destroyed at the end unless options.node is given). Cells run one after another; a cell
 * whose node cannot be brought back fails, and later cells try to start it again.
 */
export async function runFaults(scenario: Scenario, options: FaultRunOptions): Promise<FaultCellResult[]> {
  const runId = options.runId ?? `faults-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;
  const own = options.node === undefined;
  const node = options.node ?? (await startLocalNode());
  const results: FaultCellResult[] = [];
  try {
    for (const [i, cell] of scenario.cells.entries()) {
      let result: FaultCellResult;
      if (options.signal?.aborted) {
        result = { ...notRunResult(cell, 1, 'failed', 'interrupted'), fault: emptyOutcome({ kind: options.fault.kind, after: options.fault.after ?? 'stop', atMessages: options.fault.atMessages ?? null, atSeconds: options.fault.atSeconds ?? null }) };
      } else {
        result = await runFaultCell(cell, options.fault, { ...options, node, runId, window: scenario.window, repetition: 1 });
      }
      results.push(result);
      options.onCell?.(result, i, scenario.cells.length);
    }
  } finally {
    if (own) await node.destroy();
  }
  return results;
}
