// The stream protocol adapter on rabbitmq-stream-js-client (the `stream` client), for `queue: stream`
// only. How ackbench's modes map onto the stream protocol (README, "The client axis"):
// - connection: one library Client (its locator connection, plus the connections it opens to the
//   stream's leader for publishers and to a member for consumers), at the broker's stream port: the
//   AMQP URL's port - 120 unless ACKBENCH_STREAM_PORT says otherwise (stream-port.ts). The library
//   connects publishers and consumers to the host and port the node advertises (its
//   stream.advertised_host / _port): private nodes advertise 127.0.0.1 (broker/local-node.ts);
// - a channel publishes to one stream, through one publisher declared at its first publish;
// - confirms: the broker confirms every message by its publishing id, which the library counts up
//   per publisher from a base: 0 for an unnamed publisher, the broker's last stored id for a named
//   one (below). The adapter hands the ConfirmListener the id less that base, so the tags are 1, 2,
//   3... per channel, as AMQP 0-9-1's delivery tags; a publish error is a nack.
//   Confirms reach the Client's listeners (listeners.publish_confirm: publisher.on('publish_confirm')
//   would hear every publisher of the connection), which route them by publisher id and connection;
// - batching: send() queues the message, and the library writes its queue as one publish frame when
//   it holds 100 messages (maxChunkLength) or on the next setImmediate. The adapter also writes it
//   before it would outgrow the frame max (the library would overflow its frame buffer: 100 messages
//   of 11 KB are more than the 1 MiB default), and sync() writes it at once;
// - `none`: sent without waiting for confirms, which the broker sends anyway (the stream protocol has
//   no unconfirmed publishing); a channel more than UNANSWERED_LIMIT messages ahead of them waits in
//   drained(), as a full socket buffer holds an AMQP 0-9-1 client back (the library never does);
// - `tx:N`: refused (registry.ts), the stream protocol has no transactions;
// - durability: a stream writes every message to its log, whatever the header says; `persistent` is
//   not sent (the library's message options have no AMQP 1.0 header), transient cells run the same;
// - deduplication (the cell's `deduplication` axis): `off`, the publisher has no name (publisherRef)
//   and the broker checks no publishing ids. `on`, the producer passes its publisher name
//   (ChannelOptions.publisherName, run/connection-name.ts) and the publisher is declared under it:
//   the broker then drops a message whose publishing id is not above the last one it stored for that
//   name on the stream, and confirms it all the same (test/integration/stream-dedup.test.ts pins
//   both). What `on` costs: a round trip per channel opened (the library asks the broker for the
//   name's last id, queryPublisherSequence, before the publisher's first message) and the broker's
//   check of every message's id. A channel opened again under the name (a reconnect under `after:
//   continue`) numbers on from the broker's id, so its messages are not taken for duplicates.
//   ackbench never publishes a message twice, so `on` drops nothing: the axis measures the check;
// - consumers: from the offset ConsumeOptions.streamOffset says (default first), with credits. A
//   credit is one chunk (a batch the broker wrote together, up to 100 messages from this client's
//   publishers), not one message: the prefetch P becomes ceil(P / 100) credits (at least 1; 0,
//   unlimited, becomes MAX_CREDITS), and a credit goes back once a chunk has been handed to the
//   listener, so about P messages are in flight;
// - ack() does nothing: the stream protocol has no per-message ack (a consumer keeps its place by
//   offset, and ackbench stores none); noAck consumers run the same, there being nothing to skip
//   (the runner refuses auto cells on streams anyway, run/not-run.ts); nothing is ever redelivered;
// - queue management (declare, count, delete) over an AMQP 0-9-1 side connection the adapter owns
//   (side-connection.ts), so the stream is the one the 0-9-1 clients declare; it opens first, so a
//   refused login fails with the 0-9-1 client's error (the library throws it in an event handler);
//   the count is the broker's answer to a passive declare, 0 for a stream on RabbitMQ 3.10, so it
//   only says the stream exists (publish-only stream cells, which would need it, are refused, as is
//   a purge: streams cannot be purged);
// - no connection.blocked: a broker under an alarm stops reading the socket, which shows as confirms
//   that stop coming.

