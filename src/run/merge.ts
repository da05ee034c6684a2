// ackbench merge DIR... --out DIR: the N directories of a sharded run (ackbench run --shard I/N)
// combined exactly into one run directory that `ackbench report` and `compare` read.
//
// Per cell and repetition:
// - counts: the producers' reports of every shard and the consumers' reports of every shard, read back
//   from bits/<cell>.r<rep>.json, go through account() together, exactly as one host's workers would:
//   sent / confirmed / nacked / unknown are sums; received is the union of every consumer's bitsets;
//   lost = confirmed by any shard's producer and received by no shard's consumer; duplicates include
//   a message received by consumers of two shards.
// - latency: the shards' encoded histograms merged (bucket counts added), never averaged percentiles.
// - windows and rates: when every shard's timestamps are on one clock (same kernel boot id), the
//   union window: from the earliest first measured send of any shard to the latest end of any shard.
//   Across clocks, timestamps cannot be compared: each window is the longest of the shards' own
//   windows (they open together, within a broker round trip, so this is the union window up to that
//   skew). run.json `merged.sameClock` says which.
// - timeline: per second of the window, summed over shards; client CPU: the busiest shard's;
//   client-bound if any shard was.
// The merged run is complete only if every shard run is complete and all of them ran every repetition.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { account } from '../measure/accounting.js';
import { mergeEncoded, summarize } from '../measure/histogram.js';
import { readRunFile, RunFileError } from '../report/run-file.js';
import { writeHistogramFiles } from '../report/csv.js';
import { aggregate } from '../stats/aggregate.js';
import { cellResultFrom, measuredWindow, type MeasuredWindow } from './cell-result.js';
import { notRunResult } from './not-run.js';
import type { CellResult, LatencyInterval, RunFile, TimelinePoint } from './result.js';
import { prepareOutputDir } from './out-path.js';
import { writeRunFiles, writeRunReport } from './run-dir.js';
import { sumBehindSchedule } from './behind-schedule.js';
import { problemsOf } from './run-scenario.js';
import { bitsFileName, loadReports, type ShardBitsFile } from './shard.js';
import { publishAnswered } from '../scenario/publish-traits.js';

export interface MergeOptions {
  outDir: string;
  /** Write the HTML report and charts (default true). */
  report?: boolean;
}

export interface MergeOutcome {
  dir: string;
  run: RunFile;
  /** Integrity problems and failed repetitions: a non-empty list means exit code 1. */
  problems: string[];
}

interface Shard {
  dir: string;
  run: RunFile & { shard: NonNullable<RunFile['shard']> };
}

async function readShards(dirs: string[]): Promise<Shard[]> {
  if (dirs.length === 0) throw new UsageError('merge: give the shard directories to merge');
  const shards: Shard[] = [];
  for (const dir of dirs) {
    let run: RunFile;
    try {
      run = await readRunFile(dir);
    } catch (err) {
      if (err instanceof RunFileError) throw new UsageError(`merge: ${err.message}`);
      throw err;
    }
    if (!run.shard) throw new UsageError(`merge: ${dir} is not a shard of a run (no "shard" in its run.json: run it with --shard I/N)`);
    shards.push({ dir, run: run as Shard['run'] });
  }
  const first = shards[0];
  const scenarioText = (r: RunFile) => JSON.stringify({ name: r.scenario.name, axes: r.scenario.axes, window: r.scenario.window });
  for (const s of shards.slice(1)) {
    const a = first.run.shard;
    const b = s.run.shard;
    if (b.count !== a.count) throw new UsageError(`merge: ${s.dir} is shard ${b.index}/${b.count} but ${first.dir} is shard ${a.index}/${a.count}`);
    if (b.group !== a.group) throw new UsageError(`merge: ${s.dir} is of shard group '${b.group}' but ${first.dir} of '${a.group}'`);
    if (scenarioText(s.run) !== scenarioText(first.run)) {
      throw new UsageError(`merge: ${s.dir} ran a different scenario than ${first.dir} (name, axes or window differ)`);
    }
  }
  const count = first.run.shard.count;
  const byIndex = new Map<number, Shard>();
  for (const s of shards) {
    const other = byIndex.get(s.run.shard.index);
    if (other) throw new UsageError(`merge: shard ${s.run.shard.index}/${count} given twice (${other.dir} and ${s.dir})`);
    byIndex.set(s.run.shard.index, s);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length) throw new UsageError(`merge: shard ${missing.map((i) => `${i}/${count}`).join(', ')} of group '${first.run.shard.group}' is missing`);
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
}

