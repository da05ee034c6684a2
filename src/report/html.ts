// The report page of one run: charts inlined as SVG (no script, no external request, readable from
// file://), the summary table, the environment, and links to every file behind it. Pure: data in,
// HTML string out. Everything from run.json goes through the escaping `html` template.

import type { Environment, RunFile } from '../run/result.js';
import { html, trusted, type SafeHtml } from './html-escape.js';
import { faultDetailsSection, modeSwatch, priceSection, summaryRowId, writtenSummarySection } from './insight-html.js';
import { writtenSummary } from './written-summary.js';
import { summaryTable, type RateCell, type SummaryRow, type SummaryTable } from './summary-table.js';
import { faultDetailsId, guaranteeTable, type GuaranteeTableRow } from './guarantees.js';
import { formatWhole } from './format.js';

/** A rendered chart as the page shows it; file names are relative to the charts directory. */
export interface ReportChart {
  name: string;
  title: string;
  caption: string;
  svg: string;
  files: { spec: string; svg: string; png: string; csv: string | null };
}

export interface ReportLink {
  href: string;
  label: string;
  description: string;
}

export interface ReportPageInput {
  run: RunFile;
  charts: readonly ReportChart[];
  /** Directory of the chart files, relative to the page. */
  chartsHref: string;
  /** Run-level files that exist beside the page (run.json, summary.csv, timeline.csv...). */
  runFiles: readonly ReportLink[];
  /** The history page listing all runs; null when there is none beside the run (no link, never a dead one). */
  historyHref: string | null;
}

/** Shared by the report and history pages: readable at 800 px, prints cleanly, no web fonts. */
export const PAGE_STYLE = trusted(`
  :root { color-scheme: light; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif;
    color: #1d1d1f; margin: 0 auto; padding: 1rem 1.25rem 3rem; max-width: 1360px; }
  h1 { font-size: 1.5rem; margin: 0.5rem 0 0.25rem; overflow-wrap: anywhere; }
  h2 { font-size: 1.15rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
  nav a, .meta { color: #555; font-size: 0.9rem; }
  .banner { background: #fff4ce; border: 1px solid #d9a400; border-left-width: 6px; padding: 0.6rem 0.9rem;
    margin: 1rem 0; border-radius: 4px; }
  .banner.failed { background: #fde7e9; border-color: #c50f1f; }
  figure { margin: 0.5rem 0 1.5rem; }
  figure .chart svg { max-width: 100%; height: auto; display: block; }
  figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; }
  .table-wrap { overflow-x: auto; border: 1px solid #ddd; border-radius: 4px; }
  table { border-collapse: collapse; font-size: 0.78rem; width: 100%; }
  th, td { padding: 0.25rem 0.35rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
  thead th { background: #f5f5f7; vertical-align: bottom; }
  thead tr.groups th { text-align: center; border-bottom: 1px solid #ddd; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.axis, td.status { white-space: nowrap; }
  tr.has-note td { border-bottom: none; }
  tr.note-row td { padding-top: 0; font-size: 0.78rem; }
  tr.failed td.axis, tr.unsupported td.axis { color: #777; }
  .range { color: #777; font-size: 0.72rem; }
  .note { color: #a4262c; overflow-wrap: anywhere; }
  .problem { color: #c50f1f; font-weight: 600; }
  td.kept { color: #0b6a0b; } td.finding { color: #8a5a00; }
  .flag { font-size: 0.7rem; background: #eee; border-radius: 3px; padding: 0 0.3rem; white-space: nowrap; }
  ul.glance { margin: 0.3rem 0 0.4rem; padding-left: 1.2rem; }
  ul.glance li { margin: 0.2rem 0; }
  ul.glance li.problem-line { color: #a4262c; }
  .figure { font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .fault-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 0 0.8rem; }
  .fault-detail dl.env { font-size: 0.82rem; }
  .fault-detail { border: 1px solid #ddd; border-radius: 4px; padding: 0.3rem 0.8rem; margin: 0.6rem 0; }
  .fault-detail:target { border-color: #c50f1f; box-shadow: 0 0 0 2px #fde7e9; }
  .fault-detail h3 { font-size: 1rem; margin: 0.3rem 0; }
  tr:target td { background: #fff4ce; }
  .table-wrap.price { display: inline-block; max-width: 100%; margin: 0 1rem 0.8rem 0; vertical-align: top; }
  .table-wrap.price table { width: auto; }
  .table-wrap.price caption { text-align: left; font-size: 0.85rem; padding: 0.3rem 0.4rem; color: #333; }
  .table-wrap.price a { color: inherit; }
  .swatch { display: inline-block; width: 0.7em; height: 0.7em; border-radius: 50%; margin-right: 0.35em; }
  dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; font-size: 0.9rem; }
  dl.env dt { color: #555; } dl.env dd { margin: 0; overflow-wrap: anywhere; }
  ul.files { font-size: 0.9rem; }
  code { font-size: 0.85em; }
`);

