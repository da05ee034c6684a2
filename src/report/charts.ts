// Vega-Lite specs for the charts of DESIGN.md section 8. Pure functions: rows in, spec out, data inline,
// so the .vl.json written beside each chart opens as-is in the Vega editor.

import type { TopLevelSpec } from 'vega-lite';
import type { RunFile } from '../run/result.js';
import { DURABILITIES } from '../scenario/types.js';
import {
  frontierRows,
  LATENCY_KINDS,
  latencyRows,
  throughputRows,
  TIMELINE_MEASURES,
  timelineRows,
  type FrontierRow,
  type LatencyRow,
  type ThroughputMeasure,
  type ThroughputRow,
  type TimelineRow,
} from './chart-data.js';
import { guaranteeRows, guaranteesSpec } from './guarantees.js';
import {
  durabilityDashEncoding,
  durabilityOpacityEncoding,
  durabilityShapeEncoding,
  modeColorEncoding,
} from './palette.js';

/** A chart of a report: its file name stem, what it shows, the rows behind it and its spec. */
export interface ChartDefinition {
  name: string;
  title: string;
  /** One sentence under the chart saying how to read it. */
  caption: string;
  rows: ReadonlyArray<object>;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Everything chart-wide: white background (PNGs shown on dark pages), legible sizes at 800 px. */
export const CHART_BASE = {
  $schema: SCHEMA,
  background: 'white',
  padding: 8,
  config: {
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
    legend: {
      orient: 'top' as const,
      direction: 'horizontal' as const,
      labelFontSize: 11,
      titleFontSize: 11,
      titleFontWeight: 'normal' as const,
    },
    header: { labelFontSize: 12, titleFontSize: 12 },
    title: { fontSize: 14, anchor: 'start' as const, subtitleFontSize: 11, subtitleColor: '#555' },
  },
};

/** Total chart width the layouts aim at; panel widths below leave room for axes. */
export const PANEL_WIDTH_ONE_COLUMN = 680;
const PANEL_WIDTH_TWO_COLUMNS = 300;

const PERCENTILE_TICKS = [2, 10, 100, 1000, 10000];

function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * A log axis over the decades the values span: domain from the power of ten below the smallest to the
 * one above the largest, ticks at the powers of ten (and 2x, 5x when fewer than three decades), so the
 * labels read 100, 1,000, 10,000 rather than Vega's crowded defaults.
 */
export function logAxis(values: readonly number[]) {
  const positive = values.filter((value) => value > 0);
  const low = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
  const high = positive.length ? Math.max(low + 1, Math.ceil(Math.log10(Math.max(...positive)))) : 1;
  const ticks: number[] = [];
  for (let exponent = low; exponent <= high; exponent++) {
    const decade = 10 ** exponent;
    ticks.push(decade);
    if (high - low < 3 && exponent < high) ticks.push(2 * decade, 5 * decade);
  }
  return {
    scale: { type: 'log' as const, domain: [10 ** low, 10 ** high], nice: false },
    axis: { values: ticks, format: ',~r' },
  };
}

const MEASURE_ORDER: readonly ThroughputMeasure[] = ['max-rate', 'consumed', 'confirmed', 'sent'];

/** Axis title naming the rate(s) plotted, e.g. "consumed (msg/s)" or "consumed, else confirmed (msg/s)". */
export function throughputTitle(measures: Iterable<ThroughputMeasure>): string {
  const present = new Set(measures);
  const names = MEASURE_ORDER.filter((measure) => present.has(measure));
  return `${names.length ? names.join(', else ') : 'consumed'} (msg/s)`;
}

/** A row header per group when a run holds several clients, queues, sizes...; none otherwise. */
export function groupFacet(rows: ReadonlyArray<{ group: string }>) {
  const groups = distinct(rows.map((row) => row.group));
  if (groups.length < 2) return null;
  return {
    field: 'group',
    type: 'nominal' as const,
    title: null,
    sort: groups,
    header: { labelAngle: 0, labelOrient: 'top' as const, labelAnchor: 'start' as const, labelFontWeight: 'bold' as const },
  };
}

const LATENCY_HEADER = {
  field: 'latency',
  type: 'nominal' as const,
  title: null,
  sort: [...LATENCY_KINDS],
  header: { labelExpr: "datum.value + ' latency'", labelFontWeight: 'bold' as const },
};

export function throughputSpec(rows: readonly ThroughputRow[]): TopLevelSpec {
  const publishOrder = distinct(rows.map((row) => row.publish));
  const yTitle = throughputTitle(rows.map((row) => row.measure));
  const repetitionNote = 'bar: median of the repetitions; whisker: min to max';
  const layered = {
    width: PANEL_WIDTH_ONE_COLUMN,
    height: 300,
    encoding: {
      x: {
        field: 'publish',
        type: 'nominal' as const,
        sort: publishOrder,
        title: 'publish mode',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'durability', type: 'nominal' as const, sort: [...DURABILITIES], scale: { domain: [...DURABILITIES] } },
    },
    layer: [
      {
        mark: { type: 'bar' as const },
        encoding: {
          y: { field: 'median_msg_per_s', type: 'quantitative' as const, title: yTitle },
          color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
          opacity: durabilityOpacityEncoding('durability'),
          tooltip: [
            { field: 'label', title: 'cell' },
            { field: 'measure' },
            { field: 'median_msg_per_s', title: 'median (msg/s)', format: ',.0f' },
            { field: 'min_msg_per_s', title: 'min (msg/s)', format: ',.0f' },
            { field: 'max_msg_per_s', title: 'max (msg/s)', format: ',.0f' },
          ],
        },
      },
      {
        mark: { type: 'rule' as const, color: '#222', strokeWidth: 1.5 },
        encoding: {
          y: { field: 'min_msg_per_s', type: 'quantitative' as const },
          y2: { field: 'max_msg_per_s' },
        },
      },
    ],
  };
  const facet = groupFacet(rows);
  const title = { text: 'Throughput by publish mode', subtitle: repetitionNote };
  const data = { values: rows as object[] };
  if (facet) return { ...CHART_BASE, title, data, facet: { row: facet }, spec: layered };
  return { ...CHART_BASE, title, data, ...layered };
}

export function latencySpec(rows: readonly LatencyRow[]): TopLevelSpec {
  const facet = groupFacet(rows);
  return {
    ...CHART_BASE,
    title: {
      text: 'Latency percentile distribution',
      subtitle: 'merged histograms of all repetitions; one line per cell',
    },
    data: { values: rows as object[] },
    facet: facet ? { column: LATENCY_HEADER, row: facet } : { column: LATENCY_HEADER },
    spec: {
      width: PANEL_WIDTH_TWO_COLUMNS,
      height: 280,
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: {
          field: 'tail_inverse',
          type: 'quantitative',
          title: 'percentile (%)',
          scale: { type: 'log', domain: [2, 10000] },
          // The axis is linear in 1/(1-p); the labels say which percentile each position is.
          axis: { values: PERCENTILE_TICKS, labelExpr: "format(100 - 100 / datum.value, '.4~f') + '%'" },
        },
        y: { field: 'latency_us', type: 'quantitative', title: 'latency (µs)', ...logAxis(rows.map((row) => row.latency_us)) },
        color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
        strokeDash: durabilityDashEncoding('durability'),
        detail: { field: 'cell', type: 'nominal' },
        tooltip: [
          { field: 'label', title: 'cell' },
          { field: 'percentile', title: 'percentile (%)' },
          { field: 'latency_us', title: 'latency (µs)', format: ',.0f' },
        ],
      },
    },
  };
}

