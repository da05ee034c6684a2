// rabbitmq-client adapter, built on the library's low-level Channel (connection.acquire()), not its
// Publisher / Consumer, so every publish mode is made of the same primitives as for amqplib.
//
// What rabbitmq-client does on its own, and what this adapter does about it (line numbers are
// rabbitmq-client 5.0.8, lib/*.js):
// - A Connection reconnects forever and has no option to stop that (Connection.js 291-309: on an
//   unexpected socket close it schedules _connect again and emits 'error' only for the first
//   failure of a series). The adapter destroys the Connection on its first 'error', before or
//   after the handshake, so a connect attempt fails fast with the underlying error and a lost
//   connection is reported once through onClose instead of being silently re-established.
// - Publisher confirms are not events but the basicPublish promise (Channel.js 440-448): it
//   resolves on basic.ack and rejects with an AMQPError coded 'NACK' on basic.nack (Channel.js
//   258-277); a closed channel or connection rejects it with another error (Channel.js 201-224).
//   The library numbers publishes itself (deliveryCount, from 1, in write order) but does not show
//   the number, so the adapter keeps its own counter, which matches because writes complete in
//   publish order.
// - basicPublish hides the socket's write state. Without confirms its promise resolves once the
//   frames are handed to the socket (util.js 108-156, EncoderStream, which honours the socket's
//   backpressure),
//   so the adapter counts the bytes not yet handed over and returns false above a high-water mark.
//   With confirms the promise only resolves on the broker's answer, so the mode's window (the
//   confirm tracker's capacity) is the only bound, and publish() always returns true.
// - The server properties of connection.start are read and dropped (Connection.js 356). The adapter
//   reads that frame first, in a subclass's _negotiate (an internal method), and hands the bytes
//   back to the socket; test/integration/rabbitmq-client-adapter.test.ts pins this.

import { createRequire } from 'node:module';
import { Connection } from 'rabbitmq-client';
import type { AsyncMessage, Channel, ConnectionOptions } from 'rabbitmq-client';
import type {
  AmqpChannel,
  AmqpConnection,
  ChannelOptions,
  ClientAdapter,
  ConfirmListener,
  ConsumeOptions,
  DeliveryHandle,
  DeliveryListener,
  ServerInfo,
} from './adapter.js';
import { packageVersion } from './package-version.js';
import { queueArguments } from './queue-arguments.js';
import type { QueueType } from '../scenario/types.js';

const version = packageVersion('rabbitmq-client');

/**
 * Without confirms, publish() returns false once this many body bytes are not yet handed to the
 * socket, and drained() resolves when the backlog is back under half of it.
 */
export const WRITE_HIGH_WATER_BYTES = 256 * 1024;
const WRITE_RESUME_BYTES = WRITE_HIGH_WATER_BYTES / 2;

type Reader = (bytes: number) => Promise<Buffer>;
interface Negotiating {
  _socket: NodeJS.ReadableStream & { unshift(chunk: Buffer): void };
  _negotiate(read: Reader): Promise<void>;
}
interface Codec {
  decodeFrame(read: Reader): Promise<{ methodId: number; params?: { serverProperties?: Record<string, unknown> } }>;
  Cmd: { ConnectionStart: number };
}
const codec = createRequire(import.meta.url)('rabbitmq-client/lib/codec.js') as Codec;

const FRAME_METHOD = 1;
/** Generous: RabbitMQ's connection.start is about 600 bytes, the spec caps it at 4096. */
const MAX_START_FRAME = 65536;

/** connection.start's server properties, per Connection (its fields are not set yet when it negotiates). */
const startProperties = new WeakMap<object, Record<string, unknown>>();

/**
 * Reads connection.start before the library does, keeps its server properties, and puts the bytes
 * back on the socket. The library's own reader then sees the same stream. Connection's constructor
 * already runs _negotiate, which is why this is an override and the result goes to a WeakMap.
 */
