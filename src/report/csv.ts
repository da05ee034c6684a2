// summary.csv, timeline.csv and the per-cell histogram files (docs/architecture.md#output-formats).
// Column names carry their units; an undefined figure is an empty cell, never a zero.

import { stringify } from 'csv-stringify/sync';
import { join } from 'node:path';
import { decodeHistogram, percentileDistribution } from '../measure/histogram.js';
import type { Cell } from '../scenario/types.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { verdictOf } from '../run/guarantees.js';
import { axisColumns } from './cell-labels.js';
import { repetitionFigures, type RepetitionFigures } from './repetition-figures.js';
import { median } from '../stats/spread.js';
import type { CellAggregate, CellResult, IntegrityCounts, LatencySummary, RateSpread, RunFile } from '../run/result.js';
import { STEADY_COLUMNS, steadyColumns } from './steadiness-columns.js';

/** The documented columns (docs/architecture.md#summary-columns), in order; more follow them. */
export const SUMMARY_COLUMNS = [
  'cell', 'client', 'durability', 'publish', 'consume', 'queue', 'size', 'producers', 'consumers', 'repetition',
  'sent', 'confirmed', 'nacked', 'unknown', 'received', 'duplicates', 'lost',
  'sent_per_s', 'confirmed_per_s', 'consumed_per_s',
  'publish_p50_us', 'publish_p99_us', 'publish_p999_us', 'publish_max_us',
  'e2e_p50_us', 'e2e_p99_us', 'e2e_p999_us', 'e2e_max_us',
  'client_cpu_pct',
] as const;

/** Empty for cells run without a fault. */
export const FAULT_COLUMNS = [
  'ok', 'fail', 'fault', 'attempted', 'fault_sent_at', 'fault_node', 'fault_recovery_s', 'fault_producers_cut', 'fault_drained', 'fault_verdict',
  'fault_after', 'fault_reconnects', 'fault_resume_s', 'fault_queue_unavailable_s', 'fault_queue_gone',
  // Rates from the first measured send until the fault, all three over that one window (sent_per_s
  // and the others run to the last send / confirm / delivery, through the outage and the drain).
  'fault_before_s', 'fault_before_sent_per_s', 'fault_before_confirmed_per_s', 'fault_before_consumed_per_s',
] as const;

/** Empty where no source gave the figure (run.json's cost.note says why). */
export const COST_COLUMNS = ['client_cpu_us_per_msg', 'broker_cpu_us_per_msg', 'fsyncs_per_1k', 'disk_bytes_per_msg', 'broker_rss_peak_mib', 'metrics_source', 'bottleneck'] as const;

export const EXTRA_COLUMNS = [
  'rate_per_s', 'channels', 'deduplication', 'status', 'reason', 'out_of_order', 'missing', 'recovered', 'redelivered', 'unexpected',
  'publish_count', 'publish_mean_us', 'e2e_count', 'e2e_mean_us',
  'send_window_s', 'confirm_window_s', 'consume_window_s', 'client_bound',
  'sent_per_s_min', 'sent_per_s_max', 'sent_per_s_ci95_low', 'sent_per_s_ci95_high',
  'confirmed_per_s_min', 'confirmed_per_s_max', 'confirmed_per_s_ci95_low', 'confirmed_per_s_ci95_high',
  'consumed_per_s_min', 'consumed_per_s_max', 'consumed_per_s_ci95_low', 'consumed_per_s_ci95_high',
  // Fault cells (ackbench faults; docs/architecture.md#faults-accounting), Jepsen's counts beside recovered and unexpected above.
  ...FAULT_COLUMNS,
  // Paced --duration cells: messages due before the deadline, and those of them not sent (behind schedule).
  'due_by_deadline', 'due_unsent',
  // Aggregate rows: the rate's 95% interval is wider than a quarter of the mean (stats/spread.ts).
  'sent_per_s_ci95_too_wide', 'confirmed_per_s_ci95_too_wide', 'consumed_per_s_ci95_too_wide',
  // Steadiness of the window (measure/steadiness.ts).
  ...STEADY_COLUMNS,
  // --max-rate (run/max-rate.ts): on the rows of the unpaced cell the search started from.
  'max_rate_per_s', 'max_rate_p99_bound_ms',
  // Cost per message and the resource that limited the repetition (measure/cost.ts, measure/bottleneck.ts).
  ...COST_COLUMNS,
] as const;

type Row = Record<string, string | number | null>;

const round = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? null : Math.round(v * 10 ** digits) / 10 ** digits);

/** A cell's axes (cell-labels.ts axisColumns, which the chart CSVs use) under summary.csv's own names. */
function summaryAxisColumns(cell: Cell): Row {
  const { size_bytes, rate_msg_per_s, channels_per_connection, ...same } = axisColumns(cell);
  return { ...same, size: size_bytes, rate_per_s: rate_msg_per_s, channels: channels_per_connection };
}

