// The few sentences at the top of a report, generated from the run's own figures: the fastest and
// slowest modes, what confirms and persistence cost, and every cell that lost messages, failed, ran
// unsteadily, saturated or was limited by its client. Pure: run in, sentences out. Every number names
// the summary.csv (or timeline.csv) row and column it comes from, so the page can be checked against
// the files (html.ts writes those as data- attributes).

import type { CellAggregate, CellResult, RunFile } from '../run/result.js';
import { promisesNoLoss } from '../run/guarantees.js';
import { publishLabel } from '../scenario/modes.js';
import { DURABILITIES } from '../scenario/types.js';
import { median } from '../stats/spread.js';
import { cellLabel } from './cell-labels.js';
import { chartableAggregates, headlineRate, runVaryingAxes, type ThroughputMeasure } from './chart-data.js';
import { formatWhole } from './format.js';
import { formatRatio, priceEntries, type CostFigures, type PriceEntry, type Ratio } from './price.js';
import { sweepPoints } from './sweep-chart.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** Where a figure lives: a row of summary.csv (cell, repetition) or of timeline.csv (cell, repetition, second). */
export interface FigureSource {
  file: 'summary.csv' | 'timeline.csv';
  cell: string;
  /** 'all' is the aggregate row summary.csv writes when a run has several repetitions. */
  repetition: number | 'all';
  second?: number;
  column: string;
  /** The figure is the column's value times this (a per-producer rate times the producers). */
  scale?: number;
}

export type FigureUnit = 'msg/s' | 'µs' | 'ms' | 's' | '%' | 'messages' | 'ratio';

export type SummaryPart =
  | string
  | { kind: 'figure'; text: string; unit: FigureUnit; value: number; source: FigureSource }
  | { kind: 'ratio'; text: string; value: number; numerator: FigureSource; denominator: FigureSource };

export type SummaryTopic = 'faults' | 'speed' | 'confirms' | 'persistence' | 'lost' | 'failed' | 'unsteady' | 'saturated' | 'client-bound' | 'bottleneck';

export interface SummarySentence {
  topic: SummaryTopic;
  /** A problem worth a reader's attention (drawn in red). */
  problem: boolean;
  parts: SummaryPart[];
}

/** A full second below this share of the cell's median second is a stall. */
export const STALL_SHARE = 0.5;
/** Repetitions whose headline rates spread wider than this share of their median are unsteady. */
export const SPREAD_SHARE = 0.25;

const RATE_COLUMN: Record<ThroughputMeasure, string> = { 'max-rate': 'max_rate_per_s', consumed: 'consumed_per_s', confirmed: 'confirmed_per_s', sent: 'sent_per_s' };

/** The summary.csv repetition of a cell's aggregate figures: 'all' when the run wrote aggregate rows. */
function aggregateRepetition(run: RunFile, aggregate: CellAggregate): number | 'all' {
  if (run.scenario.window.repetitions > 1) return 'all';
  return run.cells.find((result) => result.cell.id === aggregate.cell.id && result.status === 'ok')?.repetition ?? 1;
}

const THREE_DIGITS = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** 850 µs, 25.4 ms, 130 ms, 1,234 ms: three significant digits, never a false precision. */
export function latencyFigure(us: number, source: FigureSource): SummaryPart {
  if (us < 1000) return { kind: 'figure', text: `${formatWhole(us)} µs`, unit: 'µs', value: us, source };
  const ms = us / 1000;
  const text = ms >= 1000 ? formatWhole(ms) : THREE_DIGITS.format(ms);
  return { kind: 'figure', text: `${text} ms`, unit: 'ms', value: us, source };
}

function rateFigure(value: number, source: FigureSource): SummaryPart {
  return { kind: 'figure', text: `${formatWhole(value)} msg/s`, unit: 'msg/s', value, source };
}

