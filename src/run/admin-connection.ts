// The main thread's own connection of a cell's client, for the queue's life outside the workers:
// declare, purge, count, delete. A fault cell closes it before the fault (it would die with the node)
// and opens it again after recovery, so it is a holder that can be opened more than once.

import type { AmqpChannel, AmqpConnection } from '../clients/adapter.js';
import { loadAdapter } from '../clients/registry.js';
import type { ClientName } from '../scenario/types.js';

export class AdminConnection {
  private conn: AmqpConnection | null = null;
  private chan: AmqpChannel | null = null;

  constructor(
    private readonly client: ClientName,
    /** Its connection_name on the broker (connection-name.ts). */
    readonly name: string,
  ) {}

  /** Connects to `url` and opens a channel (a connection that opened without one is closed by close()). */
  async open(url: string): Promise<AmqpChannel> {
    const adapter = await loadAdapter(this.client);
    this.conn = await adapter.connect(url, { connectionName: this.name, timeoutMs: 5000 });
    this.chan = await this.conn.openChannel();
    return this.chan;
  }

  get isOpen(): boolean {
    return this.chan !== null;
  }

  get channel(): AmqpChannel {
    if (!this.chan) throw new Error(`the admin connection '${this.name}' is not open`);
    return this.chan;
  }

  /** The connection under the open channel (queue-recovery.ts opens channels of its own on it). */
  get connection(): AmqpConnection {
    if (!this.conn || !this.chan) throw new Error(`the admin connection '${this.name}' is not open`);
    return this.conn;
  }

  /** Closes it, if open; a broker already gone is no error here. */
  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    this.chan = null;
    if (c) await c.close().catch(() => undefined);
  }

  /** Clean-up: deletes the queue if the channel is open (errors ignored: the repetition already has its result), then closes. */
  async deleteQueueAndClose(queue: string): Promise<void> {
    if (this.chan) await this.chan.deleteQueue(queue).catch(() => undefined);
    await this.close();
  }
}
