// A run's directory and the files in it (docs/architecture.md#output-formats), the same for `run`, `faults` and
// `merge`: the run id, the check that the directory can be written before anything is measured, and
// run.json / summary.csv / timeline.csv rewritten atomically after each cell and at the end.

import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { summaryCsv, timelineCsv, writeHistogramFiles } from '../report/csv.js';
import { aggregate } from '../stats/aggregate.js';
import { writeFileAtomic } from './atomic-write.js';
import type { Environment, RunFile } from './result.js';

const ackbenchVersion: string = createRequire(import.meta.url)('../../../package.json').version;

/** Where runs go without --out (relative to the working directory), and where their history page is. */
export const DEFAULT_RESULTS_DIR = 'results';

export function makeRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}`;
}

/** Fails before anything is measured if the directory cannot be created or written. */
function ensureWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new UsageError(`--out ${dir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The run's directory, outDir or else results/<run-id>, created and checked writable. */
export function prepareRunDir(outDir: string | undefined, runId: string): string {
  const dir = resolve(outDir ?? join(DEFAULT_RESULTS_DIR, runId));
  ensureWritable(dir);
  return dir;
}

/** A run.json that has no cell yet and is not complete. */
export function newRunFile(runId: string, scenario: RunFile['scenario'], environment: Environment, startedAt = new Date().toISOString()): RunFile {
  return {
    format: 'ackbench-run/1',
    runId,
    ackbenchVersion,
    complete: false,
    startedAt,
    finishedAt: null,
    scenario,
    environment,
    cells: [],
    aggregates: [],
  };
}

export function writeRunFiles(dir: string, run: RunFile): void {
  writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileAtomic(join(dir, 'summary.csv'), summaryCsv(run));
  writeFileAtomic(join(dir, 'timeline.csv'), timelineCsv(run));
}

/** The end of a run: final aggregates, whether it is complete, peak memory and finish time; every file written. */
export function finishRunFiles(dir: string, run: RunFile, complete: boolean): void {
  run.aggregates = aggregate(run.cells);
  run.complete = complete;
  run.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  run.finishedAt = new Date().toISOString();
  writeHistogramFiles(dir, run.aggregates);
  writeRunFiles(dir, run);
}

/**
 * The HTML report and charts, unless turned off (report: false) or no cell ran. A run under
 * ./results (the default place) also rewrites the history page of ./results, which its report links
 * to: the first report a user opens has no dead link. Elsewhere (--out) the history is left alone.
 */
export async function writeRunReport(dir: string, run: RunFile, report: boolean | undefined): Promise<void> {
  if (report !== false && run.cells.length > 0) {
    const { writeReport } = await import('../report/index.js');
    const results = resolve(DEFAULT_RESULTS_DIR);
    const underResults = dirname(resolve(dir)) === results;
    await writeReport(dir, { historyFollows: underResults });
    if (underResults) {
      const { writeHistory } = await import('../report/history.js');
      await writeHistory(results);
    }
  }
}
