// Vega-Lite specs for the charts of docs/architecture.md#charts-and-the-report. Pure functions: rows in, spec out, data inline,
// so the .vl.json written beside each chart opens as-is in the Vega editor.

import type { TopLevelSpec } from 'vega-lite';
import type { RunFile } from '../run/result.js';
import { DURABILITIES } from '../scenario/types.js';
import {
  frontierRows,
  LATENCY_KINDS,
  latencyRows,
  throughputRows,
  TIMELINE_EVENTS,
  TIMELINE_MEASURES,
  timelineEvents,
  timelineRows,
  type TimelineEvent,
  type TimelineEventKind,
  type FrontierRow,
  type LatencyRow,
  type ThroughputMeasure,
  type ThroughputRow,
  type TimelineRow,
} from './chart-data.js';
import { costRows, costSpec } from './cost-chart.js';
import { guaranteeRows, guaranteesSpec } from './guarantees.js';
import { priceEntries, priceRows, priceSpec } from './price.js';
import { runKind } from './run-kind.js';
import { sweepRows, sweepSpec, sweepThroughputSpec } from './sweep-chart.js';
import { CHART_BASE, distinct, groupFacet, logAxis, PANEL_WIDTH_ONE_COLUMN, RATE_AXIS_LABELS, throughputTitle } from './chart-base.js';
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

const PANEL_WIDTH_TWO_COLUMNS = 300;

const PERCENTILE_TICKS = [2, 10, 100, 1000, 10000];

const LATENCY_HEADER = {
  field: 'latency',
  type: 'nominal' as const,
  title: null,
  sort: [...LATENCY_KINDS],
  header: { labelExpr: "datum.value + ' latency'", labelFontWeight: 'bold' as const },
};

/** Height of the whole throughput chart's panels together: 40 cells read on one screen. */
const THROUGHPUT_SCREEN_HEIGHT = 560;