function countColumns(c: IntegrityCounts): Row {
  return {
    sent: c.sent, confirmed: c.confirmed, nacked: c.nacked, unknown: c.unknown, received: c.received,
    duplicates: c.duplicates, lost: c.lost, out_of_order: c.outOfOrder, missing: c.missing,
    recovered: c.recovered, redelivered: c.redelivered, unexpected: c.unexpected,
  };
}

function latencyColumns(prefix: 'publish' | 'e2e', l: LatencySummary | null): Row {
  return {
    [`${prefix}_p50_us`]: l?.p50Us ?? null,
    [`${prefix}_p99_us`]: l?.p99Us ?? null,
    [`${prefix}_p999_us`]: l?.p999Us ?? null,
    [`${prefix}_max_us`]: l?.maxUs ?? null,
    [`${prefix}_count`]: l?.count ?? null,
    [`${prefix}_mean_us`]: l?.meanUs ?? null,
  };
}

function spreadColumns(name: string, s: RateSpread | null): Row {
  return {
    [name]: round(s?.median),
    [`${name}_min`]: round(s?.min),
    [`${name}_max`]: round(s?.max),
    [`${name}_ci95_low`]: round(s?.ci95Low),
    [`${name}_ci95_high`]: round(s?.ci95High),
    [`${name}_ci95_too_wide`]: s && s.ci95Low !== null ? String(Boolean(s.ci95TooWide)) : null,
  };
}

function faultColumns(r: CellResult): Row {
  const f = r.fault;
  if (!f) return {};
  const ran = r.status === 'ok';
  return {
    fault: r.cell.fault ?? f.kind,
    ok: ran ? f.ok : null,
    fail: ran ? f.fail : null,
    attempted: ran ? f.attempted : null,
    fault_sent_at: ran ? f.sentAtInjection : null,
    fault_node: f.node ?? null,
    fault_recovery_s: ran ? round(f.recoverySeconds, 3) : null,
    fault_producers_cut: ran ? f.producersCut : null,
    fault_after: f.after,
    fault_reconnects: ran ? f.reconnects : null,
    fault_resume_s: ran && f.resumeSeconds !== null ? round(f.resumeSeconds, 3) : null,
    fault_queue_unavailable_s: ran && f.queueUnavailableSeconds != null ? round(f.queueUnavailableSeconds, 3) : null,
    fault_queue_gone: ran ? String(f.queueGone != null) : null,
    fault_drained: ran ? f.drained : null,
    fault_verdict: verdictOf(r),
    ...beforeFaultColumns(repetitionFigures(r).beforeFault),
  };
}

function beforeFaultColumns(b: RepetitionFigures['beforeFault']): Row {
  if (!b) return {};
  return { fault_before_s: round(b.seconds, 3), fault_before_sent_per_s: round(b.sentPerS), fault_before_confirmed_per_s: round(b.confirmedPerS), fault_before_consumed_per_s: round(b.consumedPerS) };
}

export function repetitionRow(r: CellResult): Row {
  const f = repetitionFigures(r);
  return {
    ...summaryAxisColumns(r.cell),
    repetition: r.repetition,
    status: r.status,
    reason: r.reason ?? null,
    ...(f.counts ? countColumns(f.counts) : {}),
    sent_per_s: round(f.rates.sentPerS),
    confirmed_per_s: round(f.rates.confirmedPerS),
    consumed_per_s: round(f.rates.consumedPerS),
    ...latencyColumns('publish', f.publishLatency),
    ...latencyColumns('e2e', f.e2eLatency),
    client_cpu_pct: f.clientCpuPct,
    client_bound: f.clientBound === null ? null : String(f.clientBound),
    send_window_s: round(f.window?.sendSeconds, 3),
    confirm_window_s: round(f.window?.confirmSeconds, 3),
    consume_window_s: round(f.window?.consumeSeconds, 3),
    ...faultColumns(r),
    due_by_deadline: r.behindSchedule?.due ?? null,
    due_unsent: r.behindSchedule?.unsent ?? null,
    ...steadyColumns(r),
    max_rate_per_s: r.maxRate?.ratePerS ?? null,
    max_rate_p99_bound_ms: r.maxRate?.p99BoundMs ?? null,
    ...costColumns(r),
  };
}

function costColumns(r: CellResult): Row {
  const c = r.cost;
  if (!c || r.status !== 'ok') return {};
  return {
    client_cpu_us_per_msg: c.clientCpuUsPerMsg,
    broker_cpu_us_per_msg: c.brokerCpuUsPerMsg,
    fsyncs_per_1k: c.fsyncsPer1k,
    disk_bytes_per_msg: c.diskBytesPerMsg,
    broker_rss_peak_mib: c.brokerRssPeakMib,
    metrics_source: c.metricsSource,
    bottleneck: r.bottleneck?.verdict ?? null,
  };
}

