// The chart of a rate sweep (ackbench run --sweep): one line per cell family (cells equal but for the
// rate) of latency against the throughput achieved, a point per target rate, labelled with it, and
// the saturation point ringed: the lowest target the cell fell short of. Rows in, spec out.

import type { TopLevelSpec } from 'vega-lite';
import type { CellAggregate, RunFile } from '../run/result.js';
import { axisColumns, cellLabel, compareCells, type AxisColumns } from './cell-labels.js';
import { chartableAggregates, headlineRate, runVaryingAxes, type ThroughputMeasure } from './chart-data.js';
import { CHART_BASE, logAxis, RATE_AXIS_LABELS, throughputTitle } from './chart-base.js';
import { durabilityDashEncoding, durabilityShapeEncoding, modeColorEncoding } from './palette.js';
import { familyId, sweptFamilies } from './run-kind.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** A paced cell that achieved less than this share of its target rate is saturated. */
export const SATURATION_SHARE = 0.95;

export const SWEEP_PERCENTILES = ['p50', 'p99', 'p99.9'] as const;
export type SweepPercentile = (typeof SWEEP_PERCENTILES)[number];

/** One measured rate of a family: what was asked, what came out, and its latency percentiles. */
export interface SweepPoint {
  aggregate: CellAggregate;
  family: string;
  familyLabel: string;
  /** Total target rate (per-producer rate x producers), msg/s; null for the unpaced cell. */
  target: number | null;
  /** "25%" of the unpaced maximum, "max" for the unpaced cell, "2,000/s" without an unpaced cell. */
  targetLabel: string;
  measure: ThroughputMeasure;
  achieved: number;
  /** The lowest target this family fell short of (achieved < SATURATION_SHARE x target). */
  saturation: boolean;
  /** Position along the line: targets ascending, the unpaced cell last. */
  order: number;
}

export interface SweepRow extends AxisColumns {
  family: string;
  family_label: string;
  target_msg_per_s: number | null;
  target_label: string;
  measure: ThroughputMeasure;
  achieved_msg_per_s: number;
  latency: 'publish' | 'end-to-end';
  percentile: SweepPercentile;
  latency_us: number;
  saturation: boolean;
  order: number;
}

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The swept families' points, family by family in chart order, each in target order. */
export function sweepPoints(run: RunFile): SweepPoint[] {
  const aggregates = chartableAggregates(run);
  const swept = sweptFamilies(aggregates.map((aggregate) => aggregate.cell));
  // Labels without the rate: it is what the line runs along, not what tells lines apart.
  const varying = runVaryingAxes(run).filter((axis) => axis !== 'rate');
  const byFamily = new Map<string, CellAggregate[]>();
  for (const aggregate of aggregates) {
    const family = familyId(aggregate.cell);
    if (!swept.has(family)) continue;
    byFamily.set(family, [...(byFamily.get(family) ?? []), aggregate]);
  }
  const families = [...byFamily.entries()].sort(([, a], [, b]) => compareCells(a[0].cell, b[0].cell, varying));
  const points: SweepPoint[] = [];
  for (const [family, members] of families) {
    const target = (aggregate: CellAggregate) => (aggregate.cell.rate === null ? null : aggregate.cell.rate * aggregate.cell.producers);
    const sorted = [...members].sort((a, b) => (target(a) ?? Infinity) - (target(b) ?? Infinity));
    const unpaced = sorted.find((aggregate) => aggregate.cell.rate === null);
    const max = unpaced ? headlineRate(unpaced).spread.median : null;
    let saturated = false;
    sorted.forEach((aggregate, order) => {
      const { measure, spread } = headlineRate(aggregate);
      const goal = target(aggregate);
      const short = goal !== null && spread.median < SATURATION_SHARE * goal;
      const label = goal === null ? 'max' : max ? `${Math.round((100 * goal) / max)}%` : `${WHOLE.format(goal)}/s`;
      points.push({
        aggregate,
        family,
        familyLabel: cellLabel({ ...aggregate.cell, rate: null }, varying),
        target: goal,
        targetLabel: label,
        measure,
        achieved: spread.median,
        saturation: short && !saturated,
        order,
      });
      saturated ||= short;
    });
  }
  return points;
}

export function sweepRows(run: RunFile): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const point of sweepPoints(run)) {
    const { aggregate } = point;
    const kinds = [
      ['end-to-end', aggregate.e2eLatency],
      ['publish', publishAnswered(aggregate.cell.publish.kind) ? aggregate.publishLatency : null],
    ] as const;
    for (const [latency, summary] of kinds) {
      if (!summary || summary.count === 0) continue;
      const values: Record<SweepPercentile, number> = { p50: summary.p50Us, p99: summary.p99Us, 'p99.9': summary.p999Us };
      for (const percentile of SWEEP_PERCENTILES) {
        rows.push({
          ...axisColumns(aggregate.cell),
          family: point.family,
          family_label: point.familyLabel,
          target_msg_per_s: point.target,
          target_label: point.targetLabel,
          measure: point.measure,
          achieved_msg_per_s: point.achieved,
          latency,
          percentile,
          latency_us: values[percentile],
          saturation: point.saturation,
          order: point.order,
        });
      }
    }
  }
  return rows;
}

const PANEL_WIDTH = 210;

