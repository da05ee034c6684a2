// The connection of one worker thread, which its producers (a channel each) or its consumer share, and
// which, under a fault with `after: continue`, is replaced: the dead one is closed and a new one is
// opened with exponential backoff and jitter (p-retry), for a bounded time. Every client of the worker
// that saw the same connection die gets the same new one.

import pRetry from 'p-retry';
import type { AmqpConnection } from '../clients/adapter.js';
import { CLIENT_QUEUE_WAIT_MS, waitForQueue } from './queue-recovery.js';

export interface ReconnectPolicy {
  /** Give up after trying for this long. */
  forMs: number;
  /** First wait between attempts; doubles (times a random 1..2) up to maxDelayMs. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Aborted: give up at once (the run is being stopped). */
  signal?: AbortSignal;
}

export class ReconnectingConnection {
  private replacing: Promise<AmqpConnection | null> | null = null;
  private gaveUp = false;

  private constructor(
    private readonly connect: () => Promise<AmqpConnection>,
    private connection: AmqpConnection,
  ) {}

  static async open(connect: () => Promise<AmqpConnection>): Promise<ReconnectingConnection> {
    return new ReconnectingConnection(connect, await connect());
  }

  get current(): AmqpConnection {
    return this.connection;
  }

  /**
   * `dead` died: the connection that replaces it, or null once reconnecting gave up. Callers that saw
   * the same connection die share one attempt; one that saw an older connection die gets the current.
   */
  replace(dead: AmqpConnection, policy: ReconnectPolicy): Promise<AmqpConnection | null> {
    if (this.gaveUp) return Promise.resolve(null);
    if (dead !== this.connection) return Promise.resolve(this.connection);
    this.replacing ??= (async () => {
      await dead.close().catch(() => undefined);
      try {
        this.connection = await pRetry(this.connect, {
          retries: Number.POSITIVE_INFINITY,
          factor: 2,
          minTimeout: policy.minDelayMs,
          maxTimeout: policy.maxDelayMs,
          randomize: true,
          maxRetryTime: policy.forMs,
          signal: policy.signal,
        });
        return this.connection;
      } catch {
        this.gaveUp = true;
        return null;
      } finally {
        this.replacing = null;
      }
    })();
    return this.replacing;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * after: continue: the reconnect a worker gives its clients. A client whose connection died gets the
 * worker's new one (or null once it gave up), once `queue` answers there (topology recovery:
 * publishing before would be confirmed and dropped, consuming would fail with 404), or once waitMs
 * passed without it. A connection that dies during that wait is replaced too.
 */
export function reconnectToQueue(shared: ReconnectingConnection, queue: string, policy: ReconnectPolicy, waitMs = CLIENT_QUEUE_WAIT_MS): (dead: AmqpConnection) => Promise<AmqpConnection | null> {
  return async (dead) => {
    const giveUpAt = Date.now() + policy.forMs;
    for (let conn = await shared.replace(dead, policy); conn; conn = await shared.replace(conn, policy)) {
      // Whether the connection outlived the wait (the queue answered, or the wait ran out).
      const alive = await waitForQueue(conn, queue, waitMs).then(
        () => true,
        () => false,
      );
      if (alive) return conn;
      if (Date.now() > giveUpAt) break;
    }
    return null;
  };
}
