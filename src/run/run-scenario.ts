// The matrix orchestrator and programmatic API: every cell x repetition in order, outputs rewritten
// atomically after each one (run.json stays `complete: false` until the end), resumable.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { maskCredentials, resolveBrokerUrl } from '../broker/url.js';
import { probeEnvironment } from '../broker/environment.js';
import { resolveMetricsSource, type MetricsSource } from '../broker/cost-sampler.js';
import { aggregate } from '../stats/aggregate.js';
import { refuseFaultsInRun } from '../scenario/faults.js';
import type { Scenario } from '../scenario/types.js';
import { writeFileAtomic } from './atomic-write.js';
import { runCellRepetition } from './cell-runner.js';
import type { Progress } from './open-window.js';
import type { CellResult, RunFile } from './result.js';
import { finishRunFiles, makeRunId, newRunFile, prepareRunDir, writeRunFiles, writeRunReport } from './run-dir.js';
import { sweepCells } from './sweep.js';
import { judgeProbe, maxRateOf, nextProbeRate, type MaxRateSearch } from './max-rate.js';
import { cellId } from '../scenario/matrix.js';
import type { Cell } from '../scenario/types.js';
import { median } from '../stats/spread.js';
import { ControlBus } from './shard-control.js';
import { runShardCellRepetition } from './shard-runner.js';
import { bitsFileName, clockDomain, defaultGroup, scenarioFingerprint, type ShardInfo } from './shard.js';

export type RunEvent =
  | { type: 'run-start'; runId: string; dir: string; cells: number; repetitions: number; broker: string; shard?: { index: number; count: number; group: string } }
  | { type: 'cell-start'; index: number; total: number; cell: string; repetition: number }
  | ({ type: 'progress'; cell: string; repetition: number } & Progress)
  | { type: 'cell-result'; index: number; total: number; result: CellResult }
  | { type: 'max-rate'; cell: string; search: MaxRateSearch }
  | { type: 'run-end'; dir: string; complete: boolean; problems: string[] };

export interface RunOptions {
  /** Output directory; default results/<run-id>. */
  outDir?: string;
  /** Overrides the scenario's URL; else AMQP_URL, else the default local broker. */
  url?: string;
  /** Continue the run in outDir: only repetitions missing from its run.json are run. */
  resume?: boolean;
  onEvent?: (e: RunEvent) => void;
  /** Aborting ends the current repetition early and stops the run; what finished is kept. */
  signal?: AbortSignal;
  /** Write the HTML report and charts at the end (default true). */
  report?: boolean;
  /**
   * Rate sweep: after each unlimited cell, run it again paced at these fractions of the throughput
   * it reached (e.g. 0.1 ... 1), giving the latency-versus-throughput curve (docs/architecture.md#rate-control-and-the-sweep).
   */
  sweep?: number[];
  /**
   * --max-rate: after each unpaced cell with consumers, search the highest paced rate at which they
   * keep up with end-to-end p99 under this bound, in ms (run/max-rate.ts); set on the cell's results.
   */
  maxRateP99Ms?: number;
  /**
   * Run shard `index` of `count` (1-based): this agent's share of every cell's producers and consumers,
   * on queues shared with the other agents of `group` (default: scenario name and count), in step with
   * them through the control exchange `ackbench.control.<group>` on the broker. `ackbench merge`
   * combines the agents' directories. Not with `resume` or `sweep`.
   */
  shard?: { index: number; count: number; group?: string; joinTimeoutSeconds?: number };
  /**
   * Where broker-side cost figures come from: by default the broker's own counters when it runs on
   * this host, else http://<broker host>:15692/metrics (rabbitmq_prometheus); a URL here is scraped
   * instead; 'none' turns them off (broker/cost-sampler.ts).
   */
  metricsUrl?: string;
}

export interface RunOutcome {
  dir: string;
  run: RunFile;
  /** Integrity problems and failed cells: a non-empty list means exit code 1. */
  problems: string[];
}

