// The history page of a results directory: every run, newest first, linking its report, with the trend
// chart inlined. Pure: data in, HTML string out; run.json text is escaped by the `html` template.

import type { RunFile } from '../run/result.js';
import { changePointsHtml, type ChangeView } from './change-points.js';
import { html, trusted } from './html-escape.js';
import { PAGE_STYLE } from './html.js';

export interface HistoryRun {
  /** Directory name under the results directory. */
  dir: string;
  run: RunFile;
  /** Whether the run has its index.html; otherwise the entry links its run.json. */
  hasReport: boolean;
}

export interface HistoryPageInput {
  /** Newest first. */
  runs: readonly HistoryRun[];
  /** Directories holding a run.json that could not be read, and why. */
  unreadable: ReadonlyArray<{ dir: string; error: string }>;
  trend: { svg: string; files: { spec: string; svg: string; png: string; csv: string | null } } | null;
  /** Change points of every cell's figures (changes.json); the section is left out when absent. */
  changes?: ChangeView;
}

function runStatus(run: RunFile): string {
  const failedIds = new Set(run.cells.filter((result) => result.status !== 'ok').map((result) => result.cell.id));
  const cellIds = new Set(run.cells.map((result) => result.cell.id));
  const parts = [run.complete ? 'complete' : 'partial', `${cellIds.size} cells`];
  if (failedIds.size) parts.push(`${failedIds.size} with failures`);
  return parts.join(', ');
}

function brokerText(run: RunFile): string {
  return run.environment ? `${run.environment.broker.product} ${run.environment.broker.version}` : '–';
}

export function historyHtml(input: HistoryPageInput): string {
  const href = (entry: HistoryRun) => `${encodeURIComponent(entry.dir)}/${entry.hasReport ? 'index.html' : 'run.json'}`;
  const rows = input.runs.map(
    (entry) => html`<tr data-run="${entry.run.runId}">
      <td class="num">${entry.run.startedAt}</td>
      <td><a href="${href(entry)}">${entry.run.runId}</a></td>
      <td>${entry.run.scenario.name}</td>
      <td>${runStatus(entry.run)}</td>
      <td>${brokerText(entry.run)}</td>
    </tr>`,
  );
  const trend = input.trend
    ? html`<figure id="chart-trend" data-chart="trend">
        <div class="chart">${trusted(input.trend.svg)}</div>
        <figcaption>Headline throughput of every cell across runs.
          ${input.trend.files.csv ? html`<a href="${input.trend.files.csv}">data (CSV)</a> · ` : ''}<a href="${input.trend.files.svg}">SVG</a> ·
          <a href="${input.trend.files.png}">PNG</a> · <a href="${input.trend.files.spec}">Vega-Lite spec</a></figcaption>
      </figure>`
    : html`<p class="meta">No run has a completed cell yet: nothing to plot.</p>`;
  const unreadable = input.unreadable.length
    ? html`<div class="banner failed"><strong>Unreadable runs:</strong>
        <ul>${input.unreadable.map(({ dir, error }) => html`<li>${dir}: ${error}</li>`)}</ul></div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ackbench: run history</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<h1>ackbench run history</h1>
<p class="meta">${input.runs.length} run${input.runs.length === 1 ? '' : 's'}, newest first.</p>
${unreadable}
<section id="trend"><h2>Trend</h2>${trend}</section>
${input.changes ? changePointsHtml(input.changes) : ''}
<section id="runs">
  <h2>Runs</h2>
  <div class="table-wrap"><table>
    <thead><tr><th>started (UTC)</th><th>run</th><th>scenario</th><th>status</th><th>broker</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>
</section>
</body>
</html>
`.value;
}
