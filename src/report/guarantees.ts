// The guarantees matrix (docs/architecture.md#charts-and-the-report) of a fault run: per publish mode and fault, how many
// confirmed messages were lost, how many got no answer (unknown) and how many were delivered twice,
// beside the throughput the mode costs: the cell's own rate without a fault when the run measured one
// (faults --baseline), else its rate from the first send until the fault. Rows in, spec and table out.

import type { TopLevelSpec } from 'vega-lite';
import type { CellResult, FaultOutcome, RunFile } from '../run/result.js';
import { headlineOfRates } from '../measure/headline.js';
import { promisesNoLoss, verdictOf, type Verdict } from '../run/guarantees.js';
import { consumeLabel, parsePublishMode, publishLabel } from '../scenario/modes.js';
import { withoutFault } from '../scenario/faults.js';
import { DURABILITIES, type Cell } from '../scenario/types.js';
import { axisColumns, cellLabel, comparePublishModes, compareCells, groupLabel, varyingAxes, type AxisColumns } from './cell-labels.js';
import { CHART_BASE } from './chart-base.js';
import { durabilityOpacityEncoding, modeColorEncoding } from './palette.js';

export const GUARANTEE_MEASURES = ['lost', 'unknown', 'duplicated', 'throughput'] as const;
export type GuaranteeMeasure = (typeof GUARANTEE_MEASURES)[number];

/** Column headers of the chart: what each count is, with its unit. */
export const GUARANTEE_HEADERS: Readonly<Record<GuaranteeMeasure, string>> = {
  lost: 'lost (messages)',
  unknown: 'unknown (messages)',
  duplicated: 'duplicated (messages)',
  throughput: 'throughput (msg/s)',
};

export type ThroughputSource = 'baseline' | 'before the fault';

export interface GuaranteeRow extends AxisColumns {
  group: string;
  label: string;
  repetition: number;
  measure: GuaranteeMeasure;
  value: number;
  /** The value as drawn above its bar. */
  value_label: string;
  /** Where the throughput comes from (the same for the cell's four rows). */
  throughput_source: ThroughputSource;
  throughput_measure: 'consumed' | 'confirmed' | 'sent';
  verdict: Verdict;
}

type FaultResult = CellResult & { fault: FaultOutcome };

/** Fault cells that ran to the end: failed ones go to the table with their reason, never to the chart. */
export function faultResults(run: RunFile): FaultResult[] {
  return run.cells.filter((r): r is FaultResult => r.fault !== undefined);
}

/** The headline rate (measure/headline.ts) of a plain result or of a fault's before-fault window. */
function headline(rates: { consumedPerS: number | null; confirmedPerS: number | null; sentPerS: number }): { measure: GuaranteeRow['throughput_measure']; value: number } {
  const { figure, value } = headlineOfRates(rates);
  return { measure: figure, value };
}

/** The throughput a fault cell's modes cost: the baseline result of the same cell (median), else before the fault. */
export function costOf(run: RunFile, result: FaultResult): { source: ThroughputSource; measure: GuaranteeRow['throughput_measure']; value: number; seconds?: number } | null {
  const baseId = withoutFault(result.cell).id;
  const baselines = run.cells.filter((r) => r.fault === undefined && r.status === 'ok' && r.cell.id === baseId);
  if (baselines.length) {
    const picked = baselines.map((r) => headline(r.rates));
    const values = picked.map((p) => p.value).sort((a, b) => a - b);
    return { source: 'baseline', measure: picked[0].measure, value: Math.round(values[Math.floor(values.length / 2)]) };
  }
  const before = result.fault.beforeFault;
  if (!before) return null;
  const h = headline(before);
  return { source: 'before the fault', measure: h.measure, value: Math.round(h.value), seconds: before.seconds };
}

function faultCells(run: RunFile): Cell[] {
  return faultResults(run).map((r) => r.cell);
}

