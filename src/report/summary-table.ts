// The summary table of a report, as data: one row per aggregate, plus one per cell that never produced
// an aggregate (every repetition failed or was unsupported), with the reason. Pure; html.ts draws it.

import type { CellAggregate, CellResult, CellStatus, RateSpread, RunFile } from '../run/result.js';
import { publishLabel } from '../scenario/modes.js';
import type { Cell } from '../scenario/types.js';
import { axisValueLabel, compareCells, GROUPING_AXES, type GroupingAxis } from './cell-labels.js';
import { runVaryingAxes } from './chart-data.js';
import { formatOneDecimal, formatWhole, UNDEFINED_FIGURE } from './format.js';
import { p99RangeText, unsteadyText } from './repetition-noise.js';
import { publishAnswered } from '../scenario/publish-traits.js';

export type RowStatus = 'ok' | 'partial' | Exclude<CellStatus, 'ok'>;

export interface SummaryRow {
  cellId: string;
  /** Values of SummaryTable.axisNames, in that order. */
  axes: string[];
  status: RowStatus;
  /** Why repetitions failed or the cell is unsupported; null when all went well. */
  note: string | null;
  rates: { sent: RateCell; confirmed: RateCell; consumed: RateCell };
  publish: { p50: string; p99: string; p999: string };
  e2e: { p50: string; p99: string; p999: string };
  counts: { sent: string; confirmed: string; received: string; lost: string; duplicates: string };
  /** Lost or duplicated messages: an integrity problem, highlighted. */
  integrityProblem: boolean;
  clientCpuPct: string;
  clientBound: boolean;
  /** min–max of the per-repetition p99 (repetition-noise.ts), null without a spread. */
  p99Range?: { publish: string | null; e2e: string | null };
  /** "unsteady k/n" when k repetitions' windows were not steady, else null. */
  unsteady?: string | null;
  /** The verdicts of the ok repetitions (measure/bottleneck.ts), distinct, in order; – without any. */
  bottleneck: string;
  /** Their evidence, one line per distinct verdict. */
  bottleneckEvidence: string;
}

/** A rate's median, with its min–max range over repetitions (null for a single value). */
export interface RateCell {
  median: string;
  range: string | null;
}

export interface SummaryTable {
  /** Column names of the axes that differ between cells (durability and publish always). */
  axisNames: string[];
  /** Axes with one value for the whole run, said once above the table. */
  sharedAxes: Array<{ axis: string; value: string }>;
  rows: SummaryRow[];
}

const NO_LATENCY = { p50: UNDEFINED_FIGURE, p99: UNDEFINED_FIGURE, p999: UNDEFINED_FIGURE };
const NO_RATE: RateCell = { median: UNDEFINED_FIGURE, range: null };

function rateCell(spread: RateSpread | null): RateCell {
  if (!spread) return NO_RATE;
  return {
    median: formatWhole(spread.median),
    range: spread.min === spread.max ? null : `${formatWhole(spread.min)}–${formatWhole(spread.max)}`,
  };
}

function latencyColumns(summary: CellAggregate['publishLatency']) {
  if (!summary) return NO_LATENCY;
  return { p50: formatWhole(summary.p50Us), p99: formatWhole(summary.p99Us), p999: formatWhole(summary.p999Us) };
}

function axisValues(cell: Cell, varying: readonly GroupingAxis[]): string[] {
  return [cell.durability, publishLabel(cell.publish), ...varying.map((axis) => axisValueLabel(cell, axis))];
}

/** "2 of 3 repetitions failed: reason" (distinct reasons joined), or null when none failed. */
function failureNote(results: readonly CellResult[]): string | null {
  const bad = results.filter((result) => result.status !== 'ok');
  if (bad.length === 0) return null;
  const reasons = [...new Set(bad.map((result) => result.reason ?? 'no reason recorded'))].join('; ');
  const status = bad.every((result) => result.status === 'unsupported') ? 'unsupported' : 'failed';
  return `${bad.length} of ${results.length} repetition${results.length === 1 ? '' : 's'} ${status}: ${reasons}`;
}