import type { Socket } from 'node:net';
import streamClient from 'rabbitmq-stream-js-client';
import type { Client, Consumer, Publisher } from 'rabbitmq-stream-js-client';
import connectionModule from 'rabbitmq-stream-js-client/dist/connection.js';
import creditPolicies from 'rabbitmq-stream-js-client/dist/consumer_credit_policy.js';
import type { AmqpChannel, AmqpConnection, ChannelOptions, ClientAdapter, ConfirmListener, ConsumeOptions, DeliveryListener, ServerInfo } from './adapter.js';
import { Lifeline } from './lifeline.js';
import { packageVersion } from './package-version.js';
import { SideConnection } from './side-connection.js';
import { streamEndpoint } from './stream-port.js';
import type { QueueType } from '../scenario/types.js';

const version = packageVersion('rabbitmq-stream-js-client');

/**
 * The library opens every connection with ExchangeCommandVersions (key 27), which RabbitMQ learnt in
 * 3.11: 3.10 answers "unknown frame" and closes the connection, so no connection of the library opens
 * there. On a broker before 3.11 the exchange is skipped, as if the broker had declared no command
 * versions, which leaves the library on version 1 of every command, what 3.10 speaks (it already
 * keeps publish and deliver at version 1 below 3.13). Patched on the library's Connection class, once.
 */
function skipCommandVersionsBefore311(): void {
  const proto = connectionModule.Connection.prototype as unknown as { exchangeCommandVersions(): Promise<boolean>; readonly rabbitManagementVersion: string | undefined };
  const original = proto.exchangeCommandVersions;
  proto.exchangeCommandVersions = function (this: typeof proto) {
    const [major, minor] = (this.rabbitManagementVersion ?? '').split('.').map(Number);
    return major < 3 || (major === 3 && minor < 11) ? Promise.resolve(true) : original.call(this);
  };
}
skipCommandVersionsBefore311();

interface LibraryMessage {
  content: Buffer;
}
interface DeliverData {
  messages: LibraryMessage[];
  consumerId: string;
}
const ignore = () => undefined;

/**
 * Deliveries in order. The library hands each Deliver frame over in an async function that awaits
 * between messages, so two frames that arrive together reach the consumer interleaved (0..32, 96, 33,
 * 97, 34, ... in test/integration/body-ownership.test.ts). Its handleDelivery (a private instance
 * field, called once per frame) is wrapped: the frame's messages go to their consumer's handle at once,
 * one after the other, and the library gets the frame without messages, for its credit policy.
 */
function deliverInOrder(client: Client): void {
  const c = client as unknown as { handleDelivery?: (d: DeliverData) => Promise<void>; consumers?: Map<string, { consumer: { handle(m: LibraryMessage): Promise<void> } }> };
  const original = c.handleDelivery;
  if (typeof original !== 'function' || !(c.consumers instanceof Map)) throw new Error(`rabbitmq-stream-js-client ${version} has no handleDelivery to keep deliveries in order through (src/clients/stream.ts)`);
  c.handleDelivery = (d) => {
    const consumer = c.consumers?.get(d.consumerId)?.consumer;
    if (consumer) for (const m of d.messages) consumer.handle(m).catch(ignore);
    return original({ ...d, messages: [] });
  };
}

/** Messages a publisher frame holds at most (the library's default maxChunkLength): a chunk's size, for credits. */
export const CHUNK_MESSAGES = 100;
/** Credits of an unlimited prefetch: the most the protocol's credit field holds (uint16). */
export const MAX_CREDITS = 65535;
/** `none` channels: how far publishing may run ahead of the broker's confirms before drained() waits. */
export const UNANSWERED_LIMIT = 10_000;
/** What a message adds to a publish frame beyond its body (publishing id, AMQP 1.0 sections), rounded up. */
const MESSAGE_OVERHEAD = 64;
/** A publish frame's own header (size, key, version, publisher id, count), rounded up. */
const FRAME_HEADER = 64;
/** The stream protocol's default frame max (RabbitMQ's stream.frame_max). */
const DEFAULT_FRAME_MAX = 1024 * 1024;