export function sweepSpec(rows: readonly SweepRow[]): TopLevelSpec {
  const kinds = [...new Set(rows.map((row) => row.latency))];
  const families = [...new Set(rows.map((row) => row.family_label))];
  const x = {
    field: 'achieved_msg_per_s',
    type: 'quantitative' as const,
    title: `achieved ${throughputTitle(rows.map((row) => row.measure))}`,
    scale: { zero: true, nice: true },
    axis: { ...RATE_AXIS_LABELS, tickCount: 4 },
  };
  const y = { field: 'latency_us', type: 'quantitative' as const, title: 'latency (µs)', ...logAxis(rows.map((row) => row.latency_us)) };
  const kindsShown = rows.map((row) => row.publish_kind);
  const column = {
    field: 'percentile',
    type: 'nominal' as const,
    title: null,
    sort: [...SWEEP_PERCENTILES],
    header: { labelFontWeight: 'bold' as const },
  };
  const row = {
    field: 'latency',
    type: 'nominal' as const,
    title: null,
    sort: ['end-to-end', 'publish'],
    header: { labelExpr: "datum.value + ' latency'", labelFontWeight: 'bold' as const },
  };
  return {
    ...CHART_BASE,
    title: {
      text: 'Rate sweep: latency against achieved throughput',
      subtitle: [
        `one line per cell family (${families.length}): each point a target rate, as % of the family's unpaced maximum ("max")`,
        `red ring: saturation, the lowest target whose achieved rate fell more than ${Math.round((1 - SATURATION_SHARE) * 100)}% short of it`,
      ],
    },
    data: { values: rows as object[] },
    facet: kinds.length > 1 ? { row, column } : { column },
    spec: {
      width: PANEL_WIDTH,
      height: 200,
      encoding: { x, y },
      layer: [
        {
          mark: { type: 'line', strokeWidth: 2, point: false },
          encoding: {
            color: modeColorEncoding('publish_kind', kindsShown),
            strokeDash: durabilityDashEncoding('durability', rows.map((row) => row.durability)),
            detail: { field: 'family', type: 'nominal' },
            order: { field: 'order', type: 'quantitative' },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: {
            color: modeColorEncoding('publish_kind', kindsShown),
            shape: durabilityShapeEncoding('durability', rows.map((row) => row.durability)),
            tooltip: [...RATE_TOOLTIP, { field: 'latency_us', title: 'latency (µs)', format: ',.0f' }],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 5, dy: -7, fontSize: 9, color: '#333' },
          encoding: { text: { field: 'target_label', type: 'nominal' } },
        },
        {
          transform: [{ filter: 'datum.saturation' }],
          mark: { type: 'point', filled: false, size: 320, strokeWidth: 2, color: '#c50f1f' },
        },
      ],
    },
  };
}

/** What a sweep point's tooltip names: its family, its target and what it achieved. */
const RATE_TOOLTIP = [
  { field: 'family_label', title: 'cell family' },
  { field: 'target_label', title: 'target' },
  { field: 'target_msg_per_s', title: 'target (msg/s)', format: ',.0f' },
  { field: 'achieved_msg_per_s', title: 'achieved (msg/s)', format: ',.0f' },
];

/** Achieved against target rate, with the line where they are equal: where the broker stops keeping up. */
export function sweepThroughputSpec(rows: readonly SweepRow[]): TopLevelSpec {
  // One row per cell: the latency columns repeat the rates.
  const paced = rows.filter((row) => row.target_msg_per_s !== null && row.percentile === 'p50' && row.latency === rows[0].latency);
  const highest = Math.max(...paced.map((row) => Math.max(row.target_msg_per_s ?? 0, row.achieved_msg_per_s)));
  const kindsShown = paced.map((row) => row.publish_kind);
  const x = { field: 'target_msg_per_s', type: 'quantitative' as const, title: 'target rate (msg/s)', scale: { domain: [0, highest], nice: true }, axis: RATE_AXIS_LABELS };
  const y = { field: 'achieved_msg_per_s', type: 'quantitative' as const, title: `achieved ${throughputTitle(paced.map((row) => row.measure))}`, scale: { domain: [0, highest], nice: true }, axis: RATE_AXIS_LABELS };
  return {
    ...CHART_BASE,
    title: { text: 'Rate sweep: achieved against target', subtitle: 'grey line: achieved = target; below it the cell could not keep up' },
    width: 420,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: highest, y: highest }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'y' } },
      },
      {
        data: { values: paced as object[] },
        layer: [
          {
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x,
              y,
              color: modeColorEncoding('publish_kind', kindsShown),
              strokeDash: durabilityDashEncoding('durability', rows.map((row) => row.durability)),
              detail: { field: 'family', type: 'nominal' },
              order: { field: 'order', type: 'quantitative' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 45 },
            encoding: {
              x,
              y,
              color: modeColorEncoding('publish_kind', kindsShown),
              shape: durabilityShapeEncoding('durability', rows.map((row) => row.durability)),
              tooltip: RATE_TOOLTIP,
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 5, dy: 9, fontSize: 9, color: '#333' },
            encoding: { x, y, text: { field: 'target_label', type: 'nominal' } },
          },
          {
            transform: [{ filter: 'datum.saturation' }],
            mark: { type: 'point', filled: false, size: 320, strokeWidth: 2, color: '#c50f1f' },
            encoding: { x, y },
          },
        ],
      },
    ],
  };
}
