// The rows each chart plots, derived from a run file. Pure: the same rows feed the Vega-Lite spec and
// the CSV written beside the chart, so a reader can check any mark against its number.

import { headlineOfRates } from '../measure/headline.js';
import { decodeHistogram } from '../measure/histogram.js';
import { rowEnd, rowRate } from '../measure/timeline.js';
import { spread } from '../stats/spread.js';
import type { CellAggregate, CellResult, RateSpread, RunFile } from '../run/result.js';
import type { Cell } from '../scenario/types.js';
import { axisColumns, cellLabel, compareCells, groupLabel, varyingAxes, type AxisColumns } from './cell-labels.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** Which rate stands for throughput: consumed/s, else confirmed/s (no consumers), else sent/s. */
/** 'max-rate': the highest paced rate consumers kept up with (--max-rate, run/max-rate.ts). */
export type ThroughputMeasure = 'max-rate' | 'consumed' | 'confirmed' | 'sent';

export type LatencyKind = 'publish' | 'end-to-end';
export const LATENCY_KINDS: readonly LatencyKind[] = ['publish', 'end-to-end'];

/** Labels shared by every row: the cell's axes, its group within the run and a short name. */
export interface CellColumns extends AxisColumns {
  group: string;
  label: string;
}

export interface ThroughputRow extends CellColumns {
  measure: ThroughputMeasure;
  /**
   * The window of the rate: the cell's measured window, or for a fault cell the time before the fault
   * (its measured window holds the outage and the drain, and its rate there means something else).
   */
  window: 'measured window' | 'before the fault';
  median_msg_per_s: number;
  min_msg_per_s: number;
  max_msg_per_s: number;
  ci95_low_msg_per_s: number | null;
  ci95_high_msg_per_s: number | null;
}

export interface LatencyRow extends CellColumns {
  latency: LatencyKind;
  percentile: number;
  /** 1 / (1 - p): the x position on the percentile axis (2 = 50%, 10000 = 99.99%). */
  tail_inverse: number;
  latency_us: number;
}

export interface FrontierRow extends CellColumns {
  latency: LatencyKind;
  measure: ThroughputMeasure;
  throughput_msg_per_s: number;
  p99_us: number;
}

export type TimelineMeasure = 'sent' | 'confirmed' | 'consumed';
export const TIMELINE_MEASURES: readonly TimelineMeasure[] = ['sent', 'confirmed', 'consumed'];

/**
 * Slimmer than the other rows (no full axis columns): a long run has a row per cell, repetition, second
 * and measure, and the spec carries its data inline. The cell id leads to the axes in run.json.
 */
export interface TimelineRow extends Pick<CellColumns, 'cell' | 'label' | 'publish' | 'publish_kind' | 'durability'> {
  repetition: number;
  second: number;
  measure: TimelineMeasure;
  msg_per_s: number;
}

/** The headline rate of an aggregate, and which rate it is (docs/architecture.md#figures-clocks-and-windows: consumed/s first). */
export function headlineRate(aggregate: CellAggregate): { measure: ThroughputMeasure; spread: RateSpread } {
  // Unconfirmed and unpaced, consumed/s measures a growing backlog; a searched max rate is the figure.
  const max = aggregate.maxRate?.ratePerS;
  if (aggregate.cell.publish.kind === 'none' && max) return { measure: 'max-rate', spread: { median: max, min: max, max, ci95Low: null, ci95High: null } };
  const { figure, value } = headlineOfRates(aggregate.rates);
  return { measure: figure, spread: value };
}