/** A consumer's credits for `prefetch` messages (see the header: credits count chunks). */
export function creditsFor(prefetch: number): number {
  return prefetch > 0 ? Math.min(MAX_CREDITS, Math.max(1, Math.ceil(prefetch / CHUNK_MESSAGES))) : MAX_CREDITS;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The parts of a library connection the adapter reaches into (private fields of its Connection). */
interface LibraryConnection {
  socket?: Socket;
  heartbeat?: { stop(): void };
}

/**
 * The library connection behind a publisher's or consumer's private `connection`, or the Client's
 * locator connection, with TCP_NODELAY set on its socket, as adapter.ts asks of every adapter: the
 * library creates its sockets without it and offers no option.
 */
function connectionOf(holder: unknown): LibraryConnection | null {
  const h = holder as { connection?: LibraryConnection; locatorConnection?: LibraryConnection };
  const c = h.connection ?? h.locatorConnection ?? null;
  c?.socket?.setNoDelay(true);
  return c;
}

/**
 * A named publisher's publishing id before its first message: the broker's last stored id for its
 * name, which the library queried at declarePublisher (client.js) and keeps in a private field; the
 * next message gets this + 1. Read once, before the publisher sends anything.
 */
function startingId(p: Publisher): bigint {
  const id = (p as unknown as { publishingId?: unknown }).publishingId;
  if (typeof id !== 'bigint') throw new Error(`rabbitmq-stream-js-client ${version} keeps no publishingId on its publisher to count confirm tags from (src/clients/stream.ts)`);
  return id;
}

class StreamChannel implements AmqpChannel {
  // send() keeps the Buffer in the publisher's queue and encodes it only when the queue is written
  // (at 100 messages, before it outgrows a frame, or on the next setImmediate), always before the
  // broker can confirm it.
  readonly bodyAfterPublish = 'until-answered';
  /** The library's queue is written before it holds a frame's worth of bytes, so it never holds more. */
  readonly heldBodyBytes: number;
  /** Messages and bytes (with MESSAGE_OVERHEAD) in the library's queue since it was last written. */
  private queuedMessages = 0;
  private queuedBytes = 0;
  private writeScheduled = false;
  private stream: string | null = null;
  private publisher: Publisher | null = null;
  /** Bodies published while the publisher is being declared (publish() returned false for them). */
  private pending: Buffer[] = [];
  /** Messages handed to publish(), and those the broker confirmed or refused. */
  private sent = 0;
  private answered = 0;
  private waiters: Waiter[] = [];
  private readonly consumers = new Map<string, Consumer>();
  private readonly life = new Lifeline();

  /** The library's publishing id before this channel's first message: confirm tags are ids less this. */
  private base = 0n;

  constructor(
    private readonly owner: StreamAdapterConnection,
    private readonly confirms: ConfirmListener | null,
    private readonly publisherName: string | null,
  ) {
    this.heldBodyBytes = owner.frameBudget;
    // Every waiter rejected, before the onClose listeners hear of it.
    this.life.onLost((err) => {
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
    owner.onLost((err) => this.fail(err));
  }

  private get failed(): Error | null {
    return this.life.failure;
  }

  fail(err: Error): void {
    this.life.end(err);
  }

  /** The broker's answer to publishing id `id` of this channel's publisher (its confirm tag). */
  answer(id: bigint, ack: boolean): void {
    this.answered++;
    this.confirms?.(Number(id - this.base), false, ack);
    if (this.waiters.length > 0) this.wake();
  }

  /** Resolves the waiters whose condition now holds (in place: this runs on every confirm while one waits). */
  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i];
      if (w.ready()) {
        this.waiters.splice(i, 1);
        w.resolve();
      } else i++;
    }
  }

  private waitUntil(ready: () => boolean): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ ready, resolve, reject }));
  }

  private unanswered(): number {
    return this.sent - this.answered;
  }

  /** Whether publishing may go on: a declared publisher and, without confirms, not too far ahead of the broker. */
  private writable(): boolean {
    return this.publisher !== null && (this.confirms !== null || this.unanswered() < UNANSWERED_LIMIT);
  }

  private async declarePublisher(stream: string): Promise<void> {
    try {
      const p = await this.owner.client.declarePublisher({
        stream,
        ...(this.publisherName !== null ? { publisherRef: this.publisherName } : {}),
        connectionClosedListener: () => this.owner.lost(new Error(`stream connection to the leader of ${stream} closed`)),
      });
      if (this.life.closedByUs) {
        // Closed while it was being declared: nothing is published on it.
        await this.owner.client.deletePublisher(p.extendedId).catch(() => undefined);
        return;
      }
      this.owner.own(p);
      if (this.publisherName !== null) this.base = startingId(p);
      this.owner.route(p, this);
      this.publisher = p;
      for (const body of this.pending.splice(0)) this.send(p, body);
      this.wake();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Hands `body` to the library, writing its queue first where the body would take it past a frame.
   * The library's flush() takes the queue and encodes it synchronously (its send() encodes the frame
   * in the executor of the promise it returns), so the counts are exact when they are reset.
   */
  private send(p: Publisher, body: Buffer): void {
    const cost = body.length + MESSAGE_OVERHEAD;
    if (this.queuedMessages > 0 && this.queuedBytes + cost > this.owner.frameBudget) this.write(p);
    this.queuedMessages++;
    this.queuedBytes += cost;
    p.send(body).catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
    // At CHUNK_MESSAGES the library has normally just written its queue itself; writing it again is a
    // no-op then, and makes the counts exact again if a write of the library's went uncounted.
    if (this.queuedMessages >= CHUNK_MESSAGES) this.write(p);
    else if (!this.writeScheduled) {
      // After the library's own setImmediate write (scheduled in p.send above), a write of what is left: none, normally.
      this.writeScheduled = true;
      setImmediate(() => {
        this.writeScheduled = false;
        if (!this.failed) this.write(p);
      });
    }
  }

  private write(p: Publisher): void {
    this.queuedMessages = this.queuedBytes = 0;
    p.flush().catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  declareQueue(name: string, type: QueueType): Promise<void> {
    if (type !== 'stream') return Promise.reject(new Error(`the stream client works on stream queues only, not ${type}`));
    return this.owner.side.declareQueue(name, type);
  }

  countMessages(name: string): Promise<number> {
    return this.owner.side.countMessages(name);
  }

  purgeQueue(): Promise<void> {
    return Promise.reject(new Error('stream queues cannot be purged'));
  }

  deleteQueue(name: string): Promise<void> {
    return this.owner.side.deleteQueue(name);
  }

  txSelect(): Promise<void> {
    return Promise.reject(new Error('the stream protocol has no transactions'));
  }

  txCommit(): Promise<void> {
    return this.txSelect();
  }

  publish(queue: string, body: Buffer): boolean {
    if (this.failed) throw this.failed;
    if (this.stream === null) {
      this.stream = queue;
      void this.declarePublisher(queue);
    } else if (queue !== this.stream) {
      throw new Error(`a stream channel publishes to one stream (${this.stream}), not also to ${queue}`);
    }
    this.sent++;
    if (this.publisher) this.send(this.publisher, body);
    else this.pending.push(body);
    return this.writable();
  }

  drained(): Promise<void> {
    // Down to half the limit, so that a producer waiting here does not wake for every single confirm.
    // A failed channel wakes its producer, which then sees the failure (as the other adapters do).
    const ready = () => this.publisher !== null && (this.confirms !== null || this.unanswered() <= UNANSWERED_LIMIT / 2);
    return this.waitUntil(ready).catch(() => undefined);
  }

  /**
   * What this waits for: the broker's confirm (or publish error) of every message this channel sent,
   * after writing out what the library still queues. The broker confirms a message once its stream
   * holds it (on a replicated stream, once a majority of its members wrote it), so a consumer can read
   * all of them afterwards. A channel that sent nothing makes a metadata query of `queue` on the
   * locator connection instead, a plain round trip.
   */
  async sync(queue: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.sent === 0) {
      await this.owner.bounded(this.owner.client.queryMetadata({ streams: [queue] }), 'a stream metadata query');
      return;
    }
    await this.waitUntil(() => this.publisher !== null);
    this.write(this.publisher!);
    await this.waitUntil(() => this.unanswered() === 0);
  }

  async consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string> {
    if (this.failed) throw this.failed;
    const offset = options.streamOffset === 'next' ? streamClient.Offset.next() : streamClient.Offset.first();
    const consumer = await this.owner.client.declareConsumer(
      {
        stream: queue,
        offset,
        creditPolicy: creditPolicies.creditsOnChunkCompleted(creditsFor(options.prefetch), 1),
        connectionClosedListener: () => this.owner.lost(new Error(`stream connection of the consumer of ${queue} closed`)),
      },
      (message) => listener(message.content, false, null),
    );
    this.owner.own(consumer);
    this.consumers.set(consumer.extendedId, consumer);
    return consumer.extendedId;
  }

  ack(): void {
    // The stream protocol has no per-message ack (see the header).
  }

  async cancel(consumerTag: string): Promise<void> {
    if (!this.consumers.delete(consumerTag) || this.failed) return;
    await this.owner.bounded(this.owner.client.closeConsumer(consumerTag), 'closing a stream consumer');
  }

  onClose(listener: (err: Error) => void): void {
    this.life.onClose(listener);
  }

  async close(): Promise<void> {
    if (!this.life.markClosed()) return;
    const p = this.publisher;
    if (p) this.owner.unroute(p);
    if (this.failed) return;
    for (const tag of [...this.consumers.keys()]) await this.cancel(tag).catch(() => undefined);
    if (p) await this.owner.bounded(this.owner.client.deletePublisher(p.extendedId), 'deleting a stream publisher').catch(() => undefined);
  }
}

