// The quick matrix, shrunk, end to end against the real broker: every cell delivers everything and
// every output file holds what it should. Run for every client: the stream-protocol client on a stream
// queue (the only kind it speaks to); the cells a client refuses (tx over AMQP 1.0 and the stream
// protocol) are exactly those its registry entry refuses, with that reason, and the rest must hold.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { decodeHistogram } from '../../src/measure/histogram.js';
import { SUMMARY_COLUMNS } from '../../src/report/csv.js';
import type { RunFile } from '../../src/run/result.js';
import { clientUnsupportedReason } from '../../src/clients/registry.js';
import { CLIENTS } from '../../src/scenario/types.js';
import { runCli, tempDir } from '../helpers/cli.js';

for (const client of CLIENTS) describe(`${client}: quick matrix (2 durabilities x 5 publish modes) against the real broker`, () => {
  const dir = tempDir();
  let run: RunFile;
  let rows: Record<string, string>[];

  const queue = client === 'stream' ? ['--queue', 'stream'] : [];
  /** The cells this client runs (all of them for the AMQP 0-9-1 clients). */
  const measured = () => run.cells.filter((r) => clientUnsupportedReason(r.cell) === null);

  before(async () => {
    const r = await runCli(['run', 'bench/quick.yaml', '--client', client, ...queue, '--messages', '1500', '--warmup', '100', '--out', dir, '--no-report'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    rows = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true });
    const runs = new Set(measured().map((c) => c.cell.id));
    rows = rows.filter((row) => runs.has(row.cell));
  });

  test('the cells the client refuses are unsupported with its reason, and only those', () => {
    for (const r of run.cells) {
      const refused = clientUnsupportedReason(r.cell);
      if (refused === null) assert.notEqual(r.status, 'unsupported', r.cell.id);
      else assert.deepEqual([r.status, r.reason], ['unsupported', refused], r.cell.id);
    }
    assert.ok(measured().length >= 8, `${client} runs most of the quick matrix`);
  });

  test('run.json is complete, with 10 cells and the environment', () => {
    assert.equal(run.complete, true);
    assert.equal(run.cells.length, 10);
    assert.match(run.environment!.broker.version, /^\d+\.\d+/);
    assert.match(run.environment!.clients[client], /^\d+\.\d+\.\d+/);
    for (const r of run.cells) assert.equal(r.cell.client, client);
    assert.doesNotMatch(JSON.stringify(run), /guest:guest@/, 'password must be masked');
  });

  test('every cell delivers everything: received == sent, lost 0, duplicates 0', () => {
    for (const r of measured()) {
      assert.equal(r.status, 'ok', `${r.cell.id}: ${r.reason}`);
      assert.equal(r.counts.sent, 1500, r.cell.id);
      assert.equal(r.counts.received, r.counts.sent, r.cell.id);
      assert.equal(r.counts.lost, 0, r.cell.id);
      assert.equal(r.counts.duplicates, 0, r.cell.id);
      assert.equal(r.counts.missing, 0, r.cell.id);
      if (r.cell.publish.kind !== 'none') assert.equal(r.counts.confirmed, r.counts.sent, r.cell.id);
    }
  });

  test('publish latency holds exactly one value per confirmed message; none has none', () => {
    for (const r of measured()) {
      if (r.cell.publish.kind === 'none') {
        assert.equal(r.publishLatency, null);
        assert.equal(r.histograms.publish, null);
        assert.equal(r.counts.confirmed, null);
      } else {
        assert.equal(decodeHistogram(r.histograms.publish!).totalCount, r.counts.confirmed, r.cell.id);
        assert.equal(r.publishLatency!.count, r.counts.confirmed);
      }
      assert.equal(decodeHistogram(r.histograms.e2e!).totalCount, r.counts.received, r.cell.id);
    }
  });

  test('summary.csv has every documented column, figures present, empty where undefined', () => {
    const header = readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')[0].split(',');
    for (const c of SUMMARY_COLUMNS) assert.ok(header.includes(c), `column ${c}`);
    assert.equal(rows.length, measured().length);
    for (const row of rows) {
      for (const c of ['sent', 'received', 'lost', 'sent_per_s', 'consumed_per_s', 'e2e_p50_us', 'e2e_p99_us', 'client_cpu_pct']) {
        assert.notEqual(row[c], '', `${row.cell} ${c}`);
      }
      const none = row.publish === 'none';
      for (const c of ['confirmed', 'confirmed_per_s', 'publish_p50_us', 'publish_p99_us', 'publish_p999_us', 'publish_max_us']) {
        assert.equal(row[c] === '', none, `${row.cell} ${c} should be ${none ? 'empty' : 'present'}`);
      }
      assert.equal(row.lost, '0');
    }
  });

  test('per-message confirm latency agrees with 1/throughput (the clock is honest)', () => {
    for (const r of measured().filter((c) => c.cell.publish.kind === 'single')) {
      // One message in flight at a time: the mean publish latency is the time per message.
      const perMessageUs = 1e6 / r.rates.confirmedPerS!;
      const ratio = r.publishLatency!.meanUs / perMessageUs;
      assert.ok(ratio > 0.5 && ratio <= 1.05, `${r.cell.id}: mean latency ${r.publishLatency!.meanUs} µs vs ${perMessageUs.toFixed(1)} µs per message`);
    }
  });

  test('each .hgrm file parses back to the percentiles it was written from', () => {
    for (const a of run.aggregates) {
      for (const kind of ['publish', 'e2e'] as const) {
        if (!a.histograms[kind]) continue;
        const h = decodeHistogram(a.histograms[kind]!);
        const text = readFileSync(join(dir, 'histograms', `${a.cell.id}.${kind}.hgrm`), 'utf8');
        const points = text
          .split('\n')
          .map((l) => l.trim().split(/\s+/).map(Number))
          .filter((p) => p.length === 4 && p.every(Number.isFinite));
        assert.ok(points.length > 10, 'percentile rows');
        for (const [value, percentile] of points) {
          // The .hgrm lists each bucket's highest equivalent value: equal within the 3 significant digits recorded.
          const expected = h.getValueAtPercentile(percentile * 100);
          assert.ok(Math.abs(value - expected) <= expected * 0.001 + 1, `${a.cell.id} ${kind} p${percentile}: ${value} vs ${expected}`);
        }
        assert.equal(points.at(-1)![2], h.totalCount);
        assert.equal(readFileSync(join(dir, 'histograms', `${a.cell.id}.${kind}.hdr`), 'utf8').trim(), a.histograms[kind]);
      }
    }
  });

  test('timeline.csv covers the cells second by second', () => {
    const timeline = parse(readFileSync(join(dir, 'timeline.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(timeline[0]).slice(0, 6), ['cell', 'repetition', 'second', 'sent', 'confirmed', 'consumed']);
    for (const r of measured()) {
      const own = timeline.filter((t) => t.cell === r.cell.id);
      assert.ok(own.length >= 1, r.cell.id);
      assert.equal(own.reduce((n, t) => n + Number(t.sent), 0), r.counts.sent, `${r.cell.id} timeline sums to sent`);
      // A cell shorter than a minute has one latency interval: the whole window, on its last row.
      const withLatency = own.filter((t) => t.interval_e2e_p99_us !== '');
      assert.equal(withLatency.length, 1, r.cell.id);
      assert.equal(withLatency[0], own.at(-1));
      assert.equal(r.latencyIntervals?.[0].e2e?.count, r.counts.received, r.cell.id);
    }
  });
});

describe('cells beyond the quick matrix', () => {
  test('publish-only (--consumers 0): the queue is counted; everything confirmed is there', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--publish', 'async:100,tx:10', '--durability', 'persistent', '--consumers', '0', '--messages', '2000', '--warmup', '100', '--out', dir, '--no-report']);
    assert.equal(r.code, 0, r.stderr);
    const run: RunFile = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    for (const c of run.cells) {
      assert.equal(c.counts.confirmed, 2000);
      assert.equal(c.counts.received, 2000, 'queued after the run');
      assert.equal(c.rates.consumedPerS, null);
      assert.equal(c.e2eLatency, null);
    }
  });

  test('quorum and stream queues, manual, multi-ack and auto-ack consumers, both clients: everything delivered', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--client', 'amqplib,rabbitmq-client', '--queue', 'quorum,stream', '--consume', 'manual:50,manual:100:10,auto', '--publish', 'async:200', '--messages', '1000', '--warmup', '50', '--out', dir, '--no-report'], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    const run: RunFile = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    assert.equal(run.cells.length, 12);
    for (const c of run.cells) {
      if (c.cell.queue === 'stream' && c.cell.consume.ack === 'auto') {
        // RabbitMQ refuses noAck consumers on streams: reported, never silently skipped.
        assert.equal(c.status, 'unsupported');
        assert.match(c.reason!, /manual acknowledgement/);
        continue;
      }
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.equal(c.counts.received, 1000, c.cell.id);
      assert.equal(c.counts.confirmed, 1000, c.cell.id);
      assert.equal(c.counts.lost, 0, c.cell.id);
      assert.equal(c.counts.duplicates, 0, c.cell.id);
    }
  });

  test('4 producers and 2 consumers: 4x the messages, none lost, multi-ack', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--producers', '4', '--consumers', '2', '--consume', 'manual:100:10', '--messages', '1000', '--warmup', '50', '--out', dir, '--no-report']);
    assert.equal(r.code, 0, r.stderr);
    const [c] = (JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunFile).cells;
    assert.equal(c.counts.sent, 4000);
    assert.equal(c.counts.received, 4000);
    assert.equal(c.counts.lost, 0);
    assert.equal(c.counts.duplicates, 0);
    assert.equal(decodeHistogram(c.histograms.e2e!).totalCount, 4000);
  });
});
