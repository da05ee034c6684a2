// A node that accepts connections again after a kill -9 or a restart can still answer 404 NOT_FOUND
// for a durable queue for a moment, while its queues recover. Publishing to it through the default
// exchange then is unroutable: the broker confirms the message and drops it, which would count as
// lost though the queue kept everything it had. A client's topology recovery waits for its queue;
// so do ackbench's reconnecting producers and consumers, and the fault runner before its drain.
//
// RabbitMQ before 3.11 can also drop a durable queue's live record on a restart for good (it answers
// 404 until the node restarts again; rabbitmq-server#4563). The fault runner waits QUEUE_RECOVERY_MS,
// then restarts the node once more and records it; clients wait longer, so that they do not publish
// into the void before that second restart. A queue still missing after that is gone for good: the
// runner records what the node says about it (queueGoneEvidence) and counts what it held as lost.

import type { FaultNode } from '../broker/fault-node.js';
import type { AmqpConnection } from '../clients/adapter.js';
import type { QueueGone } from './result.js';

/** How long a queue may take to answer after its node accepts connections again. */
export const QUEUE_RECOVERY_MS = 20_000;
/** How long a reconnected client waits for its queue: past the fault runner's wait and second restart. */
export const CLIENT_QUEUE_WAIT_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Whether a passive declare on `conn` finds `queue` within forMs, trying every 250 ms. Each attempt
 * opens a channel of its own (a 404 closes the channel); rejects only if the connection fails.
 */
export async function waitForQueue(conn: AmqpConnection, queue: string, forMs = QUEUE_RECOVERY_MS): Promise<boolean> {
  const until = Date.now() + forMs;
  for (;;) {
    const probe = await conn.openChannel();
    const found = await probe.countMessages(queue).then(
      () => true,
      () => false,
    );
    await probe.close().catch(() => undefined);
    if (found) return true;
    if (Date.now() >= until) return false;
    await sleep(250);
  }
}

/** Log lines kept as evidence, and the length each is cut to. */
const EVIDENCE_LINES = 20;
const EVIDENCE_LINE_CHARS = 400;

/**
 * What `node` says about `queue` (in vhost /) once it answers 404 NOT_FOUND for good: whether the
 * durable record survived (a record without a live queue is the #4563 symptom; no record at all means
 * the declaration itself was lost), and the log lines that name the queue or report an error.
 */
export async function queueGoneEvidence(node: Pick<FaultNode, 'ctl' | 'logTail'>, queue: string): Promise<QueueGone> {
  let durableRecord: boolean | null = null;
  // Only names that cannot break out of the Erlang binary literal are put into the expression.
  if (/^[A-Za-z0-9_.-]+$/.test(queue)) {
    const expr = `mnesia:dirty_read(rabbit_durable_queue, {resource, <<"/">>, queue, <<"${queue}">>}) =/= [].`;
    const answer = await node.ctl(['eval', expr], 15_000).then(
      (out) => out.trim(),
      () => '',
    );
    durableRecord = answer === 'true' ? true : answer === 'false' ? false : null;
  }
  const log = node
    .logTail(500)
    .split('\n')
    // Not the channel errors of ackbench's own passive declares (waitForQueue): they only echo the 404.
    .filter((line) => (line.includes(queue) || /\[error\]|crash/i.test(line)) && !/Channel error on connection|caused a channel exception not_found/.test(line))
    .slice(-EVIDENCE_LINES)
    .map((line) => (line.length > EVIDENCE_LINE_CHARS ? `${line.slice(0, EVIDENCE_LINE_CHARS)}…` : line));
  return { durableRecord, log };
}