function banners(run: RunFile, table: SummaryTable): SafeHtml {
  const partial = run.complete
    ? html``
    : html`<div class="banner" role="alert"><strong>Partial run.</strong> This run did not finish
        (<code>complete: false</code>): the figures cover only the ${run.cells.length} repetitions recorded so far.
        Continue it with <code>ackbench run --resume DIR</code>.</div>`;
  const failedRows = table.rows.filter((row) => row.status !== 'ok');
  const failed = failedRows.length
    ? html`<div class="banner failed"><strong>${failedRows.length} cell${failedRows.length === 1 ? '' : 's'}
        with failed or unsupported repetitions.</strong> They are left out of the charts; the table gives the reasons.</div>`
    : html``;
  return html`${partial}${failed}`;
}

function chartFigure(chart: ReportChart, chartsHref: string): SafeHtml {
  const link = (file: string, label: string) => html`<a href="${chartsHref}/${file}">${label}</a>`;
  const links = [
    ...(chart.files.csv ? [link(chart.files.csv, 'data (CSV)')] : []),
    link(chart.files.svg, 'SVG'),
    link(chart.files.png, 'PNG'),
    link(chart.files.spec, 'Vega-Lite spec'),
  ];
  const separated = links.map((item, index) => (index === 0 ? item : html` · ${item}`));
  // Vega's SVG serializer escapes every text and attribute it writes, so the markup is trusted as-is.
  return html`<figure id="chart-${chart.name}" data-chart="${chart.name}">
    <div class="chart">${trusted(chart.svg)}</div>
    <figcaption>${chart.caption} ${separated}</figcaption>
  </figure>`;
}

/** Columns after the axes: status, 3 rates, 2 x 3 latencies, 5 counts, client CPU, limited by. */
const FIGURE_COLUMNS = 1 + 3 + 6 + 5 + 1 + 1;

function rateCellHtml(rate: RateCell): SafeHtml {
  return html`<td class="num">${rate.median}${rate.range ? html`<br><span class="range">${rate.range}</span>` : ''}</td>`;
}

