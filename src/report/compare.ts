// `ackbench compare BASE CANDIDATE`: Markdown for CI, a chart when asked, and the exit code
// (1 on a regression beyond the threshold, docs/architecture.md#exit-codes).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareRuns, type RunComparison } from '../stats/compare.js';
import { writeChartFiles } from './chart-files.js';
import { comparisonRows, comparisonSpec } from './compare-chart.js';
import { comparisonLabeller, comparisonMarkdown } from './compare-markdown.js';
import { readRunFile } from './run-file.js';

export const DEFAULT_THRESHOLD_PCT = 10;
export const COMPARISON_NAME = 'compare';

export interface ComparisonOptions {
  /** Regression threshold in percent (default 10). */
  thresholdPct?: number;
  /** When set: writes compare.md, compare.vl.json, .svg, .png and .csv there. */
  outDir?: string;
}

export interface ComparisonOutput {
  markdown: string;
  /** Ids of the cells that regressed. */
  regressions: string[];
  exitCode: 0 | 1;
  comparison: RunComparison;
}

export async function writeComparison(
  baseDir: string,
  candDir: string,
  opts: ComparisonOptions = {},
): Promise<ComparisonOutput> {
  const thresholdPct = opts.thresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const [base, candidate] = await Promise.all([readRunFile(baseDir), readRunFile(candDir)]);
  const comparison = compareRuns(base, candidate, { thresholdPct });
  const markdown = comparisonMarkdown(comparison, base, candidate);
  if (opts.outDir) {
    await mkdir(opts.outDir, { recursive: true });
    await writeFile(join(opts.outDir, `${COMPARISON_NAME}.md`), markdown);
    const rows = comparisonRows(comparison, comparisonLabeller(base, candidate));
    if (rows.length) await writeChartFiles(opts.outDir, COMPARISON_NAME, comparisonSpec(rows, thresholdPct), rows);
  }
  return { markdown, regressions: comparison.regressions, exitCode: comparison.regressions.length ? 1 : 0, comparison };
}
