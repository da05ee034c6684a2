// Chart specs compile and render with a mark per row; one colour scale everywhere; the report and
// history pages escape run data and link what they should.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { TopLevelSpec } from 'vega-lite';
import type { RunFile } from '../../src/run/result.js';
import { PUBLISH_KINDS } from '../../src/scenario/types.js';
import { compareRuns } from '../../src/stats/compare.js';
import { orderedPublishLabels } from '../../src/report/cell-labels.js';
import {
  chartableAggregates,
  LATENCY_PERCENTILES,
  latencyRows,
  throughputRows,
  timelineRows,
} from '../../src/report/chart-data.js';
import { logAxis, throughputTitle } from '../../src/report/chart-base.js';
import { runCharts, throughputSpec } from '../../src/report/charts.js';
import { comparisonRows, comparisonSpec } from '../../src/report/compare-chart.js';
import { comparisonLabeller } from '../../src/report/compare-markdown.js';
import { escapeHtml, html, trusted } from '../../src/report/html-escape.js';
import { reportHtml } from '../../src/report/html.js';
import { writeHistory } from '../../src/report/history.js';
import { writeReport } from '../../src/report/index.js';
import { MODE_COLOR_SCALE } from '../../src/report/palette.js';
import { renderChart, type RenderedChart } from '../../src/report/render.js';
import { trendRows, trendSpec } from '../../src/report/trend-chart.js';
import { buildFixtureRun, fixtureTempDir, removeFixtureDirs, writeFixtureRun } from '../helpers/fixture-run.js';

const FAILED_REASON = '<b>channel closed</b>: PRECONDITION_FAILED';
const HOSTILE = '<script>alert(1)</script>';
const run = buildFixtureRun({ failedReason: FAILED_REASON });
const failedCellId = run.cells.find((result) => result.status === 'failed')!.cell.id;

after(removeFixtureDirs);

/** Data-mark types each chart draws from its rows; every one must have an item per row. */
const MARKS_PER_ROW: Record<string, string[]> = {
  throughput: ['rect', 'rule'],
  latency: ['line'],
  frontier: ['symbol', 'text'],
  timeline: ['line'],
};

/** How many elements Vega's SVG draws inside the data-mark groups of one mark type. */
function svgMarkElements(svg: string, marktype: string): number {
  const groups = svg.match(new RegExp(`<g class="mark-${marktype} role-mark[^"]*"[^>]*>(.*?)</g>`, 'gs')) ?? [];
  return groups.reduce((sum, group) => sum + (group.match(/<(path|line|text)\b/g)?.length ?? 0), 0);
}

function distinctCount(rows: ReadonlyArray<object>, key: (row: Record<string, unknown>) => string): number {
  return new Set(rows.map((row) => key(row as Record<string, unknown>))).size;
}

interface VegaScale {
  name: string;
  domain?: unknown;
  range?: unknown;
}
interface VegaAxis {
  title?: unknown;
  grid?: boolean;
}

/** Every scale and axis of a compiled Vega spec, nested groups (facets, layers) included. */
function collect(node: unknown, scales: VegaScale[] = [], axes: VegaAxis[] = []) {
  if (node && typeof node === 'object') {
    const record = node as { scales?: VegaScale[]; axes?: VegaAxis[]; marks?: unknown[] };
    scales.push(...(record.scales ?? []));
    axes.push(...(record.axes ?? []));
    for (const mark of record.marks ?? []) collect(mark, scales, axes);
  }
  return { scales, axes };
}

function assertModeColours(rendered: RenderedChart, chart: string): void {
  const colour = collect(rendered.vega).scales.filter((scale) => scale.name === 'color');
  assert.equal(colour.length, 1, `${chart}: one colour scale`);
  assert.deepEqual(colour[0].domain, [...PUBLISH_KINDS], `${chart}: colour domain`);
  assert.deepEqual(colour[0].range, MODE_COLOR_SCALE.range, `${chart}: colour range`);
}

