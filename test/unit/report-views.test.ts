// What the report chooses by run kind, and the figures of its reading aids: the sweep's points and
// saturation, the price ratios, the written summary's sentences and sources, the fault timeline's
// events and the links from the guarantees matrix to each fault cell's details.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunFile } from '../../src/run/result.js';
import { timelineEvents } from '../../src/report/chart-data.js';
import { runCharts } from '../../src/report/charts.js';
import { faultDetailsId, guaranteesSpec, guaranteeRows } from '../../src/report/guarantees.js';
import { reportHtml } from '../../src/report/html.js';
import { formatRatio, priceEntries, priceRows, priceSpec, type CostFigures } from '../../src/report/price.js';
import { renderChart } from '../../src/report/render.js';
import { runKind } from '../../src/report/run-kind.js';
import { SATURATION_SHARE, sweepPoints, sweepRows, sweepSpec } from '../../src/report/sweep-chart.js';
import { latencyFigure, writtenSummary, type SummaryPart } from '../../src/report/written-summary.js';
import { buildFaultRun } from '../helpers/fault-fixture.js';
import { buildFixtureRun, SWEEP_CAPACITY } from '../helpers/fixture-run.js';

const matrix = buildFixtureRun();
const sweep = buildFixtureRun({ publish: ['none', 'async:100'], sweep: [0.25, 0.5, 0.75, 1], repetitions: 1 });
const single = buildFixtureRun({ publish: ['async:1000'], durabilities: ['persistent'] });
const faults = buildFaultRun();

function text(parts: readonly SummaryPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : part.text)).join('');
}

describe('run kind', () => {
  it('tells a matrix, a sweep, a single cell and a fault run apart, and charts each its own way', () => {
    assert.equal(runKind(matrix), 'matrix');
    assert.equal(runKind(sweep), 'sweep');
    assert.equal(runKind(single), 'single');
    assert.equal(runKind(faults), 'faults');
    assert.deepEqual(runCharts(sweep).map((chart) => chart.name), ['sweep', 'sweep-throughput', 'price', 'timeline']);
    assert.deepEqual(runCharts(single).map((chart) => chart.name), ['latency', 'timeline']);
    assert.equal(runCharts(faults)[0].name, 'guarantees');
  });

  it('a rate axis without a sweep is a matrix, not a sweep: one rate per family', () => {
    const paced = buildFixtureRun({ publish: ['single'], durabilities: ['transient'] });
    for (const result of paced.cells) result.cell = { ...result.cell, rate: 100 };
    for (const aggregate of paced.aggregates) aggregate.cell = { ...aggregate.cell, rate: 100 };
    assert.equal(runKind(paced), 'single');
  });
});

describe('sweep', () => {
  const points = sweepPoints(sweep);

  it('a point per target, in target order, the unpaced cell last and labelled max, the targets as % of it', () => {
    assert.equal(points.length, 4 * 5);
    const family = points.filter((point) => point.family === points[0].family);
    assert.deepEqual(family.map((point) => point.targetLabel), ['25%', '50%', '75%', '100%', 'max']);
    assert.deepEqual(family.map((point) => point.order), [0, 1, 2, 3, 4]);
  });

  it('rings the lowest target achieved short of it, once per family', () => {
    for (const family of new Set(points.map((point) => point.family))) {
      const ringed = points.filter((point) => point.family === family && point.saturation);
      assert.equal(ringed.length, 1);
      // The fixture's broker keeps up to SWEEP_CAPACITY of the unpaced rate: 100% is the first beyond it.
      assert.equal(ringed[0].targetLabel, '100%');
      assert.ok(ringed[0].achieved < SATURATION_SHARE * ringed[0].target!);
      assert.ok(SWEEP_CAPACITY < SATURATION_SHARE);
    }
  });

  it('draws one line of several points per family and percentile, without warnings', async () => {
    const rows = sweepRows(sweep);
    const rendered = await renderChart(sweepSpec(rows));
    assert.deepEqual(rendered.warnings, []);
    const lines = [...rendered.svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)].flatMap((group) => [...group[1].matchAll(/ d="([^"]+)"/g)].map((match) => match[1]));
    // 4 families x 3 percentiles end-to-end, and publish latency for the 2 async families.
    assert.equal(lines.length, 18);
    for (const d of lines) assert.equal((d.match(/L/g) ?? []).length, 4, 'five points joined');
  });

  it('says where it saturated, with the target, the achieved rate and the p99', () => {
    const sentence = writtenSummary(sweep).find((s) => s.topic === 'saturated')!;
    assert.match(text(sentence.parts), /paced at 100% of its unpaced maximum, [\d,]+ msg\/s, achieved [\d,]+ msg\/s with end-to-end p99 [\d.,]+ m?s/);
  });
});

