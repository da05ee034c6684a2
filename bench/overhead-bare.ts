// The reference for bench/overhead.ts: one cell as a bare loop on a client's public API alone, with
// nothing of ackbench (no header stamp, no histogram, no accounting, no worker protocol). It prints
// one JSON line: the measured rate, defined as ackbench defines it (src/run/result.ts CellRates):
//   publish only: measured messages / (first measured publish .. all answered; for `none`, until a
//                 round trip sent after the last publish returns)
//   --consumer:   measured messages / (first measured publish .. the last measured delivery)
// In the modes with a round trip per message (`single`, `tx:1`) it also prints roundTripUs: the mean
// time from handing a message to the client until its answer (the confirm callback, or tx.commit-ok),
// as ackbench's publish latency is defined, so that bench/overhead.ts can split the time per message
// into that round trip and the loop's own time between an answer and the next hand-off.
// The consumer (manual ack of each delivery, prefetch 100, as ackbench's default manual:100:1) runs
// in a worker thread of its own, as ackbench's does, so both programs use the same two threads.
//
//   node dist/bench/overhead-bare.js --client amqplib --durability persistent --publish single \
//        --messages 2000 --warmup 200 [--consumer] [--size 1024] [--url amqp://...]

import { once } from 'node:events';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import * as amqplib from 'amqplib';
import { Connection } from 'rabbitmq-client';

type Client = 'amqplib' | 'rabbitmq-client';
interface Mode {
  kind: 'none' | 'single' | 'batch' | 'async' | 'tx';
  n: number;
}

/** One client's loop: publish `count` messages in the mode and return once all are answered. */
interface BareProducer {
  publish(count: number): Promise<void>;
  /** A round trip behind everything published (the end of a `none` window). */
  roundTrip(): Promise<void>;
  purge(): Promise<void>;
  close(): Promise<void>;
}

interface ConsumerInit {
  client: Client;
  url: string;
  queue: string;
  warmup: number;
  messages: number;
}

type ConsumerEvent = { type: 'ready' } | { type: 'warm' } | { type: 'done'; lastNs: number } | { type: 'failed'; error: string };

const PREFETCH = 100;
const now = () => Number(process.hrtime.bigint());
/** Sum of the round trips of the current publish() (single and tx:1 only; see the header), ns. */
let roundTripNs = 0;
const perMessageRoundTrip = (mode: Mode) => mode.kind === 'single' || (mode.kind === 'tx' && mode.n === 1);

function parseMode(s: string): Mode {
  const [kind, n] = s.split(':');
  if (!['none', 'single', 'batch', 'async', 'tx'].includes(kind)) throw new Error(`--publish: '${s}'`);
  return { kind: kind as Mode['kind'], n: n === undefined ? 1 : Number(n) };
}

async function amqplibProducer(url: string, queue: string, mode: Mode, persistent: boolean, body: Buffer): Promise<BareProducer> {
  const conn = await amqplib.connect(url, { noDelay: true });
  const confirms = mode.kind === 'single' || mode.kind === 'batch' || mode.kind === 'async';
  const ch = confirms ? await conn.createConfirmChannel() : await conn.createChannel();
  await ch.assertQueue(queue, { durable: true });
  // amqplib has no tx API: tx.select / tx.commit through the channel's rpc (class 90, methods 10 / 20).
  const rpc = (ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> }).rpc.bind(ch);
  if (mode.kind === 'tx') await rpc(5898250, {}, 5898251);
  const opts = { persistent };
  const publish = async (count: number): Promise<void> => {
    switch (mode.kind) {
      case 'none':
        for (let i = 0; i < count; i++) if (!ch.sendToQueue(queue, body, opts)) await once(ch, 'drain');
        return;
      case 'single':
        for (let i = 0; i < count; i++) {
          const handedNs = now();
          await new Promise<void>((resolve, reject) =>
            (ch as amqplib.ConfirmChannel).sendToQueue(queue, body, opts, (err) => {
              roundTripNs += now() - handedNs;
              if (err) reject(err);
              else resolve();
            }),
          );
        }
        return;
      case 'batch':
        for (let i = 0; i < count; i++) {
          ch.sendToQueue(queue, body, opts);
          if ((i + 1) % mode.n === 0 || i === count - 1) await (ch as amqplib.ConfirmChannel).waitForConfirms();
        }
        return;
      case 'async': {
        let outstanding = 0;
        let wake: (() => void) | null = null;
        const settled = (err: unknown) => {
          if (err) throw err;
          outstanding--;
          if (wake && outstanding < mode.n) {
            const w = wake;
            wake = null;
            w();
          }
        };
        for (let i = 0; i < count; i++) {
          outstanding++;
          (ch as amqplib.ConfirmChannel).sendToQueue(queue, body, opts, settled);
          if (outstanding >= mode.n) await new Promise<void>((resolve) => (wake = resolve));
        }
        await (ch as amqplib.ConfirmChannel).waitForConfirms();
        return;
      }
      case 'tx':
        for (let i = 0; i < count; i++) {
          // Timed in tx:1 only (the header): tx:N keeps the plain loop.
          const handedNs = mode.n === 1 ? now() : 0;
          ch.sendToQueue(queue, body, opts);
          if ((i + 1) % mode.n === 0 || i === count - 1) {
            await rpc(5898260, {}, 5898261);
            if (mode.n === 1) roundTripNs += now() - handedNs;
          }
        }
        return;
    }
  };
  return {
    publish,
    roundTrip: async () => void (await ch.checkQueue(queue)),
    purge: async () => void (await ch.purgeQueue(queue)),
    close: async () => {
      await ch.deleteQueue(queue);
      await conn.close();
    },
  };
}

