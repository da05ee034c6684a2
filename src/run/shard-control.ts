// The control plane of a sharded run, carried by the broker under test itself: a fanout exchange
// `ackbench.control.<group>` (transient, auto-delete), to which every agent binds an exclusive,
// server-named queue. Every message goes to every agent (its own included), in the order it was
// published, so after the join every agent sees the same facts.
//
// Messages are one line of text:
//   hello <I> <N> <fingerprint> <nonce> <clock>     joining; repeated once for each new peer seen
//   <verb> <cell> <rep> <I> [<arg>]                  a fact about one cell repetition:
//     queue    shard 1 declared the shared queue (the others attach only after it)
//     warm     <n> warm-up messages this shard's consumers received so far
//     ready    this shard's warm-up is done (and, with consumers, the whole warm-up was drained)
//     sent     <n> measured messages this shard's producers sent; they are finished
//     consumed <n> distinct measured messages this shard's consumers received so far
//     done     this shard's consumers finished; shard 1 may count / delete the queue
//     fail     <reason> this shard gave up on the repetition: every other shard fails it too
//   bye <I>                                          leaving (end of run, or interrupted)
// Facts are idempotent (the latest value per shard wins), so a verb can be repeated.

import * as amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ShardSpec } from './shard.js';

export type FactVerb = 'queue' | 'warm' | 'ready' | 'sent' | 'consumed' | 'done' | 'fail';
const FACT_VERBS = new Set<string>(['queue', 'warm', 'ready', 'sent', 'consumed', 'done', 'fail']);

export function controlExchangeName(group: string): string {
  return `ackbench.control.${group}`;
}

interface Hello {
  count: number;
  fingerprint: string;
  nonce: string;
  clock: string;
}

/** A peer failed or left the repetition being waited for. */
export class ShardPeerError extends Error {}

export class ControlBus {
  private readonly facts = new Map<string, Map<number, string>>();
  private readonly hellos = new Map<number, Hello>();
  private readonly seenNonces = new Set<string>();
  private readonly left = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private readonly nonce = randomBytes(6).toString('hex');
  private conflict: Error | null = null;
  private lost: Error | null = null;
  private closing = false;

  private constructor(
    private readonly model: ChannelModel,
    private readonly ch: Channel,
    private readonly exchange: string,
    readonly shard: ShardSpec,
    private readonly fingerprint: string,
    readonly clock: string,
  ) {}

