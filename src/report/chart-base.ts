// What every chart spec of the report shares: the chart-wide config, panel widths, axis helpers and the
// row facet per group. Its own module so that charts.ts (which assembles the report's charts) and the
// modules whose specs it assembles (guarantees.ts, price.ts, sweep-chart.ts, cost-chart.ts, ...) all
// import it, and none of them imports charts.ts back.

import type { ThroughputMeasure } from './chart-data.js';

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

/** Rates as 5k, 10k, 15k: Vega gives every tick the same SI prefix, so zero is spelled 0, not 0k. */
export const RATE_AXIS_LABELS = { format: ',~s', labelExpr: "datum.value == 0 ? '0' : datum.label" } as const;

export function distinct<T>(values: Iterable<T>): T[] {
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