function ratioPart(run: RunFile, ratio: Ratio, column: (cell: string) => string): SummaryPart {
  const source = (cell: string): FigureSource => {
    const aggregate = run.aggregates.find((a) => a.cell.id === cell)!;
    return { file: 'summary.csv', cell, repetition: aggregateRepetition(run, aggregate), column: column(cell) };
  };
  return { kind: 'ratio', text: formatRatio(ratio.ratio), value: ratio.ratio, numerator: source(ratio.numerator.cell), denominator: source(ratio.denominator.cell) };
}

/** At most this many items in one sentence; the tables give the rest. */
export const LIST_LIMIT = 4;

/** "a, b and c", or "a, b, c, d and 3 more (see the summary table)" past LIST_LIMIT items. */
function list<T>(items: readonly T[], part: (item: T) => SummaryPart[], limit = Infinity): SummaryPart[] {
  const shown = items.slice(0, limit);
  const rest = items.length - shown.length;
  const parts = shown.flatMap((item, index) => [...(index === 0 ? [] : [index === shown.length - 1 && !rest ? ' and ' : ', ']), ...part(item)]);
  if (rest) parts.push(` and ${rest} more (see the summary table)`);
  return parts;
}

/** The repetition of each cell with the highest value: one entry per cell in a sentence. */
function worstPerCell(results: readonly CellResult[], value: (r: CellResult) => number): CellResult[] {
  const worst = new Map<string, CellResult>();
  for (const result of results) {
    const kept = worst.get(result.cell.id);
    if (!kept || value(result) > value(kept)) worst.set(result.cell.id, result);
  }
  return [...worst.values()];
}

function speedSentence(run: RunFile, labelOf: (a: CellAggregate) => string): SummarySentence | null {
  const charted = chartableAggregates(run).filter((a) => a.cell.fault === undefined);
  // A sweep's paced cells run slow on purpose: fastest and slowest compare what each cell could do.
  const unpaced = charted.filter((a) => a.cell.rate === null);
  const compared = unpaced.length ? unpaced : charted;
  if (compared.length === 0) return null;
  const rate = (a: CellAggregate) => headlineRate(a).spread.median;
  const figure = (a: CellAggregate) => {
    const { measure, spread } = headlineRate(a);
    return rateFigure(spread.median, { file: 'summary.csv', cell: a.cell.id, repetition: aggregateRepetition(run, a), column: RATE_COLUMN[measure] });
  };
  const sorted = [...compared].sort((a, b) => rate(b) - rate(a));
  if (sorted.length === 1) {
    const only = sorted[0];
    const parts: SummaryPart[] = [`${labelOf(only)} ran at `, figure(only)];
    if (only.e2eLatency && only.e2eLatency.count > 0) {
      const source = (column: string): FigureSource => ({ file: 'summary.csv', cell: only.cell.id, repetition: aggregateRepetition(run, only), column });
      parts.push(', end-to-end p50 ', latencyFigure(only.e2eLatency.p50Us, source('e2e_p50_us')), ', p99 ', latencyFigure(only.e2eLatency.p99Us, source('e2e_p99_us')));
      parts.push(', p99.9 ', latencyFigure(only.e2eLatency.p999Us, source('e2e_p999_us')));
    }
    parts.push('.');
    return { topic: 'speed', problem: false, parts };
  }
  const fastest = sorted[0];
  const slowest = sorted[sorted.length - 1];
  return {
    topic: 'speed',
    problem: false,
    parts: [`Fastest: ${labelOf(fastest)} at `, figure(fastest), `; slowest: ${labelOf(slowest)} at `, figure(slowest), '.'],
  };
}

/** Entries of the first group only (the price table gives every group), per durability. */
function firstGroup(entries: readonly PriceEntry[]): { entries: PriceEntry[]; note: string } {
  const groups = [...new Set(entries.map((entry) => entry.group))];
  if (groups.length <= 1) return { entries: [...entries], note: '' };
  return { entries: entries.filter((entry) => entry.group === groups[0]), note: ` (${groups[0]}; the table below gives all ${groups.length} groups)` };
}

