// The connection of one worker thread, which its producers (a channel each) or its consumer share, and
// which, under a fault with `after: continue`, is replaced: the dead one is closed and a new one is
// opened with exponential backoff and jitter (p-retry), for a bounded time. Every client of the worker
// that saw the same connection die gets the same new one.

import pRetry from 'p-retry';
import type { AmqpConnection } from '../clients/adapter.js';

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
