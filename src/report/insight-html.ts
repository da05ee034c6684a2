// The report's reading aids as HTML: the written summary at the top, the price-of-each-guarantee
// table, and the details of each fault cell that the guarantees matrix links to. Pure: data in,
// SafeHtml out; every value from run.json goes through the escaping `html` template.

import { headlineOfRates } from '../measure/headline.js';
import type { CellResult, FaultOutcome, RunFile } from '../run/result.js';
import { publishLabel } from '../scenario/modes.js';
import { PUBLISH_KINDS, type PublishKind } from '../scenario/types.js';
import { cellLabel, varyingAxes } from './cell-labels.js';
import { formatOneDecimal, formatWhole, UNDEFINED_FIGURE } from './format.js';
import { faultDetailsId, faultResults } from './guarantees.js';
import { html, type SafeHtml } from './html-escape.js';
import { MODE_COLORS } from './palette.js';
import { COST_COLUMNS, costColumnsShown, formatRatio, priceEntries, type PriceEntry, type Ratio } from './price.js';
import type { FigureSource, SummaryPart, SummarySentence } from './written-summary.js';

function isPublishKind(value: string): value is PublishKind {
  return (PUBLISH_KINDS as readonly string[]).includes(value);
}

/** A dot in the mode's chart colour, so a table reads with the charts. */
export function modeSwatch(publish: string): SafeHtml {
  const kind = publish.split(':')[0];
  if (!isPublishKind(kind)) return html``;
  return html`<span class="swatch" style="background:${MODE_COLORS[kind]}" aria-hidden="true"></span>`;
}

/** The id of a cell's row in the summary table, for links from the other sections. */
export function summaryRowId(cellId: string): string {
  return `cell-${cellId}`;
}

function sourceAttributes(prefix: string, source: FigureSource): SafeHtml {
  return html` data-${prefix}file="${source.file}" data-${prefix}cell="${source.cell}" data-${prefix}repetition="${String(source.repetition)}" data-${prefix}column="${source.column}"${
    source.second !== undefined ? html` data-${prefix}second="${source.second}"` : ''
  }${source.scale !== undefined ? html` data-${prefix}scale="${source.scale}"` : ''}`;
}

function partHtml(part: SummaryPart): SafeHtml {
  if (typeof part === 'string') return html`${part}`;
  if (part.kind === 'figure') {
    return html`<span class="figure" data-unit="${part.unit}" data-value="${part.value}"${sourceAttributes('', part.source)}>${part.text}</span>`;
  }
  return html`<span class="figure ratio" data-unit="ratio" data-value="${part.value}"${sourceAttributes('num-', part.numerator)}${sourceAttributes('den-', part.denominator)} title="this cell's figure over the one it is compared with">${part.text}</span>`;
}

/** The written summary: one list item per topic, problems in red. */
export function writtenSummarySection(sentences: readonly SummarySentence[]): SafeHtml {
  if (sentences.length === 0) return html``;
  return html`<section id="at-a-glance">
    <h2>At a glance</h2>
    <ul class="glance">${sentences.map(
      (sentence) => html`<li data-topic="${sentence.topic}"${sentence.problem ? html` class="problem-line"` : ''}>${sentence.parts.map(partHtml)}</li>`,
    )}</ul>
    <p class="meta">Written from the figures below: rates are medians over repetitions (consumed/s, else confirmed/s, else sent/s),
      latencies come from the merged histograms; ÷2.9 means the figure is the compared cell's divided by 2.9.</p>
  </section>`;
}

function ratioText(ratio: Ratio | null | undefined): string {
  return ratio ? formatRatio(ratio.ratio) : UNDEFINED_FIGURE;
}

function ratioTitle(ratio: Ratio | null | undefined): string {
  return ratio ? `${formatWhole(ratio.numerator.value)} / ${formatWhole(ratio.denominator.value)}` : '';
}

const COST_HEADERS = new Map<string, string>(COST_COLUMNS);

/** Rows of a pivot: one per group and durability (or group alone), the publish modes across. */
interface PivotRow {
  key: string;
  labels: string[];
  byMode: Map<string, PriceEntry>;
}