export function problemsOf(results: CellResult[]): string[] {
  const problems: string[] = [];
  for (const r of results) {
    const where = `${r.cell.id} r${r.repetition}`;
    if (r.status === 'failed') problems.push(`${where}: failed: ${r.reason}`);
    else if (r.status === 'ok') {
      if (r.counts.lost > 0) problems.push(`${where}: ${r.counts.lost} confirmed messages lost`);
      if (r.counts.unexpected > 0) problems.push(`${where}: ${r.counts.unexpected} unexpected messages`);
    }
  }
  return problems;
}

/** --resume: the run.json of the run to continue, checked; null for a new run. */
function previousRun(options: RunOptions): RunFile | null {
  if (!options.resume) return null;
  if (!options.outDir) throw new UsageError('--resume: give the run directory to continue');
  const file = join(options.outDir, 'run.json');
  if (!existsSync(file)) throw new UsageError(`--resume ${options.outDir}: no run.json there`);
  let previous: RunFile | null;
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
  } catch (err) {
    throw new UsageError(`--resume ${options.outDir}: cannot read run.json (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (previous?.format !== 'ackbench-run/1' || !Array.isArray(previous.cells)) throw new UsageError(`--resume ${options.outDir}: run.json is not an ackbench run file`);
  return previous;
}

/** What --shard cannot be combined with (UsageError, exit 2). */
function checkShardOptions(options: RunOptions): void {
  if (!options.shard) return;
  if (options.resume) throw new UsageError('--resume cannot continue a sharded run (--shard): run the shards again');
  if (options.maxRateP99Ms !== undefined) throw new UsageError('--max-rate cannot be combined with --shard: each agent would probe different rates');
  if (options.sweep?.length) throw new UsageError('--sweep cannot be combined with --shard: each agent would derive different paced cells');
}

interface JoinedShard {
  shard: ShardInfo;
  bus: ControlBus;
  clocks: ReadonlyMap<number, string>;
}

/** --shard: joins the other agents on the control exchange; a peer that never joins is a UsageError. */
async function joinShard(url: string, scenario: Scenario, spec: NonNullable<RunOptions['shard']>, signal?: AbortSignal): Promise<JoinedShard> {
  const shard: ShardInfo = { index: spec.index, count: spec.count, group: spec.group ?? defaultGroup(scenario.name, spec.count), clock: clockDomain() };
  const bus = await ControlBus.open(url, shard, scenarioFingerprint(scenario), shard.clock);
  try {
    return { shard, bus, clocks: await bus.join((spec.joinTimeoutSeconds ?? 120) * 1000, signal) };
  } catch (err) {
    await bus.close();
    // A peer that never joined is a setup problem (exit 2), not a finding; an interrupt is the caller's.
    if (err instanceof UsageError || signal?.aborted) throw err;
    throw new UsageError(`--shard: ${(err as Error).message}; start the other agents with the same scenario, --shard I/${shard.count} and --shard-group`);
  }
}

/** One run as it goes: its files, and where in the list of repetitions it is. */
interface RunState {
  scenario: Scenario;
  options: RunOptions;
  url: string;
  runId: string;
  dir: string;
  run: RunFile;
  metrics: MetricsSource;
  joined: JoinedShard | null;
  /** Repetitions kept from the run resumed, by `<cell>#<repetition>`. */
  done: Map<string, CellResult>;
  emit: (e: RunEvent) => void;
  index: number;
  total: number;
}

/** A result recorded: the aggregates recomputed, the files rewritten, the event sent. */
function record(state: RunState, result: CellResult): void {
  state.run.cells.push(result);
  state.run.aggregates = aggregate(state.run.cells);
  writeRunFiles(state.dir, state.run);
  state.emit({ type: 'cell-result', index: state.index, total: state.total, result });
}

/** One repetition of a cell, plain or as this agent's shard of it; null when the run was interrupted meanwhile. */
async function runOneRepetition(state: RunState, cell: Cell, repetition: number): Promise<CellResult | null> {
  const { options, joined } = state;
  state.emit({ type: 'cell-start', index: state.index, total: state.total, cell: cell.id, repetition });
  const cellOptions = {
    url: state.url,
    runId: state.runId,
    window: state.scenario.window,
    signal: options.signal,
    metrics: state.metrics,
    onProgress: (p: Progress) => state.emit({ type: 'progress', cell: cell.id, repetition, ...p }),
  };
  let result: CellResult;
  if (joined) {
    const outcome = await runShardCellRepetition(cell, repetition, { ...cellOptions, ...joined });
    // The bitsets first: run.json never names a repetition whose bits/ file is missing.
    if (outcome.bits && !options.signal?.aborted) writeFileAtomic(join(state.dir, 'bits', bitsFileName(cell.id, repetition)), `${JSON.stringify(outcome.bits)}\n`);
    result = outcome.result;
  } else {
    result = await runCellRepetition(cell, repetition, cellOptions);
  }
  // An interrupted repetition is not a result: resume runs it again.
  return options.signal?.aborted ? null : result;
}

/** Every repetition of a cell (kept ones from a resumed run as they were); null when the run was interrupted. */
async function runCell(state: RunState, cell: Cell): Promise<CellResult[] | null> {
  const ofCell: CellResult[] = [];
  for (let repetition = 1; repetition <= state.scenario.window.repetitions; repetition++) {
    state.index++;
    if (state.options.signal?.aborted) return null;
    const kept = state.done.get(`${cell.id}#${repetition}`);
    if (kept) {
      state.run.cells.push(kept);
      ofCell.push(kept);
      continue;
    }
    const result = await runOneRepetition(state, cell, repetition);
    if (!result) return null;
    ofCell.push(result);
    record(state, result);
  }
  return ofCell;
}

/**
 * --max-rate: probes of the unpaced cell paced at rates the search picks (max-rate.ts), each one
 * repetition kept in run.cells like a sweep cell; the search is set on the cell's results. False
 * when the run was interrupted.
 */
async function searchMaxRate(state: RunState, cell: Cell, ofCell: CellResult[], p99BoundMs: number): Promise<boolean> {
  const okOfCell = ofCell.filter((r) => r.status === 'ok' && r.rates.consumedPerS);
  const { url, runId, options } = state;
  const search: MaxRateSearch = {
    ratePerS: null,
    unpacedConsumedPerS: median(okOfCell.map((r) => r.rates.consumedPerS!)),
    unpacedSentPerS: median(okOfCell.map((r) => r.rates.sentPerS)),
    p99BoundMs,
    probes: [],
  };
  // Probes of each probe cell so far: a retried rate is the cell's next repetition.
  const probed = new Map<string, number>();
  for (let rate = nextProbeRate(search); rate !== null && !options.signal?.aborted; rate = nextProbeRate(search)) {
    const perProducer = Math.max(1, Math.round(rate / cell.producers));
    const paced: Cell = { ...cell, rate: perProducer };
    const probe = { ...paced, id: cellId(paced) };
    const last = search.probes.at(-1);
    const retry = last !== undefined && !last.held && last.ratePerS === perProducer * cell.producers;
    // Rates split over several producers round to whole msg/s each: the same cell again, other than as a retry, ends the search.
    const repetition = (probed.get(probe.id) ?? 0) + 1;
    if (repetition > 1 && !retry) break;
    probed.set(probe.id, repetition);
    state.index++;
    state.total++;
    // --resume: the same unpaced results lead to the same probes; one already run is kept.
    let result = state.done.get(`${probe.id}#${repetition}`);
    if (!result) {
      state.emit({ type: 'cell-start', index: state.index, total: state.total, cell: probe.id, repetition });
      const onProgress = (p: Progress) => state.emit({ type: 'progress', cell: probe.id, repetition, ...p });
      result = await runCellRepetition(probe, repetition, { url, runId, window: state.scenario.window, signal: options.signal, onProgress });
      if (options.signal?.aborted) return false;
    }
    record(state, result);
    search.probes.push(judgeProbe(result, perProducer * cell.producers, p99BoundMs));
  }
  search.ratePerS = maxRateOf(search.probes);
  for (const r of ofCell) r.maxRate = search;
  state.run.aggregates = aggregate(state.run.cells);
  writeRunFiles(state.dir, state.run);
  state.emit({ type: 'max-rate', cell: cell.id, search });
  return true;
}

/** Every cell in order, then the sweep cells derived from them and the --max-rate probes; false when interrupted. */
async function runCells(state: RunState): Promise<boolean> {
  const { scenario, options } = state;
  // Sweep cells are derived from measured maxima, so the list grows while the run goes.
  const queue = [...scenario.cells];
  const sweep = options.sweep ?? [];
  for (let k = 0; k < queue.length; k++) {
    const cell = queue[k];
    const ofCell = await runCell(state, cell);
    if (!ofCell) return false;
    if (sweep.length && cell.rate === null && k < scenario.cells.length) {
      const derived = sweepCells(cell, ofCell, sweep);
      state.total -= (sweep.length - derived.length) * scenario.window.repetitions;
      queue.push(...derived);
    }
    const measured = ofCell.some((r) => r.status === 'ok' && r.rates.consumedPerS);
    if (options.maxRateP99Ms !== undefined && cell.rate === null && cell.consumers > 0 && k < scenario.cells.length && measured) {
      if (!(await searchMaxRate(state, cell, ofCell, options.maxRateP99Ms))) return false;
    }
  }
  return true;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  refuseFaultsInRun(scenario);
  const url = resolveBrokerUrl(options.url, scenario.url);
  const emit = options.onEvent ?? (() => undefined);
  const previous = previousRun(options);
  checkShardOptions(options);
  const shardSuffix = options.shard ? `-shard${options.shard.index}of${options.shard.count}` : '';
  const runId = previous?.runId ?? `${makeRunId(scenario.name)}${shardSuffix}`;
  const dir = prepareRunDir(options.outDir, runId);
  const environment = await probeEnvironment(url, scenario.cells);
  // A shard's messages are its own while a node's counters are everyone's: no broker figures per shard.
  const metrics: MetricsSource = options.shard
    ? { kind: 'none', detail: 'a shard of a sharded run: the broker counters are node-wide, the messages this shard\'s' }
    : await resolveMetricsSource(url, options.metricsUrl, environment.broker.cluster);
  const joined = options.shard ? await joinShard(url, scenario, options.shard, options.signal) : null;
  const shard = joined?.shard ?? null;

  const done = new Map<string, CellResult>();
  for (const r of previous?.cells ?? []) if (r.status !== 'failed') done.set(`${r.cell.id}#${r.repetition}`, r);

  const run: RunFile = {
    ...newRunFile(runId, { name: scenario.name, axes: scenario.axes, window: scenario.window }, environment, previous?.startedAt ?? new Date().toISOString()),
    ...(shard ? { shard } : {}),
    metrics: { source: metrics.kind, detail: metrics.detail },
  };
  emit({ type: 'run-start', runId, dir, cells: scenario.cells.length, repetitions: scenario.window.repetitions, broker: maskCredentials(url), ...(shard ? { shard: { index: shard.index, count: shard.count, group: shard.group } } : {}) });

  const total = scenario.cells.length * (1 + (options.sweep ?? []).length) * scenario.window.repetitions;
  const state: RunState = { scenario, options, url, runId, dir, run, metrics, joined, done, emit, index: 0, total };
  await runCells(state);

  // Leaving says so on the control exchange: a peer still waiting on this agent fails at once.
  if (joined) await joined.bus.close();
  finishRunFiles(dir, run, !options.signal?.aborted && run.cells.length === state.total);
  await writeRunReport(dir, run, options.report);
  const problems = problemsOf(run.cells);
  emit({ type: 'run-end', dir, complete: run.complete, problems });
  return { dir, run, problems };
}