function summaryRowHtml(row: SummaryRow, axisCount: number): SafeHtml {
  const num = (text: string, problem = false) => html`<td class="num${problem ? ' problem' : ''}">${text}</td>`;
  const p99 = (text: string, range: string | null | undefined) =>
    range ? html`<td class="num">${text}<br><span class="range" title="min–max of the repetitions' p99">${range}</span></td>` : num(text);
  const unsteady = row.unsteady
    ? html`<br><span class="flag" title="repetitions whose window was not steady (summary.csv steady_* columns)">${row.unsteady}</span>`
    : '';
  const axisCells = row.axes.map((value, index) =>
    index === 1 ? html`<td class="axis">${modeSwatch(value)}${value}</td>` : html`<td class="axis">${value}</td>`,
  );
  const cpu = row.clientBound
    ? html`<td class="num">${row.clientCpuPct}<br><span class="flag" title="a client worker thread busy 90% of its window or more: the client was the limit">client-bound</span></td>`
    : num(row.clientCpuPct);
  // The reason gets a full-width row of its own: in a column at the far right it would scroll out of view.
  const noteRow = row.note
    ? html`<tr class="note-row ${row.status}"><td colspan="${axisCount + FIGURE_COLUMNS}"><span class="note">${row.note}</span></td></tr>`
    : '';
  return html`<tr class="${row.status}${row.note ? ' has-note' : ''}" data-cell="${row.cellId}" id="${summaryRowId(row.cellId)}">
    ${axisCells}
    <td class="status">${row.status}${unsteady}</td>
    ${rateCellHtml(row.rates.sent)}${rateCellHtml(row.rates.confirmed)}${rateCellHtml(row.rates.consumed)}
    ${num(row.publish.p50)}${p99(row.publish.p99, row.p99Range?.publish)}${num(row.publish.p999)}
    ${num(row.e2e.p50)}${p99(row.e2e.p99, row.p99Range?.e2e)}${num(row.e2e.p999)}
    ${num(row.counts.sent)}${num(row.counts.confirmed)}${num(row.counts.received)}
    ${num(row.counts.lost, row.integrityProblem)}${num(row.counts.duplicates, row.integrityProblem)}
    ${cpu}
    <td class="verdict" title="${row.bottleneckEvidence}">${row.bottleneck}</td>
  </tr>${noteRow}`;
}

function summarySection(table: SummaryTable, faulted = false): SafeHtml {
  const shared = table.sharedAxes.length
    ? html`<p class="meta">Same for every cell: ${table.sharedAxes.map(
        ({ axis, value }, index) => html`${index ? ' · ' : ''}${axis} <strong>${value}</strong>`,
      )}.</p>`
    : html``;
  return html`<section id="summary">
    <h2>Summary</h2>
    ${shared}
    <p class="meta">Rates: median over repetitions, with min–max beneath. Latency percentiles from the merged
      histograms, with the min–max of the repetitions' p99 beneath p99. "unsteady k/n": k repetitions' windows
      were not steady (per-second rate CV over 20%, or halves more than 10% apart). – means undefined (no publish latency without confirms, no rate for a failed cell), not zero.
      Limited by: the resource that set each repetition's pace (client, broker-cpu, disk-sync, paced, unclear); its evidence shows on hover and in run.json.</p>
    ${faulted ? html`<p class="meta">Fault cells: these rates are over the whole measured window, which holds the outage, the recovery and the drain; they are not comparable with rates before the fault (guarantees table, throughput chart).</p>` : html``}
    <div class="table-wrap"><table>
      <thead>
        <tr class="groups">
          <th colspan="${table.axisNames.length + 1}">cell</th>
          <th colspan="3">rate (msg/s)</th>
          <th colspan="3">publish latency (µs)</th>
          <th colspan="3">end-to-end latency (µs)</th>
          <th colspan="5">messages</th>
          <th></th><th></th>
        </tr>
        <tr>
          ${table.axisNames.map((name) => html`<th>${name}</th>`)}
          <th>status</th>
          <th>sent/s</th><th>confirmed/s</th><th>consumed/s</th>
          <th>p50</th><th>p99</th><th>p99.9</th>
          <th>p50</th><th>p99</th><th>p99.9</th>
          <th>sent</th><th>confirmed</th><th>received</th><th>lost</th><th>duplicates</th>
          <th>client CPU (%)</th>
          <th>limited by</th>
        </tr>
      </thead>
      <tbody>${table.rows.map((row) => summaryRowHtml(row, table.axisNames.length))}</tbody>
    </table></div>
  </section>`;
}

