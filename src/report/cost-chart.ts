// The cost chart: what each cell cost per message, client and broker side (run/result.ts CellCost),
// one panel per figure (client CPU µs, broker CPU µs, fsyncs per 1000, bytes written per message),
// each with its own scale. Pure: rows from a run file, a Vega-Lite spec from rows. A figure no source
// gave has no row, so no bar: never a zero that was not measured.

import type { TopLevelSpec } from 'vega-lite';
import type { CellCost, CellResult, RunFile } from '../run/result.js';
import { median } from '../stats/spread.js';
import { cellColumnsOf, sortedByCell, type CellColumns } from './chart-data.js';
import { CHART_BASE, PANEL_WIDTH_ONE_COLUMN } from './chart-base.js';
import { durabilityOpacityEncoding, modeColorEncoding } from './palette.js';

export const COST_MEASURES = [
  { key: 'clientCpuUsPerMsg', title: 'client CPU (µs per message)' },
  { key: 'brokerCpuUsPerMsg', title: 'broker CPU (µs per message)' },
  { key: 'fsyncsPer1k', title: 'broker fsyncs per 1000 messages' },
  { key: 'diskBytesPerMsg', title: 'bytes the broker wrote per message' },
] as const satisfies ReadonlyArray<{ key: keyof CellCost; title: string }>;

export interface CostRow extends CellColumns {
  measure: string;
  /** Median over the ok repetitions that have the figure. */
  value: number;
  repetitions: number;
  /** The verdicts of those repetitions (measure/bottleneck.ts), distinct, in order. */
  bottleneck: string;
  source: string;
}

export function costRows(run: RunFile): CostRow[] {
  const columns = cellColumnsOf(run);
  const byCell = new Map<string, CellResult[]>();
  for (const r of run.cells) {
    if (r.status !== 'ok' || !r.cost) continue;
    const list = byCell.get(r.cell.id);
    if (list) list.push(r);
    else byCell.set(r.cell.id, [r]);
  }
  const cells = sortedByCell([...byCell.values()].map((results) => ({ cell: results[0].cell, results })), run);
  return cells.flatMap(({ cell, results }) =>
    COST_MEASURES.flatMap(({ key, title }) => {
      const values = results.map((r) => r.cost![key]).filter((v): v is number => typeof v === 'number');
      if (values.length === 0) return [];
      return [
        {
          ...columns(cell),
          measure: title,
          value: median(values),
          repetitions: values.length,
          bottleneck: [...new Set(results.map((r) => r.bottleneck?.verdict ?? ''))].filter(Boolean).join(', '),
          source: [...new Set(results.map((r) => r.cost!.metricsSource))].join(', '),
        },
      ];
    }),
  );
}

export function costSpec(rows: readonly CostRow[]): TopLevelSpec {
  const labels = [...new Set(rows.map((r) => r.label))];
  const measures = COST_MEASURES.map((m) => m.title).filter((t) => rows.some((r) => r.measure === t));
  return {
    ...CHART_BASE,
    title: { text: 'Cost per message', subtitle: 'median of the repetitions; one scale per panel; a figure no source gave is not drawn' },
    data: { values: rows as object[] },
    facet: { row: { field: 'measure', type: 'nominal', title: null, sort: measures, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: PANEL_WIDTH_ONE_COLUMN,
      height: 110,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'label', type: 'nominal', sort: labels, title: null, axis: { labelAngle: -30, labelLimit: 320 } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: modeColorEncoding('publish_kind', rows.map((r) => r.publish_kind)),
        opacity: durabilityOpacityEncoding('durability'),
        tooltip: [
          { field: 'label', title: 'cell' },
          { field: 'measure' },
          { field: 'value', format: ',.1f' },
          { field: 'repetitions' },
          { field: 'bottleneck', title: 'limited by' },
          { field: 'source', title: 'broker figures from' },
        ],
      },
    },
  } as TopLevelSpec;
}
