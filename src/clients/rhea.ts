// AMQP 1.0 adapter on rhea (the `rhea` client). Why rhea and not RabbitMQ's own JavaScript AMQP 1.0
// client (rabbitmq-amqp-js-client, itself built on rhea): that client is written for RabbitMQ 4's
// native AMQP 1.0, declaring queues through 4.x's HTTP-over-AMQP management node and addressing them
// with the v2 addresses (/queues/<name>); RabbitMQ 3.x's rabbitmq_amqp1_0 plugin, the broker here,
// has neither. rhea speaks plain AMQP 1.0 to both, and the adapter picks the addresses per version.
//
// How ackbench's modes map onto AMQP 1.0 (README, "The client axis"):
// - a channel is a session; its sender link to a queue is attached at the first publish to it;
// - `none`: pre-settled transfers (snd-settle-mode settled): at most once, nothing comes back;
// - `single` / `batch:N` / `async:W`: unsettled transfers; the broker's disposition of each is the
//   confirm: accepted = ack, rejected / released / modified = nack (rhea reports modified as
//   released). Tags count from 1 per channel, in send order, as confirm tags do in 0-9-1;
// - `tx:N`: refused (registry.ts): RabbitMQ's AMQP 1.0 has no transactions;
// - durability: the message header's `durable` field (3.x maps it to delivery mode 2);
// - the body: one data section holding ackbench's body, so a consumer over AMQP 1.0 gets the same
//   bytes back (an AMQP 0-9-1 consumer too: the plugin hands a single data section over as the raw
//   payload);
// - consumers: a receiver link with link credit = the prefetch (0, unlimited, and anything above rhea's ring, become MAX_CREDIT).
//   manual: unsettled deliveries, accepted by ack() (every earlier one too with `multiple`), credit
//   given back as they are accepted, so the prefetch bounds what is unaccepted, as basic.qos does.
//   auto: the broker sends them settled (snd-settle-mode settled), and rhea tops the credit up as
//   they arrive (its credit window);
// - addresses: RabbitMQ 3.x's v1 forms (/amq/queue/<name>: the queue must exist; to consume and to
//   send), 4.x's v2 form /queues/<name>, chosen from the version the broker names in its open frame;
// - queue management (declare, count, purge, delete) goes over an AMQP 0-9-1 side connection the
//   adapter owns (side-connection.ts): AMQP 1.0 on 3.x cannot declare a queue of a type;
// - AMQP 1.0 has no connection.blocked: a broker under an alarm withholds link credit instead, so
//   onBlocked never reports anything and a blocked producer waits in drained().

import rhea from 'rhea';
import type { AmqpChannel, AmqpConnection, ChannelOptions, ClientAdapter, ConfirmListener, ConsumeOptions, DeliveryHandle, DeliveryListener, ServerInfo } from './adapter.js';
import { packageVersion } from './package-version.js';
import { Lifeline } from './lifeline.js';
import { SideConnection } from './side-connection.js';
import type { QueueType } from '../scenario/types.js';

const version = packageVersion('rhea');

/**
 * The most link credit a consumer gets: rhea keeps a session's incoming deliveries in a ring of 2048
 * (lib/session.js, DEFAULT_BUFFER_SIZE) until they are settled, so more credit than that would only
 * stall the session. Also the credit of prefetch 0 (AMQP 1.0 has no unlimited credit).
 */
export const MAX_CREDIT = 2048;

// The few rhea shapes used here (its typings declare most of them as any).
interface Delivery {
  accept(): void;
  update(settled: boolean): void;
  /** Set by the adapter on each unsettled send: its confirm tag. */
  ackbenchTag?: number;
}
interface Endpoint {
  on(event: string, listener: (context: RheaContext) => void): void;
  once(event: string, listener: (context: RheaContext) => void): void;
  close(): void;
  is_open(): boolean;
  is_closed(): boolean;
  error?: unknown;
}
interface Sender extends Endpoint {
  send(message: object): Delivery;
  removeListener(event: string, listener: (context: RheaContext) => void): void;
  sendable(): boolean;
}
interface Receiver extends Endpoint {
  add_credit(credit: number): void;
}
interface Session extends Endpoint {
  begin(): void;
  attach_sender(options: object): Sender;
  attach_receiver(options: object): Receiver;
}
interface RheaConnection extends Endpoint {
  create_session(): Session;
  remote: { open?: { properties?: Record<string, unknown> } };
  socket?: { destroy(): void };
}
interface RheaContext {
  delivery?: Delivery;
  message?: { body?: unknown; delivery_count?: number };
  error?: unknown;
}