export function guaranteeRows(run: RunFile): GuaranteeRow[] {
  const ran = faultResults(run).filter((r) => r.status === 'ok');
  const varying = varyingAxes(faultCells(run));
  const sorted = [...ran].sort((a, b) => compareCells(a.cell, b.cell, varying) || a.repetition - b.repetition);
  const rows: GuaranteeRow[] = [];
  for (const r of sorted) {
    const cost = costOf(run, r);
    // The fault always names the row, even when the run has only one.
    const group = [r.cell.fault ?? r.fault.kind, groupLabel(r.cell, varying.filter((axis) => axis !== 'fault'))].filter(Boolean).join(' · ');
    const columns = { ...axisColumns(r.cell), group, label: cellLabel(r.cell, varying), repetition: r.repetition };
    const common = {
      throughput_source: cost?.source ?? 'before the fault',
      throughput_measure: cost?.measure ?? 'sent',
      verdict: verdictOf(r),
    } as const;
    const values: Record<GuaranteeMeasure, number> = {
      lost: r.fault.lost,
      unknown: r.fault.unknown,
      duplicated: r.fault.duplicated,
      throughput: cost?.value ?? 0,
    };
    for (const measure of GUARANTEE_MEASURES) {
      rows.push({ ...columns, measure, value: values[measure], value_label: values[measure].toLocaleString('en-US'), ...common });
    }
  }
  return rows;
}

const PANEL_WIDTH = 160;

/** The id of a fault cell's details on the report page; the matrix's bars and table rows link to it. */
export function faultDetailsId(cellId: string, repetition: number): string {
  return `fault-${cellId}-r${repetition}`;
}

/** faultDetailsId as a Vega expression over a guarantee row, for the bars' links. */
const DETAILS_HREF_EXPR = "'#fault-' + datum.cell + '-r' + datum.repetition";

export function guaranteesSpec(rows: readonly GuaranteeRow[]): TopLevelSpec {
  const groups = [...new Set(rows.map((row) => row.group))];
  // Fixed mode order (none, single, batch, async, tx), then by size or window.
  const publishOrder = [...new Set(rows.map((row) => row.publish))].sort((a, b) => comparePublishModes(parsePublishMode(a), parsePublishMode(b)));
  const sources = new Set(rows.map((row) => row.throughput_source));
  const source = sources.size === 1 && sources.has('baseline') ? 'each cell run without a fault' : sources.has('baseline') ? 'a run without a fault where there is one, else until the fault' : 'each cell until the fault';
  const column = {
    field: 'measure',
    type: 'nominal' as const,
    title: null,
    sort: [...GUARANTEE_MEASURES],
    header: { labelExpr: `{${GUARANTEE_MEASURES.map((m) => `'${m}': '${GUARANTEE_HEADERS[m]}'`).join(', ')}}[datum.value]`, labelFontWeight: 'bold' as const },
  };
  const row = groups.length > 1 || groups[0] !== ''
    ? {
        field: 'group',
        type: 'nominal' as const,
        title: null,
        sort: groups,
        // One line per part (fault, queue, consume...), so the label column stays narrow.
        header: {
          labelAngle: 0,
          labelOrient: 'left' as const,
          labelAlign: 'right' as const,
          labelExpr: "split(datum.value, ' · ')",
          labelLimit: 220,
          labelFontWeight: 'bold' as const,
        },
      }
    : null;
  const x = { field: 'publish', type: 'nominal' as const, sort: publishOrder, title: 'publish mode', axis: { labelAngle: -35 } };
  const xOffset = { field: 'durability', type: 'nominal' as const, sort: [...DURABILITIES], scale: { domain: [...DURABILITIES] } };
  return {
    ...CHART_BASE,
    title: {
      text: 'Guarantees matrix',
      subtitle: [
        'per publish mode: lost = confirmed and never received; unknown = no answer before the connection died; duplicated = delivered again',
        `throughput: headline rate (consumed/s, else confirmed/s) of ${source}`,
      ],
    },
    data: { values: rows as object[] },
    transform: [{ calculate: DETAILS_HREF_EXPR, as: 'details' }],
    facet: row ? { row, column } : { column },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: PANEL_WIDTH,
      height: 130,
      encoding: {
        y: { field: 'value', type: 'quantitative', title: null, axis: { tickCount: 4, tickMinStep: 1, format: ',~r', minExtent: 40 }, scale: { domainMin: 0, nice: true } },
      },
      layer: [
        {
          // Keeps every panel's scale at least 0..1: a panel of zeros would otherwise have no extent.
          mark: { type: 'rule', opacity: 0 },
          encoding: { y: { datum: 1 } },
        },
        {
          mark: { type: 'bar' },
          encoding: {
            x,
            xOffset,
            color: modeColorEncoding('publish_kind', rows.map((r) => r.publish_kind)),
            opacity: durabilityOpacityEncoding('durability'),
            href: { field: 'details', type: 'nominal' },
            tooltip: [
              { field: 'label', title: 'cell' },
              { field: 'measure' },
              { field: 'value', title: 'value', format: ',.0f' },
              { field: 'throughput_source', title: 'throughput from' },
              { field: 'verdict' },
            ],
          },
        },
        {
          // The number above each bar: a zero has no bar, and a zero is the point.
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 7, color: '#333' },
          encoding: { x, xOffset, text: { field: 'value_label', type: 'nominal' } },
        },
      ],
    },
  };
}