function confirmsSentence(run: RunFile, entries: readonly PriceEntry[]): SummarySentence | null {
  const { entries: shown, note } = firstGroup(entries.filter((entry) => entry.vsNone));
  if (shown.length === 0) return null;
  const parts: SummaryPart[] = [`Price of confirms against publish mode none${note}, throughput: `];
  const throughputColumn = (cell: string) => RATE_COLUMN[headlineRate(run.aggregates.find((a) => a.cell.id === cell)!).measure];
  DURABILITIES.forEach((durability) => {
    const ofDurability = shown.filter((entry) => entry.cell.durability === durability);
    if (ofDurability.length === 0) return;
    if (parts.length > 1) parts.push('; ');
    parts.push(`${durability} `, ...list(ofDurability, (entry) => [`${publishLabel(entry.cell.publish)} `, ratioPart(run, entry.vsNone!.throughput, throughputColumn)]));
  });
  parts.push('.');
  return { topic: 'confirms', problem: false, parts };
}

function persistenceSentence(run: RunFile, entries: readonly PriceEntry[]): SummarySentence | null {
  const { entries: shown, note } = firstGroup(entries.filter((entry) => entry.vsTransient));
  if (shown.length === 0) return null;
  const throughputColumn = (cell: string) => RATE_COLUMN[headlineRate(run.aggregates.find((a) => a.cell.id === cell)!).measure];
  const parts: SummaryPart[] = [`Price of persistence against transient${note}, throughput: `];
  parts.push(...list(shown, (entry) => [`${publishLabel(entry.cell.publish)} `, ratioPart(run, entry.vsTransient!.throughput, throughputColumn)]));
  const withLatency = shown.filter((entry) => entry.vsTransient!.e2eP99);
  if (withLatency.length) {
    parts.push('; end-to-end p99: ', ...list(withLatency, (entry) => [`${publishLabel(entry.cell.publish)} `, ratioPart(run, entry.vsTransient!.e2eP99!, () => 'e2e_p99_us')]));
  }
  parts.push('.');
  return { topic: 'persistence', problem: false, parts };
}

function repetitionSource(result: CellResult, column: string): FigureSource {
  return { file: 'summary.csv', cell: result.cell.id, repetition: result.repetition, column };
}

function lostSentence(run: RunFile, resultLabel: (r: CellResult) => string): SummarySentence | null {
  const losing = run.cells.filter((result) => result.status === 'ok' && result.counts.lost > 0);
  if (losing.length === 0) return null;
  const parts: SummaryPart[] = [`Lost confirmed messages in ${losing.length} repetition${losing.length === 1 ? '' : 's'}: `];
  const sorted = [...losing].sort((a, b) => b.counts.lost - a.counts.lost);
  parts.push(
    ...list(
      sorted,
      (result) => [
        `${resultLabel(result)} `,
        { kind: 'figure', text: formatWhole(result.counts.lost), unit: 'messages', value: result.counts.lost, source: repetitionSource(result, 'lost') },
      ],
      LIST_LIMIT,
    ),
    '.',
  );
  return { topic: 'lost', problem: true, parts };
}

function failedSentence(run: RunFile, resultLabel: (r: CellResult) => string): SummarySentence | null {
  const failed = run.cells.filter((result) => result.status === 'failed');
  if (failed.length === 0) return null;
  const reasons = [...new Set(failed.map((result) => result.reason ?? 'no reason recorded'))];
  const labels = [...new Set(failed.map(resultLabel))];
  return {
    topic: 'failed',
    problem: true,
    parts: [`${failed.length} repetition${failed.length === 1 ? '' : 's'} failed (${labels.join(', ')}): ${reasons.join('; ')}.`],
  };
}

/**
 * Unsteady: a full second of a repetition's timeline below STALL_SHARE of its median second (the last
 * second may be partial and is not judged), or repetitions spread wider than SPREAD_SHARE. Fault
 * cells stall by design and are left to the guarantees matrix; paced cells are judged like others.
 */