class PeekingConnection extends Connection {
  async _negotiate(read: Reader): Promise<void> {
    const self = this as unknown as Negotiating;
    const head = await read(8); // 7-byte frame header + first payload byte; or "AMQP" + version
    let bytes = head;
    if (head.toString('latin1', 0, 4) !== 'AMQP') {
      // Before connection.tune, frames are at most frame-min-size, 4096 bytes. Without this
      // check a non-AMQP server (an HTTP proxy answering "HTTP/1.1 400") makes the library ask the
      // socket for a >1 GiB read, which throws outside any promise and ends the process.
      const size = head.readUInt32BE(3);
      if (head[0] !== FRAME_METHOD || size > MAX_START_FRAME) {
        const err = new Error(`not an AMQP 0-9-1 server: it answered ${JSON.stringify(head.toString('latin1'))}`);
        throw Object.assign(err, { code: 'FRAME_ERROR' });
      }
      const rest = await read(size); // the payload's other bytes and the frame-end octet
      bytes = Buffer.concat([head, rest]);
      try {
        let at = 0;
        const frame = await codec.decodeFrame(async (n) => bytes.subarray(at, (at += n)));
        const props = frame.params?.serverProperties;
        if (frame.methodId === codec.Cmd.ConnectionStart && props) startProperties.set(this, props);
      } catch {
        // not a connection.start we can read: the library will say what is wrong with it
      }
    }
    self._socket.unshift(bytes);
    return (Connection.prototype as unknown as Negotiating)._negotiate.call(this, read);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The error a closed channel or connection rejects pending work with: says nothing about why. */
function isGenericClose(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'CH_CLOSE' || code === 'CLOSING' || code === 'ERR_STREAM_DESTROYED';
}

class RabbitmqClientChannel implements AmqpChannel {
  // basicPublish encodes the body frames lazily, when the socket takes them (codec.js
  // genContentFrames, util.js EncoderStream): under backpressure it reads the body after returning.
  readonly bodyAfterPublish = 'until-answered';
  /** Without confirms, publish() returns false once this many body bytes are unwritten (the backlog below). */
  readonly heldBodyBytes?: number;
  private closedByUs = false;
  private closed = false;
  private reason: Error | null = null;
  private readonly closeListeners: ((err: Error) => void)[] = [];
  /** Confirm mode: the delivery tag of the last publish (the broker counts from 1). */
  private tag = 0;
  /** No confirms: body bytes given to basicPublish whose frames are not yet on the socket. */
  private backlog = 0;
  private drainWaiters: (() => void)[] = [];
  private readonly onWrite = (size: number) => {
    this.backlog -= size;
    if (this.backlog <= WRITE_RESUME_BYTES) this.wakeDrain();
  };

  constructor(
    private readonly ch: Channel,
    private readonly owner: RabbitmqClientConnection,
    private readonly confirms: ConfirmListener | null,
  ) {
    if (!confirms) this.heldBodyBytes = WRITE_HIGH_WATER_BYTES;
    // Acquired with emitErrorsFromChannel, so a channel-level failure lands here, not on the
    // Connection (where it would look like a lost connection); an unhandled 'error' would throw.
    ch.on('error', (err: unknown) => this.note(err));
    ch.once('close', () => {
      this.closed = true;
      this.wakeDrain();
      owner.forget(this);
      // 'close' is emitted before the rejections that carry the reason reach their handlers
      // (Channel.js 155-178): report once those have run.
      setImmediate(() => {
        if (this.closedByUs) return;
        const err = this.closeReason();
        for (const listener of this.closeListeners.splice(0)) listener(err);
      });
    });
  }

  /** Keep the first error that says why the channel closed. */
  private note(err: unknown): void {
    if (!this.reason && !isGenericClose(err)) this.reason = asError(err);
  }

  private closeReason(): Error {
    return this.reason ?? this.owner.failure ?? new Error('channel closed');
  }

  /** An RPC whose rejection may be the reason the channel is closing. */
  private rpc<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      this.note(err);
      throw err;
    });
  }

  async declareQueue(name: string, type: QueueType): Promise<void> {
    await this.rpc(this.ch.queueDeclare({ queue: name, durable: true, arguments: queueArguments(type) }));
  }

  async countMessages(name: string): Promise<number> {
    return (await this.rpc(this.ch.queueDeclare({ queue: name, passive: true }))).messageCount;
  }

  async purgeQueue(name: string): Promise<void> {
    await this.rpc(this.ch.queuePurge({ queue: name }));
  }

  async deleteQueue(name: string): Promise<void> {
    await this.rpc(this.ch.queueDelete({ queue: name }));
  }

  async txSelect(): Promise<void> {
    await this.rpc(this.ch.txSelect());
  }

  async txCommit(): Promise<void> {
    await this.rpc(this.ch.txCommit());
  }

  publish(queue: string, body: Buffer, persistent: boolean): boolean {
    // durable sets delivery mode 2, else 1 (Channel.js 427). timestamp: undefined drops the header
    // field the library adds by default (Channel.js 426; codec.js 805-809 skips null fields), so
    // both clients put the same properties on the wire.
    const sent = this.ch.basicPublish({ exchange: '', routingKey: queue, durable: persistent, timestamp: undefined }, body);
    const confirms = this.confirms;
    if (confirms) {
      const tag = ++this.tag;
      sent.then(
        () => confirms(tag, false, true),
        (err: unknown) => {
          if ((err as { code?: unknown } | null)?.code === 'NACK') confirms(tag, false, false);
          else this.note(err); // channel or connection gone: the producer counts it unknown via onClose
        },
      );
      return true;
    }
    const size = body.length;
    this.backlog += size;
    sent.then(
      () => this.onWrite(size),
      (err: unknown) => {
        this.note(err);
        this.onWrite(size);
      },
    );
    return this.backlog < WRITE_HIGH_WATER_BYTES;
  }

  drained(): Promise<void> {
    if (this.closed || this.backlog <= WRITE_RESUME_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrain(): void {
    if (this.drainWaiters.length === 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  async sync(queue: string): Promise<void> {
    // RPCs are sent in order behind every publish on this channel (Channel.js 364-385).
    await this.rpc(this.ch.queueDeclare({ queue, passive: true }));
  }

  async consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string> {
    if (options.prefetch > 0) await this.rpc(this.ch.basicQos({ prefetchCount: options.prefetch, global: false }));
    const args = options.streamOffset ? { 'x-stream-offset': options.streamOffset } : undefined;
    const ok = await this.rpc(
      this.ch.basicConsume({ queue, noAck: options.noAck, arguments: args }, (msg: AsyncMessage) => {
        // Bodies stay Buffers unless the publisher set content-type text/plain or application/json
        // (Channel.js 310-321); ackbench's producers never do.
        const body: unknown = msg.body;
        listener(Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), msg.redelivered, msg.deliveryTag);
      }),
    );
    return ok.consumerTag;
  }

  ack(handle: DeliveryHandle, multiple: boolean): void {
    // Deliveries are handed over through setImmediate (Channel.js 340), so one can arrive after
    // the channel closed; acking it would throw (Channel.js 401). The broker requeues it anyway.
    if (!this.ch.active) return;
    this.ch.basicAck({ deliveryTag: handle as number, multiple });
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.rpc(this.ch.basicCancel(consumerTag));
  }

  onClose(listener: (err: Error) => void): void {
    if (this.closed && !this.closedByUs) {
      setImmediate(() => listener(this.closeReason()));
      return;
    }
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    await this.ch.close();
  }
}

class RabbitmqClientConnection implements AmqpConnection {
  private closedByUs = false;
  /** Why the connection went away, once it has, other than through close(). */
  failure: Error | null = null;
  private readonly closeListeners: ((err: Error) => void)[] = [];
  private readonly channels = new Set<RabbitmqClientChannel>();
  /** Settles on the first 'connection' (resolve) or the first 'error' before it (reject). */
  readonly opened: Promise<void>;
  private open = false;

  constructor(
    private readonly conn: Connection,
    private readonly timeoutMs: number,
  ) {
    let settle!: (err: Error | null) => void;
    this.opened = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    // A safety net only: the library's connectionTimeout should fail the attempt first.
    const timer = setTimeout(() => {
      conn.unsafeDestroy();
      settle(new Error(`connection timed out after ${timeoutMs} ms`));
    }, timeoutMs + 1000);
    conn.once('connection', () => {
      clearTimeout(timer);
      this.open = true;
      settle(null);
    });
    conn.on('error', (err: unknown) => {
      // Every 'error' a Connection emits means its socket closed (channel errors go to the
      // channels): stop the retry the library has just scheduled (Connection.js 303-304).
      conn.unsafeDestroy();
      if (!this.open) {
        clearTimeout(timer);
        const e = asError(err);
        // A connection.close during the handshake names no method: the library prefixes "undefined: "
        // (Connection.js 343).
        e.message = e.message.replace(/^undefined: /, '');
        settle(e);
        return;
      }
      if (this.failure || this.closedByUs) return;
      this.failure = asError(err);
      for (const listener of this.closeListeners.splice(0)) listener(this.failure);
    });
  }

  get server(): ServerInfo {
    const p = startProperties.get(this.conn) ?? {};
    return {
      product: String(p.product ?? 'unknown'),
      version: String(p.version ?? 'unknown'),
      platform: p.platform ? String(p.platform) : null,
      clusterName: p.cluster_name ? String(p.cluster_name) : null,
    };
  }

  forget(ch: RabbitmqClientChannel): void {
    this.channels.delete(ch);
  }

  async openChannel(options: ChannelOptions = {}): Promise<AmqpChannel> {
    if (this.failure) throw this.failure;
    const ch = await this.conn.acquire({ emitErrorsFromChannel: true });
    const wrapped = new RabbitmqClientChannel(ch, this, options.confirms ?? null);
    this.channels.add(wrapped);
    if (options.confirms) await ch.confirmSelect();
    return wrapped;
  }

  onClose(listener: (err: Error) => void): void {
    if (this.failure) {
      const failure = this.failure;
      setImmediate(() => listener(failure));
      return;
    }
    this.closeListeners.push(listener);
  }

  onBlocked(listener: (reason: string | null) => void): void {
    this.conn.on('connection.blocked', (reason: string) => listener(reason));
    this.conn.on('connection.unblocked', () => listener(null));
  }

  async close(): Promise<void> {
    if (this.closedByUs) return;
    this.closedByUs = true;
    // Already destroyed: Connection.close() would wait for a socket 'close' that has happened.
    if (this.failure) return;
    // Connection.close() waits for every channel to be closed first (Connection.js 145-147), and a
    // worker that failed may have left some open. Bound the whole thing by the connect timeout.
    const graceful = (async () => {
      await Promise.all([...this.channels].map((ch) => ch.close().catch(() => undefined)));
      await this.conn.close();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.timeoutMs)));
    // A close that fails is as closed as we can make it; one that ends late must not reject unhandled.
    const late = await Promise.race([graceful.then(() => false, () => false), timedOut]).finally(() => clearTimeout(timer));
    if (late) this.conn.unsafeDestroy();
  }
}

function connectionOptions(url: string, connectionName: string, timeoutMs: number): ConnectionOptions {
  const options: ConnectionOptions = {
    url,
    connectionName,
    connectionTimeout: timeoutMs,
    acquireTimeout: timeoutMs,
    // TCP_NODELAY (Connection.js 280; off by default), as adapter.ts asks of every adapter.
    noDelay: true,
  };
  // rabbitmq-client reads heartbeat, connection_timeout and channel_max from the URL but not the
  // frame size; honour amqplib's spelling so one URL means the same to both clients.
  try {
    const frameMax = new URL(url).searchParams.get('frameMax');
    if (frameMax && /^\d+$/.test(frameMax)) options.frameMax = Number(frameMax);
  } catch {
    // an invalid URL: the Connection constructor reports it
  }
  return options;
}

export const rabbitmqClientAdapter: ClientAdapter = {
  name: 'rabbitmq-client',
  version,
  async connect(url, options) {
    const conn = new PeekingConnection(connectionOptions(url, options.connectionName, options.timeoutMs));
    const connection = new RabbitmqClientConnection(conn, options.timeoutMs);
    await connection.opened;
    return connection;
  },
};
