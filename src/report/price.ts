// The price of each guarantee: every cell's throughput and latency as a ratio to the same cell with
// publish mode `none` (what confirms cost), and a persistent cell's to the same cell transient (what
// persistence costs), with the broker-side cost figures beside them when the run recorded them.
// Pure: run in, rows, table and spec out. Ratios of medians over repetitions, latencies from the
// merged histograms (never averaged percentiles).

import type { TopLevelSpec } from 'vega-lite';
import type { CellAggregate, CellResult, RunFile } from '../run/result.js';
import { cellId } from '../scenario/matrix.js';
import { publishLabel } from '../scenario/modes.js';
import { DURABILITIES, type Cell } from '../scenario/types.js';
import { median } from '../stats/spread.js';
import { compareCells, groupLabel } from './cell-labels.js';
import { chartableAggregates, headlineRate, runVaryingAxes, type ThroughputMeasure } from './chart-data.js';
import { CHART_BASE, groupFacet } from './chart-base.js';
import { durabilityOpacityEncoding, modeColorEncoding } from './palette.js';

/** Broker-side figures a repetition may carry (older runs have neither): what it cost per message, and which side limited it. */
export type CostFigures = Pick<CellResult, 'cost' | 'bottleneck'>;

/** The cost figures shown beside the ratios, with their column headers. */
export const COST_COLUMNS = [
  ['brokerCpuUsPerMsg', 'broker CPU (µs/msg)'],
  ['fsyncsPer1k', 'fsyncs per 1k msg'],
  ['diskBytesPerMsg', 'disk (B/msg)'],
  ['clientCpuUsPerMsg', 'client CPU (µs/msg)'],
] as const;
export type CostColumn = (typeof COST_COLUMNS)[number][0];

/** A cell of a comparison: its id (the row of summary.csv) and the figure compared. */
export interface PricedFigure {
  cell: string;
  value: number;
}

/** numerator / denominator, each figure named by cell, so a reader can check it against summary.csv. */
export interface Ratio {
  ratio: number;
  numerator: PricedFigure;
  denominator: PricedFigure;
}

export interface PriceEntry {
  cell: Cell;
  /** The other axes the comparison holds fixed (queue, client...); '' when the run has one value of each. */
  group: string;
  label: string;
  measure: ThroughputMeasure;
  throughput: number;
  /** Against the same cell with publish `none`; null for `none` itself or when the run has no such cell. */
  vsNone: { throughput: Ratio; e2eP50: Ratio | null; e2eP99: Ratio | null } | null;
  /** A persistent cell against the same cell transient. */
  vsTransient: { throughput: Ratio; e2eP99: Ratio | null; publishP99: Ratio | null } | null;
  /** Median over repetitions of each cost figure; null where no repetition has it. */
  cost: Record<CostColumn, number | null>;
  /** The bottleneck verdicts of the repetitions, distinct, in order. */
  bottleneck: string[];
}

function ratio(numerator: PricedFigure, denominator: PricedFigure): Ratio | null {
  return denominator.value > 0 && numerator.value > 0 ? { ratio: numerator.value / denominator.value, numerator, denominator } : null;
}

function latencyRatio(a: CellAggregate, b: CellAggregate, kind: 'e2eLatency' | 'publishLatency', percentile: 'p50Us' | 'p99Us'): Ratio | null {
  const x = a[kind];
  const y = b[kind];
  if (!x || !y || x.count === 0 || y.count === 0) return null;
  return ratio({ cell: a.cell.id, value: x[percentile] }, { cell: b.cell.id, value: y[percentile] });
}

function costOf(results: ReadonlyArray<CellResult & CostFigures>): Pick<PriceEntry, 'cost' | 'bottleneck'> {
  const cost = {} as Record<CostColumn, number | null>;
  for (const [column] of COST_COLUMNS) {
    const values = results.map((result) => result.cost?.[column]).filter((value): value is number => typeof value === 'number');
    cost[column] = values.length ? median(values) : null;
  }
  const bottleneck = [...new Set(results.map((result) => result.bottleneck?.verdict).filter((v): v is NonNullable<typeof v> => v !== undefined))];
  return { cost, bottleneck };
}

