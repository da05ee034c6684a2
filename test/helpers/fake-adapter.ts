// An in-memory broker behind the ClientAdapter interface (src/clients/adapter.ts), so producers,
// consumers and publish modes run in unit tests with no RabbitMQ. It keeps queues of bodies and
// answers as a broker does, one turn of the event loop later (never inside the publish call), and
// lets a test script what a real broker only does under faults or load:
//   - publisher confirms: which unanswered publishes to ack or nack, singly, with multiple, in any
//     order, or not at all (ConfirmScript; FakeChannel.answer for answers given by hand);
//   - tx.select / tx.commit: a transaction's publishes reach the queue at its commit-ok;
//   - a channel or a connection closing at the Nth publish (FakeBrokerOptions.onPublish, kill());
//   - connection.blocked / unblocked: publishes are held and publish() returns false until unblock;
//   - deliveries to consumers with their redelivered flag, basic.qos prefetch, and the consumer's
//     acks (single and multiple), recorded; an unknown or repeated delivery tag closes the channel
//     with PRECONDITION_FAILED, as RabbitMQ does.
// What a dead channel held unacked goes back to its queue, flagged redelivered; unanswered publishes
// stay unanswered. Stream offsets are accepted and ignored: every queue here is a classic one.

import type { AmqpChannel, AmqpConnection, ChannelOptions, ClientAdapter, ConfirmListener } from '../../src/clients/adapter.js';
import type { ConsumeOptions, DeliveryHandle, DeliveryListener, ServerInfo } from '../../src/clients/adapter.js';
import { readHeader } from '../../src/measure/header.js';
import type { QueueType } from '../../src/scenario/types.js';

/** One publish as the broker saw it. `tag` is its delivery tag on a confirm channel, else 0. */
export interface FakePublish {
  readonly tag: number;
  readonly queue: string;
  /** A copy: the fake's client copies bodies at publish ('copied'), as amqplib does. */
  readonly body: Buffer;
  readonly persistent: boolean;
}

/** basic.ack (ack true) or basic.nack of `tag`, and with `multiple` of every lower unanswered tag. */
export interface Answer {
  readonly tag: number;
  readonly multiple: boolean;
  readonly ack: boolean;
}

/**
 * The broker's answers to a confirm channel's unanswered publishes (oldest first), asked one turn of
 * the event loop after publishes arrived. Publishes it does not answer stay unanswered until a later
 * call or FakeChannel.answer.
 */
export type ConfirmScript = (pending: readonly FakePublish[], channel: FakeChannel) => Answer[];

/** Every publish acked on its own, in order. */
export const ackEach: ConfirmScript = (pending) => pending.map((p) => ({ tag: p.tag, multiple: false, ack: true }));
/** One basic.ack with multiple for everything unanswered, as RabbitMQ coalesces its confirms. */
export const ackMultiple: ConfirmScript = (pending) => (pending.length > 0 ? [{ tag: pending[pending.length - 1].tag, multiple: true, ack: true }] : []);
/** Every publish acked on its own, newest first: confirms out of order. */
export const ackReversed: ConfirmScript = (pending) => pending.map((p) => ({ tag: p.tag, multiple: false, ack: true })).reverse();
/** Nothing answered: the test answers by hand, or a close makes it all unknown. */
export const holdAll: ConfirmScript = () => [];

/** Acks each publish, but nacks the measured messages whose sequence number `nack` picks. */
export function nackMeasured(nack: (seq: number) => boolean): ConfirmScript {
  return (pending) =>
    pending.map((p) => {
      const h = readHeader(p.body);
      return { tag: p.tag, multiple: false, ack: !(h && !h.warmup && nack(h.seq)) };
    });
}

export interface FakeBrokerOptions {
  /** Default ackEach. May be replaced between steps of a test (FakeBroker.confirms). */
  confirms?: ConfirmScript;
  /** Called at each publish, after the fake recorded it: where a test closes a channel or connection at message N. */
  onPublish?: (publish: FakePublish, channel: FakeChannel) => void;
  /** Called after each delivery's listener returned, with its delivery tag: where a test kills a consumer's connection at delivery N. */
  onDeliver?: (tag: number, channel: FakeChannel) => void;
}

const SERVER: ServerInfo = { product: 'FakeBroker', version: '0', platform: null, clusterName: null };

