// Cost per message against real brokers: the physics of each guarantee on a private node (its
// counters are ours alone), read from /proc + rabbitmqctl eval (local) and from rabbitmq_prometheus;
// the system node found by its port; no source leaving every broker figure empty with the reason; a
// paced cell that kept its rate; a fault run whose node restarts, and one whose node does not.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { freePort, startLocalNode, type LocalNode } from '../../src/broker/local-node.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run/run-scenario.js';
import { runFaultCell } from '../../src/run/fault-runner.js';
import type { CellResult, RunFile } from '../../src/run/result.js';
import { DEFAULT_AXES, expandMatrix } from '../../src/scenario/matrix.js';
import { COST_COLUMNS } from '../../src/report/csv.js';

const SIZE = 1024;
let node: LocalNode;
const dirs: string[] = [];

function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ackbench-cost-'));
  dirs.push(d);
  return d;
}

async function run(url: string, axes: Record<string, string>, messages: number, metricsUrl?: string): Promise<RunFile> {
  const scenario = loadScenario(null, { axes: { size: String(SIZE), consumers: '0', ...axes }, messages, warmup: 100 });
  const { run } = await runScenario(scenario, { url, report: false, outDir: outDir(), metricsUrl });
  for (const c of run.cells) assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
  return run;
}

const byPublish = (run: RunFile, durability: string, kind: 'single' | 'async'): CellResult => {
  const c = run.cells.find((r) => r.cell.durability === durability && r.cell.publish.kind === kind);
  assert.ok(c, `${durability} ${kind} cell`);
  return c;
};