async function rabbitmqClientProducer(url: string, queue: string, mode: Mode, persistent: boolean, body: Buffer): Promise<BareProducer> {
  const conn = new Connection({ url, noDelay: true, retryLow: 100, retryHigh: 100 });
  await conn.onConnect(5000);
  const ch = await conn.acquire();
  await ch.queueDeclare({ queue, durable: true });
  if (mode.kind === 'tx') await ch.txSelect();
  else if (mode.kind !== 'none') await ch.confirmSelect();
  // The same properties on the wire as amqplib's: no timestamp (the library adds one by default).
  const params = { routingKey: queue, durable: persistent, timestamp: undefined };
  const publish = async (count: number): Promise<void> => {
    switch (mode.kind) {
      case 'none': {
        // basicPublish resolves once its frames are on the socket, in order: keep at most two chunks
        // of 128 messages unwritten (the library offers no drain event of its own).
        let previous: Promise<void> = Promise.resolve();
        let last: Promise<void> = Promise.resolve();
        for (let i = 0; i < count; i++) {
          last = ch.basicPublish(params, body);
          if ((i + 1) % 128 === 0) {
            await previous;
            previous = last;
          }
        }
        await last;
        return;
      }
      case 'single':
        for (let i = 0; i < count; i++) {
          const handedNs = now();
          await ch.basicPublish(params, body);
          roundTripNs += now() - handedNs;
        }
        return;
      case 'batch': {
        let batch: Promise<void>[] = [];
        for (let i = 0; i < count; i++) {
          batch.push(ch.basicPublish(params, body));
          if (batch.length === mode.n || i === count - 1) {
            await Promise.all(batch);
            batch = [];
          }
        }
        return;
      }
      case 'async': {
        let outstanding = 0;
        let wake: (() => void) | null = null;
        let failure: unknown = null;
        const settle = () => {
          outstanding--;
          if (wake && (outstanding < mode.n || failure)) {
            const w = wake;
            wake = null;
            w();
          }
        };
        const fail = (err: unknown) => {
          failure = err;
          settle();
        };
        for (let i = 0; i < count; i++) {
          outstanding++;
          ch.basicPublish(params, body).then(settle, fail);
          if (outstanding >= mode.n) await new Promise<void>((resolve) => (wake = resolve));
          if (failure) throw failure;
        }
        while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));
        if (failure) throw failure;
        return;
      }
      case 'tx': {
        let written: Promise<void> = Promise.resolve();
        for (let i = 0; i < count; i++) {
          const handedNs = mode.n === 1 ? now() : 0;
          written = ch.basicPublish(params, body);
          if ((i + 1) % mode.n === 0 || i === count - 1) {
            await ch.txCommit();
            if (mode.n === 1) roundTripNs += now() - handedNs;
          }
        }
        await written;
        return;
      }
    }
  };
  return {
    publish,
    roundTrip: async () => void (await ch.queueDeclare({ queue, passive: true })),
    purge: async () => void (await ch.queuePurge({ queue })),
    close: async () => {
      await ch.queueDelete({ queue });
      await ch.close();
      await conn.close();
    },
  };
}