/** Runs `fn` one turn of the event loop later: what the socket would take. */
const later = (fn: () => void) => void setImmediate(fn);

interface Ready {
  body: Buffer;
  redelivered: boolean;
}

/** A delivery to a consumer: its handle for ack(). */
interface FakeDelivery {
  readonly channel: FakeChannel;
  readonly tag: number;
}

interface FakeConsumer {
  readonly queue: FakeQueue;
  readonly channel: FakeChannel;
  readonly tag: string;
  readonly options: ConsumeOptions;
  readonly listener: DeliveryListener;
}

export class FakeQueue {
  readonly ready: Ready[] = [];
  readonly consumers: FakeConsumer[] = [];
  private dispatching = false;
  private turn = 0;

  constructor(
    readonly name: string,
    readonly type: QueueType,
  ) {}

  enqueue(body: Buffer, redelivered = false, front = false): void {
    if (front) this.ready.unshift({ body, redelivered });
    else this.ready.push({ body, redelivered });
    this.schedule();
  }

  /** Deliveries go out on a later turn, round robin over consumers with room under their prefetch. */
  schedule(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    later(() => {
      this.dispatching = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.ready.length > 0) {
      const consumer = this.nextWithRoom();
      if (!consumer) return;
      const message = this.ready.shift()!;
      consumer.channel.deliver(consumer, message);
    }
  }

  private nextWithRoom(): FakeConsumer | null {
    for (let k = 0; k < this.consumers.length; k++) {
      const consumer = this.consumers[(this.turn + k) % this.consumers.length];
      if (consumer.channel.hasRoom(consumer.options)) {
        this.turn = (this.turn + k + 1) % this.consumers.length;
        return consumer;
      }
    }
    return null;
  }

  removeConsumersOf(channel: FakeChannel, tag?: string): void {
    for (let k = this.consumers.length - 1; k >= 0; k--) {
      const c = this.consumers[k];
      if (c.channel === channel && (tag === undefined || c.tag === tag)) this.consumers.splice(k, 1);
    }
  }
}

export class FakeBroker {
  readonly queues = new Map<string, FakeQueue>();
  /** Every connection opened, in order. */
  readonly connections: FakeConnection[] = [];
  confirms: ConfirmScript;
  onPublish?: (publish: FakePublish, channel: FakeChannel) => void;
  onDeliver?: (tag: number, channel: FakeChannel) => void;
  /** While true, connect() is refused (the broker is down). */
  down = false;
  readonly adapter: ClientAdapter = {
    name: 'fake',
    version: '0',
    connect: () => this.connect(),
  };

  constructor(options: FakeBrokerOptions = {}) {
    this.confirms = options.confirms ?? ackEach;
    this.onPublish = options.onPublish;
    this.onDeliver = options.onDeliver;
  }

  async connect(): Promise<FakeConnection> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5672 (fake broker down)');
    const connection = new FakeConnection(this);
    this.connections.push(connection);
    return connection;
  }

  declare(name: string, type: QueueType = 'classic'): FakeQueue {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = new FakeQueue(name, type)));
    return queue;
  }

  queue(name: string): FakeQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`NOT_FOUND - no queue '${name}'`);
    return queue;
  }
}

export class FakeConnection implements AmqpConnection {
  readonly server = SERVER;
  readonly channels: FakeChannel[] = [];
  closed = false;
  blocked = false;
  /** Publishes sent while blocked: the broker reads them once it unblocks. */
  private readonly held: { channel: FakeChannel; publish: FakePublish }[] = [];
  private readonly unblockWaiters: (() => void)[] = [];
  private readonly closeListeners: ((err: Error) => void)[] = [];
  private readonly blockedListeners: ((reason: string | null) => void)[] = [];

  constructor(readonly broker: FakeBroker) {}

  async openChannel(options: ChannelOptions = {}): Promise<FakeChannel> {
    if (this.closed) throw new Error('connection closed');
    const channel = new FakeChannel(this, options.confirms ?? null, options.publisherName ?? null);
    this.channels.push(channel);
    return channel;
  }

  onClose(listener: (err: Error) => void): void {
    this.closeListeners.push(listener);
  }

