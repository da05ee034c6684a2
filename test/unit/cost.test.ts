// Client CPU per thread and the client-bound definition pinned on real threads (one busy, one idle);
// the bottleneck rules; the parsers of /proc, rabbitmqctl eval and Prometheus text.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { listeningInodes, parseCounters, parseExposition, parseStatusMemory, prometheusReading } from '../../src/broker/broker-counters.js';
import { bottleneckOf, type BottleneckInput } from '../../src/measure/bottleneck.js';
import { costOf } from '../../src/measure/cost.js';
import { busyShare, parseSchedstat, parseStatTicks, type ThreadLoad } from '../../src/measure/thread-cpu.js';
import { busiest, clientBound } from '../../src/run/cell-result.js';
import type { RunFile } from '../../src/run/result.js';
import { costRows, costSpec } from '../../src/report/cost-chart.js';
import { COST_COLUMNS, summaryCsv } from '../../src/report/csv.js';
import { parse } from 'csv-parse/sync';
import { buildFixtureRun } from '../helpers/fixture-run.js';

const threadCpuModule = new URL('../../src/measure/thread-cpu.js', import.meta.url).href;

/** A worker thread that spins (busy) or sleeps (idle) for ms, measuring itself as a cell's worker does. */
function threadLoadOf(kind: 'busy' | 'idle', ms: number): Promise<ThreadLoad> {
  const source = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(threadCpuModule)}).then(async ({ threadCpu, threadLoadBetween }) => {
      const a = threadCpu();
      const until = Date.now() + ${ms};
      if (${JSON.stringify(kind)} === 'busy') { let x = 0; while (Date.now() < until) x += Math.sqrt(x + 1); }
      else await new Promise((r) => setTimeout(r, ${ms}));
      parentPort.postMessage(threadLoadBetween(a, threadCpu()));
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true });
    w.once('message', (m: ThreadLoad) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

const load = (busiestShare: number) => ({ rate: null, producers: 1, sent: 1000, sendSeconds: 1, busiest: busiestShare });

describe('client-bound: a worker thread busy 90% of its window', { skip: process.platform !== 'linux' && 'Linux /proc only' }, () => {
  test('a thread that spins is client-bound', async () => {
    const l = await threadLoadOf('busy', 400);
    assert.ok(busyShare(l) >= 0.9, `busy share ${busyShare(l)}`);
    assert.equal(clientBound(load(busiest([{ busy: 0, thread: l }]))), true);
  });
  test('a thread that sleeps is not', async () => {
    const l = await threadLoadOf('idle', 400);
    assert.ok(busyShare(l) < 0.5, `busy share ${busyShare(l)}`);
    assert.equal(clientBound(load(busiest([{ busy: 0.99, thread: l }]))), false, 'the thread figure, not event-loop utilisation');
  });
  test('a paced cell behind its rate with idle threads is not client-bound', () => {
    assert.equal(clientBound({ rate: 4000, producers: 1, sent: 1708, sendSeconds: 1, busiest: 0.3 }), false);
  });
});

const thread = (cpuPct: number, busyPct = cpuPct) => ({ role: 'producer' as const, index: 0, cpuPct, busyPct });
type BrokerShares = NonNullable<BottleneckInput['broker']>;
const input = (o: Omit<Partial<BottleneckInput>, 'broker'> & { broker?: Partial<BrokerShares> | null }): BottleneckInput => ({
  rate: null,
  producers: 1,
  sent: 2000,
  sendSeconds: 1,
  threads: [thread(20)],
  clientCores: 0.3,
  ...o,
  broker: o.broker === null ? null : { cores: 0.2, usableCores: 1.7, fsyncShare: 0, fsyncsPer1k: 0, fsyncLatencyUs: null, ...o.broker },
});

describe('bottleneck verdicts', () => {
  test('paced: kept 95% of the target rate', () => {
    assert.equal(bottleneckOf(input({ rate: 500, sent: 490, sendSeconds: 1 })).verdict, 'paced');
  });
  test('a paced cell that fell behind gets the broker-side verdict (issue: not client-bound)', () => {
    const v = bottleneckOf(input({ rate: 4000, sent: 1708, sendSeconds: 1, broker: { fsyncShare: 0.6, fsyncsPer1k: 1000, fsyncLatencyUs: 350 } }));
    assert.equal(v.verdict, 'disk-sync');
    assert.match(v.evidence, /sent 1708 msg\/s of a 4000 msg\/s target/);
    assert.equal(bottleneckOf(input({ rate: 4000, sent: 1708, broker: { cores: 0.6 } })).verdict, 'broker-cpu');
  });
  test('client: a thread on a CPU 90% of its window', () => {
    assert.equal(bottleneckOf(input({ threads: [thread(95)] })).verdict, 'client');
  });
  test('broker-cpu: the broker near the cores it could use comes before a client thread waiting for a CPU', () => {
    assert.equal(bottleneckOf(input({ threads: [thread(30, 95)], broker: { cores: 1.6, usableCores: 1.7 } })).verdict, 'broker-cpu');
    const v = bottleneckOf(input({ threads: [thread(30, 95)], broker: { cores: 0.5, usableCores: 1.7 } }));
    assert.equal(v.verdict, 'client');
    assert.match(v.evidence, /waited for a CPU 65%/);
  });
  test('disk-sync: fsyncs take a third of the window', () => {
    assert.equal(bottleneckOf(input({ broker: { fsyncShare: 0.4, fsyncsPer1k: 1000, fsyncLatencyUs: 400 } })).verdict, 'disk-sync');
    assert.notEqual(bottleneckOf(input({ broker: { fsyncShare: 0.1 } })).verdict, 'disk-sync');
  });
  test('unclear without broker figures and nothing saturated', () => {
    const v = bottleneckOf(input({ broker: null }));
    assert.equal(v.verdict, 'unclear');
    assert.match(v.evidence, /no broker figures/);
  });
});

describe('cost per message', () => {
  test('per message sent; no source leaves broker figures null, never 0', () => {
    const { cost } = costOf({ rate: null, producers: 1, sendSeconds: 1, client: { sent: 2000, cpuUs: 400_000, wallUs: 1_000_000 }, threads: [], broker: null });
    assert.equal(cost.clientCpuUsPerMsg, 200);
    assert.equal(cost.brokerCpuUsPerMsg, null);
    assert.equal(cost.fsyncsPer1k, null);
    assert.equal(cost.metricsSource, 'none');
    assert.match(cost.note ?? '', /no broker figures/);
  });
  test('broker figures over the window, per message and per 1000', () => {
    const { cost } = costOf({
      rate: null,
      producers: 1,
      sendSeconds: 1,
      client: { sent: 2000, cpuUs: 400_000, wallUs: 1_000_000 },
      threads: [],
      broker: { source: 'local', spanMs: 1000, cpuMs: 600, fsyncs: 2000, fsyncTimeMs: 540, writeBytes: 2_660_000, rssPeakBytes: 150 * 2 ** 20, resolutionMs: 10, cores: 2, sharedHost: true, notes: [] },
    });
    assert.deepEqual([cost.brokerCpuUsPerMsg, cost.fsyncsPer1k, cost.diskBytesPerMsg, cost.brokerRssPeakMib, cost.brokerCores], [300, 1000, 1330, 150, 1.6]);
  });
});

describe('parsers', () => {
  test('schedstat and stat', () => {
    assert.deepEqual(parseSchedstat('62461185 186285598 39\n'), { runNs: 62461185, waitNs: 186285598 });
    const stat = '123 (beam.smp) S 1 2 3 0 -1 4194560 100 0 0 0 216 214 0 0 20 0 30 0 100 0 0';
    assert.equal(parseStatTicks(stat), 430);
    assert.equal(parseStatTicks('9 (a b) c)) S 1 2 3 0 -1 0 0 0 0 0 7 3 0'), 10);
  });
  test('/proc status memory', () => {
    assert.deepEqual(parseStatusMemory('VmPeak:\t 1 kB\nVmHWM:\t  701384 kB\nVmRSS:\t  140664 kB\n'), { rssBytes: 140664 * 1024, hwmBytes: 701384 * 1024 });
  });
  test('rabbitmqctl eval answer', () => {
    assert.deepEqual(parseCounters('[2100,564926,2797200,0,11191]\n'), { fsyncs: 2100, fsyncMicros: 564926, writeBytes: 2797200, walBatches: 0, pid: 11191 });
    assert.throws(() => parseCounters('{badrpc,nodedown}'), /unexpected answer/);
  });
  test('listening sockets of /proc/net/tcp', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   111        0 34567 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:1628 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   111        0 45678 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    assert.deepEqual(listeningInodes(5672, [table]), [34567]);
    assert.deepEqual(listeningInodes(5673, [table]), []);
  });
  test('prometheus text', () => {
    const text = [
      '# TYPE rabbitmq_io_sync_ops_total counter',
      'rabbitmq_io_sync_ops_total 5234',
      'rabbitmq_io_sync_time_seconds_total 3.42',
      'rabbitmq_io_write_bytes_total 112125308',
      'rabbitmq_process_resident_memory_bytes 140902400',
      'rabbitmq_erlang_uptime_seconds 474.53',
      'erlang_vm_statistics_runtime_milliseconds 7372',
      'erlang_vm_schedulers_online 2',
      'erlang_vm_msacc_aux_seconds_total{type="poll",id="0"} 0.0',
      'rabbitmq_identity_info{rabbitmq_node="rabbit@localhost",rabbitmq_cluster="rabbit@vm",rabbitmq_cluster_permanent_id="x"} 1',
    ].join('\n');
    assert.equal(parseExposition(text).size, 7);
    assert.deepEqual(prometheusReading(text), { runtimeMs: 7372, statsAtS: 474.53, fsyncs: 5234, fsyncSeconds: 3.42, writeBytes: 112125308, rssBytes: 140902400, schedulers: 2, cluster: 'rabbit@vm' });
    assert.throws(() => prometheusReading('rabbitmq_io_sync_ops_total 1'), /no erlang_vm_statistics_runtime_milliseconds/);
  });
});

