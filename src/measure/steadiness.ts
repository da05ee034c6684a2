// Whether a repetition's measured window was steady: from its per-second timeline, over the whole
// seconds inside the window of its headline rate (consumed, else confirmed, else sent), the coefficient
// of variation of the per-second counts and the rate of the first half against the second half.
// A rate averaged over a window that was still warming up, or slowing as a queue grew, is the mean
// of two regimes; these figures say so. Pure.
//
// Only whole seconds count: the rows of the 1 s ticks (measure/timeline.ts keeps each row's true
// length) that end inside the window, each as its count over its own length. The last, partial row
// and the seconds of a drain after the window are left out.

import type { TimelinePoint } from './timeline.js';
import { headlineOf, type HeadlineFigure } from './headline.js';
import { rowRate } from './timeline.js';

export type SteadyFigure = HeadlineFigure;

/** Fewer whole seconds than this and steadiness is not judged (steady: null). */
export const STEADY_MIN_SECONDS = 4;
/** A window whose per-second counts vary more than this (sd / mean) is unsteady. */
export const STEADY_MAX_CV = 0.2;
/** A window whose second half's rate differs from its first half's by more than this is unsteady. */
export const STEADY_MAX_HALF_CHANGE_PCT = 10;
/** A tick row is a whole second when at least this long (the last row, after the last tick, is less). */
const WHOLE_SECOND = 0.9;
/** A row still counts as inside the window when it ends this little after it (timer drift, the first send after the window opened). */
const END_TOLERANCE_SECONDS = 0.05;

export interface Steadiness {
  /** The per-second count judged: the one of the repetition's headline rate. */
  figure: SteadyFigure;
  /** Whole seconds of the window used. */
  seconds: number;
  /** Sample standard deviation over the mean of the per-second rates; null below STEADY_MIN_SECONDS. */
  cv: number | null;
  /** Mean per-second rate of the first and of the second half (the middle second of an odd count is in neither). */
  firstHalfPerS: number | null;
  secondHalfPerS: number | null;
  /** (second − first) / first, percent. */
  halfChangePct: number | null;
  /** false when cv > STEADY_MAX_CV or |halfChangePct| > STEADY_MAX_HALF_CHANGE_PCT; null when not judged. */
  steady: boolean | null;
}

export interface SteadyWindow {
  sendSeconds: number;
  confirmSeconds: number | null;
  consumeSeconds: number | null;
}

/** The headline figure of a window and its length: consumed, else confirmed, else sent. */
export function headlineWindow(window: SteadyWindow): { figure: SteadyFigure; seconds: number } {
  const { figure, value } = headlineOf({ consumed: window.consumeSeconds, confirmed: window.confirmSeconds, sent: window.sendSeconds });
  return { figure, seconds: value };
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function steadiness(timeline: readonly TimelinePoint[], window: SteadyWindow): Steadiness {
  const { figure, seconds: windowSeconds } = headlineWindow(window);
  const counts: number[] = [];
  let end = 0;
  for (const point of timeline) {
    const length = point.seconds ?? 1;
    end += length;
    if (end > windowSeconds + END_TOLERANCE_SECONDS) break;
    if (length >= WHOLE_SECOND) counts.push(rowRate(point, point[figure]));
  }
  const seconds = counts.length;
  if (seconds < STEADY_MIN_SECONDS) {
    return { figure, seconds, cv: null, firstHalfPerS: null, secondHalfPerS: null, halfChangePct: null, steady: null };
  }
  const m = mean(counts);
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - m) ** 2, 0) / (seconds - 1));
  const cv = m > 0 ? sd / m : null;
  const half = Math.floor(seconds / 2);
  const firstHalfPerS = mean(counts.slice(0, half));
  const secondHalfPerS = mean(counts.slice(seconds - half));
  const halfChangePct = firstHalfPerS > 0 ? ((secondHalfPerS - firstHalfPerS) / firstHalfPerS) * 100 : null;
  // Nothing counted at all, or nothing in the first half: not a window that measured a rate.
  const steady = cv === null || halfChangePct === null ? false : cv <= STEADY_MAX_CV && Math.abs(halfChangePct) <= STEADY_MAX_HALF_CHANGE_PCT;
  return { figure, seconds, cv, firstHalfPerS, secondHalfPerS, halfChangePct, steady };
}
