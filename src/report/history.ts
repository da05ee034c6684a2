// `ackbench history [DIR]`: the index of all runs under a results directory (each run's report links
// back to it as ../index.html) and the trend of every cell's headline throughput across runs.

import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkWritableDir } from '../run/out-path.js';
import { writeChartFiles } from './chart-files.js';
import { historyHtml, type HistoryRun } from './history-html.js';
import { REPORT_FILE } from './index.js';
import { readRunFile, RUN_FILE_NAME } from './run-file.js';
import { trendRows, trendSpec } from './trend-chart.js';

export const TREND_NAME = 'trend';

export interface HistoryOutput {
  /** Path of the history page. */
  html: string;
  /** Path of the trend SVG, or null when no run has a completed cell. */
  trend: string | null;
  /** Run directories listed, newest first. */
  runs: string[];
}

export async function writeHistory(resultsDir: string): Promise<HistoryOutput> {
  checkWritableDir(resultsDir, 'history');
  const entries = await readdir(resultsDir, { withFileTypes: true });
  const runs: HistoryRun[] = [];
  const unreadable: Array<{ dir: string; error: string }> = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !existsSync(join(resultsDir, entry.name, RUN_FILE_NAME))) continue;
    try {
      const run = await readRunFile(join(resultsDir, entry.name));
      runs.push({ dir: entry.name, run, hasReport: existsSync(join(resultsDir, entry.name, REPORT_FILE)) });
    } catch (err) {
      // One corrupt run must not hide the others: list it as unreadable and go on.
      unreadable.push({ dir: entry.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  runs.sort((a, b) => b.run.startedAt.localeCompare(a.run.startedAt) || b.dir.localeCompare(a.dir));

  const rows = trendRows(runs.map((entry) => entry.run));
  const trend = rows.length ? await writeChartFiles(resultsDir, TREND_NAME, trendSpec(rows), rows) : null;
  const htmlPath = join(resultsDir, REPORT_FILE);
  await writeFile(htmlPath, historyHtml({ runs, unreadable, trend: trend ? { svg: trend.svg, files: trend.files } : null }));
  return { html: htmlPath, trend: trend ? join(resultsDir, trend.files.svg) : null, runs: runs.map((entry) => entry.dir) };
}