  onBlocked(listener: (reason: string | null) => void): void {
    this.blockedListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels) channel.end(null);
  }

  /** The connection dies (a broker killed, close_all_connections): its channels close first, then it. */
  kill(err = new Error('CONNECTION_FORCED - broker forced connection closure')): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    for (const channel of this.channels) channel.end(err);
    later(() => this.closeListeners.forEach((l) => l(err)));
  }

  block(reason = 'low on memory'): void {
    this.blocked = true;
    this.blockedListeners.forEach((l) => l(reason));
  }

  unblock(): void {
    this.blocked = false;
    this.blockedListeners.forEach((l) => l(null));
    for (const { channel, publish } of this.held.splice(0)) channel.accept(publish);
    for (const resolve of this.unblockWaiters.splice(0)) resolve();
  }

  /** Holds a publish while blocked; false when it was not blocked. */
  hold(channel: FakeChannel, publish: FakePublish): boolean {
    if (!this.blocked) return false;
    this.held.push({ channel, publish });
    return true;
  }

  whenUnblocked(): Promise<void> {
    return this.blocked ? new Promise((resolve) => this.unblockWaiters.push(resolve)) : new Promise((resolve) => later(resolve));
  }
}

export class FakeChannel implements AmqpChannel {
  readonly bodyAfterPublish = 'copied';
  closed = false;
  /** Every publish on this channel, in order (the test's record of what the client sent). */
  readonly published: FakePublish[] = [];
  /** Confirm mode: publishes not answered yet, oldest first. */
  readonly pending: FakePublish[] = [];
  /** Every answer given, in order. */
  readonly answers: Answer[] = [];
  /** tx.select was called; then publishes reach the queue at tx.commit. */
  transactional = false;
  commits = 0;
  /** The consumer's basic.ack calls, in order. */
  readonly acks: { tag: number; multiple: boolean }[] = [];
  /** Acks of a tag not delivered here or acked already (each closed the channel). */
  badAcks = 0;
  /** The most deliveries this channel held unacked at once (prefetch bounds it). */
  maxUnacked = 0;
  /** Deliveries not acked yet, by delivery tag. */
  readonly unacked = new Map<number, { queue: FakeQueue; body: Buffer }>();
  private publishTag = 0;
  private deliveryTag = 0;
  private consumerCount = 0;
  private answering = false;
  /** tx: publishes since the last commit, which a close drops. */
  readonly uncommitted: FakePublish[] = [];
  private readonly rpcs = new Set<(err: Error) => void>();
  private readonly closeListeners: ((err: Error) => void)[] = [];

  constructor(
    readonly connection: FakeConnection,
    private readonly confirms: ConfirmListener | null,
    /** The publisher name the channel was opened with (ChannelOptions.publisherName), or null. */
    readonly publisherName: string | null = null,
  ) {}

  private get broker(): FakeBroker {
    return this.connection.broker;
  }

  async declareQueue(name: string, type: QueueType): Promise<void> {
    await this.rpc(() => void this.broker.declare(name, type));
  }

  countMessages(name: string): Promise<number> {
    return this.rpc(() => this.broker.queue(name).ready.length);
  }

  async purgeQueue(name: string): Promise<void> {
    await this.rpc(() => void (this.broker.queue(name).ready.length = 0));
  }

  async deleteQueue(name: string): Promise<void> {
    await this.rpc(() => void this.broker.queues.delete(name));
  }

  async txSelect(): Promise<void> {
    await this.rpc(() => void (this.transactional = true));
  }

  async txCommit(): Promise<void> {
    await this.rpc(() => {
      if (!this.transactional) throw new Error('PRECONDITION_FAILED - channel is not transactional');
      for (const publish of this.uncommitted.splice(0)) this.route(publish);
      this.commits++;
    });
  }

  publish(queue: string, body: Buffer, persistent: boolean): boolean {
    if (this.closed) throw new Error('channel closed');
    const publish: FakePublish = { tag: this.confirms ? ++this.publishTag : 0, queue, body: Buffer.from(body), persistent };
    this.published.push(publish);
    const held = this.connection.hold(this, publish);
    if (!held) this.accept(publish);
    this.broker.onPublish?.(publish, this);
    return !held;
  }

  /** The broker reads a publish: routed (or kept for the commit), and awaiting its confirm. */
  accept(publish: FakePublish): void {
    if (this.closed) return;
    if (this.transactional) this.uncommitted.push(publish);
    else this.route(publish);
    if (!this.confirms) return;
    this.pending.push(publish);
    if (this.answering) return;
    this.answering = true;
    later(() => {
      this.answering = false;
      if (!this.closed) this.answer(this.broker.confirms(this.pending, this));
    });
  }

