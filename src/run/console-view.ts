// What a run shows while it goes: a progress bar per cell on a terminal (cli-progress), plain lines
// otherwise, NDJSON events with --json; then a table of the figures and where the files are.

import cliProgress from 'cli-progress';
import { headlineOfRates } from '../measure/headline.js';
import { channelsOf, deduplicationOf } from '../scenario/matrix.js';
import { publishLabel, consumeLabel } from '../scenario/modes.js';
import type { RunEvent } from './run-scenario.js';
import type { CellResult, RunFile } from './result.js';
import type { Cell } from '../scenario/types.js';
import { repetitionFigures, type RepetitionFigures } from '../report/repetition-figures.js';
import { median } from '../stats/spread.js';
import { wideIntervalNotes } from '../stats/interval-notes.js';
import { behindScheduleNote } from './behind-schedule.js';

export interface ConsoleView {
  event: (e: RunEvent) => void;
  note: (line: string) => void;
  finish: (run: RunFile, dir: string, problems: string[]) => void;
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Cost per message and the verdict (measure/bottleneck.ts); empty where not measured. */
function costCells(r: CellResult): string[] {
  const c = r.status === 'ok' ? r.cost : undefined;
  return [fmt(c?.clientCpuUsPerMsg, 1), fmt(c?.brokerCpuUsPerMsg, 1), fmt(c?.fsyncsPer1k, 1), fmt(c?.diskBytesPerMsg), r.status === 'ok' ? (r.bottleneck?.verdict ?? '') : ''];
}

/** How the table names a cell: its axes, then a suffix (the repetition, or the median row's). */
function cellLabel(cell: Cell, suffix: string): string {
  return `${cell.client} ${cell.durability} ${publishLabel(cell.publish)} ${consumeLabel(cell.consume)} ${cell.queue}${cell.producers + cell.consumers > 2 ? ` p${cell.producers}c${cell.consumers}` : ''}${channelsOf(cell) > 1 ? ` ch${channelsOf(cell)}` : ''}${deduplicationOf(cell) === 'on' ? ' dedup' : ''}${cell.rate ? ` @${cell.rate}/s` : ''}${suffix}`;
}

/** Rates as the table shows them: the whole measured window, or (fault cells) until the fault. */
interface ShownRates {
  window: string;
  sentPerS: number | null | undefined;
  confirmedPerS: number | null | undefined;
  consumedPerS: number | null | undefined;
}

/** Fault cells: all three rates over the same window, from the first send until the fault. */
function beforeFaultRates(b: NonNullable<RepetitionFigures['beforeFault']>): ShownRates {
  return { window: `to fault ${b.seconds.toFixed(2)} s`, sentPerS: b.sentPerS, confirmedPerS: b.confirmedPerS, consumedPerS: b.consumedPerS };
}

export function resultTable(run: RunFile): string {
  // A fault run's rates are over two kinds of window: a column names each row's.
  const windows = run.cells.some((r) => r.fault !== undefined);
  const header = ['cell', 'status', ...(windows ? ['rates over'] : []), 'sent/s', 'confirmed/s', 'consumed/s', 'pub p50 µs', 'pub p99 µs', 'e2e p50 µs', 'e2e p99 µs', 'lost', 'dup', 'cpu %', 'cli µs/msg', 'brk µs/msg', 'fsync/1k', 'B/msg', 'limit'];
  const repeated = run.scenario.window.repetitions > 1;
  const rows: string[][] = [];
  const row = (label: string, status: string, rates: ShownRates, rest: string[]) => [
    label,
    status,
    ...(windows ? [rates.window] : []),
    fmt(rates.sentPerS),
    fmt(rates.confirmedPerS),
    fmt(rates.consumedPerS),
    ...rest,
  ];
  run.cells.forEach((r: CellResult, i) => {
    // The same figures as summary.csv's row (repetition-figures.ts): none for a repetition that failed.
    const f = repetitionFigures(r);
    const rates = f.beforeFault ? beforeFaultRates(f.beforeFault) : { window: f.window ? 'whole window' : '', ...f.rates };
    rows.push(
      row(cellLabel(r.cell, repeated ? ` r${r.repetition}` : ''), r.status === 'ok' ? (r.clientBound ? 'ok*' : 'ok') : r.status, rates, [
        fmt(f.publishLatency?.p50Us),
        fmt(f.publishLatency?.p99Us),
        fmt(f.e2eLatency?.p50Us),
        fmt(f.e2eLatency?.p99Us),
        f.counts ? String(f.counts.lost) : '',
        f.counts ? String(f.counts.duplicates) : '',
        fmt(f.clientCpuPct),
        ...costCells(r),
      ]),
    );
    // With repetitions, each cell's median row follows its last repetition (as summary.csv's `all` row).
    const a = repeated && run.cells[i + 1]?.cell.id !== r.cell.id ? run.aggregates.find((x) => x.cell.id === r.cell.id) : undefined;
    if (!a) return;
    const before = run.cells.filter((x) => x.cell.id === r.cell.id && x.status === 'ok' && x.fault?.beforeFault).map((x) => x.fault!.beforeFault!);
    const medianOf = (pick: (b: (typeof before)[number]) => number | null) => {
      const values = before.map(pick).filter((v): v is number => v !== null);
      return values.length ? median(values) : null;
    };
    const medianRates: ShownRates = before.length
      ? { window: 'to fault', sentPerS: medianOf((b) => b.sentPerS), confirmedPerS: medianOf((b) => b.confirmedPerS), consumedPerS: medianOf((b) => b.consumedPerS) }
      : { window: 'whole window', sentPerS: a.rates.sentPerS.median, confirmedPerS: a.rates.confirmedPerS?.median, consumedPerS: a.rates.consumedPerS?.median };
    rows.push(
      row(cellLabel(a.cell, ' median'), `${a.repetitions} ok${a.failed ? `, ${a.failed} failed` : ''}`, medianRates, [
        fmt(a.publishLatency?.p50Us),
        fmt(a.publishLatency?.p99Us),
        fmt(a.e2eLatency?.p50Us),
        fmt(a.e2eLatency?.p99Us),
        String(a.counts.lost),
        String(a.counts.duplicates),
        fmt(a.clientCpuPct),
        '', '', '', '', '',
      ]),
    );
  });
  return textTable(header, rows);
}

/** "shard 1/2 of group quick-2". */
function shardLabel(s: { index: number; count: number; group: string }): string {
  return `shard ${s.index}/${s.count} of group ${s.group}`;
}

/** The table as `run` and `merge` print it: the rows, what their figures are, and the notes. */
export function tableWithNotes(run: RunFile): string {
  const lines = [
    '',
    ...(run.shard ? [`${shardLabel(run.shard)}: this shard's own figures (combine the shards with ackbench merge)`] : []),
    resultTable(run),
    // Why a cell has no figures, right under the table (run.json and the report say it too).
    ...run.cells.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.cell.id} r${r.repetition}: ${r.reason ?? 'no reason recorded'}`),
    '',
    "rates over each cell's measured window (first measured send to last send / confirm / delivery), monotonic clock; latency percentiles from HdrHistograms in µs; * = client-bound (a worker thread busy 90%+ of its window); cli / brk µs/msg: client / broker CPU per message sent, fsync/1k: broker fsyncs per 1000 messages, B/msg: bytes the broker wrote to its message files, limit: the resource that limited the cell (run.json: bottleneck.evidence)",
    ...tableNotes(run).map((line) => `note: ${line}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Lines under the table: what a row's figures leave out, or where a spread means little. */
export function tableNotes(run: RunFile): string[] {
  const notes: string[] = [];
  if (run.scenario.window.repetitions > 1) notes.push('median rows: rates are medians over the ok repetitions, latency from their merged histograms, lost and dup summed');
  if (run.cells.some((r) => r.fault !== undefined)) {
    notes.push(
      "fault cells: sent/s, confirmed/s and consumed/s from the first measured send until the fault was injected (\"to fault\"), all three over that one window; their rates over the whole window hold the outage, the recovery and the drain, and are not comparable with these (summary.csv: sent_per_s..., beside fault_before_*)",
    );
  }
  for (const r of run.cells) {
    const line = behindScheduleNote(r.cell.id, r.repetition, r.behindSchedule);
    if (line) notes.push(line);
  }
  for (const a of run.aggregates) notes.push(...wideIntervalNotes(a));
  return notes;
}

/** --json: every event as a line of NDJSON on stdout. */
function jsonConsoleView(): ConsoleView {
  let lastProgress = 0;
  return {
    event(e) {
      if (e.type === 'progress') {
        // One progress line a second is plenty for a consumer of the stream.
        const now = Date.now();
        if (now - lastProgress < 1000) return;
        lastProgress = now;
      }
      process.stdout.write(`${JSON.stringify(e)}\n`);
    },
    note: (line) => process.stdout.write(`${JSON.stringify({ type: 'note', message: line })}\n`),
    finish: () => undefined,
  };
}

/** The line a finished repetition gets: its rate and counts, or why it did not run. */
function cellResultLine(e: Extract<RunEvent, { type: 'cell-result' }>): string {
  const r = e.result;
  const headline = headlineOfRates(r.rates).value;
  const f = r.fault;
  const counts = f
    ? `attempted ${f.attempted}, ok ${f.ok}, unknown ${f.unknown}, lost ${f.lost}, recovered ${f.recovered}, duplicated ${f.duplicated}`
    : `lost ${r.counts.lost}`;
  // A fault cell's rate is named with its window: before the fault, or the whole one with the outage.
  const rate = f ? faultRateLine(r) : `${fmt(headline)} msg/s`;
  const detail = r.status === 'ok' ? `${rate}, ${counts}` : `${r.status}: ${r.reason}`;
  return `[${e.index}/${e.total}] ${r.cell.id} r${r.repetition}: ${detail}\n`;
}

function maxRateLine(e: Extract<RunEvent, { type: 'max-rate' }>): string {
  const s = e.search;
  const probes = s.probes.map((p) => `${fmt(p.ratePerS)} ${p.held ? 'held' : `not (${p.reason})`}`).join('; ');
  return `max rate ${e.cell}: ${s.ratePerS === null ? 'none held' : `${fmt(s.ratePerS)} msg/s`} (e2e p99 <= ${s.p99BoundMs} ms, backlog bounded; unpaced consumed ${fmt(s.unpacedConsumedPerS)} msg/s); probes: ${probes}\n`;
}

export function createConsoleView(options: { json: boolean; stream?: NodeJS.WriteStream }): ConsoleView {
  const err = options.stream ?? process.stderr;
  if (options.json) return jsonConsoleView();
  const tty = Boolean(err.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  return {
    event(e) {
      switch (e.type) {
        case 'run-start':
          err.write(`ackbench: ${e.cells} cells x ${e.repetitions} repetitions against ${e.broker}${e.shard ? `, ${shardLabel(e.shard)}` : ''}\nresults: ${e.dir}\n`);
          break;
        case 'cell-start':
          if (tty) {
            bar = new cliProgress.SingleBar(
              { format: `[${e.index}/${e.total}] {cell} |{bar}| {value}/{total} msgs  {rate} msg/s`, hideCursor: true, clearOnComplete: true, stream: err },
              cliProgress.Presets.shades_classic,
            );
            bar.start(1, 0, { cell: e.cell, rate: 0 });
          } else {
            err.write(`[${e.index}/${e.total}] ${e.cell} r${e.repetition} ...\n`);
          }
          break;
        case 'progress':
          if (bar) {
            const done = e.consumed || e.confirmed || e.sent;
            bar.setTotal(e.total ?? Math.max(done, 1));
            bar.update(done, { rate: e.elapsedSeconds > 0 ? Math.round(done / e.elapsedSeconds) : 0 });
          }
          break;
        case 'cell-result':
          bar?.stop();
          bar = null;
          err.write(cellResultLine(e));
          break;
        case 'max-rate':
          bar?.stop();
          bar = null;
          err.write(maxRateLine(e));
          break;
        case 'run-end':
          break;
      }
    },
    note: (line) => {
      bar?.stop();
      err.write(`${line}\n`);
    },
    finish(run, dir, problems) {
      process.stdout.write(tableWithNotes(run));
      if (!run.complete) process.stdout.write('run incomplete: run.json has complete: false; continue with --resume\n');
      for (const p of problems) process.stdout.write(`problem: ${p}\n`);
      process.stdout.write(`files: ${dir} (run.json, summary.csv, timeline.csv, histograms/, index.html)\n`);
    },
  };
}

/** The headline rate of some rates (consumed, else confirmed, else sent), with its name and window. */
function headlineOf(rates: { sentPerS: number; confirmedPerS: number | null; consumedPerS: number | null }) {
  const { figure, value } = headlineOfRates(rates);
  return { measure: figure, value, window: HEADLINE_WINDOW[figure] };
}

const HEADLINE_WINDOW = { consumed: 'consumeSeconds', confirmed: 'confirmSeconds', sent: 'sendSeconds' } as const;

/** "consumed 1,341/s before the fault (1.49 s); consumed 89/s over the whole 22.40 s with the outage and drain". */
export function faultRateLine(r: CellResult): string {
  const whole = headlineOf(r.rates);
  const wholePart = `${whole.measure} ${fmt(whole.value)}/s over the whole ${fmt(r.window[whole.window], 2)} s with the outage and drain`;
  const b = r.fault?.beforeFault;
  if (!b) return wholePart;
  const before = headlineOf(b);
  return `${before.measure} ${fmt(before.value)}/s before the fault (${fmt(b.seconds, 2)} s); ${wholePart}`;
}