export function frontierSpec(rows: readonly FrontierRow[]): TopLevelSpec {
  const facet = groupFacet(rows);
  return {
    ...CHART_BASE,
    title: {
      text: 'Cost frontier: throughput against p99 latency',
      subtitle: 'one point per cell; up and to the left costs more',
    },
    data: { values: rows as object[] },
    facet: facet ? { column: LATENCY_HEADER, row: facet } : { column: LATENCY_HEADER },
    spec: {
      width: PANEL_WIDTH_TWO_COLUMNS,
      height: 280,
      encoding: {
        x: {
          field: 'throughput_msg_per_s',
          type: 'quantitative',
          title: throughputTitle(rows.map((row) => row.measure)),
          // Throughput spans orders of magnitude between tx:1 and async; a linear axis crushes the slow modes.
          ...logAxis(rows.map((row) => row.throughput_msg_per_s)),
        },
        y: { field: 'p99_us', type: 'quantitative', title: 'p99 latency (µs)', ...logAxis(rows.map((row) => row.p99_us)) },
      },
      layer: [
        {
          mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
          encoding: {
            color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
            shape: durabilityShapeEncoding('durability'),
            tooltip: [
              { field: 'label', title: 'cell' },
              { field: 'throughput_msg_per_s', title: 'throughput (msg/s)', format: ',.0f' },
              { field: 'p99_us', title: 'p99 (µs)', format: ',.0f' },
            ],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 7, fontSize: 10, color: '#333' },
          encoding: { text: { field: 'publish', type: 'nominal' } },
        },
      ],
    },
  };
}