const VERDICT_CLASS: Record<GuaranteeTableRow['verdict'], string> = {
  'no loss': 'kept',
  'loss, not promised': 'finding',
  'promise broken': 'problem',
  failed: 'problem',
  unsupported: '',
};

function guaranteeRowHtml(row: GuaranteeTableRow): SafeHtml {
  const num = (value: number | undefined, problem = false) =>
    html`<td class="num${problem ? ' problem' : ''}">${value === undefined ? '–' : formatWhole(value)}</td>`;
  const c = row.counts;
  const throughput = row.throughput
    ? html`<td class="num">${formatWhole(row.throughput.value)}<br><span class="range">${row.throughput.measure}/s, ${row.throughput.source}${row.throughput.seconds === undefined ? '' : ` (first ${row.throughput.seconds.toFixed(2)} s)`}</span></td>`
    : html`<td class="num">–</td>`;
  const facts = [row.node ? `fault hit ${row.node}` : null, row.resumed].filter(Boolean).join('; ');
  const note = row.reason || facts;
  return html`<tr class="${row.status}${note ? ' has-note' : ''}" data-fault-cell="${row.cellId}">
    <td class="axis">${row.durability}</td><td class="axis">${modeSwatch(row.publish)}${row.publish}</td>
    <td class="axis">${row.consume}</td><td class="axis">${row.queue}</td>
    <td class="axis"><a href="#${faultDetailsId(row.cellId, row.repetition)}" title="what happened when, in this cell">${row.fault}</a></td>
    ${num(c?.attempted)}${num(c?.ok)}${num(c?.fail)}${num(c?.unknown)}
    ${num(c?.lost, row.verdict === 'promise broken')}${num(c?.recovered)}${num(c?.duplicated)}${num(c?.unexpected, (c?.unexpected ?? 0) > 0)}
    ${throughput}
    <td class="status ${VERDICT_CLASS[row.verdict]}">${row.verdict}${row.promised ? html`<br><span class="flag" title="persistent, confirms or tx, manual ack: no confirmed message may be lost">promised</span>` : ''}</td>
  </tr>${note ? html`<tr class="note-row ${row.status}"><td colspan="15"><span class="${row.reason ? 'note' : 'meta'}">${row.reason ?? facts}</span></td></tr>` : ''}`;
}

/** The guarantees matrix as a table: one row per fault cell, Jepsen's counts, the cost, the verdict. */
function guaranteesSection(run: RunFile): SafeHtml {
  const rows = guaranteeTable(run);
  if (rows.length === 0) return html``;
  const broken = rows.filter((row) => row.verdict === 'promise broken').length;
  const findings = rows.filter((row) => row.verdict === 'loss, not promised').length;
  return html`<section id="guarantees-table">
    <h2>Guarantees under faults</h2>
    <p class="meta">Counted as Jepsen's total-queue checker does: attempted = ok (confirmed or committed) + fail (nacked) + unknown
      (no answer before the connection died); after recovery the queue is drained; lost = ok never received; recovered = unknown received;
      duplicated = deliveries of a message already received; unexpected = received, never sent.
      A cell whose modes promise no loss (persistent, confirms or tx, manual ack) is marked <span class="flag">promised</span>.</p>
    <p class="${broken ? 'problem' : 'meta'}">${rows.length} fault cell${rows.length === 1 ? '' : 's'}: ${broken} broken promise${broken === 1 ? '' : 's'},
      ${findings} loss${findings === 1 ? '' : 'es'} the modes do not promise to avoid.</p>
    <div class="table-wrap"><table>
      <thead>
        <tr class="groups"><th colspan="5">cell</th><th colspan="8">messages</th><th></th><th></th></tr>
        <tr><th>durability</th><th>publish</th><th>consume</th><th>queue</th><th>fault</th>
          <th>attempted</th><th>ok</th><th>fail</th><th>unknown</th><th>lost</th><th>recovered</th><th>duplicated</th><th>unexpected</th>
          <th>throughput (msg/s)</th><th>verdict</th></tr>
      </thead>
      <tbody>${rows.map(guaranteeRowHtml)}</tbody>
    </table></div>
  </section>`;
}