/** Axis titles with a unit in parentheses; the publish-mode axis is categorical and has none. */
function assertUnits(rendered: RenderedChart, chart: string): void {
  const titles = collect(rendered.vega)
    .axes.filter((axis) => !axis.grid && typeof axis.title === 'string')
    .map((axis) => axis.title as string);
  assert.ok(titles.length >= 1, `${chart}: axis titles present`);
  for (const title of titles) {
    if (title === 'publish mode') continue;
    assert.match(title, /\((msg\/s|µs|s|%|UTC)\)$/, `${chart}: axis title '${title}' has a unit`);
  }
}

describe('run charts', () => {
  const charts = runCharts(run);

  it('builds the four charts of docs/architecture.md#charts-and-the-report and the price of each guarantee from a matrix', () => {
    assert.deepEqual(
      charts.map((chart) => chart.name),
      ['throughput', 'price', 'latency', 'frontier', 'timeline'],
    );
  });

  for (const name of Object.keys(MARKS_PER_ROW)) {
    it(`${name}: compiles without warnings and renders a mark per row`, async () => {
      const chart = charts.find((candidate) => candidate.name === name)!;
      const rendered = await renderChart(chart.spec);
      assert.deepEqual(rendered.warnings, []);
      assert.match(rendered.svg, /^<svg /);
      for (const marktype of MARKS_PER_ROW[name]) {
        assert.equal(rendered.marks[marktype], chart.rows.length, `${name}: ${marktype} items in the scenegraph`);
      }
      if (name === 'throughput' || name === 'frontier') {
        const marktype = name === 'throughput' ? 'rect' : 'symbol';
        assert.equal(svgMarkElements(rendered.svg, marktype), chart.rows.length, `${name}: ${marktype} elements in the SVG`);
      } else {
        // A line is one SVG path per series: per cell and latency kind, or per cell, repetition and measure.
        const series =
          name === 'latency'
            ? distinctCount(chart.rows, (row) => `${row.cell}|${row.latency}`)
            : distinctCount(chart.rows, (row) => `${row.cell}|${row.repetition}|${row.measure}`);
        assert.equal(svgMarkElements(rendered.svg, 'line'), series, `${name}: line paths in the SVG`);
      }
      assertModeColours(rendered, name);
      assertUnits(rendered, name);
    });
  }

  it('uses the same colour scale in the comparison and trend charts', async () => {
    const comparison = compareRuns(run, buildFixtureRun({ seed: 9, rateFactor: 0.5 }), { thresholdPct: 10 });
    const rows = comparisonRows(comparison, comparisonLabeller(run, run));
    for (const [name, spec] of [
      ['compare', comparisonSpec(rows, 10)],
      ['trend', trendSpec(trendRows([run, buildFixtureRun({ startedAt: '2025-11-25T12:00:00.000Z' })]))],
    ] as Array<[string, TopLevelSpec]>) {
      const rendered = await renderChart(spec);
      assert.deepEqual(rendered.warnings, [], name);
      assertModeColours(rendered, name);
      assertUnits(rendered, name);
    }
  });

  it('leaves failed cells out of every chart', () => {
    assert.ok(!chartableAggregates(run).some((aggregate) => aggregate.cell.id === failedCellId));
    for (const chart of charts) {
      assert.ok(!chart.rows.some((row) => (row as { cell: string }).cell === failedCellId), chart.name);
    }
  });

  it('orders publish modes none, single, batch, async, tx', () => {
    assert.deepEqual(orderedPublishLabels(run.aggregates.map((aggregate) => aggregate.cell)), [
      'none',
      'single',
      'batch:100',
      'async:1000',
      'tx:1',
    ]);
    const spec = throughputSpec(throughputRows(run)) as { encoding: { x: { sort: string[] } } };
    assert.deepEqual(spec.encoding.x.sort, ['none', 'single', 'batch:100', 'async:1000', 'tx:1']);
  });

  it('plots no publish latency for none, and never a zero latency', () => {
    const rows = latencyRows(run);
    assert.ok(!rows.some((row) => row.latency === 'publish' && row.publish_kind === 'none'));
    assert.ok(rows.some((row) => row.latency === 'end-to-end' && row.publish_kind === 'none'));
    assert.ok(rows.every((row) => row.latency_us > 0));
  });

  it('spaces percentiles from 50% to 99.99% and hits the labelled ones exactly', () => {
    for (const percentile of [50, 90, 99, 99.9, 99.99]) assert.ok(LATENCY_PERCENTILES.includes(percentile), String(percentile));
    assert.equal(LATENCY_PERCENTILES[0], 50);
    assert.equal(LATENCY_PERCENTILES.at(-1), 99.99);
  });

  it('plots no confirmed line for none in the timeline', () => {
    assert.ok(!timelineRows(run).some((row) => row.publish_kind === 'none' && row.measure === 'confirmed'));
  });

  it('falls back to confirmed/s, then sent/s, without consumers, and says so', () => {
    const noConsumers = structuredClone(run);
    for (const aggregate of noConsumers.aggregates) {
      aggregate.cell.consumers = 0;
      aggregate.rates.consumedPerS = null;
    }
    const rows = throughputRows(noConsumers);
    assert.ok(rows.filter((row) => row.publish_kind === 'none').every((row) => row.measure === 'sent'));
    assert.ok(rows.filter((row) => row.publish_kind !== 'none').every((row) => row.measure === 'confirmed'));
    assert.equal(throughputTitle(rows.map((row) => row.measure)), 'confirmed, else sent (msg/s)');
    assert.equal(throughputTitle(['consumed']), 'consumed (msg/s)');
  });

  it('facets by client when a run holds several', async () => {
    const twoClients = buildFixtureRun({ clients: ['amqplib', 'rabbitmq-client'] });
    const rows = throughputRows(twoClients);
    assert.equal(rows.length, 20);
    assert.deepEqual([...new Set(rows.map((row) => row.group))], ['amqplib', 'rabbitmq-client']);
    const rendered = await renderChart(throughputSpec(rows));
    assert.deepEqual(rendered.warnings, []);
    assert.equal(rendered.marks.rect, 20);
    assert.match(rendered.svg, />rabbitmq-client</);
  });

  it('puts log-axis ticks on powers of ten over the data', () => {
    assert.deepEqual(logAxis([120, 95_000]), {
      scale: { type: 'log', domain: [100, 100_000], nice: false },
      axis: { values: [100, 1000, 10_000, 100_000], format: ',~r' },
    });
    assert.deepEqual(logAxis([300, 4000]).axis.values, [100, 200, 500, 1000, 2000, 5000, 10_000]);
  });
});