function asError(err: unknown, fallback: string): Error {
  if (err instanceof Error) return err;
  const e = err as { description?: unknown; condition?: unknown } | null | undefined;
  if (e && (e.description || e.condition)) return new Error(`${String(e.condition ?? 'amqp error')}: ${String(e.description ?? '')}`.trim());
  return new Error(err === undefined || err === null ? fallback : String(err));
}

/** The address of `queue` in the broker's address format (v2 from RabbitMQ 4, else v1). */
export function queueAddress(queue: string, serverVersion: string): string {
  return majorVersion(serverVersion) >= 4 ? `/queues/${encodeURIComponent(queue)}` : `/amq/queue/${queue}`;
}

/** Where sync() sends its probe: an exchange that exists on every broker, a key nothing binds. */
function syncAddress(serverVersion: string): string {
  return majorVersion(serverVersion) >= 4 ? '/exchanges/amq.direct/ackbench.sync' : '/exchange/amq.direct/ackbench.sync';
}

function majorVersion(v: string): number {
  const m = /^(\d+)\./.exec(v);
  return m ? Number(m[1]) : 0;
}

/** Resolves on the first of `ok` / any of `fail` on `ep`, or rejects after timeoutMs. */
function waitFor(ep: Endpoint, ok: string, fail: string[], timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    ep.once(ok, () => {
      clearTimeout(timer);
      resolve();
    });
    for (const f of fail) {
      ep.once(f, (ctx) => {
        clearTimeout(timer);
        reject(asError(ctx.error ?? ep.error, `${what} failed`));
      });
    }
  });
}

/** Unaccepted deliveries of a manual consumer, oldest first: at most its credit, so bounded. */
class DeliveryQueue {
  private items: Delivery[] = [];
  private head = 0;

  push(d: Delivery): void {
    this.items.push(d);
  }

  /** Accept deliveries from the oldest up to and including `last` (or only `last`); returns how many. */
  acceptThrough(last: Delivery, multiple: boolean): number {
    let n = 0;
    if (!multiple) {
      const at = this.items.indexOf(last, this.head);
      if (at < 0) return 0;
      last.accept();
      // The oldest is the usual case; another one leaves a settled hole, skipped below.
      this.items[at] = ACCEPTED;
      n = 1;
    } else {
      while (this.head < this.items.length) {
        const d = this.items[this.head++];
        if (d !== ACCEPTED) {
          d.accept();
          n++;
        }
        if (d === last) break;
      }
    }
    while (this.head < this.items.length && this.items[this.head] === ACCEPTED) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return n;
  }
}
const ACCEPTED: Delivery = { accept: () => undefined, update: () => undefined };

class RheaChannel implements AmqpChannel {
  // Sender.send encodes the whole message into a buffer of its own before it returns (rhea
  // lib/link.js, Sender.prototype.send: message.encode), so the caller may reuse the body at once.
  readonly bodyAfterPublish = 'copied';
  private readonly senders = new Map<string, Sender>();
  private probe: Sender | null = null;
  /** Confirm tag of the last unsettled send (counts from 1). */
  private tag = 0;
  private readonly life = new Lifeline();
  private drainWaiters: (() => void)[] = [];
  /** sync() calls waiting for their probe: rejected if the channel fails first. */
  private syncWaiters: ((err: Error) => void)[] = [];
  private readonly receivers = new Map<string, Receiver>();
  private nextConsumer = 0;