function unsteadySentence(run: RunFile, resultLabel: (r: CellResult) => string, labelOf: (a: CellAggregate) => string): SummarySentence | null {
  const stalls: Array<{ result: CellResult; measure: ThroughputMeasure; second: number; value: number; share: number }> = [];
  for (const result of run.cells) {
    if (result.status !== 'ok' || result.fault || result.timeline.length < 3) continue;
    const measure: ThroughputMeasure = result.cell.consumers > 0 ? 'consumed' : publishAnswered(result.cell.publish.kind) ? 'confirmed' : 'sent';
    const full = result.timeline.slice(0, -1);
    const typical = median(full.map((point) => point[measure]));
    const lowest = full.reduce((low, point) => (point[measure] < low[measure] ? point : low));
    if (typical <= 0 || lowest[measure] >= STALL_SHARE * typical) continue;
    stalls.push({ result, measure, second: lowest.second, value: lowest[measure], share: lowest[measure] / typical });
  }
  // One per cell, its deepest stall, the deepest first.
  const deepest = new Map<string, (typeof stalls)[number]>();
  for (const stall of stalls) {
    const kept = deepest.get(stall.result.cell.id);
    if (!kept || stall.share < kept.share) deepest.set(stall.result.cell.id, stall);
  }
  const worstStalls = [...deepest.values()].sort((a, b) => a.share - b.share);
  const parts: SummaryPart[] = [];
  if (worstStalls.length) {
    parts.push(`${worstStalls.length} cell${worstStalls.length === 1 ? '' : 's'} ${worstStalls.length === 1 ? 'had a second below half its' : 'had a second below half their'} median second: `);
    parts.push(
      ...list(
        worstStalls,
        (stall) => [
          `${resultLabel(stall.result)} fell to `,
          {
            kind: 'figure',
            text: `${formatWhole(stall.value)} msg/s`,
            unit: 'msg/s',
            value: stall.value,
            source: { file: 'timeline.csv', cell: stall.result.cell.id, repetition: stall.result.repetition, second: stall.second, column: stall.measure },
          },
          ` ${stall.measure} in second ${stall.second}`,
        ],
        LIST_LIMIT,
      ),
    );
  }
  const spread = chartableAggregates(run).filter((aggregate) => {
    if (aggregate.cell.fault || aggregate.repetitions < 2) return false;
    const { spread } = headlineRate(aggregate);
    return spread.median > 0 && (spread.max - spread.min) / spread.median > SPREAD_SHARE;
  });
  if (spread.length) {
    if (parts.length) parts.push('; ');
    parts.push(`${spread.length} cell${spread.length === 1 ? '' : 's'} varied by more than ${SPREAD_SHARE * 100}% between repetitions: `);
    parts.push(
      ...list(
        spread,
        (aggregate) => {
          const { measure, spread: rates } = headlineRate(aggregate);
          const source = (suffix: string): FigureSource => ({ file: 'summary.csv', cell: aggregate.cell.id, repetition: 'all', column: `${RATE_COLUMN[measure]}${suffix}` });
          return [`${labelOf(aggregate)} from `, rateFigure(rates.min, source('_min')), ' to ', rateFigure(rates.max, source('_max'))];
        },
        LIST_LIMIT,
      ),
    );
  }
  if (parts.length === 0) return null;
  return { topic: 'unsteady', problem: true, parts: ['Unsteady: ', ...parts, '.'] };
}