function readBits(shard: Shard, cellId: string, repetition: number): ShardBitsFile {
  const path = join(shard.dir, 'bits', bitsFileName(cellId, repetition));
  if (!existsSync(path)) throw new UsageError(`merge: ${path} is missing: the repetition cannot be merged exactly without its bitsets`);
  let file: ShardBitsFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as ShardBitsFile;
  } catch (err) {
    throw new UsageError(`merge: ${path}: cannot read it as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (file?.format !== 'ackbench-bits/1') throw new UsageError(`merge: ${path}: not an ackbench bits file`);
  return file;
}

function sumTimelines(timelines: TimelinePoint[][]): TimelinePoint[] {
  const bySecond = new Map<number, TimelinePoint>();
  for (const t of timelines.flat()) {
    const p = bySecond.get(t.second) ?? { second: t.second, sent: 0, confirmed: 0, consumed: 0 };
    p.sent += t.sent;
    p.confirmed += t.confirmed;
    p.consumed += t.consumed;
    // The shards' rows of one second differ in length by their timers' drift; the last by when each ended.
    if (t.seconds !== undefined) p.seconds = Math.max(p.seconds ?? 0, t.seconds);
    bySecond.set(t.second, p);
  }
  return [...bySecond.values()].sort((a, b) => a.second - b.second);
}

function mergeIntervals(files: ShardBitsFile[]): LatencyInterval[] {
  const count = Math.max(0, ...files.map((f) => f.intervals?.length ?? 0));
  return Array.from({ length: count }, (_, i) => {
    const of = files.map((f) => f.intervals?.[i]).filter((x) => x !== undefined);
    return {
      interval: i + 1,
      endSecond: Math.max(0, ...of.map((x) => x.endSecond)),
      publish: summarize(mergeEncoded(of.map((x) => x.publish))),
      e2e: summarize(mergeEncoded(of.map((x) => x.e2e))),
    };
  });
}

/** One repetition that every shard ran successfully, merged exactly. */
export function mergeRepetition(results: CellResult[], files: ShardBitsFile[], sameClock: boolean): CellResult {
  const cell = results[0].cell;
  const repetition = results[0].repetition;
  const loaded = files.map(loadReports);
  const producers = loaded.flatMap((l) => l.producers);
  const consumers = loaded.flatMap((l) => l.consumers);
  const answered = publishAnswered(cell.publish.kind);
  const queued = cell.consumers === 0 ? (files.find((f) => f.queued !== null)?.queued ?? 0) : null;
  const counts = account(producers, consumers, answered, queued);

  let window: MeasuredWindow;
  if (sameClock) {
    window = measuredWindow(producers, consumers, { answered, consumed: cell.consumers > 0 });
  } else {
    const longest = (pick: (r: CellResult) => number | null) => {
      const values = results.map(pick).filter((v): v is number => v !== null);
      return values.length ? Math.max(...values) : null;
    };
    window = {
      sendSeconds: longest((r) => r.window.sendSeconds) ?? 0,
      confirmSeconds: answered ? (longest((r) => r.window.confirmSeconds) ?? 0) : null,
      consumeSeconds: cell.consumers > 0 ? (longest((r) => r.window.consumeSeconds) ?? 0) : null,
    };
  }

  return cellResultFrom({
    cell,
    repetition,
    counts,
    window,
    publishHistograms: results.map((r) => r.histograms.publish),
    e2eHistograms: results.map((r) => r.histograms.e2e),
    failure: null,
    clientCpuPct: Math.max(...results.map((r) => r.clientCpuPct)),
    clientBound: results.some((r) => r.clientBound),
    timeline: sumTimelines(results.map((r) => r.timeline)),
    latencyIntervals: mergeIntervals(files),
    behindSchedule: sumBehindSchedule(results.map((r) => r.behindSchedule)),
  });
}

export async function mergeShards(dirs: string[], options: MergeOptions): Promise<MergeOutcome> {
  const shards = await readShards(dirs);
  const dir = resolve(options.outDir);
  for (const s of shards) if (resolve(s.dir) === dir) throw new UsageError(`merge: --out ${options.outDir} is one of the shard directories`);
  prepareOutputDir(dir);
  const first = shards[0].run;
  const count = first.shard.count;
  const sameClock = shards.every((s) => s.run.shard.clock === first.shard.clock);

  // Every repetition any shard ran, in shard 1's order, then any only others ran.
  const keys: { cellId: string; repetition: number }[] = [];
  const seen = new Set<string>();
  for (const s of shards) {
    for (const r of s.run.cells) {
      const key = `${r.cell.id}#${r.repetition}`;
      if (!seen.has(key)) {
        seen.add(key);
        keys.push({ cellId: r.cell.id, repetition: r.repetition });
      }
    }
  }

  let allThere = true;
  const cells: CellResult[] = [];
  for (const { cellId, repetition } of keys) {
    const found = shards.map((s) => s.run.cells.find((r) => r.cell.id === cellId && r.repetition === repetition));
    const cell = found.find((r) => r !== undefined)!.cell;
    const absent = found.flatMap((r, k) => (r === undefined ? [k + 1] : []));
    if (absent.length) {
      allThere = false;
      cells.push(notRunResult(cell, repetition, 'failed', `not run by shard ${absent.map((i) => `${i}/${count}`).join(', ')}`));
      continue;
    }
    const results = found as CellResult[];
    const unsupported = results.find((r) => r.status === 'unsupported');
    if (unsupported) {
      cells.push(notRunResult(cell, repetition, 'unsupported', unsupported.reason ?? 'unsupported'));
      continue;
    }
    const failed = results.flatMap((r, k) => (r.status === 'failed' ? [`shard ${k + 1}/${count}: ${r.reason ?? 'failed'}`] : []));
    if (failed.length) {
      cells.push(notRunResult(cell, repetition, 'failed', failed.join('; ')));
      continue;
    }
    cells.push(mergeRepetition(results, shards.map((s) => readBits(s, cellId, repetition)), sameClock));
  }

  const hostnames = [...new Set(shards.map((s) => s.run.environment?.hostname).filter((h): h is string => Boolean(h)))];
  const finished = shards.map((s) => s.run.finishedAt);
  const run: RunFile = {
    format: 'ackbench-run/1',
    runId: `${first.runId.replace(/-shard\d+of\d+$/, '')}-merged`,
    ackbenchVersion: first.ackbenchVersion,
    complete: allThere && shards.every((s) => s.run.complete),
    startedAt: shards.map((s) => s.run.startedAt).sort()[0],
    finishedAt: finished.some((f) => f === null) ? null : (finished as string[]).sort().at(-1)!,
    scenario: first.scenario,
    environment: first.environment ? { ...first.environment, hostname: hostnames.join(',') } : null,
    cells,
    aggregates: aggregate(cells),
    merged: { group: first.shard.group, count, runIds: shards.map((s) => s.run.runId), sameClock },
  };
  writeHistogramFiles(dir, run.aggregates);
  writeRunFiles(dir, run);
  await writeRunReport(dir, run, options.report);
  return { dir, run, problems: problemsOf(run.cells) };
}