  constructor(
    private readonly owner: RheaAdapterConnection,
    private readonly session: Session,
    private readonly confirms: ConfirmListener | null,
  ) {
    session.on('session_error', (ctx) => this.fail(asError(ctx.error ?? session.error, 'session ended')));
    session.on('session_close', () => this.fail(new Error('session closed by the broker')));
    // Every waiter woken, before the onClose listeners hear of it.
    this.life.onLost((err) => {
      this.wakeDrain();
      for (const w of this.syncWaiters.splice(0)) w(err);
    });
    owner.onLost((err) => this.fail(err));
  }

  private get failed(): Error | null {
    return this.life.failure;
  }

  /** The channel is gone: every waiter woken, every listener told once. */
  fail(err: Error): void {
    this.life.end(err);
  }

  private wakeDrain(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private sender(queue: string): Sender {
    let s = this.senders.get(queue);
    if (s) return s;
    // Unsettled when the channel has confirms, else pre-settled (snd-settle-mode 1: settled).
    s = this.session.attach_sender({ target: { address: queueAddress(queue, this.owner.server.version) }, snd_settle_mode: this.confirms ? 0 : 1 });
    const sender = s;
    sender.on('sender_error', (ctx) => this.fail(asError(ctx.error ?? sender.error, `sender link to ${queue} failed`)));
    sender.on('sender_close', () => this.fail(new Error(`sender link to ${queue} closed by the broker`)));
    sender.on('sendable', () => this.wakeDrain());
    const confirms = this.confirms;
    if (confirms) {
      sender.on('accepted', (ctx) => confirms(ctx.delivery!.ackbenchTag!, false, true));
      sender.on('rejected', (ctx) => confirms(ctx.delivery!.ackbenchTag!, false, false));
      sender.on('released', (ctx) => confirms(ctx.delivery!.ackbenchTag!, false, false));
    }
    this.senders.set(queue, sender);
    return sender;
  }

  declareQueue(name: string, type: QueueType): Promise<void> {
    return this.owner.side.declareQueue(name, type);
  }

  countMessages(name: string): Promise<number> {
    return this.owner.side.countMessages(name);
  }

  purgeQueue(name: string): Promise<void> {
    return this.owner.side.purgeQueue(name);
  }

  deleteQueue(name: string): Promise<void> {
    return this.owner.side.deleteQueue(name);
  }

  txSelect(): Promise<void> {
    return Promise.reject(new Error('AMQP 1.0 on RabbitMQ has no transactions'));
  }

  txCommit(): Promise<void> {
    return this.txSelect();
  }

  publish(queue: string, body: Buffer, persistent: boolean): boolean {
    if (this.failed) throw this.failed;
    const s = this.sender(queue);
    const d = s.send({ durable: persistent, body: rhea.message.data_section(body) });
    if (this.confirms) d.ackbenchTag = ++this.tag;
    // rhea queues a transfer it has no credit or session window for: false until the broker gives more.
    return s.sendable();
  }

  drained(): Promise<void> {
    if (this.failed) return Promise.resolve();
    for (const s of this.senders.values()) if (!s.sendable()) return new Promise((resolve) => this.drainWaiters.push(resolve));
    return Promise.resolve();
  }

  /**
   * What this waits for: one unsettled probe message, sent on a second link of this session behind
   * everything published, to amq.direct with a key nothing binds (so it reaches no queue), is settled
   * by the broker; then a passive queue.declare of `queue` over the side connection answers (the queue
   * still exists). RabbitMQ 3.x's plugin runs each session on one internal channel, which handles the
   * session's transfers in order, so the probe's outcome says that channel has routed every earlier
   * message to the queue. It does not say the queue has taken them all: a count right after it found
   * 1972 of 3001 messages here (test/integration/body-ownership.test.ts waits for the deliveries).
   */
  async sync(queue: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.probe) {
      const p = this.session.attach_sender({ target: { address: syncAddress(this.owner.server.version) }, snd_settle_mode: 0 });
      p.on('sender_error', (ctx) => this.fail(asError(ctx.error ?? p.error, 'the sync probe link failed')));
      this.probe = p;
    }
    const probe = this.probe;
    await new Promise<void>((resolve, reject) => {
      const d = probe.send({ body: rhea.message.data_section(Buffer.alloc(0)) });
      const failed = (err: Error) => reject(err);
      this.syncWaiters.push(failed);
      const settled = (ctx: RheaContext) => {
        if (ctx.delivery !== d) return;
        probe.removeListener('settled', settled);
        this.syncWaiters = this.syncWaiters.filter((w) => w !== failed);
        resolve();
      };
      probe.on('settled', settled);
    });
    await this.owner.side.countMessages(queue);
  }