/** One row of the guarantees table of the report. */
export interface GuaranteeTableRow {
  cellId: string;
  repetition: number;
  durability: string;
  publish: string;
  consume: string;
  queue: string;
  fault: string;
  /** On a cluster: the node the fault hit, and the queue's leader before and after. */
  node: string | null;
  /**
   * after: continue: how many connections the clients opened again, and when publishing resumed; and
   * a queue that did not answer after recovery.
   */
  resumed: string | null;
  status: CellResult['status'];
  reason: string | null;
  counts: Pick<FaultOutcome, 'attempted' | 'ok' | 'fail' | 'unknown' | 'lost' | 'recovered' | 'duplicated' | 'unexpected'> | null;
  /** seconds: the length of the window before the fault, when that is the source. */
  throughput: { value: number; source: ThroughputSource; measure: string; seconds?: number } | null;
  promised: boolean;
  verdict: Verdict;
}

/**
 * `after: continue`: "2 reconnects; publishing again 6.15 s after the fault", or why not; and a queue
 * that did not answer after the node came back (the node was restarted once more).
 */
function resumedNote(f: FaultOutcome): string | null {
  const notes: string[] = [];
  if (f.queueUnavailableSeconds != null) notes.push(`queue 404 NOT_FOUND for ${f.queueUnavailableSeconds.toFixed(0)} s after recovery; node restarted once more`);
  if (f.queueGone) notes.push('queue still 404 after that restart: nothing to drain, its messages count as lost');
  if (f.after === 'continue') {
    const reconnects = `${f.reconnects} reconnect${f.reconnects === 1 ? '' : 's'}`;
    notes.push(f.resumeSeconds === null ? `${reconnects}; no producer had to publish again` : `${reconnects}; publishing again ${f.resumeSeconds.toFixed(2)} s after the fault`);
  }
  return notes.length ? notes.join('; ') : null;
}

export function guaranteeTable(run: RunFile): GuaranteeTableRow[] {
  const results = faultResults(run);
  const varying = varyingAxes(results.map((r) => r.cell));
  return [...results]
    .sort((a, b) => compareCells(a.cell, b.cell, varying) || a.repetition - b.repetition)
    .map((r) => {
      const f = r.fault;
      const leader = f.leader ? ` (queue leader ${f.leader}${f.leaderAfter && f.leaderAfter !== f.leader ? ` -> ${f.leaderAfter}` : ''})` : '';
      const cost = r.status === 'ok' ? costOf(run, r) : null;
      return {
        cellId: r.cell.id,
        repetition: r.repetition,
        durability: r.cell.durability,
        publish: publishLabel(r.cell.publish),
        consume: consumeLabel(r.cell.consume),
        queue: r.cell.queue,
        fault: r.cell.fault ?? f.kind,
        // Worth a line only on a cluster, where which node died (and whether it held the leader) matters.
        node: f.node && run.faultBroker?.kind === 'cluster' ? `${f.node}${leader}` : null,
        resumed: resumedNote(f),
        status: r.status,
        reason: r.reason ?? null,
        counts:
          r.status === 'ok'
            ? { attempted: f.attempted, ok: f.ok, fail: f.fail, unknown: f.unknown, lost: f.lost, recovered: f.recovered, duplicated: f.duplicated, unexpected: f.unexpected }
            : null,
        throughput: cost ? { value: cost.value, source: cost.source, measure: cost.measure, ...(cost.seconds === undefined ? {} : { seconds: cost.seconds }) } : null,
        promised: promisesNoLoss(r.cell),
        verdict: verdictOf(r),
      };
    });
}