/** One entry per charted cell run without a fault, in chart order. */
export function priceEntries(run: RunFile): PriceEntry[] {
  const aggregates = chartableAggregates(run).filter((aggregate) => aggregate.cell.fault === undefined);
  const byId = new Map(aggregates.map((aggregate) => [aggregate.cell.id, aggregate]));
  const varying = runVaryingAxes(run).filter((axis) => axis !== 'fault');
  const counterpart = (cell: Cell, change: Partial<Omit<Cell, 'id'>>) => {
    const { id: _id, ...axes } = cell;
    return byId.get(cellId({ ...axes, ...change }));
  };
  const throughputOf = (aggregate: CellAggregate): PricedFigure => ({ cell: aggregate.cell.id, value: headlineRate(aggregate).spread.median });
  return [...aggregates]
    .sort((a, b) => compareCells(a.cell, b.cell, varying))
    .map((aggregate) => {
      const { cell } = aggregate;
      const none = cell.publish.kind === 'none' ? undefined : counterpart(cell, { publish: { kind: 'none' } });
      const transient = cell.durability === 'persistent' ? counterpart(cell, { durability: 'transient' }) : undefined;
      const vsNoneThroughput = none ? ratio(throughputOf(aggregate), throughputOf(none)) : null;
      const vsTransientThroughput = transient ? ratio(throughputOf(aggregate), throughputOf(transient)) : null;
      const results = run.cells.filter((result) => result.cell.id === cell.id && result.status === 'ok') as Array<CellResult & CostFigures>;
      return {
        cell,
        group: groupLabel(cell, varying),
        label: `${cell.durability} · ${publishLabel(cell.publish)}`,
        measure: headlineRate(aggregate).measure,
        throughput: headlineRate(aggregate).spread.median,
        vsNone:
          none && vsNoneThroughput
            ? { throughput: vsNoneThroughput, e2eP50: latencyRatio(aggregate, none, 'e2eLatency', 'p50Us'), e2eP99: latencyRatio(aggregate, none, 'e2eLatency', 'p99Us') }
            : null,
        vsTransient:
          transient && vsTransientThroughput
            ? { throughput: vsTransientThroughput, e2eP99: latencyRatio(aggregate, transient, 'e2eLatency', 'p99Us'), publishP99: latencyRatio(aggregate, transient, 'publishLatency', 'p99Us') }
            : null,
        ...costOf(results),
      };
    });
}

/** Whether any entry carries a cost figure: the table adds those columns only then. */
export function costColumnsShown(entries: readonly PriceEntry[]): CostColumn[] {
  return COST_COLUMNS.map(([column]) => column).filter((column) => entries.some((entry) => entry.cost[column] !== null));
}

/**
 * A ratio as the README spells it: "÷2.9" when the figure is divided (slower, or lower), "×3.1" when
 * multiplied; two significant digits, so 0.5 reads ÷2.0 and 1.04 reads ×1.0.
 */
export function formatRatio(value: number): string {
  if (value < 1) return `÷${(1 / value).toPrecision(2)}`;
  return `×${value.toPrecision(2)}`;
}

export type PriceComparison = 'throughput vs none' | 'e2e p99 vs none' | 'throughput persistent vs transient';
export const PRICE_COMPARISONS: readonly PriceComparison[] = ['throughput vs none', 'e2e p99 vs none', 'throughput persistent vs transient'];

export interface PriceRow {
  cell: string;
  group: string;
  label: string;
  publish: string;
  publish_kind: string;
  durability: string;
  comparison: PriceComparison;
  ratio: number;
  ratio_label: string;
  numerator_cell: string;
  numerator: number;
  denominator_cell: string;
  denominator: number;
}