/** Over the ok repetitions of a cell: each cost figure's median, the distinct verdicts and sources. */
function costAggregateColumns(results: readonly CellResult[]): Row {
  const ok = results.filter((r) => r.status === 'ok' && r.cost);
  if (!ok.length) return {};
  const med = (key: 'clientCpuUsPerMsg' | 'brokerCpuUsPerMsg' | 'fsyncsPer1k' | 'diskBytesPerMsg' | 'brokerRssPeakMib') => {
    const values = ok.map((r) => r.cost![key]).filter((v): v is number => v !== null);
    return values.length ? round(median(values)) : null;
  };
  const distinct = (values: Array<string | undefined>) => [...new Set(values.filter(Boolean))].join(' ') || null;
  return {
    client_cpu_us_per_msg: med('clientCpuUsPerMsg'),
    broker_cpu_us_per_msg: med('brokerCpuUsPerMsg'),
    fsyncs_per_1k: med('fsyncsPer1k'),
    disk_bytes_per_msg: med('diskBytesPerMsg'),
    broker_rss_peak_mib: med('brokerRssPeakMib'),
    metrics_source: distinct(ok.map((r) => r.cost!.metricsSource)),
    bottleneck: distinct(ok.map((r) => r.bottleneck?.verdict)),
  };
}

/** The aggregate row of a cell: repetition `all`, rates as median with min, max and 95% CI; cost figures as medians. */
export function aggregateRow(a: CellAggregate, results: readonly CellResult[] = []): Row {
  return {
    ...summaryAxisColumns(a.cell),
    repetition: 'all',
    status: a.failed ? `ok (${a.failed} failed)` : 'ok',
    fault: a.cell.fault ?? null,
    ...countColumns(a.counts),
    ...spreadColumns('sent_per_s', a.rates.sentPerS),
    ...spreadColumns('confirmed_per_s', a.rates.confirmedPerS),
    ...spreadColumns('consumed_per_s', a.rates.consumedPerS),
    ...latencyColumns('publish', a.publishLatency),
    ...latencyColumns('e2e', a.e2eLatency),
    client_cpu_pct: a.clientCpuPct,
    max_rate_per_s: a.maxRate?.ratePerS ?? null,
    max_rate_p99_bound_ms: a.maxRate?.p99BoundMs ?? null,
    ...costAggregateColumns(results),
  };
}

export function summaryCsv(run: RunFile): string {
  const rows: Row[] = [];
  const aggregates = new Map(run.aggregates.map((a) => [a.cell.id, a]));
  const seen = new Set<string>();
  for (const r of run.cells) {
    rows.push(repetitionRow(r));
    seen.add(r.cell.id);
  }
  // Aggregate rows follow the repetition rows, in cell order, only where there are repetitions to sum up.
  if (run.scenario.window.repetitions > 1) {
    for (const id of seen) if (aggregates.has(id)) rows.push(aggregateRow(aggregates.get(id)!, run.cells.filter((r) => r.cell.id === id)));
  }
  return stringify(rows, { header: true, columns: [...SUMMARY_COLUMNS, ...EXTRA_COLUMNS] });
}

/**
 * Per second: sent, confirmed, consumed, and the row's true length in `seconds` (the last row is
 * usually part of a second: divide by it for a rate). On the row that ends each minute of the window (and on the
 * last row), the latency percentiles of that minute, merged over workers; empty elsewhere.
 */
export function timelineCsv(run: RunFile): string {
  const rows = run.cells.flatMap((r) => {
    const intervals = r.latencyIntervals ?? [];
    return r.timeline.map((t, i) => {
      const last = i === r.timeline.length - 1;
      const interval = intervals.find((m) => m.endSecond === t.second) ?? (last ? intervals.find((m) => m.endSecond > t.second) : undefined);
      return {
        cell: r.cell.id,
        repetition: r.repetition,
        ...t,
        interval_publish_p50_us: interval?.publish?.p50Us ?? null,
        interval_publish_p99_us: interval?.publish?.p99Us ?? null,
        interval_e2e_p50_us: interval?.e2e?.p50Us ?? null,
        interval_e2e_p99_us: interval?.e2e?.p99Us ?? null,
      };
    });
  });
  return stringify(rows, {
    header: true,
    columns: ['cell', 'repetition', 'second', 'sent', 'confirmed', 'consumed', 'interval_publish_p50_us', 'interval_publish_p99_us', 'interval_e2e_p50_us', 'interval_e2e_p99_us', 'seconds'],
  });
}

/** histograms/<cell>.<publish|e2e>.hgrm (percentile distribution, µs) and .hdr (encoded, mergeable). */
export function writeHistogramFiles(dir: string, aggregates: CellAggregate[]): void {
  for (const a of aggregates) {
    for (const kind of ['publish', 'e2e'] as const) {
      const encoded = a.histograms[kind];
      if (!encoded) continue;
      writeFileAtomic(join(dir, 'histograms', `${a.cell.id}.${kind}.hgrm`), percentileDistribution(decodeHistogram(encoded)));
      writeFileAtomic(join(dir, 'histograms', `${a.cell.id}.${kind}.hdr`), `${encoded}\n`);
    }
  }
}