/** A fault cell's headline rate before the fault, spread over its ok repetitions; null if none has one. */
function beforeFaultRate(run: RunFile, aggregate: CellAggregate): { measure: ThroughputMeasure; spread: RateSpread } | null {
  const before = run.cells.filter((r) => r.cell.id === aggregate.cell.id && r.status === 'ok' && r.fault?.beforeFault).map((r) => r.fault!.beforeFault!);
  if (before.length === 0) return null;
  const measure: ThroughputMeasure = aggregate.cell.consumers > 0 ? 'consumed' : publishAnswered(aggregate.cell.publish.kind) ? 'confirmed' : 'sent';
  const values = before.map((b) => (measure === 'consumed' ? b.consumedPerS : measure === 'confirmed' ? b.confirmedPerS : b.sentPerS)).filter((v): v is number => v !== null);
  return values.length ? { measure, spread: spread(values) } : null;
}

/**
 * Aggregates with at least one repetition that ran to completion. Failed and unsupported cells go to
 * the table with their reason, never into a chart (their zeros would read as measurements).
 */
export function chartableAggregates(run: RunFile): CellAggregate[] {
  return run.aggregates.filter((aggregate) => {
    const results = run.cells.filter((result) => result.cell.id === aggregate.cell.id);
    if (results.length > 0) return results.some((result) => result.status === 'ok');
    return aggregate.repetitions > aggregate.failed;
  });
}

/** The axes that vary in a run, over all its cells, charted or not, so labels agree across charts. */
export function runVaryingAxes(run: RunFile) {
  return varyingAxes([...run.aggregates.map((a) => a.cell), ...run.cells.map((c) => c.cell)]);
}

export function cellColumnsOf(run: RunFile): (cell: Cell) => CellColumns {
  const varying = runVaryingAxes(run);
  return (cell) => ({ ...axisColumns(cell), group: groupLabel(cell, varying), label: cellLabel(cell, varying) });
}

export function sortedByCell<T extends { cell: Cell }>(items: readonly T[], run: RunFile): T[] {
  const varying = runVaryingAxes(run);
  return [...items].sort((a, b) => compareCells(a.cell, b.cell, varying));
}

export function throughputRows(run: RunFile): ThroughputRow[] {
  const columns = cellColumnsOf(run);
  return sortedByCell(chartableAggregates(run), run).map((aggregate) => {
    const before = aggregate.cell.fault ? beforeFaultRate(run, aggregate) : null;
    const { measure, spread } = before ?? headlineRate(aggregate);
    return {
      ...columns(aggregate.cell),
      measure,
      window: before ? 'before the fault' : 'measured window',
      median_msg_per_s: spread.median,
      min_msg_per_s: spread.min,
      max_msg_per_s: spread.max,
      ci95_low_msg_per_s: spread.ci95Low,
      ci95_high_msg_per_s: spread.ci95High,
    };
  });
}

/**
 * Percentiles plotted on the latency chart: evenly spaced on the log(1/(1-p)) axis from 50% to 99.99%,
 * ten per decade, which includes 90%, 99%, 99.9% exactly.
 */
export const LATENCY_PERCENTILES: readonly number[] = (() => {
  const exponents = [Math.log10(2)];
  for (let tenths = 4; tenths <= 40; tenths++) exponents.push(tenths / 10);
  // Rounded so that 90, 99, 99.9 and 99.99 come out exact, not 99.89999999.
  return exponents.map((exponent) => Math.round((100 - 100 / 10 ** exponent) * 1e6) / 1e6);
})();

function latencyHistogram(aggregate: CellAggregate, kind: LatencyKind): string | null {
  // Publish latency does not exist without confirms: `none` is left out, never drawn at zero.
  if (kind === 'publish') return publishAnswered(aggregate.cell.publish.kind) ? aggregate.histograms.publish : null;
  return aggregate.histograms.e2e;
}

export function latencyRows(run: RunFile): LatencyRow[] {
  const columns = cellColumnsOf(run);
  const rows: LatencyRow[] = [];
  for (const kind of LATENCY_KINDS) {
    for (const aggregate of sortedByCell(chartableAggregates(run), run)) {
      const encoded = latencyHistogram(aggregate, kind);
      if (!encoded) continue;
      const histogram = decodeHistogram(encoded);
      if (histogram.totalCount === 0) continue;
      for (const percentile of LATENCY_PERCENTILES) {
        rows.push({
          ...columns(aggregate.cell),
          latency: kind,
          percentile,
          tail_inverse: Math.round((100 / (100 - percentile)) * 1e6) / 1e6,
          latency_us: histogram.getValueAtPercentile(percentile),
        });
      }
    }
  }
  return rows;
}

