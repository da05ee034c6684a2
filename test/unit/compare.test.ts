// compareRuns and writeComparison: a regression needs a change beyond the threshold and beyond noise.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { COMPARED_FIGURES, compareFigure, compareRuns, judgeNoise, type FigureSample } from '../../src/stats/compare.js';
import { escapeMarkdown } from '../../src/report/compare-markdown.js';
import { writeComparison } from '../../src/report/compare.js';
import { cellId } from '../../src/scenario/matrix.js';
import type { Cell } from '../../src/scenario/types.js';
import type { RunFile } from '../../src/run/result.js';
import { buildFixtureRun, fixtureTempDir, removeFixtureDirs, writeFixtureRun } from '../helpers/fixture-run.js';

const THRESHOLD = { thresholdPct: 10 };
const base = buildFixtureRun();
const cellIds = base.aggregates.map((aggregate) => aggregate.cell.id);
const RATE = COMPARED_FIGURES[0];
const LATENCY = COMPARED_FIGURES[3];

after(removeFixtureDirs);

function sample(value: number, min: number, max: number, repetitions = 3): FigureSample {
  return { value, min, max, ci95Low: null, ci95High: null, repetitions };
}

describe('compareRuns', () => {
  it('finds no regression between identical runs', () => {
    const comparison = compareRuns(base, buildFixtureRun(), THRESHOLD);
    assert.deepEqual(comparison.regressions, []);
    assert.equal(comparison.matched.length, 10);
    for (const cell of comparison.matched) {
      for (const figure of cell.figures) {
        if (figure.changePct !== null) assert.equal(figure.changePct, 0);
        assert.equal(figure.beyondNoise, false);
      }
    }
  });

  it('finds no regression when only the noise differs', () => {
    assert.deepEqual(compareRuns(base, buildFixtureRun({ seed: 1234 }), THRESHOLD).regressions, []);
  });

  it('names every cell whose rates halved', () => {
    const comparison = compareRuns(base, buildFixtureRun({ rateFactor: 0.5 }), THRESHOLD);
    assert.deepEqual(comparison.regressions, cellIds);
    const consumed = comparison.matched[0].figures.find((figure) => figure.figure === 'consumedPerS')!;
    assert.ok(Math.abs(consumed.changePct! + 50) < 0.001);
    assert.equal(consumed.regression, true);
  });

  it('calls a doubled latency a regression, and only the latency', () => {
    const comparison = compareRuns(base, buildFixtureRun({ latencyFactor: 2 }), THRESHOLD);
    assert.deepEqual(comparison.regressions, cellIds);
    const regressed = comparison.matched.flatMap((cell) => cell.figures.filter((figure) => figure.regression));
    assert.deepEqual([...new Set(regressed.map((figure) => figure.figure))].sort(), ['e2eP99Us', 'publishP99Us']);
    const none = comparison.matched.find((cell) => cell.cell.publish.kind === 'none')!;
    assert.equal(none.figures.find((figure) => figure.figure === 'publishP99Us')!.base, null, 'none has no publish latency');
  });

  it('does not call faster rates or lower latency a regression', () => {
    const comparison = compareRuns(base, buildFixtureRun({ rateFactor: 2, latencyFactor: 0.5 }), THRESHOLD);
    assert.deepEqual(comparison.regressions, []);
    assert.ok(comparison.matched.every((cell) => cell.figures.some((figure) => figure.improvement)));
  });

  it('falls back to the threshold with one repetition', () => {
    const single = buildFixtureRun({ repetitions: 1 });
    const slower = compareRuns(single, buildFixtureRun({ repetitions: 1, rateFactor: 0.85 }), THRESHOLD);
    assert.deepEqual(slower.regressions, single.aggregates.map((aggregate) => aggregate.cell.id));
    assert.equal(slower.matched[0].figures[0].noiseBasis, 'threshold');
    const slightly = compareRuns(single, buildFixtureRun({ repetitions: 1, rateFactor: 0.95 }), THRESHOLD);
    assert.deepEqual(slightly.regressions, []);
  });

  it('counts a cell that failed in the candidate as a regression', () => {
    const candidate = structuredClone(base);
    const lost = candidate.aggregates.shift()!;
    for (const result of candidate.cells) {
      if (result.cell.id === lost.cell.id) Object.assign(result, { status: 'failed', reason: 'connection refused' });
    }
    const comparison = compareRuns(base, candidate, THRESHOLD);
    assert.deepEqual(comparison.regressions, [lost.cell.id]);
    assert.equal(comparison.matched[0].failedInCandidate, true);
  });

  it('lists cells found in one run only', () => {
    const comparison = compareRuns(base, buildFixtureRun({ clients: ['amqplib', 'rabbitmq-client'] }), THRESHOLD);
    assert.equal(comparison.matched.length, 10);
    assert.deepEqual(comparison.onlyInBase, []);
    assert.equal(comparison.onlyInCandidate.length, 10);
    assert.ok(comparison.onlyInCandidate.every((cell) => cell.client === 'rabbitmq-client'));
  });
});

