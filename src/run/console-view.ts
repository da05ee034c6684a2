// What a run shows while it goes: a progress bar per cell on a terminal (cli-progress), plain lines
// otherwise, NDJSON events with --json; then a table of the figures and where the files are.

import cliProgress from 'cli-progress';
import { channelsOf } from '../scenario/matrix.js';
import { publishLabel, consumeLabel } from '../scenario/modes.js';
import type { RunEvent } from './run-scenario.js';
import type { CellResult, RunFile } from './result.js';

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

export function resultTable(run: RunFile): string {
  const header = ['cell', 'status', 'sent/s', 'confirmed/s', 'consumed/s', 'pub p50 µs', 'pub p99 µs', 'e2e p50 µs', 'e2e p99 µs', 'lost', 'dup', 'cpu %'];
  const rows = run.cells.map((r: CellResult) => [
    `${r.cell.client} ${r.cell.durability} ${publishLabel(r.cell.publish)} ${consumeLabel(r.cell.consume)} ${r.cell.queue}${r.cell.producers + r.cell.consumers > 2 ? ` p${r.cell.producers}c${r.cell.consumers}` : ''}${channelsOf(r.cell) > 1 ? ` ch${channelsOf(r.cell)}` : ''}${r.cell.rate ? ` @${r.cell.rate}/s` : ''}${run.scenario.window.repetitions > 1 ? ` r${r.repetition}` : ''}`,
    r.status === 'ok' ? (r.clientBound ? 'ok*' : 'ok') : r.status,
    r.status === 'ok' ? fmt(r.rates.sentPerS) : '',
    fmt(r.rates.confirmedPerS),
    fmt(r.rates.consumedPerS),
    fmt(r.publishLatency?.p50Us),
    fmt(r.publishLatency?.p99Us),
    fmt(r.e2eLatency?.p50Us),
    fmt(r.e2eLatency?.p99Us),
    r.status === 'ok' ? String(r.counts.lost) : '',
    r.status === 'ok' ? String(r.counts.duplicates) : '',
    r.status === 'ok' ? fmt(r.clientCpuPct) : '',
  ]);
  return textTable(header, rows);
}

export function createConsoleView(options: { json: boolean; stream?: NodeJS.WriteStream }): ConsoleView {
  const err = options.stream ?? process.stderr;
  if (options.json) {
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
  const tty = Boolean(err.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  return {
    event(e) {
      switch (e.type) {
        case 'run-start':
          err.write(`ackbench: ${e.cells} cells x ${e.repetitions} repetitions against ${e.broker}\nresults: ${e.dir}\n`);
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
        case 'cell-result': {
          bar?.stop();
          bar = null;
          const r = e.result;
          const headline = r.rates.consumedPerS ?? r.rates.confirmedPerS ?? r.rates.sentPerS;
          const f = r.fault;
          const counts = f
            ? `attempted ${f.attempted}, ok ${f.ok}, unknown ${f.unknown}, lost ${f.lost}, recovered ${f.recovered}, duplicated ${f.duplicated}`
            : `lost ${r.counts.lost}`;
          const detail = r.status === 'ok' ? `${fmt(headline)} msg/s, ${counts}` : `${r.status}: ${r.reason}`;
          err.write(`[${e.index}/${e.total}] ${r.cell.id} r${r.repetition}: ${detail}\n`);
          break;
        }
        case 'max-rate': {
          bar?.stop();
          bar = null;
          const s = e.search;
          const probes = s.probes.map((p) => `${fmt(p.ratePerS)} ${p.held ? 'held' : `not (${p.reason})`}`).join('; ');
          err.write(`max rate ${e.cell}: ${s.ratePerS === null ? 'none held' : `${fmt(s.ratePerS)} msg/s`} (e2e p99 <= ${s.p99BoundMs} ms, backlog bounded; unpaced consumed ${fmt(s.unpacedConsumedPerS)} msg/s); probes: ${probes}\n`);
          break;
        }
        case 'run-end':
          break;
      }
    },
    note: (line) => {
      bar?.stop();
      err.write(`${line}\n`);
    },
    finish(run, dir, problems) {
      process.stdout.write(`\n${resultTable(run)}\n`);
      process.stdout.write(`\nrates over each cell's measured window (first measured send to last send / confirm / delivery), monotonic clock; latency percentiles from HdrHistograms in µs; * = client-bound\n`);
      if (!run.complete) process.stdout.write('run incomplete: run.json has complete: false; continue with --resume\n');
      for (const p of problems) process.stdout.write(`problem: ${p}\n`);
      process.stdout.write(`files: ${dir} (run.json, summary.csv, timeline.csv, histograms/, index.html)\n`);
    },
  };
}
