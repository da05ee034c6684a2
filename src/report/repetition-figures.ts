// The figures of one repetition as the terminal table and summary.csv show them, from one place so
// the two cannot disagree. A repetition that did not end ok (a worker error, a timeout, an
// interrupt) shows none: what it measured stopped partway, and its status and reason say why.

import type { CellRates, CellResult, FaultOutcome, IntegrityCounts, LatencySummary } from '../run/result.js';

export interface RepetitionFigures {
  counts: IntegrityCounts | null;
  rates: { sentPerS: number | null; confirmedPerS: number | null; consumedPerS: number | null };
  publishLatency: LatencySummary | null;
  e2eLatency: LatencySummary | null;
  clientCpuPct: number | null;
  clientBound: boolean | null;
  window: CellResult['window'] | null;
  /**
   * Fault cells: sent, confirmed and consumed per second all over one window, from the first measured
   * send until the fault was injected; null otherwise. The rates above run to the last send, confirm
   * or delivery, a window that holds the outage, the recovery and the drain.
   */
  beforeFault: NonNullable<FaultOutcome['beforeFault']> | null;
}

const NO_RATES: Record<keyof CellRates, null> = { sentPerS: null, confirmedPerS: null, consumedPerS: null };

export function repetitionFigures(r: CellResult): RepetitionFigures {
  if (r.status !== 'ok') return { counts: null, rates: NO_RATES, publishLatency: null, e2eLatency: null, clientCpuPct: null, clientBound: null, window: null, beforeFault: null };
  return { counts: r.counts, rates: r.rates, publishLatency: r.publishLatency, e2eLatency: r.e2eLatency, clientCpuPct: r.clientCpuPct, clientBound: r.clientBound, window: r.window, beforeFault: r.fault?.beforeFault ?? null };
}