describe('noise and threshold', () => {
  it('needs both: beyond the threshold and beyond noise', () => {
    // -20%, but the spreads overlap: noise, not a regression.
    const noisy = compareFigure(RATE, sample(1000, 700, 1300), sample(800, 600, 1100), 10);
    assert.equal(noisy.beyondNoise, false);
    assert.equal(noisy.regression, false);
    // -5%, spreads apart: real, but under the threshold.
    const small = compareFigure(RATE, sample(1000, 995, 1005), sample(950, 945, 955), 10);
    assert.equal(small.beyondNoise, true);
    assert.equal(small.regression, false);
    // -20%, spreads apart: a regression.
    const real = compareFigure(RATE, sample(1000, 990, 1010), sample(800, 790, 810), 10);
    assert.equal(real.regression, true);
  });

  it('reads direction from the figure: a rise is worse for latency only', () => {
    assert.equal(compareFigure(LATENCY, sample(1000, 990, 1010), sample(1500, 1490, 1510), 10).regression, true);
    assert.equal(compareFigure(RATE, sample(1000, 990, 1010), sample(1500, 1490, 1510), 10).regression, false);
  });

  it('judges noise by the 95% intervals, whatever the ranges do', () => {
    // Ranges overlap, intervals apart: beyond noise.
    const apart = judgeNoise(
      { ...sample(1000, 900, 1100), ci95Low: 980, ci95High: 1020 },
      { ...sample(850, 700, 950), ci95Low: 830, ci95High: 870 },
      -15,
      10,
    );
    assert.deepEqual(apart, { beyondNoise: true, basis: 'spread' });
    // Ranges apart, intervals overlap (3 repetitions: disjoint ranges happen by chance 1 time in 10).
    const chance = judgeNoise(
      { ...sample(1000, 990, 1010), ci95Low: 900, ci95High: 1100 },
      { ...sample(880, 870, 885), ci95Low: 850, ci95High: 910 },
      -12,
      10,
    );
    assert.deepEqual(chance, { beyondNoise: false, basis: 'spread' });
  });

  it('has no change to report against a zero or missing baseline', () => {
    assert.equal(compareFigure(RATE, sample(0, 0, 0), sample(10, 10, 10), 10).changePct, null);
    assert.equal(compareFigure(RATE, null, sample(10, 10, 10), 10).regression, false);
  });
});

describe('writeComparison', () => {
  it('exits 0 for identical runs', async () => {
    const baseDir = await writeFixtureRun(base);
    const candDir = await writeFixtureRun(buildFixtureRun());
    const result = await writeComparison(baseDir, candDir, THRESHOLD);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(result.regressions, []);
    assert.match(result.markdown, /\*\*No regression\*\* beyond 10%/);
  });

  it('exits 1 and names the cells when rates halve, writing the chart when asked', async () => {
    const baseDir = await writeFixtureRun(base);
    const candDir = await writeFixtureRun(buildFixtureRun({ rateFactor: 0.5 }));
    const outDir = join(await fixtureTempDir('ackbench-compare-'), 'out');
    const result = await writeComparison(baseDir, candDir, { thresholdPct: 10, outDir });
    assert.equal(result.exitCode, 1);
    assert.deepEqual(result.regressions, cellIds);
    assert.match(result.markdown, /\*\*10 cells regressed\*\*/);
    for (const id of cellIds) assert.ok(result.markdown.includes(escapeMarkdown(id)), id);
    assert.match(result.markdown, /\| consumed\/s \(msg\/s\) \| .* \| −50\.0% \| beyond noise \| \*\*regression\*\* \|/);
    for (const file of ['compare.vl.json', 'compare.svg', 'compare.md']) assert.ok(existsSync(join(outDir, file)), file);
  });

  it('escapes run text in the Markdown', async () => {
    const hostile = buildFixtureRun({ name: '<img src=x onerror=alert(1)> | x', runId: 'a|b' });
    const result = await writeComparison(await writeFixtureRun(hostile), await writeFixtureRun(base), THRESHOLD);
    assert.ok(!result.markdown.includes('<img'));
    assert.ok(result.markdown.includes('&lt;img src=x onerror=alert\\(1\\)&gt; \\| x'));
    assert.ok(result.markdown.includes('a\\|b'));
  });
});

describe('compare against a run throttled with --rate', () => {
  it('pairs each cell with the same cell apart from its rate, and the lower rate is a regression', () => {
    const pace = <T extends { cell: Cell }>(x: T): T => {
      const cell = { ...x.cell, rate: 100 };
      return { ...x, cell: { ...cell, id: cellId(cell) } };
    };
    const slow = buildFixtureRun({ rateFactor: 0.5 });
    const candidate: RunFile = { ...slow, cells: slow.cells.map(pace), aggregates: slow.aggregates.map(pace) };
    const result = compareRuns(base, candidate, THRESHOLD);
    assert.deepEqual([result.onlyInBase, result.onlyInCandidate], [[], []]);
    assert.equal(result.matched.length, base.aggregates.length);
    assert.ok(result.matched.every((m) => m.candidateCellId?.endsWith('.100ps')));
    assert.equal(result.regressions.length, base.aggregates.length);
  });
});