  /** Through the default exchange: to the queue of that name, or dropped when there is none (unroutable, still confirmed). */
  private route(publish: FakePublish): void {
    this.broker.queues.get(publish.queue)?.enqueue(publish.body);
  }

  /** Gives the broker's answers to the client, now (a test may call it by hand with holdAll). */
  answer(answers: readonly Answer[]): void {
    for (const a of answers) {
      if (this.closed || !this.confirms) return;
      const covered = this.pending.filter((p) => (a.multiple ? p.tag <= a.tag : p.tag === a.tag));
      if (covered.length === 0) throw new Error(`fake broker: answer to tag ${a.tag}, which is not unanswered`);
      for (const p of covered) this.pending.splice(this.pending.indexOf(p), 1);
      this.answers.push(a);
      this.confirms(a.tag, a.multiple, a.ack);
    }
  }

  drained(): Promise<void> {
    return this.connection.whenUnblocked();
  }

  async sync(queue: string): Promise<void> {
    await this.rpc(() => void this.broker.queue(queue));
  }

  async consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string> {
    return this.rpc(() => {
      const q = this.broker.queue(queue);
      const tag = `fake-ctag-${++this.consumerCount}`;
      q.consumers.push({ queue: q, channel: this, tag, options, listener });
      q.schedule();
      return tag;
    });
  }

  hasRoom(options: ConsumeOptions): boolean {
    return !this.closed && (options.noAck || options.prefetch === 0 || this.unacked.size < options.prefetch);
  }

  deliver(consumer: FakeConsumer, message: Ready): void {
    const tag = ++this.deliveryTag;
    if (!consumer.options.noAck) {
      this.unacked.set(tag, { queue: consumer.queue, body: message.body });
      this.maxUnacked = Math.max(this.maxUnacked, this.unacked.size);
    }
    const handle: FakeDelivery = { channel: this, tag };
    consumer.listener(message.body, message.redelivered, handle);
    this.broker.onDeliver?.(tag, this);
  }

  ack(handle: DeliveryHandle, multiple: boolean): void {
    if (this.closed) throw new Error('channel closed');
    const { channel, tag } = handle as FakeDelivery;
    this.acks.push({ tag, multiple });
    if (channel !== this || !this.unacked.has(tag)) {
      // RabbitMQ closes the channel: an ack of a tag it never delivered there, or acked already.
      this.badAcks++;
      this.kill(new Error(`PRECONDITION_FAILED - unknown delivery tag ${tag}`));
      return;
    }
    const queues = new Set<FakeQueue>();
    for (const [t, d] of this.unacked) {
      if (t === tag || (multiple && t < tag)) {
        queues.add(d.queue);
        this.unacked.delete(t);
      }
    }
    for (const q of queues) q.schedule();
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.rpc(() => {
      for (const q of this.broker.queues.values()) q.removeConsumersOf(this, consumerTag);
    });
  }

  onClose(listener: (err: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.end(null);
  }

  /** The channel dies (a channel error, or its connection died): its close listeners hear `err`. */
  kill(err = new Error('channel closed by the broker')): void {
    this.end(err);
  }

  /**
   * The channel ends: by close() (err null, listeners not called) or by the broker. Its consumers go,
   * what it held unacked is requeued as redelivered, unanswered publishes and rpcs never get answers.
   */
  end(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.broker.queues.values()) q.removeConsumersOf(this);
    const requeued = [...this.unacked.values()].reverse();
    this.unacked.clear();
    for (const d of requeued) d.queue.enqueue(d.body, true, true);
    const reason = err ?? new Error('channel closed');
    for (const reject of this.rpcs) reject(reason);
    this.rpcs.clear();
    if (err) later(() => this.closeListeners.forEach((l) => l(err)));
  }

  /** A method with a reply, answered one turn later; fails if the channel closes first. */
  private rpc<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('channel closed'));
    return new Promise<T>((resolve, reject) => {
      this.rpcs.add(reject);
      later(() => {
        if (!this.rpcs.delete(reject)) return;
        try {
          resolve(work());
        } catch (err) {
          reject(err);
        }
      });
    });
  }
}