  async consume(queue: string, options: ConsumeOptions, listener: DeliveryListener): Promise<string> {
    const credit = options.prefetch > 0 ? Math.min(options.prefetch, MAX_CREDIT) : MAX_CREDIT;
    const manual = !options.noAck;
    const r = this.session.attach_receiver({
      source: {
        address: queueAddress(queue, this.owner.server.version),
        // Where a stream consumer starts: RabbitMQ's source filter for AMQP 1.0 (x-stream-offset in 0-9-1).
        ...(options.streamOffset ? { filter: { 'rabbitmq:stream-offset-spec': options.streamOffset } } : {}),
      },
      autoaccept: false,
      // manual: credit given back by ack(); auto: rhea's own window tops it up as deliveries arrive.
      credit_window: manual ? 0 : credit,
      snd_settle_mode: manual ? 0 : 1,
    });
    const pending = new DeliveryQueue();
    r.on('receiver_error', (ctx) => this.fail(asError(ctx.error ?? r.error, `receiver link from ${queue} failed`)));
    r.on('message', (ctx) => {
      const body = ctx.message?.body as { content?: unknown } | Buffer | undefined;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.isBuffer(body?.content) ? body.content : Buffer.alloc(0);
      const d = ctx.delivery!;
      // A delivery the broker sent settled is settled here too, or it would hold its slot in rhea's ring.
      if (manual) pending.push(d);
      else d.update(true);
      listener(bytes, (ctx.message?.delivery_count ?? 0) > 0, { d, pending, r });
    });
    await waitFor(r, 'receiver_open', ['receiver_error', 'receiver_close'], this.owner.timeoutMs, `attaching a receiver to ${queue}`);
    if (manual) r.add_credit(credit);
    const tag = `rhea-${++this.nextConsumer}`;
    this.receivers.set(tag, r);
    return tag;
  }

  ack(handle: DeliveryHandle, multiple: boolean): void {
    const { d, pending, r } = handle as { d: Delivery; pending: DeliveryQueue; r: Receiver };
    // A delivery of a link already closed goes back to the queue anyway.
    if (!r.is_open()) return;
    const n = pending.acceptThrough(d, multiple);
    if (n > 0) r.add_credit(n);
  }

  async cancel(consumerTag: string): Promise<void> {
    const r = this.receivers.get(consumerTag);
    if (!r) return;
    this.receivers.delete(consumerTag);
    const closed = waitFor(r, 'receiver_close', ['receiver_error'], this.owner.timeoutMs, 'detaching a receiver');
    r.close();
    await closed;
  }

  onClose(listener: (err: Error) => void): void {
    this.life.onClose(listener);
  }

  async close(): Promise<void> {
    this.life.closedByUs = true;
    if (this.failed || this.session.is_closed()) return;
    const closed = waitFor(this.session, 'session_close', ['session_error'], this.owner.timeoutMs, 'ending a session');
    this.session.close();
    await closed.catch(() => undefined);
  }
}

class RheaAdapterConnection implements AmqpConnection {
  readonly server: ServerInfo;
  private readonly life = new Lifeline();