function environmentSection(environment: Environment | null): SafeHtml {
  if (!environment) {
    return html`<section id="environment"><h2>Environment</h2><p class="meta">Not recorded for this run.</p></section>`;
  }
  const { broker } = environment;
  const clients = Object.entries(environment.clients).map(([name, version]) => `${name} ${version}`).join(', ');
  const entries: Array<[string, string]> = [
    ['broker', `${broker.product} ${broker.version}${broker.cluster ? ` (cluster ${broker.cluster})` : ''}`],
    ['Erlang', broker.erlang ?? 'unknown'],
    ['broker URL', environment.brokerUrl],
    ['Node.js', environment.node],
    ['clients', clients || 'none recorded'],
    ['CPU', `${environment.cpu.model} (${environment.cpu.cores} cores)`],
    ['OS', environment.os],
    ['host', environment.hostname],
  ];
  return html`<section id="environment">
    <h2>Environment</h2>
    <dl class="env">${entries.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
  </section>`;
}

function windowText(run: RunFile): string {
  const window = run.scenario.window;
  const length =
    window.messages !== null ? `${window.messages} messages per producer` : `${window.durationSeconds} s per producer`;
  return `${length}, ${window.warmupMessages} warm-up messages, ${window.repetitions} repetitions`;
}

function scenarioSection(run: RunFile): SafeHtml {
  const axes = Object.entries(run.scenario.axes);
  return html`<section id="scenario">
    <h2>Scenario</h2>
    <dl class="env">
      <dt>window</dt><dd>${windowText(run)}</dd>
      ${axes.map(([axis, values]) => html`<dt>${axis}</dt><dd>${values.join(', ')}</dd>`)}
    </dl>
  </section>`;
}

function filesSection(input: ReportPageInput): SafeHtml {
  const chartFiles = input.charts.flatMap((chart) =>
    chart.files.csv ? [{ href: `${input.chartsHref}/${chart.files.csv}`, label: chart.files.csv, description: `data behind the ${chart.title.toLowerCase()} chart` }] : [],
  );
  return html`<section id="files">
    <h2>Files</h2>
    <ul class="files">
      ${[...input.runFiles, ...chartFiles].map(
        (file) => html`<li><a href="${file.href}">${file.label}</a>: ${file.description}</li>`,
      )}
    </ul>
  </section>`;
}

export function reportHtml(input: ReportPageInput): string {
  const { run } = input;
  const table = summaryTable(run);
  const finished = run.finishedAt ? `finished ${run.finishedAt}` : 'not finished';
  const figures = input.charts.length
    ? input.charts.map(
        (chart) =>
          html`<section id="${chart.name}"><h2>${chart.title}</h2>${chartFigure(chart, input.chartsHref)}</section>${chart.name === 'price' ? priceSection(run) : ''}`,
      )
    : html`<p class="meta">No cell completed a repetition: there is nothing to chart.</p>`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ackbench: ${run.scenario.name} (${run.runId})</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
${input.historyHref === null ? '' : html`<nav><a href="${input.historyHref}">← all runs (history)</a></nav>`}
<header>
  <h1>ackbench report: ${run.scenario.name}</h1>
  <p class="meta">run <code>${run.runId}</code> · started ${run.startedAt} · ${finished} · ackbench ${run.ackbenchVersion}</p>
</header>
${banners(run, table)}
${writtenSummarySection(writtenSummary(run))}
${guaranteesSection(run)}
${figures}
${faultDetailsSection(run, input.charts.some((chart) => chart.name === 'timeline'))}
${summarySection(table, run.cells.some((r) => r.fault !== undefined))}
${environmentSection(run.environment)}
${scenarioSection(run)}
${filesSection(input)}
</body>
</html>
`;
  return page.value;
}