function saturatedSentence(run: RunFile): SummarySentence | null {
  const points = sweepPoints(run);
  if (points.length === 0) return null;
  const saturated = points.filter((point) => point.saturation);
  if (saturated.length === 0) {
    return { topic: 'saturated', problem: false, parts: ['Every paced cell achieved its target rate within 5%.'] };
  }
  const parts: SummaryPart[] = ['Saturation: '];
  saturated.forEach((point, index) => {
    const { aggregate } = point;
    const repetition = aggregateRepetition(run, aggregate);
    const unpaced = points.find((other) => other.family === point.family && other.target === null);
    if (index) parts.push('; ');
    // The target label is a share of the unpaced maximum when the family has an unpaced cell.
    parts.push(`${point.familyLabel} paced at ${unpaced ? `${point.targetLabel} of its unpaced maximum, ` : ''}`);
    parts.push(rateFigure(point.target!, { file: 'summary.csv', cell: aggregate.cell.id, repetition, column: 'rate_per_s', scale: aggregate.cell.producers }));
    parts.push(', achieved ', rateFigure(point.achieved, { file: 'summary.csv', cell: aggregate.cell.id, repetition, column: RATE_COLUMN[point.measure] }));
    if (aggregate.e2eLatency && aggregate.e2eLatency.count > 0) {
      parts.push(' with end-to-end p99 ', latencyFigure(aggregate.e2eLatency.p99Us, { file: 'summary.csv', cell: aggregate.cell.id, repetition, column: 'e2e_p99_us' }));
    }
    if (unpaced) {
      parts.push(' (unpaced: ', rateFigure(unpaced.achieved, { file: 'summary.csv', cell: unpaced.aggregate.cell.id, repetition: aggregateRepetition(run, unpaced.aggregate), column: RATE_COLUMN[unpaced.measure] }), ')');
    }
  });
  parts.push('.');
  return { topic: 'saturated', problem: true, parts };
}

function clientBoundSentence(run: RunFile, labelOf: (cell: CellResult['cell']) => string): SummarySentence | null {
  const bound = worstPerCell(run.cells.filter((result) => result.status === 'ok' && result.clientBound), (r) => r.clientCpuPct);
  if (bound.length === 0) return null;
  const parts: SummaryPart[] = [
    // The flag comes from the busiest worker thread (or a paced producer behind its target), not from
    // the process CPU quoted beside it, which is spread over all threads and the whole cell.
    `Client-bound (a worker thread near a full core, or a paced producer behind its target: the client, not the broker, may be the limit) in ${bound.length} cell${bound.length === 1 ? '' : 's'}: `,
  ];
  parts.push(
    ...list(
      [...bound].sort((a, b) => b.clientCpuPct - a.clientCpuPct),
      (result) => [
        `${labelOf(result.cell)} (client CPU `,
        { kind: 'figure', text: `${result.clientCpuPct.toFixed(1)}%`, unit: '%', value: result.clientCpuPct, source: repetitionSource(result, 'client_cpu_pct') },
        ' of one core)',
      ],
      LIST_LIMIT,
    ),
    '.',
  );
  return { topic: 'client-bound', problem: true, parts };
}

/**
 * A fault run, per fault: how many cells ran under it, and the worst of each: confirmed messages lost
 * (a broken promise is a problem), messages left unknown, duplicates, and the recovery time.
 */
