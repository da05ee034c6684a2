// Baseline against candidate, cell by cell (matched on cell.id, else on the same cell apart from its
// rate) and figure by figure. A change is a
// regression only when it is both worse than the threshold and beyond the repetitions' noise (see
// judgeNoise): a 12% drop inside the spread of three repetitions is not evidence of anything.

import type { CellAggregate, CellResult, RateSpread, RunFile } from '../run/result.js';
import type { Cell } from '../scenario/types.js';
import { cellId } from '../scenario/matrix.js';
import { spread } from './spread.js';
import { publishAnswered } from '../scenario/publish-traits.js';

export type Direction = 'higher' | 'lower';

export const COMPARED_FIGURES = [
  { key: 'consumedPerS', label: 'consumed/s', unit: 'msg/s', better: 'higher' },
  { key: 'confirmedPerS', label: 'confirmed/s', unit: 'msg/s', better: 'higher' },
  { key: 'sentPerS', label: 'sent/s', unit: 'msg/s', better: 'higher' },
  { key: 'publishP99Us', label: 'publish p99', unit: 'µs', better: 'lower' },
  { key: 'e2eP99Us', label: 'e2e p99', unit: 'µs', better: 'lower' },
] as const satisfies ReadonlyArray<{ key: string; label: string; unit: string; better: Direction }>;

export type FigureKey = (typeof COMPARED_FIGURES)[number]['key'];

/** One figure of one cell in one run: the value compared, and its spread over repetitions. */
export interface FigureSample {
  /** Rates: the median over repetitions. Latency: p99 of the merged histogram. */
  value: number;
  min: number;
  max: number;
  ci95Low: number | null;
  ci95High: number | null;
  repetitions: number;
}

/** How "beyond noise" was decided: from both runs' spreads, or from the threshold alone (one repetition). */
export type NoiseBasis = 'spread' | 'threshold';

export interface FigureComparison {
  figure: FigureKey;
  label: string;
  unit: string;
  better: Direction;
  base: FigureSample | null;
  candidate: FigureSample | null;
  /** (candidate - base) / base in percent; null when either is missing or the base is zero. */
  changePct: number | null;
  beyondNoise: boolean;
  noiseBasis: NoiseBasis | null;
  /** Worse by more than the threshold, and beyond noise. */
  regression: boolean;
  /** Better by more than the threshold, and beyond noise. */
  improvement: boolean;
}

export interface CellComparison {
  cellId: string;
  cell: Cell;
  /** Set when the candidate's cell differs only by its rate (matched apart from pacing). */
  candidateCellId?: string;
  figures: FigureComparison[];
  /** The cell ran in the baseline and every candidate repetition failed: counted as a regression. */
  failedInCandidate: boolean;
  /** Every baseline repetition failed; the candidate's figures have nothing to compare with. */
  failedInBase: boolean;
  regression: boolean;
}

export interface RunComparison {
  thresholdPct: number;
  matched: CellComparison[];
  onlyInBase: Cell[];
  onlyInCandidate: Cell[];
  /** Ids of the cells with at least one regression, in baseline order. */
  regressions: string[];
}

export interface CompareOptions {
  /** A change smaller than this, in percent, is never a regression. */
  thresholdPct: number;
}

function fromRateSpread(rate: RateSpread | null, repetitions: number): FigureSample | null {
  if (!rate) return null;
  return { value: rate.median, min: rate.min, max: rate.max, ci95Low: rate.ci95Low, ci95High: rate.ci95High, repetitions };
}

/** p99 of the merged histogram, with the spread of the per-repetition p99s as its noise. */
function latencySample(aggregate: CellAggregate, results: readonly CellResult[], kind: 'publish' | 'e2e'): FigureSample | null {
  const merged = kind === 'publish' ? aggregate.publishLatency : aggregate.e2eLatency;
  if (!merged || merged.count === 0) return null;
  if (kind === 'publish' && !publishAnswered(aggregate.cell.publish.kind)) return null;
  const perRepetition = results
    .filter((result) => result.status === 'ok')
    .map((result) => (kind === 'publish' ? result.publishLatency : result.e2eLatency)?.p99Us)
    .filter((value): value is number => typeof value === 'number');
  if (perRepetition.length === 0) {
    return { value: merged.p99Us, min: merged.p99Us, max: merged.p99Us, ci95Low: null, ci95High: null, repetitions: 1 };
  }
  const { min, max, ci95Low, ci95High } = spread(perRepetition);
  return { value: merged.p99Us, min, max, ci95Low, ci95High, repetitions: perRepetition.length };
}

export function sampleOf(figure: FigureKey, aggregate: CellAggregate, results: readonly CellResult[]): FigureSample | null {
  switch (figure) {
    case 'consumedPerS':
    case 'confirmedPerS':
    case 'sentPerS':
      return fromRateSpread(aggregate.rates[figure], aggregate.repetitions);
    case 'publishP99Us':
      return latencySample(aggregate, results, 'publish');
    case 'e2eP99Us':
      return latencySample(aggregate, results, 'e2e');
  }
}

function disjoint(a: [number, number], b: [number, number]): boolean {
  return a[1] < b[0] || b[1] < a[0];
}

/**
 * Beyond noise when the candidate's 95% confidence interval does not overlap the baseline's; when an
 * interval is missing, their [min, max] ranges decide; with a single repetition on either side there is
 * no spread at all and the threshold alone decides.
 *
 * Why not "ranges OR intervals apart": with 3 repetitions, two samples of the same distribution have
 * disjoint ranges 10% of the time (2 * 3!3!/6!), whatever the noise. Latency p99 varies between
 * repetitions by more than a 10% threshold, so with ~20 latency figures per run that rule fails CI on
 * noise most nights; on the test fixture it raised a regression in 6 of 30 noise-only candidates, the
 * interval rule in 1, while catching every halved rate and doubled latency all the same.
 */
