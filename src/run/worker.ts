// Worker thread entry: one producer or one consumer of a cell.

import { parentPort, workerData } from 'node:worker_threads';
import { loadAdapter } from '../clients/registry.js';
import { maskCredentials } from '../broker/url.js';
import { runConsumer } from './consumer.js';
import { runProducer } from './producer.js';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { LATENCY_INTERVAL_MS, type MainToWorker, type WorkerInit, type WorkerToMain } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerToMain, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let startGo!: () => void;
const go = new Promise<void>((r) => (startGo = r));
let startDrain!: (expected: number) => void;
const drain = new Promise<number>((r) => (startDrain = r));
let stopped = false;
let startFinish!: () => void;
const finish = new Promise<void>((r) => (startFinish = r));

port.on('message', (m: MainToWorker) => {
  if (m.type === 'go') startGo();
  else if (m.type === 'drain') startDrain(m.expected);
  else if (m.type === 'finish') startFinish();
  else if (m.type === 'stop') {
    stopped = true;
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
void go.then(() => {
  intervalTimer = setInterval(postInterval, LATENCY_INTERVAL_MS);
  intervalTimer.unref();
});

/** The last, partial interval goes out just before the report. */
function endIntervals(): void {
  if (intervalTimer) clearInterval(intervalTimer);
  if (interval > 0 || latency.total.totalCount > 0) postInterval();
}

async function main(): Promise<void> {
  const counters = new Int32Array(init.counters);
  const adapter = await loadAdapter(init.cell.client);
  const connection = await adapter.connect(init.url, {
    connectionName: `ackbench ${init.cell.id} ${init.role} ${init.index}`,
    timeoutMs: 5000,
  });
  try {
    if (init.role === 'producer') {
      const report = await runProducer(connection, init.cell, init.window, init.queue, init.index, counters, {
        go,
        stopped: () => stopped,
        ready: () => post({ type: 'ready' }),
        latency,
      });
      endIntervals();
      post({ type: 'report', report }, transferList([report.confirmedBits, report.unknownBits]));
    } else {
      const report = await runConsumer(connection, init.cell, init.window, init.queue, init.index, counters, {
        go,
        drain,
        finish,
        untimedProducers: init.untimedProducers,
        ready: () => post({ type: 'ready' }),
        latency,
      });
      endIntervals();
      post({ type: 'report', report }, transferList(report.receivedBits.filter((b) => b !== null)));
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  post({ type: 'failed', error: maskCredentials(err instanceof Error ? err.message : String(err)) });
});