function faultSentences(run: RunFile, labelOf: (cell: CellResult['cell']) => string): SummarySentence[] {
  const ran = run.cells.filter((result) => result.fault && result.status === 'ok');
  const faults = [...new Set(ran.map((result) => result.cell.fault ?? result.fault!.kind))];
  return faults.map((fault) => {
    const under = ran.filter((result) => (result.cell.fault ?? result.fault!.kind) === fault);
    const worst = (value: (r: CellResult) => number) => under.reduce((a, b) => (value(b) > value(a) ? b : a));
    const lost = under.filter((result) => result.counts.lost > 0);
    const broken = lost.filter((result) => promisesNoLoss(result.cell));
    const count = (result: CellResult, column: string, value: number): SummaryPart => ({ kind: 'figure', text: formatWhole(value), unit: 'messages', value, source: repetitionSource(result, column) });
    const parts: SummaryPart[] = [`Under ${fault}, ${under.length} cell${under.length === 1 ? '' : 's'}: `];
    if (lost.length === 0) parts.push('no confirmed message lost');
    else {
      const most = worst((r) => r.counts.lost);
      parts.push(`${lost.length} lost confirmed messages${broken.length ? `, ${broken.length} of them against their promise` : ''} (most: ${labelOf(most.cell)} `, count(most, 'lost', most.counts.lost), ')');
    }
    const unknown = worst((r) => r.counts.unknown);
    if (unknown.counts.unknown > 0) parts.push(`; most left without an answer: ${labelOf(unknown.cell)} `, count(unknown, 'unknown', unknown.counts.unknown));
    const duplicated = worst((r) => r.counts.duplicates);
    if (duplicated.counts.duplicates > 0) parts.push(`; most duplicated: ${labelOf(duplicated.cell)} `, count(duplicated, 'duplicates', duplicated.counts.duplicates));
    const slowest = worst((r) => r.fault!.recoverySeconds);
    parts.push(`; slowest recovery: ${labelOf(slowest.cell)}, the broker back after `, {
      kind: 'figure',
      text: `${slowest.fault!.recoverySeconds.toFixed(2)} s`,
      unit: 's',
      value: Math.round(slowest.fault!.recoverySeconds * 1000) / 1000,
      source: repetitionSource(slowest, 'fault_recovery_s'),
    }, '.');
    return { topic: 'faults' as const, problem: broken.length > 0, parts };
  });
}

/** The broker-side verdicts, when the run recorded them: which limit each cell hit. */
function bottleneckSentence(run: RunFile, resultLabel: (r: CellResult) => string): SummarySentence | null {
  const judged = (run.cells as Array<CellResult & CostFigures>).filter((result) => result.status === 'ok' && result.bottleneck && result.bottleneck.verdict !== 'client');
  const limited = judged.filter((result) => result.bottleneck!.verdict === 'broker-cpu' || result.bottleneck!.verdict === 'disk-sync');
  if (limited.length === 0) return null;
  const byVerdict = new Map<string, string[]>();
  for (const result of limited) byVerdict.set(result.bottleneck!.verdict, [...(byVerdict.get(result.bottleneck!.verdict) ?? []), resultLabel(result)]);
  const text = [...byVerdict].map(([verdict, labels]) => `${verdict === 'broker-cpu' ? 'broker CPU' : 'disk syncs'} limited ${labels.length} repetition${labels.length === 1 ? '' : 's'} (${labels.join(', ')})`);
  return { topic: 'bottleneck', problem: false, parts: [`Broker side: ${text.join('; ')}.`] };
}

export function writtenSummary(run: RunFile): SummarySentence[] {
  const varying = runVaryingAxes(run);
  const labelOf = (aggregate: CellAggregate) => cellLabel(aggregate.cell, varying);
  const severalRepetitions = run.scenario.window.repetitions > 1;
  const resultLabel = (result: CellResult) => `${cellLabel(result.cell, varying)}${severalRepetitions ? ` (repetition ${result.repetition})` : ''}`;
  const entries = priceEntries(run);
  // A sweep's fastest and slowest are its unpaced cells: their rate says nothing then.
  const unpacedLabel = (aggregate: CellAggregate) => cellLabel(aggregate.cell, varying.filter((axis) => axis !== 'rate'));
  return [
    ...faultSentences(run, (cell) => cellLabel(cell, varying)),
    speedSentence(run, chartableAggregates(run).some((aggregate) => aggregate.cell.rate === null) && varying.includes('rate') ? unpacedLabel : labelOf),
    confirmsSentence(run, entries),
    persistenceSentence(run, entries),
    saturatedSentence(run),
    lostSentence(run, resultLabel),
    failedSentence(run, resultLabel),
    unsteadySentence(run, resultLabel, labelOf),
    clientBoundSentence(run, (cell) => cellLabel(cell, varying)),
    bottleneckSentence(run, resultLabel),
  ].filter((sentence): sentence is SummarySentence => sentence !== null);
}
