// One row per cell over its repetitions: rates as spreads, counts summed, latency percentiles from
// the merged histograms (never averaged percentiles).

import { encodeHistogram, mergeEncoded, summarize } from '../measure/histogram.js';
import type { CellAggregate, CellResult, IntegrityCounts } from '../run/result.js';
import { spread } from './spread.js';

function addCounts(a: IntegrityCounts, b: IntegrityCounts): IntegrityCounts {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof IntegrityCounts)[]) {
    const x = a[k];
    const y = b[k];
    (out as Record<string, number | null>)[k] = x === null || y === null ? (x ?? y) : x + y;
  }
  return out;
}

export function aggregate(results: CellResult[]): CellAggregate[] {
  const byCell = new Map<string, CellResult[]>();
  for (const r of results) {
    const list = byCell.get(r.cell.id);
    if (list) list.push(r);
    else byCell.set(r.cell.id, [r]);
  }
  const out: CellAggregate[] = [];
  for (const list of byCell.values()) {
    const ok = list.filter((r) => r.status === 'ok');
    if (ok.length === 0) continue;
    const rateSpread = (pick: (r: CellResult) => number | null) => {
      const values = ok.map(pick).filter((v): v is number => v !== null);
      return values.length ? spread(values) : null;
    };
    const publish = mergeEncoded(ok.map((r) => r.histograms.publish));
    const e2e = mergeEncoded(ok.map((r) => r.histograms.e2e));
    out.push({
      cell: ok[0].cell,
      repetitions: ok.length,
      failed: list.length - ok.length,
      counts: ok.map((r) => r.counts).reduce(addCounts),
      rates: {
        sentPerS: rateSpread((r) => r.rates.sentPerS)!,
        confirmedPerS: rateSpread((r) => r.rates.confirmedPerS),
        consumedPerS: rateSpread((r) => r.rates.consumedPerS),
      },
      publishLatency: summarize(publish),
      e2eLatency: summarize(e2e),
      histograms: { publish: publish ? encodeHistogram(publish) : null, e2e: e2e ? encodeHistogram(e2e) : null },
      clientCpuPct: Math.round((ok.reduce((a, r) => a + r.clientCpuPct, 0) / ok.length) * 10) / 10,
      ...(ok.find((r) => r.maxRate)?.maxRate ? { maxRate: ok.find((r) => r.maxRate)!.maxRate } : {}),
    });
  }
  return out;
}
