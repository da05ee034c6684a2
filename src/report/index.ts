// `ackbench report DIR`: the charts and index.html of one run, from its run.json alone.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeChartFiles } from './chart-files.js';
import { runCharts } from './charts.js';
import { reportHtml, type ReportChart, type ReportLink } from './html.js';
import { readRunFile } from './run-file.js';

export const CHARTS_DIR = 'charts';
export const REPORT_FILE = 'index.html';
/** Runs live side by side under one results directory, whose index.html is the history page. */
export const HISTORY_HREF = '../index.html';

export interface ReportOutput {
  /** Path of each chart's SVG, in report order (the .vl.json, .png and .csv sit beside it). */
  charts: string[];
  /** Path of the report page. */
  html: string;
  /** Vega-Lite / Vega warnings raised while rendering; empty for a healthy run. */
  warnings: string[];
}

/** Run-level files the page links to, when the run wrote them. */
const RUN_FILES: readonly ReportLink[] = [
  { href: 'run.json', label: 'run.json', description: 'every repetition and aggregate, with the environment' },
  { href: 'summary.csv', label: 'summary.csv', description: 'a row per cell and repetition, a column per axis and figure' },
  { href: 'timeline.csv', label: 'timeline.csv', description: 'per second per cell: sent, confirmed, consumed' },
  { href: 'histograms/', label: 'histograms/', description: 'HdrHistogram percentile distributions (.hgrm) per cell' },
];

export interface ReportOptions {
  /**
   * The history page (../index.html) will be written too, after this report (run-dir.ts does so for
   * a run under ./results). Otherwise the report links to it only if it is already there.
   */
  historyFollows?: boolean;
}

export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<ReportOutput> {
  const run = await readRunFile(runDir);
  const chartsDir = join(runDir, CHARTS_DIR);
  const charts: ReportChart[] = [];
  const warnings: string[] = [];
  // One chart at a time: rendering is CPU-bound, and the host may be busy measuring.
  for (const chart of runCharts(run)) {
    const written = await writeChartFiles(chartsDir, chart.name, chart.spec, chart.rows);
    warnings.push(...written.warnings.map((warning) => `${chart.name}: ${warning}`));
    charts.push({ name: chart.name, title: chart.title, caption: chart.caption, svg: written.svg, files: written.files });
  }
  const runFiles = RUN_FILES.filter((file) => existsSync(join(runDir, file.href)));
  const history = options.historyFollows || existsSync(join(runDir, HISTORY_HREF));
  const page = reportHtml({ run, charts, chartsHref: CHARTS_DIR, runFiles, historyHref: history ? HISTORY_HREF : null });
  const htmlPath = join(runDir, REPORT_FILE);
  await writeFile(htmlPath, page);
  return { charts: charts.map((chart) => join(chartsDir, chart.files.svg)), html: htmlPath, warnings };
}