describe('broker cost figures', { timeout: 600_000 }, () => {
  before(async () => {
    node = await startLocalNode({ prometheus: true });
  });
  after(async () => {
    await node?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('local node: one fsync per persistent single publish, none for transient, far fewer with a window of 1000', async () => {
    const r = await run(node.url, { durability: 'persistent,transient', publish: 'single,async:1000' }, 2000);
    assert.equal(r.metrics?.source, 'local');
    const single = byPublish(r, 'persistent', 'single');
    const windowed = byPublish(r, 'persistent', 'async');
    const transient = byPublish(r, 'transient', 'single');
    for (const c of r.cells) {
      assert.equal(c.cost?.metricsSource, 'local', c.cost?.note ?? '');
      assert.ok((c.cost?.brokerCpuUsPerMsg ?? 0) > 0, `${c.cell.id}: broker CPU per message ${c.cost?.brokerCpuUsPerMsg}`);
      assert.ok((c.cost?.clientCpuUsPerMsg ?? 0) > 0, `${c.cell.id}: client CPU per message`);
      assert.ok((c.cost?.brokerRssPeakMib ?? 0) > 10, `${c.cell.id}: broker peak RSS`);
      assert.ok(c.bottleneck && c.bottleneck.evidence.length > 0);
      assert.ok(c.clientThreads?.length, 'thread figures');
    }
    const fsyncs = single.cost!.fsyncsPer1k!;
    assert.ok(fsyncs >= 800 && fsyncs <= 1200, `persistent single: ${fsyncs} fsyncs per 1000`);
    assert.ok(single.cost!.diskBytesPerMsg! >= SIZE, `persistent single: ${single.cost!.diskBytesPerMsg} bytes per message`);
    assert.ok(transient.cost!.fsyncsPer1k! <= 5, `transient single: ${transient.cost!.fsyncsPer1k} fsyncs per 1000`);
    assert.ok(windowed.cost!.fsyncsPer1k! * 10 < fsyncs, `async:1000: ${windowed.cost!.fsyncsPer1k} fsyncs per 1000, single ${fsyncs}`);
  });

  test('local node: a quorum queue fsyncs its WAL', async () => {
    const r = await run(node.url, { durability: 'persistent', publish: 'single', queue: 'quorum' }, 1000);
    const c = r.cells[0];
    assert.ok(c.cost!.fsyncsPer1k! >= 800, `quorum single: ${c.cost!.fsyncsPer1k} fsyncs per 1000`);
    assert.equal(c.cost!.diskBytesPerMsg, null);
    assert.match(c.cost!.note ?? '', /quorum queue/);
  });

  test('prometheus: the same physics from the node\'s metrics endpoint, at its 1 s statistics interval', async () => {
    assert.ok(node.metricsUrl);
    const r = await run(node.url, { durability: 'persistent', publish: 'single' }, 3000, node.metricsUrl!);
    assert.equal(r.metrics?.source, 'prometheus');
    const c = r.cells[0];
    assert.equal(c.cost?.metricsSource, 'prometheus');
    assert.ok(c.cost!.resolutionMs! >= 500 && c.cost!.resolutionMs! <= 1500, `resolution ${c.cost!.resolutionMs} ms`);
    assert.ok((c.cost?.brokerCpuUsPerMsg ?? 0) > 0, 'broker CPU per message');
    const fsyncs = c.cost!.fsyncsPer1k;
    assert.ok(fsyncs !== null && fsyncs >= 800 && fsyncs <= 1250, `persistent single over prometheus: ${fsyncs} fsyncs per 1000 (${c.cost!.note})`);
    assert.ok(c.cost!.diskBytesPerMsg! >= SIZE);
  });

  test('a paced cell that keeps its rate is paced', async () => {
    const r = await run(node.url, { durability: 'transient', publish: 'async:100', rate: '500' }, 1000);
    assert.equal(r.cells[0].bottleneck?.verdict, 'paced', r.cells[0].bottleneck?.evidence);
    assert.equal(r.cells[0].clientBound, false);
  });

  test('a paced cell that falls behind is limited by the broker or its disk, not the client', async () => {
    const r = await run(node.url, { durability: 'persistent', publish: 'single', rate: '4000' }, 1500);
    const c = r.cells[0];
    assert.ok(c.rates.sentPerS < 0.95 * 4000, `persistent single kept ${c.rates.sentPerS} msg/s`);
    assert.equal(c.clientBound, false, c.bottleneck?.evidence);
    assert.ok(['disk-sync', 'broker-cpu'].includes(c.bottleneck!.verdict), `${c.bottleneck!.verdict}: ${c.bottleneck!.evidence}`);
    assert.match(c.bottleneck!.evidence, /of a 4000 msg\/s target/);
  });

  test('no metrics source: broker figures empty, the reason in run.json, empty CSV columns', async () => {
    const port = await freePort();
    const dir = outDir();
    const scenario = loadScenario(null, { axes: { consumers: '0', publish: 'async:100' }, messages: 300, warmup: 50 });
    const { run: r } = await runScenario(scenario, { url: node.url, report: true, outDir: dir, metricsUrl: `http://127.0.0.1:${port}/metrics` });
    assert.equal(r.metrics?.source, 'none');
    assert.match(r.metrics!.detail, /no local broker and no metrics at http:\/\/127\.0\.0\.1/);
    const c = r.cells[0];
    assert.equal(c.cost?.metricsSource, 'none');
    for (const k of ['brokerCpuMs', 'brokerCpuUsPerMsg', 'fsyncsPer1k', 'diskBytesPerMsg', 'brokerRssPeakMib'] as const) assert.equal(c.cost?.[k], null, k);
    assert.match(c.cost?.note ?? '', /no broker figures/);
    const rows = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    for (const col of COST_COLUMNS) assert.ok(col in rows[0], col);
    assert.equal(rows[0].fsyncs_per_1k, '');
    assert.equal(rows[0].broker_cpu_us_per_msg, '');
    assert.equal(rows[0].metrics_source, 'none');
    assert.ok(Number(rows[0].client_cpu_us_per_msg) > 0);
  });

  test("another broker's metrics endpoint is not used: the cluster names differ", async () => {
    const scenario = loadScenario(null, { axes: { consumers: '0', publish: 'async:100' }, messages: 200, warmup: 20 });
    const { run: r } = await runScenario(scenario, { url: node.url, report: false, outDir: outDir(), metricsUrl: 'http://127.0.0.1:15692/metrics' });
    assert.equal(r.metrics?.source, 'none');
    assert.match(r.metrics!.detail, /are of cluster .+, the broker is /);
    assert.equal(r.cells[0].cost?.brokerCpuUsPerMsg, null);
  });

  test('faults: a killed node has no broker figures (counters restart), a closed connection keeps them', async () => {
    const [cell] = expandMatrix({ ...DEFAULT_AXES, publish: ['single'], durability: ['persistent'], consumers: [1], size: [256] });
    const window = { messages: 600, durationSeconds: null, warmupMessages: 50, repetitions: 1, cellTimeoutSeconds: 120, drainSeconds: 3 };
    const killed = await runFaultCell(cell, { kind: 'kill9' }, { node, runId: `cost-${process.pid}`, window });
    assert.equal(killed.status, 'ok', killed.reason);
    assert.equal(killed.cost?.brokerCpuMs, null);
    assert.match(killed.cost?.note ?? '', /restarted or stopped in the window/);
    const closed = await runFaultCell(cell, { kind: 'close-connections' }, { node, runId: `cost-${process.pid}-b`, window });
    assert.equal(closed.status, 'ok', closed.reason);
    assert.ok((closed.cost?.brokerCpuUsPerMsg ?? 0) > 0, closed.cost?.note ?? '');
  });
});

describe('the system node', { timeout: 120_000 }, () => {
  test('found by its port on 127.0.0.1: local figures (other traffic on it only adds to them)', async () => {
    const r = await run('amqp://guest:guest@127.0.0.1:5672', { durability: 'transient', publish: 'async:100' }, 500);
    assert.equal(r.metrics?.source, 'local', r.metrics?.detail);
    assert.ok((r.cells[0].cost?.brokerCpuUsPerMsg ?? 0) > 0);
    assert.notEqual(r.cells[0].cost?.fsyncsPer1k, null);
  });

  test('its rabbitmq_prometheus endpoint: live CPU, and io figures or the reason they are missing', async () => {
    const r = await run('amqp://guest:guest@127.0.0.1:5672', { durability: 'transient', publish: 'async:100' }, 500, 'http://127.0.0.1:15692/metrics');
    const c = r.cells[0].cost!;
    assert.equal(c.metricsSource, 'prometheus', c.note ?? '');
    assert.ok((c.brokerCpuUsPerMsg ?? 0) > 0);
    assert.ok(c.fsyncsPer1k !== null || /no fsync, byte or memory figures/.test(c.note ?? ''), c.note ?? '');
  });
});
