// amqplib adapter. Confirms come from the channel's public 'ack' / 'nack' events (delivery tag and
// multiple flag), so no closure is kept per message. amqplib has no public tx API: tx.select and
// tx.commit are sent through the channel's rpc() with the AMQP method ids; test/integration/
// adapter-contract.test.ts pins both, so an upgrade that breaks them fails loudly.

import * as amqplib from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { AmqpChannel, AmqpConnection, ChannelOptions, ClientAdapter, ConsumeOptions, DeliveryHandle, DeliveryListener, ServerInfo } from './adapter.js';
import { packageVersion } from './package-version.js';
import { queueArguments } from './queue-arguments.js';
import type { QueueType } from '../scenario/types.js';

const version = packageVersion('amqplib');

/** AMQP 0-9-1 method ids, class 90 (tx): (class << 16) | method. */
export const TX_METHODS = { select: 5898250, selectOk: 5898251, commit: 5898260, commitOk: 5898261 } as const;

interface RpcChannel {
  rpc(method: number, fields: object, expect: number): Promise<unknown>;
}

class AmqplibChannel implements AmqpChannel {
  // sendMessage (lib/connection.js) copies the body into a frame buffer of its own before it returns.
  readonly bodyAfterPublish = 'copied';
  private closedByUs = false;

  constructor(private readonly ch: Channel) {}

  async declareQueue(name: string, type: QueueType): Promise<void> {
    await this.ch.assertQueue(name, { durable: true, arguments: queueArguments(type) });
  }

  async countMessages(name: string): Promise<number> {
    return (await this.ch.checkQueue(name)).messageCount;
  }

  async purgeQueue(name: string): Promise<void> {
    await this.ch.purgeQueue(name);
  }

  async deleteQueue(name: string): Promise<void> {
    await this.ch.deleteQueue(name);
  }

  async txSelect(): Promise<void> {
    await (this.ch as unknown as RpcChannel).rpc(TX_METHODS.select, {}, TX_METHODS.selectOk);
  }

  async txCommit(): Promise<void> {
    await (this.ch as unknown as RpcChannel).rpc(TX_METHODS.commit, {}, TX_METHODS.commitOk);
  }

  publish(queue: string, body: Buffer, persistent: boolean): boolean {
    return this.ch.sendToQueue(queue, body, { persistent });
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.ch.once('drain', resolve));
  }

  async sync(queue: string): Promise<void> {
    await this.ch.checkQueue(queue);
  }

  async consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string> {
    if (options.prefetch > 0) await this.ch.prefetch(options.prefetch);
    const args = options.streamOffset ? { 'x-stream-offset': options.streamOffset } : undefined;
    const ok = await this.ch.consume(
      queue,
      (msg: ConsumeMessage | null) => {
        if (msg) listener(msg.content, msg.fields.redelivered, msg);
      },
      { noAck: options.noAck, arguments: args },
    );
    return ok.consumerTag;
  }

  ack(handle: DeliveryHandle, multiple: boolean): void {
    this.ch.ack(handle as ConsumeMessage, multiple);
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.ch.cancel(consumerTag);
  }

  onClose(listener: (err: Error) => void): void {
    let reason: Error | null = null;
    this.ch.on('error', (err: Error) => (reason = err));
    this.ch.on('close', () => {
      if (!this.closedByUs) listener(reason ?? new Error('channel closed'));
    });
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    await this.ch.close();
  }
}

class AmqplibConnection implements AmqpConnection {
  private closedByUs = false;
  /** The socket is gone: close() has nothing left to do (amqplib's would wait for a close-ok forever). */
  private gone = false;
  readonly server: ServerInfo;

  constructor(
    private readonly model: ChannelModel,
    private readonly timeoutMs: number,
  ) {
    // Without an 'error' listener an EventEmitter error would crash the worker.
    model.on('error', () => undefined);
    model.on('close', () => (this.gone = true));
    const p = model.connection.serverProperties as Record<string, unknown>;
    this.server = {
      product: String(p.product ?? 'unknown'),
      version: String(p.version ?? 'unknown'),
      platform: p.platform ? String(p.platform) : null,
      clusterName: p.cluster_name ? String(p.cluster_name) : null,
    };
  }

  async openChannel(options: ChannelOptions = {}): Promise<AmqpChannel> {
    const confirms = options.confirms;
    if (!confirms) {
      const ch = await this.model.createChannel();
      ch.on('error', () => undefined);
      return new AmqplibChannel(ch);
    }
    const ch = await this.model.createConfirmChannel();
    ch.on('error', () => undefined);
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => confirms(f.deliveryTag, f.multiple, true));
    ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) => confirms(f.deliveryTag, f.multiple, false));
    return new AmqplibChannel(ch);
  }

  onClose(listener: (err: Error) => void): void {
    let reason: Error | null = null;
    this.model.on('error', (err: Error) => (reason = err));
    this.model.on('close', (err?: Error) => {
      if (!this.closedByUs) listener(err ?? reason ?? new Error('connection closed'));
    });
  }

  onBlocked(listener: (reason: string | null) => void): void {
    this.model.on('blocked', (reason: string) => listener(reason));
    this.model.on('unblocked', () => listener(null));
  }

  async close(): Promise<void> {
    if (this.closedByUs || this.gone) return;
    this.closedByUs = true;
    // A socket that died without a close event yet (a broker killed mid-run) never answers
    // connection.close: bound the wait by the connect timeout, then drop the socket.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.timeoutMs)));
    const late = await Promise.race([this.model.close().then(() => false, () => false), timedOut]).finally(() => clearTimeout(timer));
    // amqplib keeps the socket as connection.stream (connection.js), absent from its type definitions.
    if (late) (this.model.connection as unknown as { stream: { destroy(): void } }).stream.destroy();
  }
}

export const amqplibAdapter: ClientAdapter = {
  name: 'amqplib',
  version,
  async connect(url, options) {
    const model = await amqplib.connect(url, {
      timeout: options.timeoutMs,
      // Without TCP_NODELAY a tx.commit or a lone confirm waits on Nagle + delayed ACK (~40 ms a round trip).
      noDelay: true,
      clientProperties: { connection_name: options.connectionName },
    });
    return new AmqplibConnection(model, options.timeoutMs);
  },
};
