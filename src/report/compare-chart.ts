// The comparison chart: change in percent per cell and figure, coloured by publish mode like every
// other chart, faded when within noise, outlined when a regression. Pure: comparison in, spec out.

import type { TopLevelSpec } from 'vega-lite';
import type { Cell } from '../scenario/types.js';
import { COMPARED_FIGURES, type RunComparison } from '../stats/compare.js';
import { CHART_BASE } from './chart-base.js';
import { modeColorEncoding } from './palette.js';

export interface ComparisonRow {
  cell: string;
  label: string;
  publish_kind: string;
  durability: string;
  figure: string;
  change_pct: number;
  beyond_noise: boolean;
  regression: boolean;
}

export function comparisonRows(comparison: RunComparison, labelOf: (cell: Cell) => string): ComparisonRow[] {
  return comparison.matched.flatMap((cell) =>
    cell.figures
      .filter((figure) => figure.changePct !== null)
      .map((figure) => ({
        cell: cell.cellId,
        label: labelOf(cell.cell),
        publish_kind: cell.cell.publish.kind,
        durability: cell.cell.durability,
        figure: `${figure.label} (${figure.unit})`,
        change_pct: Math.round(figure.changePct! * 100) / 100,
        beyond_noise: figure.beyondNoise,
        regression: figure.regression,
      })),
  );
}

export function comparisonSpec(rows: readonly ComparisonRow[], thresholdPct: number): TopLevelSpec {
  const cellOrder = [...new Set(rows.map((row) => row.label))];
  const figureOrder = COMPARED_FIGURES.map((figure) => `${figure.label} (${figure.unit})`).filter((figure) =>
    rows.some((row) => row.figure === figure),
  );
  return {
    ...CHART_BASE,
    title: {
      text: 'Candidate against baseline',
      subtitle: [
        `change in %; faded: within the repetitions' noise; black outline: regression (worse by more than ${thresholdPct}%)`,
        'rates: lower is worse; latency: higher is worse',
      ],
    },
    data: { values: rows as object[] },
    facet: {
      column: {
        field: 'figure',
        type: 'nominal',
        title: null,
        sort: figureOrder,
        header: { labelFontWeight: 'bold', labelFontSize: 11 },
      },
    },
    // Latency changes can dwarf rate changes; each figure on its own scale keeps both readable.
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 105,
      height: { step: 16 },
      layer: [
        {
          mark: { type: 'bar', strokeWidth: 1.5 },
          encoding: {
            y: { field: 'label', type: 'nominal', sort: cellOrder, title: null, axis: { labelLimit: 260 } },
            x: { field: 'change_pct', type: 'quantitative', title: 'change (%)', axis: { tickCount: 3 } },
            color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
            opacity: {
              condition: { test: 'datum.beyond_noise', value: 1 },
              value: 0.35,
            },
            stroke: {
              condition: { test: 'datum.regression', value: '#000' },
              value: null,
            },
            tooltip: [
              { field: 'label', title: 'cell' },
              { field: 'figure' },
              { field: 'change_pct', title: 'change (%)', format: '+.1f' },
              { field: 'beyond_noise', title: 'beyond noise' },
            ],
          },
        },
        {
          mark: { type: 'rule', color: '#888', strokeDash: [3, 3] },
          encoding: { x: { datum: 0, type: 'quantitative' } },
        },
      ],
    },
  };
}