/** What the library's Client-level confirm listeners are given, as far as routing needs it. */
interface Confirm {
  publisherId: number;
  publishingIds: bigint[];
}
interface PublishError {
  publisherId: number;
  publishingError: { publishingId: bigint };
}

class StreamAdapterConnection implements AmqpConnection {
  readonly server: ServerInfo;
  /** Bytes of messages a publish frame holds: the frame max the broker and the library agreed, less its header. */
  readonly frameBudget: number;
  private readonly life = new Lifeline();
  private readonly connections = new Set<LibraryConnection>();

  constructor(
    readonly client: Client,
    readonly side: SideConnection,
    private readonly routes: Map<string, StreamChannel>,
    private readonly timeoutMs: number,
  ) {
    // The stream protocol's peer properties are RabbitMQ's server properties (product, version,
    // platform, cluster_name); the library keeps them on its private locator connection and exposes
    // only the version.
    const peer = (client as unknown as { locatorConnection?: { peerProperties?: Record<string, string> } }).locatorConnection?.peerProperties ?? {};
    this.server = {
      product: peer.product ?? 'RabbitMQ',
      version: peer.version ?? client.rabbitManagementVersion ?? 'unknown',
      platform: peer.platform ?? null,
      clusterName: peer.cluster_name ?? null,
    };
    // At most the 1 MiB default even where the broker allows more (or no limit, 0): it is also the
    // bound on what a channel holds (heldBodyBytes), so the producer's ring of bodies stays small.
    const frameMax = client.maxFrameSize > 0 ? Math.min(client.maxFrameSize, DEFAULT_FRAME_MAX) : DEFAULT_FRAME_MAX;
    this.frameBudget = frameMax - FRAME_HEADER;
    side.onClose((err) => this.lost(new Error(`AMQP 0-9-1 side connection lost: ${err.message}`)));
  }