export function timelineSpec(rows: readonly TimelineRow[]): TopLevelSpec {
  const panels = distinct(rows.map((row) => row.label));
  const measuresShown = TIMELINE_MEASURES.filter((measure) => rows.some((row) => row.measure === measure));
  return {
    ...CHART_BASE,
    title: {
      text: 'Timeline of each cell',
      subtitle: 'messages per second of the measured window; one line per repetition and measure',
    },
    data: { values: rows as object[] },
    facet: {
      field: 'label',
      type: 'nominal',
      title: null,
      sort: panels,
      header: { labelAnchor: 'start', labelFontWeight: 'bold', labelFontSize: 11 },
    },
    columns: 2,
    // Each cell on its own scale: this chart is about steadiness over time; the throughput chart compares cells.
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: PANEL_WIDTH_TWO_COLUMNS,
      height: 110,
      mark: { type: 'line', strokeWidth: 1.3 },
      encoding: {
        x: { field: 'second', type: 'quantitative', title: 'time in measured window (s)' },
        y: { field: 'msg_per_s', type: 'quantitative', title: 'rate (msg/s)', // A fixed minimum axis width keeps the panels of each column aligned whatever their labels.
          axis: { tickCount: 4, minExtent: 48 } },
        color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
        strokeDash: {
          field: 'measure',
          type: 'nominal',
          title: 'measure',
          sort: [...TIMELINE_MEASURES],
          scale: { domain: [...TIMELINE_MEASURES], range: [[1, 0], [6, 3], [2, 2]] },
          legend: { values: measuresShown },
        },
        detail: { field: 'repetition', type: 'nominal' },
        tooltip: [
          { field: 'label', title: 'cell' },
          { field: 'repetition' },
          { field: 'measure' },
          { field: 'second', title: 'second (s)' },
          { field: 'msg_per_s', title: 'rate (msg/s)', format: ',.0f' },
        ],
      },
    },
  };
}

/** The charts a run has data for, in report order; a chart without rows is left out. */
export function runCharts(run: RunFile): ChartDefinition[] {
  const candidates: Array<Omit<ChartDefinition, 'spec'> & { spec: () => TopLevelSpec }> = [];
  // A fault run leads with what it is about: what each mode lost under each fault, and what it costs.
  const guarantees = guaranteeRows(run);
  candidates.push({
    name: 'guarantees',
    title: 'Guarantees matrix',
    caption:
      'Per publish mode (transient pale, persistent solid) and fault: confirmed messages lost, messages left without an answer, duplicated deliveries, and the throughput the mode costs. A loss where the modes promise none (persistent, confirms or tx, manual ack) fails the run.',
    rows: guarantees,
    spec: () => guaranteesSpec(guarantees),
  });
  const throughput = throughputRows(run);
  candidates.push({
    name: 'throughput',
    title: 'Throughput',
    caption: 'Headline rate per publish mode, transient (pale) beside persistent (solid); whiskers span the repetitions.',
    rows: throughput,
    spec: () => throughputSpec(throughput),
  });
  const latency = latencyRows(run);
  candidates.push({
    name: 'latency',
    title: 'Latency distribution',
    caption: 'Percentile against latency, both on log axes. Publish mode none has no publish latency and is not drawn there.',
    rows: latency,
    spec: () => latencySpec(latency),
  });
  const frontier = frontierRows(run);
  candidates.push({
    name: 'frontier',
    title: 'Cost frontier',
    caption: 'Each cell as throughput against its p99 latency: what each guarantee costs.',
    rows: frontier,
    spec: () => frontierSpec(frontier),
  });
  const timeline = timelineRows(run);
  candidates.push({
    name: 'timeline',
    title: 'Timeline',
    caption: 'Per-second sent, confirmed and consumed of every repetition; stalls and ramps show here.',
    rows: timeline,
    spec: () => timelineSpec(timeline),
  });
  return candidates.filter((chart) => chart.rows.length > 0).map((chart) => ({ ...chart, spec: chart.spec() }));
}