export function throughputSpec(rows: readonly ThroughputRow[]): TopLevelSpec {
  const publishOrder = distinct(rows.map((row) => row.publish));
  const groups = distinct(rows.map((row) => row.group));
  const yTitle = throughputTitle(rows.map((row) => row.measure));
  const repetitionNote = 'bar: median of the repetitions; whisker: min to max';
  // One publish mode and several groups: the groups go along x, a facet of one bar each would say nothing.
  const groupsOnX = publishOrder.length === 1 && groups.length > 1;
  const facet = groupsOnX ? null : groupFacet(rows);
  const columns = !facet ? 1 : groups.length <= 2 ? groups.length : groups.length <= 6 ? 2 : 3;
  const facetRows = Math.ceil(groups.length / columns);
  const width = facet ? Math.floor((PANEL_WIDTH_ONE_COLUMN + 60) / columns) - 70 : PANEL_WIDTH_ONE_COLUMN;
  const height = facet ? Math.max(110, Math.min(300, Math.floor(THROUGHPUT_SCREEN_HEIGHT / facetRows) - 50)) : 300;
  const x = groupsOnX
    ? { field: 'group', type: 'nominal' as const, sort: groups, title: null, axis: { labelAngle: 0, labelLimit: 160 } }
    : {
        field: 'publish',
        type: 'nominal' as const,
        sort: publishOrder,
        title: 'publish mode',
        axis: { labelAngle: columns > 1 && publishOrder.length > 4 ? -30 : 0 },
      };
  const layered = {
    width,
    height,
    encoding: {
      x,
      xOffset: { field: 'durability', type: 'nominal' as const, sort: [...DURABILITIES], scale: { domain: [...DURABILITIES] } },
    },
    layer: [
      {
        mark: { type: 'bar' as const },
        encoding: {
          y: { field: 'median_msg_per_s', type: 'quantitative' as const, title: yTitle, axis: { ...RATE_AXIS_LABELS, tickCount: 5, minExtent: 40 } },
          color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
          opacity: durabilityOpacityEncoding('durability', rows.map((row) => row.durability)),
          tooltip: [
            { field: 'label', title: 'cell' },
            { field: 'measure' },
            { field: 'window', title: 'over' },
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
  // Name the window of the rates: a fault cell's is the time before the fault, never the whole window with its outage.
  const faulted = rows.some((row) => row.window === 'before the fault');
  const windowNote = faulted
    ? rows.every((row) => row.window === 'before the fault')
      ? 'rates from the first measured send until the fault'
      : 'fault cells: rates until the fault; other cells: over their measured window'
    : 'rates over each cell\'s measured window';
  const title = {
    text: groupsOnX ? `Throughput of ${publishOrder[0]}` : 'Throughput by publish mode',
    subtitle: [windowNote, repetitionNote],
  };
  const data = { values: rows as object[] };
  if (facet) {
    const { header: _header, ...wrapped } = facet;
    return {
      ...CHART_BASE,
      title,
      data,
      facet: { ...wrapped, header: { labelAnchor: 'start' as const, labelFontWeight: 'bold' as const } },
      columns,
      spec: layered,
    };
  }
  return { ...CHART_BASE, title, data, ...layered };
}

/** Several groups share one screen: their panels shrink, down to a height that still reads. */
function panelHeight(rows: ReadonlyArray<{ group: string }>, faceted: boolean): number {
  if (!faceted) return 280;
  return Math.max(140, Math.min(280, Math.floor(560 / distinct(rows.map((row) => row.group)).length) - 40));
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
      height: panelHeight(rows, facet !== null),
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
        strokeDash: durabilityDashEncoding('durability', rows.map((row) => row.durability)),
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
      height: panelHeight(rows, facet !== null),
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
            shape: durabilityShapeEncoding('durability', rows.map((row) => row.durability)),
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

const EVENT_COLORS: Readonly<Record<TimelineEventKind, string>> = {
  fault: '#c50f1f',
  'broker back': '#0b6a0b',
  'publishing again': '#555',
};

/** A vertical rule and its name at the top of the panel, for one kind of timeline event. */
function eventLayer(event: TimelineEventKind) {
  return {
    transform: [{ filter: { field: 'event', equal: event } }],
    layer: [
      { mark: { type: 'rule' as const, color: EVENT_COLORS[event], strokeWidth: 1.5, strokeDash: event === 'fault' ? [] : [4, 2] } },
      {
        mark: { type: 'text' as const, color: EVENT_COLORS[event], align: 'left' as const, dx: 3, fontSize: 9, baseline: 'top' as const },
        encoding: { text: { field: 'event', type: 'nominal' as const }, y: { value: event === 'fault' ? 2 : event === 'broker back' ? 12 : 22 } },
      },
    ],
    encoding: { x: { field: 'second', type: 'quantitative' as const } },
  };
}

/** Points in the shortest line of the timeline (one per cell, repetition and measure). */
function shortestSeries(rows: readonly TimelineRow[]): number {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.cell}#${row.repetition}#${row.measure}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.min(...counts.values());
}

export function timelineSpec(rows: readonly TimelineRow[], events: readonly TimelineEvent[] = []): TopLevelSpec {
  const panels = distinct(rows.map((row) => row.label));
  const measuresShown = TIMELINE_MEASURES.filter((measure) => rows.some((row) => row.measure === measure));
  // One cell gets the full width; many cells three narrower columns, so a 40-cell matrix stays a page or two.
  const columns = panels.length === 1 ? 1 : panels.length > 12 ? 3 : 2;
  const width = columns === 1 ? PANEL_WIDTH_ONE_COLUMN : columns === 2 ? PANEL_WIDTH_TWO_COLUMNS : 200;
  const eventKinds = TIMELINE_EVENTS.filter((event) => events.some((row) => row.event === event));
  const line = {
    transform: [{ filter: 'isValid(datum.measure)' }],
    // A cell shorter than two seconds has a one-point series, which a line alone would not draw.
    mark: { type: 'line' as const, strokeWidth: 1.3, ...(shortestSeries(rows) < 2 ? { point: { filled: true, size: 16 } } : {}) },
    encoding: {
      x: { field: 'second', type: 'quantitative' as const, title: 'end of each row in the measured window (s)', axis: { format: '~r', tickMinStep: 1 } },
      // A fixed minimum axis width keeps the panels of each column aligned whatever their labels.
      y: { field: 'msg_per_s', type: 'quantitative' as const, title: 'rate (msg/s)', axis: { ...RATE_AXIS_LABELS, tickCount: 4, minExtent: 48 } },
      color: modeColorEncoding('publish_kind', rows.map((row) => row.publish_kind)),
      strokeDash: {
        field: 'measure',
        type: 'nominal' as const,
        title: 'measure',
        sort: [...TIMELINE_MEASURES],
        scale: { domain: [...TIMELINE_MEASURES], range: [[1, 0], [6, 3], [2, 2]] },
        legend: { values: measuresShown },
      },
      detail: { field: 'repetition', type: 'nominal' as const },
      tooltip: [
        { field: 'label', title: 'cell' },
        { field: 'repetition' },
        { field: 'measure' },
        { field: 'second', title: 'second (s)' },
        { field: 'msg_per_s', title: 'rate (msg/s)', format: ',.0f' },
      ],
    },
  };
  const subtitle = ['messages per second of each row of the measured window, over its true length (the last row is usually part of a second); one line per repetition and measure'];
  if (eventKinds.length) subtitle.push('red: the fault; green: the broker accepts connections again; grey: publishing resumed');
  return {
    ...CHART_BASE,
    title: { text: 'Timeline of each cell', subtitle },
    data: { values: [...rows, ...events] as object[] },
    facet: {
      field: 'label',
      type: 'nominal',
      title: null,
      sort: panels,
      // Narrow panels: durability and mode on one line, the other axes beneath, so the columns stay apart.
      header: {
        labelAnchor: 'start',
        labelFontWeight: 'bold',
        labelFontSize: 11,
        labelLimit: width + 40,
        ...(columns > 2 ? { labelExpr: "[join(slice(split(datum.value, ' · '), 0, 2), ' · '), join(slice(split(datum.value, ' · '), 2), ' · ')]" } : {}),
        ...(columns === 1 ? { labels: panels.length > 1 } : {}),
      },
    },
    columns,
    // Each cell on its own scale: this chart is about steadiness over time; the throughput chart compares cells.
    resolve: { scale: { y: 'independent' } },
    spec: {
      width,
      height: columns === 1 ? 200 : 110,
      layer: [line, ...eventKinds.map(eventLayer)],
    },
  };
}

/** The charts a run has data for, chosen by what it varies (run-kind.ts), in report order; a chart without rows is left out. */
export function runCharts(run: RunFile): ChartDefinition[] {
  const kind = runKind(run);
  const candidates: Array<Omit<ChartDefinition, 'spec'> & { spec: () => TopLevelSpec }> = [];
  // A fault run leads with what it is about: what each mode lost under each fault, and what it costs.
  const guarantees = guaranteeRows(run);
  candidates.push({
    name: 'guarantees',
    title: 'Guarantees matrix',
    caption:
      'Per publish mode (transient pale, persistent solid) and fault: confirmed messages lost, messages left without an answer, duplicated deliveries, and the throughput the mode costs. A loss where the modes promise none (persistent, confirms or tx, manual ack) fails the run. Click a bar for the cell\'s details.',
    rows: guarantees,
    spec: () => guaranteesSpec(guarantees),
  });
  if (kind === 'sweep') {
    const sweep = sweepRows(run);
    candidates.push({
      name: 'sweep',
      title: 'Rate sweep',
      caption: 'Each family of cells (equal but for the target rate) as one line per percentile: latency against the rate it achieved. Labels give the target as a share of the unpaced maximum.',
      rows: sweep,
      spec: () => sweepSpec(sweep),
    });
    candidates.push({
      name: 'sweep-throughput',
      title: 'Achieved against target',
      caption: 'Each paced cell\'s achieved rate against its target; a point below the grey line fell short.',
      rows: sweep.filter((row) => row.target_msg_per_s !== null && row.percentile === 'p50' && row.latency === sweep[0]?.latency),
      spec: () => sweepThroughputSpec(sweep),
    });
  }
  if (kind === 'matrix' || kind === 'faults') {
    const throughput = throughputRows(run);
    candidates.push({
      name: 'throughput',
      title: 'Throughput',
      caption: 'Headline rate per publish mode, transient (pale) beside persistent (solid); whiskers span the repetitions.',
      rows: throughput,
      spec: () => throughputSpec(throughput),
    });
  }
  if (kind !== 'single') {
    const price = priceRows(priceEntries(run));
    candidates.push({
      name: 'price',
      title: 'Price of each guarantee',
      caption: 'Each cell\'s throughput and end-to-end p99 against the same cell with publish mode none, and persistent against transient, on a log scale: ÷3 and ×3 lie equally far from 1.',
      rows: price,
      spec: () => priceSpec(price),
    });
  }
  if (kind !== 'sweep') {
    const latency = latencyRows(run);
    candidates.push({
      name: 'latency',
      title: 'Latency distribution',
      caption: `Percentile against latency, both on log axes.${latency.some((row) => row.publish_kind === 'none') ? ' Publish mode none has no publish latency and is not drawn there.' : ''}`,
      rows: latency,
      spec: () => latencySpec(latency),
    });
  }
  if (kind === 'matrix' || kind === 'faults') {
    const frontier = frontierRows(run);
    candidates.push({
      name: 'frontier',
      title: 'Cost frontier',
      caption: 'Each cell as throughput against its p99 latency: what each guarantee costs.',
      rows: frontier,
      spec: () => frontierSpec(frontier),
    });
  }
  const cost = costRows(run);
  candidates.push({
    name: 'cost',
    title: 'Cost per message',
    caption: 'What each cell cost per message sent: client and broker CPU, broker fsyncs per 1000 messages, bytes the broker wrote; the tooltip names the resource that limited the cell and where the broker figures came from.',
    rows: cost,
    spec: () => costSpec(cost),
  });
  const timeline = timelineRows(run);
  const events = timelineEvents(run);
  candidates.push({
    name: 'timeline',
    title: 'Timeline',
    caption: events.length
      ? 'Per-second sent, confirmed and consumed of every repetition, with the fault, the broker\'s recovery and (after: continue) the producers\' resumption marked; the fault and recovery times come from run.json (fault.beforeFault.seconds, fault.recoverySeconds).'
      : 'Per-second sent, confirmed and consumed of every repetition; stalls and ramps show here.',
    rows: timeline,
    spec: () => timelineSpec(timeline, events),
  });
  return candidates.filter((chart) => chart.rows.length > 0).map((chart) => ({ ...chart, spec: chart.spec() }));
}
