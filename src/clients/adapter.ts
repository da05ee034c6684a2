// The one interface every AMQP client is wrapped in. It exposes protocol primitives (confirm.select,
// tx.select / tx.commit, raw acks with delivery tags), not publish modes: the modes are built once,
// in run/publish-modes.ts, on top of these, so a client and a mode are each added in one place.

import type { QueueType } from '../scenario/types.js';

export interface ServerInfo {
  product: string;
  version: string;
  /** e.g. "Erlang/OTP 25.2.3", from the connection's server properties. */
  platform: string | null;
  clusterName: string | null;
}

/** basic.ack / basic.nack from the broker for publish sequence number `tag`. */
export type ConfirmListener = (tag: number, multiple: boolean, ack: boolean) => void;

/** Opaque handle of one delivery, passed back to `ack`. */
export type DeliveryHandle = unknown;

export type DeliveryListener = (body: Buffer, redelivered: boolean, handle: DeliveryHandle) => void;

export interface ConsumeOptions {
  noAck: boolean;
  /** basic.qos prefetch count; 0 = unlimited. */
  prefetch: number;
  /** Stream queues only: where to start reading (RabbitMQ's x-stream-offset). */
  streamOffset?: 'first' | 'next';
}

/**
 * What a client does with a body after publish() returns. 'copied': it has copied the body into its
 * own frames, so the caller may overwrite it at once. 'until-answered': it may still read the body
 * (when it writes the frames to the socket, later), but never once the broker has answered that
 * publish or a later one on the channel (a confirm or tx.commit-ok), as frames go out in order.
 * test/integration/body-ownership.test.ts pins each client's, so an upgrade that changes it fails.
 */
export type BodyAfterPublish = 'copied' | 'until-answered';

export interface AmqpChannel {
  /** Whether, and when, the caller may overwrite a body it published (see BodyAfterPublish). */
  readonly bodyAfterPublish: BodyAfterPublish;
  /**
   * 'until-answered' clients, on a channel without confirms: the client holds at most this many bytes
   * of earlier bodies when publish() is called after one that returned true, or after drained().
   * Absent: no such bound.
   */
  readonly heldBodyBytes?: number;
  /** Durable queue of the given type; fails if it exists with other arguments. */
  declareQueue(name: string, type: QueueType): Promise<void>;
  /** Messages ready for delivery in the queue. */
  countMessages(name: string): Promise<number>;
  purgeQueue(name: string): Promise<void>;
  deleteQueue(name: string): Promise<void>;

  txSelect(): Promise<void>;
  txCommit(): Promise<void>;

  /**
   * Publish to `queue` through the default exchange. Returns false when the client's write buffer
   * is full: wait for `drained()` before publishing more.
   */
  publish(queue: string, body: Buffer, persistent: boolean): boolean;
  drained(): Promise<void>;
  /** A round trip on this channel: resolves once the broker has processed everything sent before. */
  sync(queue: string): Promise<void>;

  consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string>;
  /** basic.ack of `handle`'s delivery (and, with `multiple`, every earlier one on this channel). */
  ack(handle: DeliveryHandle, multiple: boolean): void;
  cancel(consumerTag: string): Promise<void>;

  /** Called once if the channel closes other than through close(); err says why. */
  onClose(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

export interface ChannelOptions {
  /**
   * Open the channel in confirm mode (confirm.select); `confirms` then gets every basic.ack and
   * basic.nack. Delivery tags count from 1 with the channel's first publish.
   */
  confirms?: ConfirmListener;
  /**
   * The stream client only (other adapters ignore it; registry.ts refuses their deduplication
   * cells): the name (publisherRef) of the channel's publisher, so the broker deduplicates its
   * messages by publishing id. Another channel with the same name, on a new connection, carries the
   * ids on from the broker's last stored one; `confirms` still gets tags from 1 per channel.
   */
  publisherName?: string;
}

export interface AmqpConnection {
  readonly server: ServerInfo;
  openChannel(options?: ChannelOptions): Promise<AmqpChannel>;
  /** Called once if the connection closes other than through close(). */
  onClose(listener: (err: Error) => void): void;
  /** connection.blocked (reason) and connection.unblocked (null). */
  onBlocked(listener: (reason: string | null) => void): void;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Shown in the broker's management UI, to tell harness connections apart. */
  connectionName: string;
  timeoutMs: number;
}

/**
 * Every adapter sets TCP_NODELAY: otherwise a small frame after a publish (tx.commit, a lone
 * message waiting for its confirm) waits for Nagle and delayed ACK, and the figure measures TCP.
 */
export interface ClientAdapter {
  readonly name: string;
  /** The installed client package version, for run.json. */
  readonly version: string;
  connect(url: string, options: ConnectOptions): Promise<AmqpConnection>;
}