  /**
   * `holder`'s library connection, kept for close() to end for good: the library's close only ends
   * its sockets (the broker, 3.10 here, leaves them open after its close-ok), and a connection it
   * never closed (released while not ready, after a failure) keeps its heartbeat timer going; either
   * would keep the process alive.
   */
  own(holder: unknown): void {
    const c = connectionOf(holder);
    if (c) this.connections.add(c);
  }

  route(p: Publisher, channel: StreamChannel): void {
    this.routes.set(p.extendedId, channel);
  }

  unroute(p: Publisher): void {
    this.routes.delete(p.extendedId);
  }

  /** One of the library's connections (or the side connection) is gone: channels first, then the connection's listeners. */
  lost(err: Error): void {
    this.life.end(err);
  }

  private get failure(): Error | null {
    return this.life.failure;
  }

  onLost(listener: (err: Error) => void): void {
    this.life.onLost(listener);
  }

  /** `op`, or a rejection after the connect timeout (a library request to a broker that stopped answering never settles). */
  bounded<T>(op: Promise<T>, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      op.then(
        (v) => (clearTimeout(timer), resolve(v)),
        (err: unknown) => (clearTimeout(timer), reject(err instanceof Error ? err : new Error(String(err)))),
      );
    });
  }

  async openChannel(options: ChannelOptions = {}): Promise<AmqpChannel> {
    if (this.failure) throw this.failure;
    return new StreamChannel(this, options.confirms ?? null, options.publisherName ?? null);
  }

  onBlocked(): void {
    // The stream protocol has no connection.blocked (see the header).
  }

  onClose(listener: (err: Error) => void): void {
    this.life.onClose(listener);
  }

  async close(): Promise<void> {
    if (!this.life.markClosed()) return;
    if (!this.failure) await this.bounded(this.client.close(), 'closing the stream connection').catch(() => undefined);
    for (const c of this.connections) {
      c.heartbeat?.stop();
      c.socket?.destroy();
    }
    await this.side.close().catch(() => undefined);
  }
}