describe('cost in the report and summary.csv', () => {
  const withCost = (run: RunFile): RunFile => {
    run.cells.forEach((c, i) => {
      c.cost = {
        clientCpuUsPerMsg: 50 + i,
        brokerCpuUsPerMsg: i === 0 ? null : 100 + i,
        brokerCpuMs: null,
        fsyncsPer1k: c.cell.durability === 'persistent' ? 1000 : 0,
        diskBytesPerMsg: null,
        brokerRssPeakMib: 150,
        metricsSource: 'local',
        resolutionMs: 10,
        note: null,
      };
      c.bottleneck = { verdict: i % 2 ? 'disk-sync' : 'broker-cpu', evidence: 'test' };
    });
    return run;
  };
  test('a figure no source gave has no row in the cost chart', () => {
    const run = withCost(buildFixtureRun({ repetitions: 1 }));
    const rows = costRows(run);
    assert.equal(rows.filter((r) => r.measure.startsWith('bytes')).length, 0, 'no bytes figure anywhere: no bytes rows');
    const first = run.cells[0].cell.id;
    assert.equal(rows.filter((r) => r.cell === first && r.measure.startsWith('broker CPU')).length, 0);
    assert.ok(rows.some((r) => r.measure.startsWith('broker fsyncs') && r.value === 1000));
    assert.ok(costSpec(rows));
  });
  test('summary.csv: the cost columns appended, in that spelling; aggregate rows take medians', () => {
    const run = withCost(buildFixtureRun({ repetitions: 2 }));
    const rows = parse(summaryCsv(run), { columns: true }) as Record<string, string>[];
    const header = Object.keys(rows[0]);
    assert.deepEqual(header.slice(-COST_COLUMNS.length), [...COST_COLUMNS]);
    assert.deepEqual([...COST_COLUMNS], ['client_cpu_us_per_msg', 'broker_cpu_us_per_msg', 'fsyncs_per_1k', 'disk_bytes_per_msg', 'broker_rss_peak_mib', 'metrics_source', 'bottleneck']);
    const all = rows.find((r) => r.repetition === 'all')!;
    assert.equal(all.broker_rss_peak_mib, '150');
    assert.equal(all.disk_bytes_per_msg, '');
    assert.equal(all.metrics_source, 'local');
  });
});
