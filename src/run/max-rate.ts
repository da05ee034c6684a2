// --max-rate: the highest paced rate at which the consumers keep up, found as OpenMessaging Benchmark
// does (a paced rate is held or not; search between what holds and what does not). An unpaced cell
// with consumers and no confirms measures a growing backlog, not a capacity: its figure swings from
// run to run. A paced rate that holds is a figure of the system.
//
// A probe (one repetition of the cell paced at a rate) holds when all of these are true:
//   1. it ran (status ok) with no confirmed message lost and nothing unexpected;
//   2. the producers kept the pace: sent/s >= PACE_KEPT x the target;
//   3. end-to-end p99 <= the bound (default DEFAULT_P99_BOUND_MS; --max-rate P99MS);
//   4. the backlog stayed bounded: over the second half of the sending window (whole seconds of the
//      timeline), the backlog (sent - consumed so far) grew by at most BACKLOG_GROWTH of what was
//      sent in that half. Windows shorter than 2 whole seconds are judged on 1-3 alone.
// The search: the first probe at the unpaced consumed rate (capped at the unpaced sent rate, which no
// pace can beat), then bisection between the highest rate held and the lowest one rejected (0 and the
// unpaced sent rate to begin with), MAX_RATE_PROBES probes in all. Pure: the caller runs the probes.
//
// A rate is rejected only after it failed REJECT_AFTER_FAILS probes in a row; one that held once is
// held. The evidence is not symmetric: a probe that held kept pace, latency and backlog over its whole
// window, which a rate beyond the system's capacity cannot do, while near capacity the system is
// bistable (once a backlog forms the consumer slows down, README "--max-rate"), so one stall can sink
// a rate that holds at other times. A search of single probes let that one failure cap every later
// probe below it; the retry takes that chance from 1 in N to about 1 in N squared.

import type { CellResult, MaxRateProbe, MaxRateSearch } from './result.js';

// The search's result is part of the run file's shape, declared there (run/result.ts).
export type { MaxRateProbe, MaxRateSearch };

export const DEFAULT_P99_BOUND_MS = 500;
export const MAX_RATE_PROBES = 8;
/** Failed probes in a row that reject a rate (see the header). */
export const REJECT_AFTER_FAILS = 2;
export const PACE_KEPT = 0.95;
export const BACKLOG_GROWTH = 0.02;

/** Whether a probe at `ratePerS` (all producers) held, and if not, the first reason why. */
export function judgeProbe(r: CellResult, ratePerS: number, p99BoundMs: number): MaxRateProbe {
  const base = { ratePerS, e2eP99Us: r.e2eLatency?.p99Us ?? null, sentPerS: r.status === 'ok' ? r.rates.sentPerS : null, consumedPerS: r.rates.consumedPerS };
  const no = (reason: string): MaxRateProbe => ({ ...base, held: false, reason });
  if (r.status !== 'ok') return no(`${r.status}: ${r.reason ?? ''}`.trim());
  if (r.counts.lost > 0 || r.counts.unexpected > 0) return no(`${r.counts.lost} lost, ${r.counts.unexpected} unexpected`);
  if (r.rates.sentPerS < PACE_KEPT * ratePerS) return no(`producers reached ${Math.round(r.rates.sentPerS)} msg/s of ${Math.round(ratePerS)}`);
  const p99 = r.e2eLatency?.p99Us ?? null;
  if (p99 === null) return no('no end-to-end latency recorded');
  if (p99 > p99BoundMs * 1000) return no(`e2e p99 ${Math.round(p99 / 1000)} ms > ${p99BoundMs} ms`);
  const growth = backlogGrowth(r);
  if (growth !== null && growth.grew > BACKLOG_GROWTH * growth.sent) return no(`backlog grew by ${growth.grew} over the second half of the window (${growth.sent} sent)`);
  return { ...base, held: true, reason: null };
}

/**
 * How much the backlog grew over the second half of the sending window, and what was sent then; null
 * when the window has fewer than 2 whole seconds of timeline.
 */
export function backlogGrowth(r: CellResult): { grew: number; sent: number } | null {
  const whole = Math.floor(r.window.sendSeconds);
  const points = r.timeline.filter((p) => p.second <= whole);
  if (points.length < 2) return null;
  const mid = Math.floor(points.length / 2);
  let backlogAtMid = 0;
  let backlog = 0;
  let sent = 0;
  points.forEach((p, k) => {
    backlog += p.sent - p.consumed;
    if (k < mid) backlogAtMid = backlog;
    else sent += p.sent;
  });
  return { grew: backlog - backlogAtMid, sent };
}

/** Whether the probes so far at `rate` reject it: it never held, and failed REJECT_AFTER_FAILS times. */
function rejected(probes: readonly MaxRateProbe[], rate: number): boolean {
  const at = probes.filter((p) => p.ratePerS === rate);
  return !at.some((p) => p.held) && at.length >= REJECT_AFTER_FAILS;
}

/**
 * The next rate to probe given those probed so far, or null when the search is done. A rate comes
 * back (at once, as the next probe) only after a failure, until it held or was rejected.
 */
export function nextProbeRate(search: Pick<MaxRateSearch, 'unpacedConsumedPerS' | 'unpacedSentPerS' | 'probes'>, maxProbes = MAX_RATE_PROBES): number | null {
  const { probes } = search;
  if (probes.length >= maxProbes) return null;
  if (probes.length === 0) return Math.max(1, Math.round(Math.min(search.unpacedConsumedPerS, search.unpacedSentPerS)));
  const last = probes[probes.length - 1];
  if (!last.held && !rejected(probes, last.ratePerS) && !probes.some((p) => p.held && p.ratePerS >= last.ratePerS)) return last.ratePerS;
  const held = probes.filter((p) => p.held).map((p) => p.ratePerS);
  const lo = held.length ? Math.max(...held) : 0;
  const rejects = probes.filter((p) => rejected(probes, p.ratePerS) && p.ratePerS > lo).map((p) => p.ratePerS);
  const hi = Math.min(search.unpacedSentPerS, ...rejects);
  const next = Math.round((lo + hi) / 2);
  // Nothing left between them at whole msg/s (or a rate already settled): done.
  if (next <= lo || next >= hi || probes.some((p) => p.ratePerS === next)) return null;
  return next;
}

/** The search's outcome from its probes: the highest rate held. */
export function maxRateOf(probes: MaxRateProbe[]): number | null {
  const held = probes.filter((p) => p.held).map((p) => p.ratePerS);
  return held.length ? Math.max(...held) : null;
}
