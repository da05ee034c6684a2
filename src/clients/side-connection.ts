// Queue management for the clients whose own protocol cannot do it on this broker: RabbitMQ 3.x's
// AMQP 1.0 plugin declares no queue with a type or arguments, and the stream protocol has no message
// count or purge. Each such adapter owns one AMQP 0-9-1 connection (amqplib), opened with its own and
// closed with it, and sends declare, count, purge and delete over it, so the queue is the same one
// the AMQP 0-9-1 clients declare (queue-arguments.ts).

import type { AmqpChannel, AmqpConnection } from './adapter.js';
import { amqplibAdapter } from './amqplib.js';
import type { QueueType } from '../scenario/types.js';

export class SideConnection {
  private channel: AmqpChannel | null = null;

  private constructor(private readonly connection: AmqpConnection) {}

  static async open(url: string, connectionName: string, timeoutMs: number): Promise<SideConnection> {
    return new SideConnection(await amqplibAdapter.connect(url, { connectionName: `${connectionName} (0-9-1 side)`, timeoutMs }));
  }

  /** The side connection died: the adapter's own connection reports it as its own close. */
  onClose(listener: (err: Error) => void): void {
    this.connection.onClose(listener);
  }

  /**
   * Run `op` on a channel of the side connection. A failed operation (a 404 of a passive declare)
   * closes its 0-9-1 channel, so the next one opens a fresh channel.
   */
  private async run<T>(op: (ch: AmqpChannel) => Promise<T>): Promise<T> {
    const ch = (this.channel ??= await this.connection.openChannel());
    try {
      return await op(ch);
    } catch (err) {
      this.channel = null;
      await ch.close().catch(() => undefined);
      throw err;
    }
  }

  declareQueue(name: string, type: QueueType): Promise<void> {
    return this.run((ch) => ch.declareQueue(name, type));
  }

  countMessages(name: string): Promise<number> {
    return this.run((ch) => ch.countMessages(name));
  }

  purgeQueue(name: string): Promise<void> {
    return this.run((ch) => ch.purgeQueue(name));
  }

  deleteQueue(name: string): Promise<void> {
    return this.run((ch) => ch.deleteQueue(name));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