export function frontierRows(run: RunFile): FrontierRow[] {
  const columns = cellColumnsOf(run);
  const rows: FrontierRow[] = [];
  for (const kind of LATENCY_KINDS) {
    for (const aggregate of sortedByCell(chartableAggregates(run), run)) {
      const summary = kind === 'publish' ? aggregate.publishLatency : aggregate.e2eLatency;
      if (!summary || summary.count === 0) continue;
      if (kind === 'publish' && !publishAnswered(aggregate.cell.publish.kind)) continue;
      const { measure, spread } = headlineRate(aggregate);
      rows.push({
        ...columns(aggregate.cell),
        latency: kind,
        measure,
        throughput_msg_per_s: spread.median,
        p99_us: summary.p99Us,
      });
    }
  }
  return rows;
}

/** Measures that exist for a cell: no confirms for `none`, nothing consumed without consumers. */
function timelineMeasures(cell: Cell): TimelineMeasure[] {
  return TIMELINE_MEASURES.filter(
    (measure) =>
      (measure !== 'confirmed' || publishAnswered(cell.publish.kind)) && (measure !== 'consumed' || cell.consumers > 0),
  );
}

export function timelineRows(run: RunFile): TimelineRow[] {
  const columns = cellColumnsOf(run);
  const okResults: CellResult[] = run.cells.filter((result) => result.status === 'ok');
  const rows: TimelineRow[] = [];
  for (const result of sortedByCell(okResults, run)) {
    const { cell, label, publish, publish_kind, durability } = columns(result.cell);
    const cellColumns = { cell, label, publish, publish_kind, durability };
    const measures = timelineMeasures(result.cell);
    for (const point of result.timeline) {
      for (const measure of measures) {
        // Each row at its end, as a rate over its true length: the last, partial second is no dip.
        rows.push({
          ...cellColumns,
          repetition: result.repetition,
          second: rowEnd(point),
          measure,
          msg_per_s: rowRate(point, point[measure]),
        });
      }
    }
  }
  return rows;
}

export type TimelineEventKind = 'fault' | 'broker back' | 'publishing again';
export const TIMELINE_EVENTS: readonly TimelineEventKind[] = ['fault', 'broker back', 'publishing again'];

/** A moment of a fault cell's measured window, drawn as a vertical rule on its timeline panel. */
export interface TimelineEvent {
  label: string;
  repetition: number;
  event: TimelineEventKind;
  /** Seconds since the first measured send, the clock of the timeline's x axis. */
  second: number;
}

/**
 * When each fault cell's fault came (its before-fault window's length, else the planned time), when the
 * broker took connections again (+ recovery) and, with `after: continue`, when publishing resumed.
 */
export function timelineEvents(run: RunFile): TimelineEvent[] {
  const columns = cellColumnsOf(run);
  const events: TimelineEvent[] = [];
  for (const result of run.cells) {
    const fault = result.fault;
    if (!fault || result.status !== 'ok') continue;
    const at = fault.beforeFault?.seconds ?? fault.atSeconds;
    if (at === null || at === undefined) continue;
    const { label } = columns(result.cell);
    const round = (value: number) => Math.round(value * 1000) / 1000;
    events.push({ label, repetition: result.repetition, event: 'fault', second: round(at) });
    events.push({ label, repetition: result.repetition, event: 'broker back', second: round(at + fault.recoverySeconds) });
    if (fault.resumeSeconds !== null) events.push({ label, repetition: result.repetition, event: 'publishing again', second: round(at + fault.resumeSeconds) });
  }
  return events;
}