export function judgeNoise(
  base: FigureSample,
  candidate: FigureSample,
  changePct: number,
  thresholdPct: number,
): { beyondNoise: boolean; basis: NoiseBasis } {
  if (base.repetitions < 2 || candidate.repetitions < 2) {
    return { beyondNoise: Math.abs(changePct) > thresholdPct, basis: 'threshold' };
  }
  const baseInterval = interval(base);
  const candidateInterval = interval(candidate);
  if (baseInterval && candidateInterval) {
    return { beyondNoise: disjoint(baseInterval, candidateInterval), basis: 'spread' };
  }
  return { beyondNoise: disjoint([base.min, base.max], [candidate.min, candidate.max]), basis: 'spread' };
}

function interval(sample: FigureSample): [number, number] | null {
  return sample.ci95Low === null || sample.ci95High === null ? null : [sample.ci95Low, sample.ci95High];
}

export function compareFigure(
  figure: (typeof COMPARED_FIGURES)[number],
  base: FigureSample | null,
  candidate: FigureSample | null,
  thresholdPct: number,
): FigureComparison {
  const common = { figure: figure.key, label: figure.label, unit: figure.unit, better: figure.better, base, candidate };
  if (!base || !candidate || base.value === 0) {
    return { ...common, changePct: null, beyondNoise: false, noiseBasis: null, regression: false, improvement: false };
  }
  const changePct = ((candidate.value - base.value) / base.value) * 100;
  const { beyondNoise, basis } = judgeNoise(base, candidate, changePct, thresholdPct);
  // For rates a drop is worse; for latency a rise is worse.
  const worsePct = figure.better === 'higher' ? -changePct : changePct;
  return {
    ...common,
    changePct,
    beyondNoise,
    noiseBasis: basis,
    regression: beyondNoise && worsePct > thresholdPct,
    improvement: beyondNoise && -worsePct > thresholdPct,
  };
}

/** Cells of a run by id, in first-seen order, with their repetitions and aggregate (if any ran). */
export function cellsById(run: RunFile) {
  const byId = new Map<string, { cell: Cell; results: CellResult[]; aggregate: CellAggregate | null }>();
  for (const aggregate of run.aggregates) byId.set(aggregate.cell.id, { cell: aggregate.cell, results: [], aggregate });
  for (const result of run.cells) {
    const entry = byId.get(result.cell.id);
    if (entry) entry.results.push(result);
    else byId.set(result.cell.id, { cell: result.cell, results: [result], aggregate: null });
  }
  return byId;
}

/** A cell's id with its rate left out: the configuration apart from pacing. */
function unpacedId(cell: Cell): string {
  return cellId({ ...cell, rate: null });
}

/**
 * Pairs of (base id, candidate id): the same id first; then a cell left on each side with the same
 * configuration apart from its rate (a run throttled with --rate against an unpaced one), when the
 * pairing is unambiguous.
 */
function pairCells(baseIds: string[], candidate: Map<string, { cell: Cell }>, base: Map<string, { cell: Cell }>): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const id of baseIds) if (candidate.has(id)) pairs.set(id, id);
  const leftBase = baseIds.filter((id) => !pairs.has(id));
  const leftCandidate = [...candidate.keys()].filter((id) => !base.has(id));
  for (const id of leftBase) {
    const key = unpacedId(base.get(id)!.cell);
    const sameBase = leftBase.filter((b) => unpacedId(base.get(b)!.cell) === key);
    const sameCandidate = leftCandidate.filter((c) => unpacedId(candidate.get(c)!.cell) === key);
    if (sameBase.length === 1 && sameCandidate.length === 1) pairs.set(id, sameCandidate[0]);
  }
  return pairs;
}

export function compareRuns(base: RunFile, cand: RunFile, opts: CompareOptions): RunComparison {
  const { thresholdPct } = opts;
  const baseCells = cellsById(base);
  const candidateCells = cellsById(cand);
  const pairs = pairCells([...baseCells.keys()], candidateCells, baseCells);
  const matched: CellComparison[] = [];
  const onlyInBase: Cell[] = [];
  for (const [id, baseEntry] of baseCells) {
    const candidateEntry = pairs.has(id) ? candidateCells.get(pairs.get(id)!) : undefined;
    if (!candidateEntry) {
      onlyInBase.push(baseEntry.cell);
      continue;
    }
    const figures = COMPARED_FIGURES.map((figure) =>
      compareFigure(
        figure,
        baseEntry.aggregate ? sampleOf(figure.key, baseEntry.aggregate, baseEntry.results) : null,
        candidateEntry.aggregate ? sampleOf(figure.key, candidateEntry.aggregate, candidateEntry.results) : null,
        thresholdPct,
      ),
    );
    const failedInCandidate = baseEntry.aggregate !== null && candidateEntry.aggregate === null;
    matched.push({
      cellId: id,
      cell: baseEntry.cell,
      ...(candidateEntry.cell.id !== id ? { candidateCellId: candidateEntry.cell.id } : {}),
      figures,
      failedInCandidate,
      failedInBase: baseEntry.aggregate === null && candidateEntry.aggregate !== null,
      regression: failedInCandidate || figures.some((figure) => figure.regression),
    });
  }
  const paired = new Set(pairs.values());
  const onlyInCandidate = [...candidateCells.values()].filter((entry) => !paired.has(entry.cell.id)).map((entry) => entry.cell);
  return {
    thresholdPct,
    matched,
    onlyInBase,
    onlyInCandidate,
    regressions: matched.filter((cell) => cell.regression).map((cell) => cell.cellId),
  };
}