describe('price of each guarantee', () => {
  const entries = priceEntries(matrix);

  it('divides each cell by the same cell with none, and persistent by transient', () => {
    const single = entries.find((entry) => entry.cell.publish.kind === 'single' && entry.cell.durability === 'transient')!;
    const none = entries.find((entry) => entry.cell.publish.kind === 'none' && entry.cell.durability === 'transient')!;
    assert.equal(single.vsNone!.throughput.ratio, single.throughput / none.throughput);
    assert.equal(single.vsNone!.throughput.denominator.cell, none.cell.id);
    assert.equal(none.vsNone, null, 'none has no price against itself');
    assert.equal(none.vsTransient, null, 'transient has no price against itself');
    const persistent = entries.find((entry) => entry.cell.publish.kind === 'single' && entry.cell.durability === 'persistent')!;
    assert.equal(persistent.vsTransient!.throughput.ratio, persistent.throughput / single.throughput);
  });

  it('spells ratios as the README does', () => {
    assert.equal(formatRatio(1 / 2.9), '÷2.9');
    assert.equal(formatRatio(3.14), '×3.1');
    assert.equal(formatRatio(0.5), '÷2.0');
  });

  it('charts a bar per ratio without warnings', async () => {
    const rows = priceRows(entries);
    // 8 cells against none, 5 persistent against transient, 8 p99 against none.
    assert.equal(rows.length, 8 + 5 + 8);
    const rendered = await renderChart(priceSpec(rows));
    assert.deepEqual(rendered.warnings, []);
    assert.equal(rendered.marks.rect, rows.length);
  });

  it('shows broker-side cost figures beside the ratios when the run has them, and none otherwise', () => {
    const page = (run: RunFile) => reportHtml({ run, charts: [{ name: 'price', title: 'Price', caption: '', svg: '<svg></svg>', files: { spec: 'a', svg: 'b', png: 'c', csv: null } }], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.ok(!page(matrix).includes('broker CPU (µs/msg)'));
    const withCost = structuredClone(matrix);
    for (const result of withCost.cells as Array<(typeof withCost.cells)[number] & CostFigures>) {
      result.cost = { clientCpuUsPerMsg: 20, brokerCpuMs: 900, brokerCpuUsPerMsg: 42.5, fsyncsPer1k: 3, diskBytesPerMsg: 1100, brokerRssPeakMib: 180, metricsSource: 'local', resolutionMs: 1000, note: null };
      result.bottleneck = { verdict: 'disk-sync', evidence: 'fsyncs per message' };
    }
    const html = page(withCost);
    assert.ok(html.includes('broker CPU (µs/msg)') && html.includes('42.5') && html.includes('disk-sync'));
    assert.match(text(writtenSummary(withCost).find((s) => s.topic === 'bottleneck')!.parts), /disk syncs limited 30 repetitions/);
  });
});

describe('written summary', () => {
  it('names the fastest and slowest cells and the price of confirms and persistence', () => {
    const sentences = writtenSummary(matrix);
    assert.match(text(sentences.find((s) => s.topic === 'speed')!.parts), /^Fastest: transient · none at [\d,]+ msg\/s; slowest: persistent · tx:1 at [\d,]+ msg\/s\.$/);
    assert.match(text(sentences.find((s) => s.topic === 'confirms')!.parts), /transient single ÷\d/);
    assert.match(text(sentences.find((s) => s.topic === 'persistence')!.parts), /none ÷\d/);
    assert.match(text(sentences.find((s) => s.topic === 'failed')?.parts ?? []), /^$/);
  });

  it('reports a stall with the second it happened in, from timeline.csv', () => {
    const unsteady = writtenSummary(matrix).find((s) => s.topic === 'unsteady')!;
    const figure = unsteady.parts.find((part) => typeof part !== 'string' && part.kind === 'figure');
    assert.ok(figure && typeof figure !== 'string' && figure.kind === 'figure');
    assert.deepEqual({ file: figure.source.file, second: figure.source.second, column: figure.source.column }, { file: 'timeline.csv', second: 6, column: 'consumed' });
  });

  it('lists lost messages, biggest first, and failed cells with their reason', () => {
    const sentences = writtenSummary(faults);
    const lost = text(sentences.find((s) => s.topic === 'lost')!.parts);
    assert.match(lost, /^Lost confirmed messages in \d+ repetitions: persistent · single · kill-consumer@1250 · auto 812, /);
    assert.match(text(sentences.find((s) => s.topic === 'failed')!.parts), /timed out after 120 s/);
  });

  it('a fault run opens with each fault: losses, unknowns, duplicates and the slowest recovery', () => {
    const sentences = writtenSummary(faults).filter((s) => s.topic === 'faults');
    assert.deepEqual(sentences.map((s) => text(s.parts).split(',')[0]), ['Under kill9@1250', 'Under kill-consumer@1250']);
    assert.match(text(sentences[0].parts), /^Under kill9@1250, 10 cells: 4 lost confirmed messages \(most: transient · single · kill9@1250 · manual:100:1 300\); most left without an answer: transient · none · kill9@1250 · manual:100:1 [\d,]+; most duplicated: persistent · none · kill9@1250 · manual:100:1 5; slowest recovery: .*, the broker back after 4\.20 s\.$/);
    assert.equal(sentences[0].problem, false, 'the transient losses were not promised against');
  });

  it('a single cell gets its rate and percentiles', () => {
    assert.match(text(writtenSummary(single)[0].parts), /^persistent · async:1000 ran at [\d,]+ msg\/s, end-to-end p50 [\d.,]+ ms, p99 [\d.,]+ ms, p99\.9 [\d.,]+ ms\.$/);
  });

  it('writes latency with three significant digits', () => {
    const source = { file: 'summary.csv' as const, cell: 'c', repetition: 1, column: 'e2e_p99_us' };
    assert.equal((latencyFigure(850, source) as { text: string }).text, '850 µs');
    assert.equal((latencyFigure(25_432, source) as { text: string }).text, '25.4 ms');
    assert.equal((latencyFigure(1_200, source) as { text: string }).text, '1.2 ms');
    assert.equal((latencyFigure(1_234_567, source) as { text: string }).text, '1,235 ms');
  });
});

describe('fault run', () => {
  it('marks the fault and the recovery on the timeline, on the clock of the measured window', () => {
    const events = timelineEvents(faults);
    const ran = faults.cells.filter((result) => result.fault && result.status === 'ok');
    assert.equal(events.filter((event) => event.event === 'fault').length, ran.length);
    const first = ran[0];
    const ofFirst = events.filter((event) => event.repetition === first.repetition && event.label.startsWith(`${first.cell.durability} · `));
    assert.ok(ofFirst.some((event) => event.event === 'fault' && event.second === first.fault!.beforeFault!.seconds));
    assert.ok(ofFirst.some((event) => event.event === 'broker back' && event.second === first.fault!.beforeFault!.seconds + first.fault!.recoverySeconds));
  });

  it('links every bar of the guarantees matrix to its cell\'s details on the page', async () => {
    const rendered = await renderChart(guaranteesSpec(guaranteeRows(faults)));
    const links = new Set([...rendered.svg.matchAll(/xlink:href="#([^"]+)"/g)].map((match) => match[1]));
    const expected = new Set(faults.cells.filter((r) => r.fault && r.status === 'ok').map((r) => faultDetailsId(r.cell.id, r.repetition)));
    assert.deepEqual(links, expected);
    const page = reportHtml({ run: faults, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    for (const id of expected) assert.ok(page.includes(`id="${id}"`), id);
  });
});

describe('timeline of a short cell', () => {
  it('draws a cell of one second as points, since a line of one vertex shows nothing', async () => {
    const short = buildFixtureRun({ publish: ['single'], durabilities: ['transient'], repetitions: 1 });
    short.cells[0].timeline = short.cells[0].timeline.slice(0, 1);
    const chart = runCharts(short).find((candidate) => candidate.name === 'timeline')!;
    const rendered = await renderChart(chart.spec);
    assert.deepEqual(rendered.warnings, []);
    assert.ok((rendered.marks.symbol ?? 0) >= 2, 'a point per measure');
  });
});
