// tinybench timings of the harness's own per-message hot paths: what ackbench spends on each message
// besides the client and the broker. Writes results/micro-<time>.json (or --out FILE).
//
//   npm run build && node dist/bench/micro/hot-paths.js [--time-ms 500] [--out FILE]

import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { SeqBitset } from '../../src/measure/bitset.js';
import { nowNs } from '../../src/measure/clock.js';
import { ConfirmTracker } from '../../src/measure/confirm-tracker.js';
import { bodyTemplate, HEADER_BYTES, readHeader, writeHeader } from '../../src/measure/header.js';
import { createHistogram, recordMicros } from '../../src/measure/histogram.js';
import { writeFileAtomic } from '../../src/run/atomic-write.js';
import { BodySource } from '../../src/run/bodies.js';

interface MicroResult {
  name: string;
  opsPerSecond: number;
  meanNs: number;
  p99Ns: number | null;
  samples: number;
}

async function runMicroBenchmarks(timeMs: number): Promise<MicroResult[]> {
  const bench = new Bench({ name: 'ackbench hot paths', time: timeMs, warmupTime: Math.min(100, timeMs) });
  const template = bodyTemplate(1024);
  const body = Buffer.allocUnsafe(1024);
  let seq = 0;
  const bits = new SeqBitset();
  const histogram = createHistogram();
  let confirmed = 0;
  const tracker = new ConfirmTracker(1000, { confirmed: () => confirmed++, nacked: () => undefined });
  let tag = 0;
  const reused = new BodySource(template, 'copied', 0);

  bench
    .add('clock: nowNs()', () => {
      nowNs();
    })
    .add('producer: fresh 1 KB body + header', () => {
      const b = Buffer.allocUnsafe(1024);
      template.copy(b, HEADER_BYTES, HEADER_BYTES);
      writeHeader(b, 1, seq++, 123456789, false);
    })
    .add('producer: reused 1 KB body + header (a client that copies bodies)', () => {
      writeHeader(reused.take(), 1, seq++, 123456789, false);
    })
    .add('consumer: readHeader', () => {
      readHeader(body);
    })
    .add('accounting: bitset testAndSet (sequential)', () => {
      bits.testAndSet(seq++ % 5_000_000);
    })
    .add('latency: histogram record', () => {
      recordMicros(histogram, 100 + (seq++ % 5000));
    })
    .add('confirms: tracker sent + single settle', () => {
      tag = tracker.sent(seq, 0, false);
      tracker.settle(tag, false, true, 1000);
      seq++;
    });
  writeHeader(body, 1, 2, 3, false);
  await bench.run();
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
    return {
      name: t.name,
      opsPerSecond: Math.round(r.throughput.mean),
      meanNs: Math.round(r.latency.mean * 1e6 * 10) / 10,
      p99Ns: r.latency.p99 === undefined ? null : Math.round(r.latency.p99 * 1e6 * 10) / 10,
      samples: r.latency.samplesCount,
    };
  });
}

{
  const { values } = parseArgs({ options: { 'time-ms': { type: 'string', default: '500' }, out: { type: 'string' } } });
  const results = await runMicroBenchmarks(Number(values['time-ms']));
  console.table(results);
  const out = values.out ?? `results/micro-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileAtomic(out, `${JSON.stringify({ node: process.version, timeMs: Number(values['time-ms']), results }, null, 2)}\n`);
  console.log(`written: ${out}`);
}
