// Change points over a history of runs: for every cell and compared figure (stats/compare.ts), the
// series of its value run after run, oldest first, split by E-divisive means (stats/e-divisive.ts).
// Pure: runs in, change records out. The value of a run is the one compare uses: the median over
// repetitions for rates, the p99 of the merged histogram for latency.

import type { RunFile } from '../run/result.js';
import type { RunWindow } from '../scenario/types.js';
import { cellsById, COMPARED_FIGURES, sampleOf, type FigureKey } from './compare.js';
import { eDivisive, type EDivisiveOptions } from './e-divisive.js';
import { median } from './spread.js';

export interface ChangeRecord {
  cell: string;
  figure: FigureKey;
  /** The first run after the change. */
  runId: string;
  /** Its start time (run.json startedAt). */
  startedAt: string;
  /** Position of that run in the history, oldest run 0. */
  index: number;
  /** Median of the figure over the runs since the previous change point (or the oldest run). */
  before: number;
  /** Median of the figure over the runs from this change point to the next (or the newest run). */
  after: number;
  pValue: number;
  direction: 'regression' | 'improvement';
  /** The scenario whose runs make up the series (series never mix scenarios). */
  scenario: string;
  /**
   * The measured window of the series' runs, e.g. "10 s" or "5000 messages": a series never mixes
   * windows, since a longer window measures something else (a scenario whose window changed starts
   * new series rather than a change point).
   */
  window: string;
  unit: string;
}

function windowText(window: RunWindow): string {
  return window.durationSeconds !== null ? `${window.durationSeconds} s` : `${window.messages} messages`;
}

/** Runs oldest first: start time, then run id. */
export function chronological(runs: readonly RunFile[]): RunFile[] {
  return [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
}

/** Every change point of every cell's figures over `runs` (any order), by history index then cell. */
export function historyChanges(runs: readonly RunFile[], options: Partial<EDivisiveOptions> = {}): ChangeRecord[] {
  const ordered = chronological(runs);
  // series key -> points (history index and value), oldest first
  const series = new Map<string, { scenario: string; window: string; cell: string; figure: (typeof COMPARED_FIGURES)[number]; points: Array<{ index: number; value: number }> }>();
  ordered.forEach((run, index) => {
    for (const [cell, entry] of cellsById(run)) {
      if (!entry.aggregate) continue;
      for (const figure of COMPARED_FIGURES) {
        const sample = sampleOf(figure.key, entry.aggregate, entry.results);
        if (!sample) continue;
        const window = windowText(run.scenario.window);
        const key = JSON.stringify([run.scenario.name, window, cell, figure.key]);
        let s = series.get(key);
        if (!s) series.set(key, (s = { scenario: run.scenario.name, window, cell, figure, points: [] }));
        s.points.push({ index, value: sample.value });
      }
    }
  });
  const out: ChangeRecord[] = [];
  for (const s of series.values()) {
    const values = s.points.map((p) => p.value);
    const found = eDivisive(values, options);
    const bounds = [0, ...found.map((c) => c.index), values.length];
    found.forEach((change, i) => {
      const before = median(values.slice(bounds[i], change.index));
      const after = median(values.slice(change.index, bounds[i + 2]));
      const worse = s.figure.better === 'higher' ? after < before : after > before;
      const run = ordered[s.points[change.index].index];
      out.push({
        cell: s.cell,
        figure: s.figure.key,
        runId: run.runId,
        startedAt: run.startedAt,
        index: s.points[change.index].index,
        before,
        after,
        pValue: change.pValue,
        direction: worse ? 'regression' : 'improvement',
        scenario: s.scenario,
        window: s.window,
        unit: s.figure.unit,
      });
    });
  }
  return out.sort((a, b) => a.index - b.index || a.cell.localeCompare(b.cell) || a.figure.localeCompare(b.figure));
}

/**
 * The regressions the newest runs started: the latest change point of its series, a regression, and
 * its first run among the newest `recent` runs of the history. One low night cannot be one (each side
 * of a change holds at least minSegment runs); a regression stays reported for the nights until it is
 * older than `recent` runs, and no longer once a later change point (a fix) follows it.
 */
export function newRegressions(changes: readonly ChangeRecord[], runCount: number, recent: number): ChangeRecord[] {
  const latest = new Map<string, ChangeRecord>();
  for (const c of changes) {
    const key = JSON.stringify([c.scenario, c.window, c.cell, c.figure]);
    const seen = latest.get(key);
    if (!seen || c.index > seen.index) latest.set(key, c);
  }
  return [...latest.values()].filter((c) => c.direction === 'regression' && c.index >= runCount - recent);
}
