// `ackbench history [DIR]`: the index of all runs under a results directory (each run's report links
// back to it as ../index.html) and the trend of every cell's headline throughput across runs; beside
// it changes.json and changes.md, the change points of every cell's figures (stats/history-changes.ts).

import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkWritableDir } from '../run/out-path.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { historyChanges, newRegressions, type ChangeRecord } from '../stats/history-changes.js';
import { cellLabel, varyingAxes } from './cell-labels.js';
import { changePointsMarkdown, type ChangeView } from './change-points.js';
import { writeChartFiles } from './chart-files.js';
import { historyHtml, type HistoryRun } from './history-html.js';
import { REPORT_FILE } from './index.js';
import { readRunFile, RUN_FILE_NAME } from './run-file.js';
import { trendRows, trendSpec } from './trend-chart.js';

export const TREND_NAME = 'trend';
export const CHANGES_FILE = 'changes.json';
export const CHANGES_MARKDOWN = 'changes.md';
/** A regression is "new" while its first run is among this many newest runs (newRegressions). */
export const DEFAULT_RECENT_RUNS = 5;

export interface HistoryOptions {
  /** How many of the newest runs count as newest for `fresh` (default DEFAULT_RECENT_RUNS). */
  recent?: number;
}

export interface HistoryOutput {
  /** Path of the history page. */
  html: string;
  /** Path of the trend SVG, or null when no run has a completed cell. */
  trend: string | null;
  /** Run directories listed, newest first. */
  runs: string[];
  /** Path of changes.json and every change point in it. */
  changesFile: string;
  changes: ChangeRecord[];
  /** Regressions the newest runs started: the nightly fails on these. */
  fresh: ChangeRecord[];
  /** The change points as Markdown (also written to changes.md), for a CI step summary. */
  markdown: string;
}

function changeView(runs: readonly HistoryRun[], recent: number): ChangeView {
  const changes = historyChanges(runs.map((entry) => entry.run));
  const cells = new Map(runs.flatMap((entry) => entry.run.aggregates.map((aggregate) => [aggregate.cell.id, aggregate.cell] as const)));
  const varying = varyingAxes([...cells.values()]);
  const dirOf = new Map(runs.map((entry) => [entry.run.runId, entry]));
  return {
    changes,
    fresh: newRegressions(changes, runs.length, recent),
    recent,
    labelOf: (id) => {
      const cell = cells.get(id);
      return cell ? cellLabel(cell, varying) : id;
    },
    hrefOf: (runId) => {
      const entry = dirOf.get(runId);
      return entry ? `${encodeURIComponent(entry.dir)}/${entry.hasReport ? REPORT_FILE : RUN_FILE_NAME}` : null;
    },
  };
}

export async function writeHistory(resultsDir: string, options: HistoryOptions = {}): Promise<HistoryOutput> {
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
  const changes = changeView(runs, options.recent ?? DEFAULT_RECENT_RUNS);
  const changesFile = join(resultsDir, CHANGES_FILE);
  const markdown = changePointsMarkdown(changes);
  writeFileAtomic(changesFile, `${JSON.stringify(changes.changes, null, 2)}\n`);
  writeFileAtomic(join(resultsDir, CHANGES_MARKDOWN), markdown);
  const htmlPath = join(resultsDir, REPORT_FILE);
  await writeFile(htmlPath, historyHtml({ runs, unreadable, trend: trend ? { svg: trend.svg, files: trend.files } : null, changes }));
  return {
    html: htmlPath,
    trend: trend ? join(resultsDir, trend.files.svg) : null,
    runs: runs.map((entry) => entry.dir),
    changesFile,
    changes: [...changes.changes],
    fresh: [...changes.fresh],
    markdown,
  };
}
