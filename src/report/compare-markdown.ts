// The comparison as Markdown, for a CI job summary or a pull-request comment. Pure. Text from run.json
// is escaped: GitHub renders inline HTML and table pipes in Markdown.

import type { RunFile } from '../run/result.js';
import type { Cell } from '../scenario/types.js';
import type { FigureComparison, FigureSample, RunComparison } from '../stats/compare.js';
import { cellLabel, varyingAxes } from './cell-labels.js';
import { formatChangePct, formatWhole, UNDEFINED_FIGURE } from './format.js';

/** Backslash-escapes Markdown syntax and entity-encodes angle brackets, so text stays text. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+!|~]/g, (char) => `\\${char}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

/** A short label for each cell of the two runs, spelling out only the axes that vary between them. */
export function comparisonLabeller(base: RunFile, candidate: RunFile): (cell: Cell) => string {
  const varying = varyingAxes([...base.cells, ...candidate.cells].map((result) => result.cell));
  return (cell) => cellLabel(cell, varying);
}

function sampleText(sample: FigureSample | null): string {
  if (!sample) return UNDEFINED_FIGURE;
  if (sample.repetitions < 2 || sample.min === sample.max) return formatWhole(sample.value);
  return `${formatWhole(sample.value)} [${formatWhole(sample.min)}–${formatWhole(sample.max)}]`;
}

function noiseText(figure: FigureComparison): string {
  if (figure.noiseBasis === null) return UNDEFINED_FIGURE;
  if (figure.noiseBasis === 'threshold') return 'one repetition: threshold only';
  return figure.beyondNoise ? 'beyond noise' : 'within noise';
}

function verdictText(figure: FigureComparison): string {
  if (figure.regression) return '**regression**';
  if (figure.improvement) return 'improvement';
  return UNDEFINED_FIGURE;
}

function runLine(role: string, run: RunFile): string {
  const partial = run.complete ? '' : ' (partial run)';
  return `- ${role}: ${escapeMarkdown(run.runId)}, scenario ${escapeMarkdown(run.scenario.name)}, started ${escapeMarkdown(run.startedAt)}${partial}`;
}

export function comparisonMarkdown(comparison: RunComparison, base: RunFile, candidate: RunFile): string {
  const labelOf = comparisonLabeller(base, candidate);
  const lines: string[] = ['## ackbench compare', '', runLine('baseline', base), runLine('candidate', candidate), ''];
  const byId = new Map(comparison.matched.map((cell) => [cell.cellId, cell]));
  if (comparison.regressions.length) {
    lines.push(
      `**${comparison.regressions.length} cell${comparison.regressions.length === 1 ? '' : 's'} regressed** ` +
        `(worse by more than ${comparison.thresholdPct}% and beyond the repetitions' noise):`,
      '',
      ...comparison.regressions.map((id) => `- ${escapeMarkdown(labelOf(byId.get(id)!.cell))} (${escapeMarkdown(id)})`),
    );
  } else {
    lines.push(`**No regression** beyond ${comparison.thresholdPct}% and the repetitions' noise.`);
  }
  lines.push(
    '',
    'Rates: median [min–max] over repetitions, lower is worse. Latency: p99 of the merged histogram ' +
      '[min–max of the per-repetition p99], higher is worse.',
    '',
    '| cell | figure | baseline | candidate | change | noise | verdict |',
    '|---|---|--:|--:|--:|---|---|',
  );
  for (const cell of comparison.matched) {
    const paced = cell.candidateCellId ? ` (candidate: ${cell.candidateCellId.split('.').at(-1)})` : '';
    const label = escapeMarkdown(labelOf(cell.cell) + paced);
    if (cell.failedInCandidate || cell.failedInBase) {
      const which = cell.failedInCandidate ? 'candidate' : 'baseline';
      const verdict = cell.failedInCandidate ? '**regression**' : UNDEFINED_FIGURE;
      lines.push(`| ${label} | all repetitions failed in the ${which} | | | | | ${verdict} |`);
      continue;
    }
    for (const figure of cell.figures) {
      if (!figure.base && !figure.candidate) continue;
      lines.push(
        `| ${label} | ${figure.label} (${figure.unit}) | ${sampleText(figure.base)} | ${sampleText(figure.candidate)} | ` +
          `${formatChangePct(figure.changePct)} | ${noiseText(figure)} | ${verdictText(figure)} |`,
      );
    }
  }
  const unmatched = (title: string, cells: readonly Cell[]) =>
    cells.length ? ['', `${title}:`, '', ...cells.map((cell) => `- ${escapeMarkdown(labelOf(cell))} (${escapeMarkdown(cell.id)})`)] : [];
  lines.push(...unmatched('Only in the baseline', comparison.onlyInBase));
  lines.push(...unmatched('Only in the candidate', comparison.onlyInCandidate));
  return `${lines.join('\n')}\n`;
}
