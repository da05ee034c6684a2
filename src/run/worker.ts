// Worker thread entry: one consumer of a cell, or its producers that share one connection (the channels
// axis: a channel each; one producer when channels is 1).

import { parentPort, workerData } from 'node:worker_threads';
import { loadAdapter } from '../clients/registry.js';
import { maskCredentials } from '../broker/url.js';
import { runConsumer } from './consumer.js';
import { runProducer } from './producer.js';
import { ReconnectingConnection, reconnectToQueue } from './reconnecting-connection.js';
import { connectionName, publisherName } from './connection-name.js';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { threadCpu, threadLoadBetween, type ThreadCpuSample, type ThreadLoad } from '../measure/thread-cpu.js';
import { LATENCY_INTERVAL_MS, type MainToWorker, type WorkerInit, type WorkerToMain } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerToMain, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let startGo!: () => void;
const go = new Promise<void>((r) => (startGo = r));
let startDrain!: (expected: number) => void;
const drain = new Promise<number>((r) => (startDrain = r));
let stopped = false;
// Aborted on stop: a worker reconnecting after a fault gives up at once.
const stopping = new AbortController();
let startFinish!: () => void;
const finish = new Promise<void>((r) => (startFinish = r));

port.on('message', (m: MainToWorker) => {
  if (m.type === 'go') startGo();
  else if (m.type === 'drain') startDrain(m.expected);
  else if (m.type === 'finish') startFinish();
  else if (m.type === 'stop') {
    stopped = true;
    stopping.abort();
    startGo();
  }
});

function transferList(bits: { words: Uint32Array[] }[]): ArrayBuffer[] {
  return bits.flatMap((b) => b.words.map((w) => w.buffer as ArrayBuffer));
}

const latency = new LatencyRecorder();
let interval = 0;
const postInterval = () => post({ type: 'interval', interval: ++interval, histogram: latency.takeInterval() });
let intervalTimer: NodeJS.Timeout | null = null;
// This thread's CPU over the window: read at `go` and when it reports (outside the hot path).
let cpuAtGo: ThreadCpuSample | null = null;
const threadSinceGo = (): ThreadLoad | null => {
  const now = cpuAtGo ? threadCpu() : null;
  return cpuAtGo && now ? threadLoadBetween(cpuAtGo, now) : null;
};
void go.then(() => {
  cpuAtGo = threadCpu();
  intervalTimer = setInterval(postInterval, LATENCY_INTERVAL_MS);
  intervalTimer.unref();
});

/** The last, partial interval goes out just before the report. */
function endIntervals(): void {
  if (intervalTimer) clearInterval(intervalTimer);
  if (interval > 0 || latency.count > 0) postInterval();
}

/** First wait between reconnect attempts; doubles (times a random 1..2) up to RECONNECT_MAX_DELAY_MS. */
const RECONNECT_MIN_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 2000;

async function main(): Promise<void> {
  const counters = new Int32Array(init.counters);
  const adapter = await loadAdapter(init.cell.client);
  const shared = await ReconnectingConnection.open(() =>
    adapter.connect(init.url, {
      connectionName: connectionName(init.cell.id, init.role, init.index),
      timeoutMs: 5000,
    }),
  );
  const reconnectForMs = init.reconnectForMs;
  const policy = reconnectForMs ? { forMs: reconnectForMs, minDelayMs: RECONNECT_MIN_DELAY_MS, maxDelayMs: RECONNECT_MAX_DELAY_MS, signal: stopping.signal } : null;
  const reconnect = policy ? reconnectToQueue(shared, init.queue, policy) : undefined;
  try {
    if (init.role === 'producer') {
      // One producer per id, each on its own channel of the shared connection; the worker is ready once all are.
      const ids = init.producerIds ?? [init.index];
      let ready = 0;
      const reports = await Promise.all(
        ids.map((id, channel) =>
          runProducer(shared.current, init.cell, init.window, init.queue, id, counters, {
            publisherName: publisherName(init.cell.id, init.index, channel),
            go,
            stopped: () => stopped,
            ready: () => {
              if (++ready === ids.length) post({ type: 'ready' });
            },
            latency,
            reconnect,
          }),
        ),
      );
      endIntervals();
      // The producers recorded into one histogram: it goes with the first report only, to be counted once.
      const total = latency.encodeTotal();
      const thread = threadSinceGo();
      reports.forEach((report, i) => {
        report.publishHistogram = i === 0 ? total : null;
        report.thread = i === 0 ? thread : null;
        post({ type: 'report', report }, transferList([report.confirmedBits, report.unknownBits]));
      });
    } else {
      const report = await runConsumer(shared.current, init.cell, init.window, init.queue, init.index, counters, {
        go,
        drain,
        finish,
        untimedProducers: init.untimedProducers,
        ready: () => post({ type: 'ready' }),
        latency,
        reconnect,
      });
      endIntervals();
      report.thread = threadSinceGo();
      post({ type: 'report', report }, transferList(report.receivedBits.filter((b) => b !== null)));
    }
  } finally {
    await shared.close().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  post({ type: 'failed', error: maskCredentials(err instanceof Error ? err.message : String(err)) });
});