function aggregateRow(aggregate: CellAggregate, results: readonly CellResult[], varying: readonly GroupingAxis[]): SummaryRow {
  const { counts } = aggregate;
  const note = failureNote(results);
  return {
    cellId: aggregate.cell.id,
    axes: axisValues(aggregate.cell, varying),
    status: note ? 'partial' : 'ok',
    note,
    rates: {
      sent: rateCell(aggregate.rates.sentPerS),
      confirmed: rateCell(aggregate.rates.confirmedPerS),
      consumed: rateCell(aggregate.rates.consumedPerS),
    },
    publish: publishAnswered(aggregate.cell.publish.kind) ? latencyColumns(aggregate.publishLatency) : NO_LATENCY,
    e2e: latencyColumns(aggregate.e2eLatency),
    counts: {
      sent: formatWhole(counts.sent),
      confirmed: formatWhole(counts.confirmed),
      received: formatWhole(counts.received),
      lost: formatWhole(counts.lost),
      duplicates: formatWhole(counts.duplicates),
    },
    integrityProblem: counts.lost > 0 || counts.duplicates > 0,
    clientCpuPct: formatOneDecimal(aggregate.clientCpuPct),
    clientBound: results.some((result) => result.status === 'ok' && result.clientBound),
    p99Range: { publish: publishAnswered(aggregate.cell.publish.kind) ? p99RangeText(results, 'publish') : null, e2e: p99RangeText(results, 'e2e') },
    unsteady: unsteadyText(results),
    ...bottleneckColumns(results),
  };
}

function bottleneckColumns(results: readonly CellResult[]): Pick<SummaryRow, 'bottleneck' | 'bottleneckEvidence'> {
  const verdicts = results.flatMap((result) => (result.status === 'ok' && result.bottleneck ? [result.bottleneck] : []));
  const distinct = [...new Set(verdicts.map((v) => v.verdict))];
  return {
    bottleneck: distinct.length ? distinct.join(', ') : UNDEFINED_FIGURE,
    bottleneckEvidence: distinct.map((d) => `${d}: ${verdicts.find((v) => v.verdict === d)!.evidence}`).join('\n'),
  };
}

function failedCellRow(results: readonly CellResult[], varying: readonly GroupingAxis[]): SummaryRow {
  const cell = results[0].cell;
  const status: RowStatus = results.every((result) => result.status === 'unsupported') ? 'unsupported' : 'failed';
  return {
    cellId: cell.id,
    axes: axisValues(cell, varying),
    status,
    note: failureNote(results),
    rates: { sent: NO_RATE, confirmed: NO_RATE, consumed: NO_RATE },
    publish: NO_LATENCY,
    e2e: NO_LATENCY,
    counts: {
      sent: UNDEFINED_FIGURE,
      confirmed: UNDEFINED_FIGURE,
      received: UNDEFINED_FIGURE,
      lost: UNDEFINED_FIGURE,
      duplicates: UNDEFINED_FIGURE,
    },
    integrityProblem: false,
    clientCpuPct: UNDEFINED_FIGURE,
    clientBound: false,
    bottleneck: UNDEFINED_FIGURE,
    bottleneckEvidence: '',
  };
}

export function summaryTable(run: RunFile): SummaryTable {
  const varying = runVaryingAxes(run);
  const resultsById = new Map<string, CellResult[]>();
  for (const result of run.cells) {
    const list = resultsById.get(result.cell.id);
    if (list) list.push(result);
    else resultsById.set(result.cell.id, [result]);
  }
  const entries: Array<{ cell: Cell; row: SummaryRow }> = run.aggregates.map((aggregate) => ({
    cell: aggregate.cell,
    row: aggregateRow(aggregate, resultsById.get(aggregate.cell.id) ?? [], varying),
  }));
  const aggregated = new Set(run.aggregates.map((aggregate) => aggregate.cell.id));
  for (const [id, results] of resultsById) {
    if (!aggregated.has(id)) entries.push({ cell: results[0].cell, row: failedCellRow(results, varying) });
  }
  entries.sort((a, b) => compareCells(a.cell, b.cell, varying));

  const anyCell = entries[0]?.cell;
  const sharedAxes = anyCell
    ? GROUPING_AXES.filter((axis) => !varying.includes(axis) && (axis !== 'fault' || anyCell.fault !== undefined)).map((axis) => ({ axis, value: axisValueLabel(anyCell, axis) }))
    : [];
  return { axisNames: ['durability', 'publish', ...varying], sharedAxes, rows: entries.map((entry) => entry.row) };
}