  constructor(
    private readonly conn: RheaConnection,
    readonly side: SideConnection,
    readonly timeoutMs: number,
  ) {
    const p = conn.remote.open?.properties ?? {};
    this.server = {
      product: String(p.product ?? 'unknown'),
      version: String(p.version ?? 'unknown'),
      platform: p.platform ? String(p.platform) : null,
      clusterName: p.cluster_name ? String(p.cluster_name) : null,
    };
    conn.on('disconnected', (ctx) => this.lost(asError(ctx.error, 'connection lost')));
    conn.on('connection_error', (ctx) => this.lost(asError(ctx.error ?? conn.error, 'connection closed by the broker')));
    conn.on('connection_close', () => this.lost(new Error('connection closed by the broker')));
    // Unhandled rhea 'error' events would throw in the worker.
    conn.on('error', (ctx) => this.lost(asError(ctx, 'connection error')));
    side.onClose((err) => this.lost(new Error(`AMQP 0-9-1 side connection lost: ${err.message}`)));
  }

  private get failure(): Error | null {
    return this.life.failure;
  }

  /** The connection (or its side connection) is gone: channels first, then the connection's listeners. */
  private lost(err: Error): void {
    this.life.end(err);
  }

  onLost(listener: (err: Error) => void): void {
    this.life.onLost(listener);
  }

  async openChannel(options: ChannelOptions = {}): Promise<AmqpChannel> {
    if (this.failure) throw this.failure;
    const session = this.conn.create_session();
    const opened = waitFor(session, 'session_open', ['session_error', 'session_close'], this.timeoutMs, 'beginning a session');
    session.begin();
    await opened;
    return new RheaChannel(this, session, options.confirms ?? null);
  }

  onClose(listener: (err: Error) => void): void {
    this.life.onClose(listener);
  }

  onBlocked(): void {
    // AMQP 1.0 has no connection.blocked (see the header).
  }

  async close(): Promise<void> {
    if (!this.life.markClosed()) return;
    if (!this.failure) {
      const closed = waitFor(this.conn, 'connection_close', ['connection_error', 'disconnected'], this.timeoutMs, 'closing the connection');
      this.conn.close();
      // A broker that no longer answers: drop the socket.
      await closed.catch(() => this.conn.socket?.destroy());
    }
    await this.side.close().catch(() => undefined);
  }
}

/** rhea's connect options for an amqp(s):// URL: host, port, credentials and vhost (AMQP 1.0 `hostname` vhost:NAME). */
function connectOptions(url: string, connectionName: string): Record<string, unknown> {
  const u = new URL(url);
  const tls = u.protocol === 'amqps:';
  const vhost = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/';
  return {
    host: u.hostname,
    port: Number(u.port || (tls ? 5671 : 5672)),
    username: decodeURIComponent(u.username || 'guest'),
    password: decodeURIComponent(u.password || 'guest'),
    transport: tls ? 'tls' : 'tcp',
    ...(vhost === '/' ? {} : { hostname: `vhost:${vhost}` }),
    reconnect: false,
    // TCP_NODELAY, as adapter.ts asks of every adapter (rhea's connect leaves it off by default).
    tcp_no_delay: true,
    properties: { connection_name: connectionName },
  };
}

export const rheaAdapter: ClientAdapter = {
  name: 'rhea',
  version,
  async connect(url, options) {
    // The side connection first: a refused login or a broker that is not there fails with the
    // AMQP 0-9-1 client's error, which the harness already names (broker/connect-error.ts).
    const side = await SideConnection.open(url, options.connectionName, options.timeoutMs);
    try {
      const container = rhea.create_container({ id: `ackbench-${process.pid}` });
      const conn = container.connect(connectOptions(url, options.connectionName) as never) as unknown as RheaConnection;
      await waitFor(conn, 'connection_open', ['connection_error', 'disconnected'], options.timeoutMs, 'AMQP 1.0 connection').catch((err: Error) => {
        conn.socket?.destroy();
        throw new Error(`${err.message} (is the rabbitmq_amqp1_0 plugin enabled? rabbitmq-plugins enable rabbitmq_amqp1_0)`);
      });
      return new RheaAdapterConnection(conn, side, options.timeoutMs);
    } catch (err) {
      await side.close().catch(() => undefined);
      throw err;
    }
  },
};