export function priceRows(entries: readonly PriceEntry[]): PriceRow[] {
  const rows: PriceRow[] = [];
  for (const entry of entries) {
    const pairs: Array<[PriceComparison, Ratio | null | undefined]> = [
      ['throughput vs none', entry.vsNone?.throughput],
      ['e2e p99 vs none', entry.vsNone?.e2eP99],
      ['throughput persistent vs transient', entry.vsTransient?.throughput],
    ];
    for (const [comparison, value] of pairs) {
      if (!value) continue;
      rows.push({
        cell: entry.cell.id,
        group: entry.group,
        label: entry.label,
        publish: publishLabel(entry.cell.publish),
        publish_kind: entry.cell.publish.kind,
        durability: entry.cell.durability,
        comparison,
        ratio: value.ratio,
        ratio_label: formatRatio(value.ratio),
        numerator_cell: value.numerator.cell,
        numerator: value.numerator.value,
        denominator_cell: value.denominator.cell,
        denominator: value.denominator.value,
      });
    }
  }
  return rows;
}

export function priceSpec(rows: readonly PriceRow[]): TopLevelSpec {
  const publishOrder = [...new Set(rows.map((row) => row.publish))];
  const comparisons = PRICE_COMPARISONS.filter((comparison) => rows.some((row) => row.comparison === comparison));
  const ratios = rows.map((row) => row.ratio);
  // A log axis symmetric about 1, so ÷3 and ×3 are as far from "costs nothing".
  const reach = Math.max(2, ...ratios.map((value) => Math.max(value, 1 / value)));
  const exponent = Math.ceil(Math.log10(reach) * 2) / 2;
  const domain = [10 ** -exponent, 10 ** exponent];
  const ticks = [1 / 100, 1 / 30, 1 / 10, 1 / 3, 1, 3, 10, 30, 100].filter((tick) => tick >= domain[0] * 0.999 && tick <= domain[1] * 1.001);
  const facet = groupFacet(rows);
  const x = { field: 'publish', type: 'nominal' as const, sort: publishOrder, title: null, axis: { labelAngle: -30 } };
  const xOffset = { field: 'durability', type: 'nominal' as const, sort: [...DURABILITIES], scale: { domain: [...DURABILITIES] } };
  const panel = {
    width: 200,
    height: 150,
    encoding: {
      y: {
        field: 'ratio',
        type: 'quantitative' as const,
        title: 'ratio (log)',
        scale: { type: 'log' as const, domain, nice: false },
        axis: { values: ticks, labelExpr: "datum.value < 1 ? '÷' + format(1 / datum.value, '.2~r') : '×' + format(datum.value, '.2~r')" },
      },
    },
    layer: [
      { mark: { type: 'rule' as const, color: '#555' }, encoding: { y: { datum: 1 } } },
      {
        mark: { type: 'bar' as const },
        encoding: {
          x,
          xOffset,
          y2: { datum: 1 },
          color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
          opacity: durabilityOpacityEncoding('durability', rows.map((row) => row.durability)),
          tooltip: [
            { field: 'label', title: 'cell' },
            { field: 'comparison' },
            { field: 'ratio_label', title: 'ratio' },
            { field: 'numerator', title: 'this cell', format: ',.0f' },
            { field: 'denominator', title: 'compared with', format: ',.0f' },
          ],
        },
      },
    ],
  };
  const column = { field: 'comparison', type: 'nominal' as const, title: null, sort: comparisons, header: { labelFontWeight: 'bold' as const } };
  return {
    ...CHART_BASE,
    title: {
      text: 'Price of each guarantee',
      subtitle: 'each cell against the same cell with publish none, and persistent against transient; 1 = costs nothing',
    },
    data: { values: rows as object[] },
    facet: facet ? { row: facet, column } : { column },
    spec: panel,
  };
}