  static async open(url: string, shard: ShardSpec, fingerprint: string, clock: string): Promise<ControlBus> {
    const model = await amqplib.connect(url, {
      timeout: 5000,
      noDelay: true,
      clientProperties: { connection_name: `ackbench control ${shard.group} ${shard.index}/${shard.count}` },
    });
    model.on('error', () => undefined);
    try {
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      const exchange = controlExchangeName(shard.group);
      await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, exchange, '');
      const bus = new ControlBus(model, ch, exchange, shard, fingerprint, clock);
      model.on('close', () => bus.fail(new Error('the control connection to the broker closed')));
      await ch.consume(queue, (msg) => msg && bus.receive(msg.content.toString('utf8')), { noAck: true });
      return bus;
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.lost ??= err;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private send(line: string): void {
    if (this.lost || this.closing) return;
    this.ch.publish(this.exchange, '', Buffer.from(line, 'utf8'));
  }

  private hello(): void {
    const { index, count } = this.shard;
    this.send(`hello ${index} ${count} ${this.fingerprint} ${this.nonce} ${this.clock}`);
  }

  private receive(line: string): void {
    const parts = line.split(' ');
    const verb = parts[0];
    if (verb === 'hello' && parts.length >= 6) {
      const [, i, n, fingerprint, nonce, clock] = parts;
      const index = Number(i);
      const count = Number(n);
      const first = !this.seenNonces.has(nonce);
      this.seenNonces.add(nonce);
      if (count !== this.shard.count) {
        this.conflict ??= new UsageError(`shard ${this.shard.index}/${this.shard.count}: an agent of group '${this.shard.group}' runs as shard ${index}/${count}`);
      } else if (fingerprint !== this.fingerprint) {
        this.conflict ??= new UsageError(`shard ${this.shard.index}/${this.shard.count}: shard ${index} of group '${this.shard.group}' runs a different scenario (cells or window differ)`);
      } else if (nonce !== this.nonce && (index === this.shard.index || (this.hellos.has(index) && this.hellos.get(index)!.nonce !== nonce))) {
        this.conflict ??= new UsageError(`shard ${index}/${count} of group '${this.shard.group}' was started twice`);
      } else {
        this.hellos.set(index, { count, fingerprint, nonce, clock });
      }
      // Whoever bound after our last hello has not seen it: say it again, once per new peer.
      if (first && nonce !== this.nonce) this.hello();
    } else if (verb === 'bye' && parts.length >= 2) {
      this.left.add(Number(parts[1]));
    } else if (FACT_VERBS.has(verb) && parts.length >= 4) {
      const [, cell, rep, i] = parts;
      const arg = parts.slice(4).join(' ');
      const key = `${verb} ${cell} ${rep}`;
      let byShard = this.facts.get(key);
      if (!byShard) this.facts.set(key, (byShard = new Map()));
      byShard.set(Number(i), arg);
    }
    this.notify();
  }

  /** Resolves once every shard 1..N said hello; returns each shard's clock domain. */
  join(timeoutMs: number, signal?: AbortSignal): Promise<Map<number, string>> {
    this.hello();
    const missing = () => this.all().filter((i) => !this.hellos.has(i));
    return this.until(
      () => {
        if (this.conflict) throw this.conflict;
        return missing().length === 0 ? new Map([...this.hellos].map(([i, h]) => [i, h.clock])) : undefined;
      },
      timeoutMs,
      () => `shard ${this.shard.index}/${this.shard.count}: shard(s) ${missing().join(', ')} of group '${this.shard.group}' did not join within ${Math.round(timeoutMs / 1000)} s`,
      signal,
    );
  }

  /** Shards 1..N. */
  all(): number[] {
    return Array.from({ length: this.shard.count }, (_, k) => k + 1);
  }

  announce(verb: FactVerb, cell: string, repetition: number, arg?: string | number): void {
    this.send(`${verb} ${cell} ${repetition} ${this.shard.index}${arg === undefined ? '' : ` ${arg}`}`);
  }

  get(verb: FactVerb, cell: string, repetition: number): ReadonlyMap<number, string> {
    return this.facts.get(`${verb} ${cell} ${repetition}`) ?? new Map();
  }

  /** The latest numeric values of `verb` added over the shards that announced one. */
  sum(verb: FactVerb, cell: string, repetition: number): number {
    let n = 0;
    for (const v of this.get(verb, cell, repetition).values()) n += Number(v) || 0;
    return n;
  }

  /** Why the repetition cannot go on: a peer failed it, left, or the control connection died. */
  trouble(cell: string, repetition: number, waitingFor: number[] = this.all()): Error | null {
    if (this.lost) return this.lost;
    for (const [i, reason] of this.get('fail', cell, repetition)) {
      if (i !== this.shard.index) return new ShardPeerError(`shard ${i}/${this.shard.count} failed this repetition: ${reason || 'no reason given'}`);
    }
    // A shard that announced `done` for the repetition owes it nothing more: its leaving is no trouble.
    const done = this.get('done', cell, repetition);
    const gone = waitingFor.filter((i) => this.left.has(i) && i !== this.shard.index && !done.has(i));
    if (gone.length) return new ShardPeerError(`shard(s) ${gone.join(', ')} of group '${this.shard.group}' left the run`);
    return null;
  }

  /**
   * Resolves with the facts once each of `shards` announced `verb` for the repetition; rejects when one
   * of them failed it or left first. Bounded by the caller (the cell timeout).
   */
  waitAll(verb: FactVerb, cell: string, repetition: number, shards: number[] = this.all(), signal?: AbortSignal): Promise<ReadonlyMap<number, string>> {
    return this.until(
      () => {
        const facts = this.get(verb, cell, repetition);
        const missing = shards.filter((i) => !facts.has(i));
        if (missing.length === 0) return facts;
        const trouble = this.trouble(cell, repetition, missing);
        if (trouble) throw trouble;
        return undefined;
      },
      null,
      () => '',
      signal,
    );
  }

  /** Rejects as soon as the repetition is in trouble (see trouble()); never resolves. Ends with `signal`. */
  watch(cell: string, repetition: number, signal: AbortSignal): Promise<never> {
    const p = this.until<never>(
      () => {
        const trouble = this.trouble(cell, repetition);
        if (trouble) throw trouble;
        return undefined;
      },
      null,
      () => '',
      signal,
    );
    p.catch(() => undefined);
    return p;
  }

  /** Re-evaluates `check` after every message until it returns a value or throws. */
  private until<T>(check: () => T | undefined, timeoutMs: number | null, timeoutMessage: () => string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        this.listeners.delete(evaluate);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const evaluate = () => {
        try {
          if (this.lost) throw this.lost;
          const v = check();
          if (v === undefined) return;
          done();
          resolve(v);
        } catch (err) {
          done();
          reject(err);
        }
      };
      const onAbort = () => {
        done();
        reject(new Error('interrupted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== null) {
        timer = setTimeout(() => {
          done();
          reject(new Error(timeoutMessage()));
        }, timeoutMs);
      }
      this.listeners.add(evaluate);
      evaluate();
    });
  }

  async close(): Promise<void> {
    if (!this.lost && !this.closing) this.send(`bye ${this.shard.index}`);
    this.closing = true;
    this.listeners.clear();
    await this.ch.close().catch(() => undefined);
    await this.model.close().catch(() => undefined);
  }
}
