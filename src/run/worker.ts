// Worker thread entry: one producer or one consumer of a cell.

import { parentPort, workerData } from 'node:worker_threads';
import { loadAdapter } from '../clients/registry.js';
import { maskCredentials } from '../broker/url.js';
import { runConsumer } from './consumer.js';
import { runProducer } from './producer.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerToMain, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let startGo!: () => void;
const go = new Promise<void>((r) => (startGo = r));
let startDrain!: (expected: number) => void;
const drain = new Promise<number>((r) => (startDrain = r));
let stopped = false;

port.on('message', (m: MainToWorker) => {
  if (m.type === 'go') startGo();
  else if (m.type === 'drain') startDrain(m.expected);
  else if (m.type === 'stop') {
    stopped = true;
    startGo();
  }
});

function transferList(bits: { words: Uint32Array[] }[]): ArrayBuffer[] {
  return bits.flatMap((b) => b.words.map((w) => w.buffer as ArrayBuffer));
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
      });
      post({ type: 'report', report }, transferList([report.confirmedBits, report.unknownBits]));
    } else {
      const report = await runConsumer(connection, init.cell, init.window, init.queue, init.index, counters, {
        go,
        drain,
        ready: () => post({ type: 'ready' }),
      });
      post({ type: 'report', report }, transferList(report.receivedBits.filter((b) => b !== null)));
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  post({ type: 'failed', error: maskCredentials(err instanceof Error ? err.message : String(err)) });
});
