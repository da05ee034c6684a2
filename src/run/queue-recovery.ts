// A node that accepts connections again after a kill -9 or a restart can still answer 404 NOT_FOUND
// for a durable queue for a moment, while its queues recover. Publishing to it through the default
// exchange then is unroutable: the broker confirms the message and drops it, which would count as
// lost though the queue kept everything it had. A client's topology recovery waits for its queue;
// so do ackbench's reconnecting producers and its drain.

import type { AmqpConnection } from '../clients/adapter.js';

/** How long a queue may take to answer after its node accepts connections again. */
export const QUEUE_RECOVERY_MS = 20_000;

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