/** The library's connect parameters for the broker at `url`, with Client-level listeners that route confirms. */
function clientParams(url: string, connectionName: string, routes: Map<string, StreamChannel>, onLocatorClosed: () => void): Parameters<typeof streamClient.connect>[0] {
  const u = new URL(url);
  const endpoint = streamEndpoint(url);
  const answer = (publisherId: number, connectionId: string, id: bigint, ack: boolean) => routes.get(`${publisherId}@${connectionId}`)?.answer(id, ack);
  return {
    hostname: endpoint.host,
    port: endpoint.port,
    ssl: endpoint.tls,
    username: decodeURIComponent(u.username || 'guest'),
    password: decodeURIComponent(u.password || 'guest'),
    vhost: decodeURIComponent(u.pathname.replace(/^\//, '')) || '/',
    connectionName,
    listeners: {
      publish_confirm: (c: Confirm, connectionId: string) => {
        for (const id of c.publishingIds) answer(c.publisherId, connectionId, id, true);
      },
      publish_error: (e: PublishError, connectionId: string) => answer(e.publisherId, connectionId, e.publishingError.publishingId, false),
      connection_closed: onLocatorClosed,
    },
  };
}

export const streamAdapter: ClientAdapter = {
  name: 'stream',
  version,
  async connect(url, options) {
    const side = await SideConnection.open(url, options.connectionName, options.timeoutMs);
    try {
      const routes = new Map<string, StreamChannel>();
      let conn: StreamAdapterConnection | null = null;
      const params = clientParams(url, options.connectionName, routes, () => conn?.lost(new Error('stream locator connection closed')));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`stream connection to ${params.hostname}:${params.port} timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      });
      const client = await Promise.race([streamClient.connect(params), timeout])
        .catch((err: unknown) => {
          const e = err as NodeJS.ErrnoException;
          const where = `the stream port ${params.hostname}:${params.port} (the AMQP port - 120, or ACKBENCH_STREAM_PORT)`;
          // Not as ECONNREFUSED: the AMQP port answered (the side connection is open), so "is RabbitMQ running?" would mislead.
          if (e?.code === 'ECONNREFUSED') throw new Error(`${where} refused the connection: is the rabbitmq_stream plugin enabled and listening there?`);
          throw new Error(`${where}: ${e instanceof Error ? e.message : String(err)}`);
        })
        .finally(() => clearTimeout(timer));
      deliverInOrder(client);
      conn = new StreamAdapterConnection(client, side, routes, options.timeoutMs);
      conn.own(client);
      return conn;
    } catch (err) {
      await side.close().catch(() => undefined);
      throw err;
    }
  },
};