function pivot(entries: readonly PriceEntry[], withDurability: boolean): { rows: PivotRow[]; modes: string[] } {
  const rows = new Map<string, PivotRow>();
  const modes: string[] = [];
  for (const entry of entries) {
    const labels = [entry.group, ...(withDurability ? [entry.cell.durability] : [])];
    const key = labels.join('\u0000');
    const row = rows.get(key) ?? { key, labels, byMode: new Map<string, PriceEntry>() };
    const mode = publishLabel(entry.cell.publish);
    row.byMode.set(mode, entry);
    rows.set(key, row);
    if (!modes.includes(mode)) modes.push(mode);
  }
  return { rows: [...rows.values()], modes };
}

function pivotTable(
  caption: string,
  entries: readonly PriceEntry[],
  withDurability: boolean,
  grouped: boolean,
  cell: (entry: PriceEntry) => SafeHtml,
): SafeHtml {
  const { rows, modes } = pivot(entries, withDurability);
  const labelHeaders = [...(grouped ? ['group'] : []), ...(withDurability ? ['durability'] : [])];
  return html`<div class="table-wrap price"><table>
    <caption>${caption}</caption>
    <thead><tr>${labelHeaders.map((name) => html`<th>${name}</th>`)}${modes.map((mode) => html`<th class="num">${modeSwatch(mode)}${mode}</th>`)}</tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr>${(grouped ? row.labels : row.labels.slice(1)).map((label) => html`<td class="axis">${label}</td>`)}${modes.map((mode) => {
        const entry = row.byMode.get(mode);
        return entry ? cell(entry) : html`<td class="num">${UNDEFINED_FIGURE}</td>`;
      })}</tr>`,
    )}</tbody>
  </table></div>`;
}

/** A ratio cell: the throughput ratio, the latency ratio beneath, each with its two figures as a tooltip. */
function ratioPair(entry: PriceEntry, throughput: Ratio | null | undefined, latency: Ratio | null | undefined, latencyName: string): SafeHtml {
  return html`<td class="num"><a href="#${summaryRowId(entry.cell.id)}" title="throughput ${ratioTitle(throughput)} msg/s">${ratioText(throughput)}</a><br><span class="range" title="${latencyName} ${ratioTitle(latency)} µs">${latencyName} ${ratioText(latency)}</span></td>`;
}

/** The price tables: each cell against the same cell with `none`, persistent against transient, and the cost per message. */
export function priceSection(run: RunFile): SafeHtml {
  const entries = priceEntries(run);
  const againstNone = entries.filter((entry) => entry.vsNone);
  const againstTransient = entries.filter((entry) => entry.vsTransient);
  if (againstNone.length === 0 && againstTransient.length === 0) return html``;
  const costs = costColumnsShown(entries);
  const grouped = new Set(entries.map((entry) => entry.group)).size > 1 || entries[0].group !== '';
  const costCell = (entry: PriceEntry) => {
    const [first, ...rest] = costs;
    const more = rest.map((column) => `${COST_HEADERS.get(column)} ${formatOneDecimal(entry.cost[column])}`).join(' · ');
    const verdict = entry.bottleneck.length ? ` · limit: ${entry.bottleneck.join(', ')}` : '';
    return html`<td class="num">${formatOneDecimal(entry.cost[first])}<br><span class="range">${more}${verdict}</span></td>`;
  };
  return html`<section id="price-table">
    <h2>Price of each guarantee (tables)</h2>
    <p class="meta">Each cell's figure over the same cell's (same durability, queue, client and load) with publish mode none, and a
      persistent cell's over the same cell transient: ÷2.9 means divided by 2.9, ×3.1 multiplied by 3.1. Throughput is the median
      headline rate, latency the end-to-end p99 of the merged histograms; hover a ratio for its two figures, click it for the cell's row.</p>
    ${againstNone.length ? pivotTable('What confirms cost: throughput, and end-to-end p99 beneath, against publish mode none', againstNone, true, grouped, (entry) => ratioPair(entry, entry.vsNone?.throughput, entry.vsNone?.e2eP99, 'p99')) : ''}
    ${againstTransient.length ? pivotTable('What persistence costs: throughput, and end-to-end p99 beneath, persistent against transient', againstTransient, false, grouped, (entry) => ratioPair(entry, entry.vsTransient?.throughput, entry.vsTransient?.e2eP99, 'p99')) : ''}
    ${costs.length ? pivotTable(`Broker-side cost per message: ${COST_HEADERS.get(costs[0])}, the other figures beneath (median over repetitions)`, entries, true, grouped, costCell) : ''}
  </section>`;
}

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? UNDEFINED_FIGURE : `${value.toFixed(2)} s`;
}

function faultFacts(result: CellResult & { fault: FaultOutcome }): Array<[string, string]> {
  const f = result.fault;
  const at = f.beforeFault?.seconds ?? f.atSeconds;
  const facts: Array<[string, string]> = [
    ['fault', `${f.kind}${f.atMessages !== null ? ` after ${formatWhole(f.atMessages)} measured messages` : ''}${f.atSeconds !== null ? ` at ${f.atSeconds} s` : ''}, then ${f.after}`],
    ['injected', `${seconds(at)} into the measured window, ${formatWhole(f.sentAtInjection)} messages sent`],
    ['broker back', `${seconds(f.recoverySeconds)} after the fault`],
    ['producers cut', formatWhole(f.producersCut)],
  ];
  if (f.after === 'continue') facts.push(['reconnects', `${formatWhole(f.reconnects)}; publishing again ${f.resumeSeconds === null ? 'not needed' : `${seconds(f.resumeSeconds)} after the fault`}`]);
  if (f.node) facts.push(['node', `${f.node}${f.leader ? ` (queue leader ${f.leader}${f.leaderAfter ? ` -> ${f.leaderAfter}` : ''})` : ''}`]);
  if (f.consumersKilled !== undefined) facts.push(['consumers killed', formatWhole(f.consumersKilled)]);
  if (f.queueUnavailableSeconds != null) facts.push(['queue unavailable', seconds(f.queueUnavailableSeconds)]);
  if (f.beforeFault) {
    const rate = headlineOfRates(f.beforeFault).value;
    facts.push(['before the fault', `${formatWhole(rate)} msg/s over ${seconds(f.beforeFault.seconds)}`]);
  }
  facts.push(['drained after recovery', `${formatWhole(f.drained)} messages`]);
  facts.push(['counts', `attempted ${formatWhole(f.attempted)} = ok ${formatWhole(f.ok)} + fail ${formatWhole(f.fail)} + unknown ${formatWhole(f.unknown)}; lost ${formatWhole(f.lost)}, recovered ${formatWhole(f.recovered)}, duplicated ${formatWhole(f.duplicated)}, unexpected ${formatWhole(f.unexpected)}`]);
  return facts;
}

/** One block per fault cell and repetition: what happened when, and links to its timeline and summary row. */
export function faultDetailsSection(run: RunFile, hasTimeline: boolean): SafeHtml {
  const results = faultResults(run);
  if (results.length === 0) return html``;
  const varying = varyingAxes(results.map((result) => result.cell));
  return html`<section id="fault-details">
    <h2>Fault cells in detail</h2>
    <div class="fault-grid">${results.map((result) => {
      const facts = result.status === 'ok' ? faultFacts(result) : [['status', `${result.status}: ${result.reason ?? 'no reason recorded'}`] as [string, string]];
      return html`<div class="fault-detail" id="${faultDetailsId(result.cell.id, result.repetition)}">
        <h3>${cellLabel(result.cell, varying)}${run.scenario.window.repetitions > 1 ? ` (repetition ${result.repetition})` : ''}</h3>
        <dl class="env">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
        <p class="meta"><a href="#${summaryRowId(result.cell.id)}">summary row</a>${hasTimeline && result.status === 'ok' ? html` · <a href="#timeline">timeline</a>` : ''} · cell <code>${result.cell.id}</code></p>
      </div>`;
    })}</div>
  </section>`;
}
