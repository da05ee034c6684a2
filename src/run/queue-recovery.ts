// A node that accepts connections again after a kill -9 or a restart can still answer 404 NOT_FOUND
// for a durable queue for a moment, while its queues recover. Publishing to it through the default
// exchange then is unroutable: the broker confirms the message and drops it, which would count as
// lost though the queue kept everything it had. A client's topology recovery waits for its queue;
// so do ackbench's reconnecting producers and consumers, and the fault runner before its drain.
//
// RabbitMQ before 3.11 can also drop a durable queue's live record on a restart for good (it answers
// 404 until the node restarts again; rabbitmq-server#4563). The fault runner waits QUEUE_RECOVERY_MS,
// then restarts the node once more and records it; clients wait longer, so that they do not publish
// into the void before that second restart.

import type { AmqpConnection } from '../clients/adapter.js';

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