describe('html escaping', () => {
  it('escapes interpolations and keeps trusted markup', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(html`<p>${HOSTILE}</p>`.value, '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    assert.equal(html`<p>${trusted('<b>ok</b>')}${['<', 1]}</p>`.value, '<p><b>ok</b>&lt;1</p>');
  });

  it('renders a hostile run as text', () => {
    const hostile: RunFile = structuredClone(run);
    hostile.scenario.name = HOSTILE;
    hostile.runId = `run-${HOSTILE}`;
    hostile.scenario.axes.queue = [HOSTILE];
    hostile.environment!.broker.version = HOSTILE;
    hostile.environment!.clients = { [HOSTILE]: HOSTILE };
    hostile.environment!.hostname = '"><img src=x onerror=alert(1)>';
    const page = reportHtml({ run: hostile, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.ok(!page.includes('<script'), 'no script element');
    assert.ok(!page.includes('<img'), 'no injected element');
    assert.ok(!page.includes('<b>channel'), 'reason escaped');
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.includes('&lt;b&gt;channel closed&lt;/b&gt;: PRECONDITION_FAILED'));
  });

  it('shows a banner for a partial run only', () => {
    const page = (complete: boolean) =>
      reportHtml({ run: { ...run, complete }, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.match(page(false), /Partial run\./);
    assert.doesNotMatch(page(true), /Partial run\./);
  });

  it('says when the environment was not recorded', () => {
    const page = reportHtml({ run: { ...run, environment: null }, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.match(page, /Not recorded for this run/);
  });
});

describe('writeReport', () => {
  it('writes every chart as spec, SVG, PNG and CSV, and an offline page linking them', async () => {
    const runDir = await writeFixtureRun({ ...run, scenario: { ...run.scenario, name: HOSTILE }, complete: false });
    const output = await writeReport(runDir);
    assert.deepEqual(output.warnings, []);
    assert.equal(output.charts.length, 5);
    const files = await readdir(join(runDir, 'charts'));
    for (const chart of runCharts(run)) {
      for (const ext of ['vl.json', 'svg', 'png', 'csv']) assert.ok(files.includes(`${chart.name}.${ext}`), `${chart.name}.${ext}`);
      const png = await readFile(join(runDir, 'charts', `${chart.name}.png`));
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
      const csv = parse(await readFile(join(runDir, 'charts', `${chart.name}.csv`)), { columns: true }) as object[];
      assert.equal(csv.length, chart.rows.length, `${chart.name}.csv rows`);
      const spec = JSON.parse(await readFile(join(runDir, 'charts', `${chart.name}.vl.json`), 'utf8'));
      assert.equal(spec.$schema, 'https://vega.github.io/schema/vega-lite/v6.json');
    }

    const page = await readFile(output.html, 'utf8');
    assert.ok(!page.includes('<script'), 'no script at all: the page works offline and cannot run run data');
    assert.ok(!/(src|href)="(https?:)?\/\//.test(page), 'no external reference');
    for (const href of ['summary.csv', 'timeline.csv', 'run.json', 'charts/throughput.csv', 'charts/timeline.csv']) {
      assert.ok(page.includes(`href="${href}"`), href);
    }
    // No history page beside this run: no link to one (history-link.test.ts has the cases with one).
    assert.ok(!page.includes('href="../index.html"'), 'no dead history link');
    for (const name of ['throughput', 'latency', 'frontier', 'timeline']) assert.ok(page.includes(`data-chart="${name}"`), name);
    assert.match(page, /Partial run\./);
    assert.ok(page.includes(`data-cell="${failedCellId}"`), 'failed cell in the table');
    assert.ok(page.includes('3 of 3 repetitions failed: &lt;b&gt;channel closed&lt;/b&gt;'), 'with its reason');
    // Several SVGs inline in one document: a repeated id would make one chart use another's clip path.
    const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    assert.equal(new Set(ids).size, ids.length, 'ids unique across the page');
  });
});

describe('writeHistory', () => {
  it('lists runs newest first, links each report, and plots the trend', async () => {
    const resultsDir = await fixtureTempDir('ackbench-history-');
    const days = ['2025-11-20', '2025-11-22', '2025-11-21'];
    for (const [index, day] of days.entries()) {
      const runDir = join(resultsDir, `run-${day}`);
      await writeFixtureRun(buildFixtureRun({ startedAt: `${day}T02:00:00.000Z`, seed: index + 1, runId: `run-${day}` }), runDir);
      if (day !== '2025-11-21') await writeReport(runDir);
    }
    await mkdir(join(resultsDir, 'broken'));
    await writeFile(join(resultsDir, 'broken', 'run.json'), '{"format":"other"}');

    const output = await writeHistory(resultsDir);
    assert.deepEqual(output.runs, ['run-2025-11-22', 'run-2025-11-21', 'run-2025-11-20']);
    assert.ok(existsSync(join(resultsDir, 'trend.vl.json')) && existsSync(join(resultsDir, 'trend.svg')));
    const page = await readFile(output.html, 'utf8');
    assert.ok(page.indexOf('run-2025-11-22/index.html') < page.indexOf('run-2025-11-20/index.html'), 'newest first');
    assert.ok(page.includes('href="run-2025-11-21/run.json"'), 'a run without a report links its run.json');
    assert.match(page, /broken: .*not an ackbench run file/);
    assert.ok(page.includes('data-chart="trend"'));

    const rendered = await renderChart(trendSpec(trendRows([run])));
    assert.equal(rendered.marks.symbol, 10, 'one point per cell and run');
  });
});
