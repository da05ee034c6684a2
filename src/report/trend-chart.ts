// The nightly trend: each cell's headline throughput (median over repetitions) across runs, by run start
// time. Pure: runs in, rows and spec out.

import type { TopLevelSpec } from 'vega-lite';
import type { RunFile } from '../run/result.js';
import { cellLabel, compareCells, groupLabel, varyingAxes } from './cell-labels.js';
import { chartableAggregates, headlineRate, type ThroughputMeasure } from './chart-data.js';
import { CHART_BASE, groupFacet, logAxis, PANEL_WIDTH_ONE_COLUMN, throughputTitle } from './chart-base.js';
import { durabilityDashEncoding, modeColorEncoding } from './palette.js';

export interface TrendRow {
  run_id: string;
  started_at: string;
  cell: string;
  label: string;
  group: string;
  publish_kind: string;
  durability: string;
  measure: ThroughputMeasure;
  median_msg_per_s: number;
}

export function trendRows(runs: readonly RunFile[]): TrendRow[] {
  const varying = varyingAxes(runs.flatMap((run) => run.aggregates.map((aggregate) => aggregate.cell)));
  const chronological = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return chronological.flatMap((run) =>
    chartableAggregates(run)
      .sort((a, b) => compareCells(a.cell, b.cell, varying))
      .map((aggregate) => {
        const { measure, spread } = headlineRate(aggregate);
        return {
          run_id: run.runId,
          started_at: run.startedAt,
          cell: aggregate.cell.id,
          label: cellLabel(aggregate.cell, varying),
          group: groupLabel(aggregate.cell, varying),
          publish_kind: aggregate.cell.publish.kind,
          durability: aggregate.cell.durability,
          measure,
          median_msg_per_s: spread.median,
        };
      }),
  );
}

export function trendSpec(rows: readonly TrendRow[]): TopLevelSpec {
  const color = modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind));
  const layered = {
    width: PANEL_WIDTH_ONE_COLUMN,
    height: 280,
    encoding: {
      x: {
        field: 'started_at',
        type: 'temporal' as const,
        title: 'run start time (UTC)',
        // Start times are ISO strings in UTC; a local-time axis would disagree with the run list.
        scale: { type: 'utc' as const },
        axis: { labelExpr: "utcFormat(datum.value, '%b %d %H:%M')", labelAngle: 0 },
      },
      // Log scale: a 10% drop looks the same for tx:1 at 400 msg/s as for async at 20,000 msg/s.
      y: {
        field: 'median_msg_per_s',
        type: 'quantitative' as const,
        title: throughputTitle(rows.map((row) => row.measure)),
        ...logAxis(rows.map((row) => row.median_msg_per_s)),
      },
      color,
      detail: { field: 'cell', type: 'nominal' as const },
    },
    // Points in a layer of their own: a line mark with point: true draws dots, not dashes, in the
    // durability legend.
    layer: [
      {
        mark: { type: 'line' as const, strokeWidth: 1.8 },
        encoding: { strokeDash: durabilityDashEncoding('durability') },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 30 },
        encoding: {
          tooltip: [
            { field: 'label', title: 'cell' },
            { field: 'run_id', title: 'run' },
            { field: 'median_msg_per_s', title: 'median (msg/s)', format: ',.0f' },
          ],
        },
      },
    ],
  };
  const title = { text: 'Throughput across runs', subtitle: 'headline rate of each cell, median of its repetitions' };
  const data = { values: rows as object[] };
  const facet = groupFacet(rows);
  if (facet) return { ...CHART_BASE, title, data, facet: { row: facet }, spec: layered };
  return { ...CHART_BASE, title, data, ...layered };
}