/** Worker thread: consume, ack each delivery, say when the warm-up and the measured messages are in. */
async function consume(init: ConsumerInit): Promise<void> {
  const post = (e: ConsumerEvent) => parentPort!.postMessage(e);
  let received = 0;
  const total = init.warmup + init.messages;
  const onMessage = () => {
    received++;
    if (received === init.warmup) post({ type: 'warm' });
    if (received === total) post({ type: 'done', lastNs: now() });
  };
  if (init.client === 'amqplib') {
    const conn = await amqplib.connect(init.url, { noDelay: true });
    const ch = await conn.createChannel();
    await ch.prefetch(PREFETCH);
    await ch.consume(init.queue, (msg) => {
      if (!msg) return;
      onMessage();
      ch.ack(msg);
    });
  } else {
    const conn = new Connection({ url: init.url, noDelay: true });
    await conn.onConnect(5000);
    const ch = await conn.acquire();
    await ch.basicQos({ prefetchCount: PREFETCH });
    await ch.basicConsume({ queue: init.queue }, (msg) => {
      onMessage();
      ch.basicAck({ deliveryTag: msg.deliveryTag });
    });
  }
  post({ type: 'ready' });
}

/** Resolves with the consumer's next event of `type`; rejects if it failed or exited. */
function next<T extends ConsumerEvent['type']>(worker: Worker, type: T): Promise<Extract<ConsumerEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (e: ConsumerEvent) => {
      if (e.type === 'failed') reject(new Error(`consumer: ${e.error}`));
      else if (e.type === type) {
        worker.off('message', onMessage);
        resolve(e as Extract<ConsumerEvent, { type: T }>);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string', default: 'amqplib' },
      durability: { type: 'string', default: 'persistent' },
      publish: { type: 'string', default: 'none' },
      messages: { type: 'string', default: '20000' },
      warmup: { type: 'string', default: '2000' },
      size: { type: 'string', default: '1024' },
      consumer: { type: 'boolean', default: false },
      url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
      'timeout-s': { type: 'string', default: '300' },
    },
  });
  const client = values.client as Client;
  if (client !== 'amqplib' && client !== 'rabbitmq-client') throw new Error(`--client: '${client}'`);
  const mode = parseMode(values.publish);
  const messages = Number(values.messages);
  const warmup = Number(values.warmup);
  const body = Buffer.alloc(Number(values.size), 0x61);
  const queue = `ackbench-overhead-bare-${process.pid}`;
  // Bounded in time whatever the broker does.
  setTimeout(() => {
    process.stderr.write(`overhead-bare: no result within ${values['timeout-s']} s\n`);
    process.exit(3);
  }, Number(values['timeout-s']) * 1000).unref();

  const make = client === 'amqplib' ? amqplibProducer : rabbitmqClientProducer;
  const producer = await make(values.url, queue, mode, values.durability === 'persistent', body);
  let consumer: Worker | null = null;
  try {
    if (values.consumer) {
      consumer = new Worker(new URL(import.meta.url), { workerData: { client, url: values.url, queue, warmup, messages } satisfies ConsumerInit });
      await next(consumer, 'ready');
    }
    const warm = consumer && next(consumer, 'warm');
    await producer.publish(warmup);
    if (warm) await warm;
    else {
      await producer.roundTrip();
      await producer.purge();
    }
    const done = consumer && next(consumer, 'done');
    const startNs = now();
    roundTripNs = 0;
    await producer.publish(messages);
    if (mode.kind === 'none') await producer.roundTrip();
    const answeredNs = now();
    const result: Record<string, unknown> = { client, durability: values.durability, publish: values.publish, messages, rate: messages / ((answeredNs - startNs) / 1e9) };
    if (perMessageRoundTrip(mode)) result.roundTripUs = roundTripNs / messages / 1000;
    if (done) {
      const { lastNs } = await done;
      result.consumedRate = messages / ((lastNs - startNs) / 1e9);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await consumer?.terminate();
    await producer.close();
  }
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`overhead-bare: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  consume(workerData as ConsumerInit).catch((err: unknown) => parentPort!.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) }));
}
