// A run split over two agents (ackbench run --shard 1/2 and --shard 2/2, two processes started
// together against the real broker), then merged with ackbench merge: the merged counts are exact,
// the merged percentiles come from the shards' merged histograms, and the report reads the result.

import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { decodeHistogram, mergeEncoded, summarize } from '../../src/measure/histogram.js';
import type { RunFile } from '../../src/run/result.js';
import type { ShardBitsFile } from '../../src/run/shard.js';
import { runCli, tempDir } from '../helpers/cli.js';

const MESSAGES = 2000;
const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

function shardArgs(group: string, shard: string, out: string, extra: string[] = []): string[] {
  return ['run', '--producers', '2', '--consumers', '2', '--messages', String(MESSAGES), '--warmup', '100', '--publish', 'async:500', '--shard', shard, '--shard-group', group, '--out', out, '--no-report', ...extra];
}

describe('a run split over two agents, merged', () => {
  const root = tempDir();
  const group = `test-${process.pid}-${Date.now()}`;
  const dirs = [join(root, 'shard1'), join(root, 'shard2')];
  const merged = join(root, 'merged');
  let shards: RunFile[];
  let run: RunFile;
  let shardOutputs: Array<{ stdout: string; stderr: string }>;
  let mergeStdout = '';

  before(
    async () => {
      const results = await Promise.all([runCli(shardArgs(group, '1/2', dirs[0]), { timeoutMs: 50_000 }), runCli(shardArgs(group, '2/2', dirs[1]), { timeoutMs: 50_000 })]);
      results.forEach((r, k) => assert.equal(r.code, 0, `shard ${k + 1}: exit ${r.code}\n${r.stderr}\n${r.stdout}`));
      shards = dirs.map(readRun);
      shardOutputs = results;
      const m = await runCli(['merge', ...dirs, '--out', merged, '--no-report'], { timeoutMs: 30_000 });
      assert.equal(m.code, 0, `merge: exit ${m.code}\n${m.stderr}\n${m.stdout}`);
      mergeStdout = m.stdout;
      run = readRun(merged);
    },
    { timeout: 60_000 },
  );

  test("each shard's output says which shard it is; merge prints the merged table", () => {
    shardOutputs.forEach((o, k) => {
      assert.match(o.stderr, new RegExp(`shard ${k + 1}/2 of group ${group}`), 'at the start');
      assert.match(o.stdout, new RegExp(`shard ${k + 1}/2 of group ${group}: this shard's own figures`), 'above its table');
    });
    assert.match(mergeStdout, /cell +status +sent\/s/);
    assert.match(mergeStdout, /merged 2 shards/);
    assert.doesNotMatch(mergeStdout, /this shard's own/);
  });

  test('each shard marks its run.json and ran its own share of producers and consumers', () => {
    shards.forEach((s, k) => {
      assert.deepEqual({ ...s.shard, clock: undefined }, { index: k + 1, count: 2, group, clock: undefined });
      assert.equal(s.complete, true);
      assert.equal(s.cells.length, 1);
      const cell = s.cells[0];
      assert.equal(cell.status, 'ok', cell.reason);
      assert.equal(cell.counts.sent, MESSAGES, 'one producer of two per shard');
      const bits = JSON.parse(readFileSync(join(dirs[k], 'bits', `${cell.cell.id}.r1.json`), 'utf8')) as ShardBitsFile;
      assert.deepEqual(bits.producers.map((p) => p.index), [k], 'producer ids are global: shard 1 runs 0, shard 2 runs 1');
      assert.deepEqual(bits.consumers.map((c) => c.index), [k]);
    });
    assert.equal(shards[0].shard!.clock, shards[1].shard!.clock, 'one host, one clock');
  });

  test('merged counts are exact: the sums, received == sent, lost 0', () => {
    assert.equal(run.complete, true);
    assert.deepEqual(run.merged?.runIds, shards.map((s) => s.runId));
    assert.equal(run.merged?.sameClock, true);
    assert.equal(run.cells.length, 1);
    const cell = run.cells[0];
    assert.equal(cell.status, 'ok', cell.reason);
    assert.equal(cell.counts.sent, shards[0].cells[0].counts.sent + shards[1].cells[0].counts.sent);
    assert.equal(cell.counts.sent, 2 * MESSAGES);
    assert.equal(cell.counts.confirmed, cell.counts.sent);
    assert.equal(cell.counts.received, cell.counts.sent);
    assert.equal(cell.counts.received, shards[0].cells[0].counts.received + shards[1].cells[0].counts.received, 'each message went to one shard');
    assert.equal(cell.counts.lost, 0);
    assert.equal(cell.counts.missing, 0);
    assert.equal(cell.counts.duplicates, 0);
    assert.ok(cell.rates.consumedPerS! > 0);
    // The union window is at least each shard's own.
    for (const s of shards) assert.ok(cell.window.consumeSeconds! >= s.cells[0].window.consumeSeconds! - 0.05);
  });

  test('merged percentiles are those of the shards\u2019 encoded histograms merged', () => {
    const cell = run.cells[0];
    for (const kind of ['publish', 'e2e'] as const) {
      const expected = summarize(mergeEncoded(shards.map((s) => s.cells[0].histograms[kind])));
      const latency = kind === 'publish' ? cell.publishLatency : cell.e2eLatency;
      assert.deepEqual(latency, expected, kind);
      assert.equal(decodeHistogram(cell.histograms[kind]!).totalCount, 2 * MESSAGES, kind);
    }
  });

  test('ackbench report reads the merged run', { timeout: 60_000 }, async () => {
    const r = await runCli(['report', merged], { timeoutMs: 55_000 });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
    assert.ok(existsSync(join(merged, 'index.html')));
  });

  test('merging a missing shard or mismatched shards is a one-line error, exit 2', { timeout: 60_000 }, async () => {
    const missing = await runCli(['merge', dirs[0], '--out', join(root, 'm1')], { timeoutMs: 30_000 });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /shard 2\/2 .*missing/);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);

    const other = join(root, 'other');
    cpSync(dirs[1], other, { recursive: true });
    const file = readRun(other);
    file.scenario.window.messages = MESSAGES + 1;
    writeFileSync(join(other, 'run.json'), JSON.stringify(file));
    const mismatched = await runCli(['merge', dirs[0], other, '--out', join(root, 'm2')], { timeoutMs: 30_000 });
    assert.equal(mismatched.code, 2, mismatched.stderr);
    assert.match(mismatched.stderr, /different scenario/);
    assert.equal(mismatched.stderr.trim().split('\n').length, 1, mismatched.stderr);
  });

  test('agents of one group running different scenarios refuse to start, exit 2', { timeout: 60_000 }, async () => {
    const g = `${group}-x`;
    const [a, b] = await Promise.all([
      runCli(shardArgs(g, '1/2', join(root, 'x1')), { timeoutMs: 50_000 }),
      runCli(shardArgs(g, '2/2', join(root, 'x2'), ['--messages', String(MESSAGES / 2)]), { timeoutMs: 50_000 }),
    ]);
    assert.equal(a.code, 2, a.stderr);
    assert.equal(b.code, 2, b.stderr);
    assert.match(a.stderr + b.stderr, /different scenario/);
  });
});
