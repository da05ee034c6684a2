// The report's reading aids as HTML: the written summary at the top, the price-of-each-guarantee
// table, and the details of each fault cell that the guarantees matrix links to. Pure: data in,
// SafeHtml out; every value from run.json goes through the escaping `html` template.

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

function ratioCell(ratio: Ratio | null | undefined): SafeHtml {
  if (!ratio) return html`<td class="num">${UNDEFINED_FIGURE}</td>`;
  return html`<td class="num" title="${formatWhole(ratio.numerator.value)} / ${formatWhole(ratio.denominator.value)}">${formatRatio(ratio.ratio)}</td>`;
}

const COST_HEADERS = new Map<string, string>(COST_COLUMNS);

function priceRowHtml(entry: PriceEntry, costs: readonly (typeof COST_COLUMNS)[number][0][], grouped: boolean): SafeHtml {
  const publish = publishLabel(entry.cell.publish);
  const cost = costs.map((column) => html`<td class="num">${formatOneDecimal(entry.cost[column])}</td>`);
  return html`<tr>
    ${grouped ? html`<td class="axis">${entry.group}</td>` : ''}
    <td class="axis">${entry.cell.durability}</td>
    <td class="axis"><a href="#${summaryRowId(entry.cell.id)}">${modeSwatch(publish)}${publish}</a></td>
    <td class="num">${formatWhole(entry.throughput)}</td>
    ${ratioCell(entry.vsNone?.throughput)}${ratioCell(entry.vsNone?.e2eP50)}${ratioCell(entry.vsNone?.e2eP99)}
    ${ratioCell(entry.vsTransient?.throughput)}${ratioCell(entry.vsTransient?.e2eP99)}${ratioCell(entry.vsTransient?.publishP99)}
    ${cost}
    ${costs.length ? html`<td class="axis">${entry.bottleneck.join(', ') || UNDEFINED_FIGURE}</td>` : ''}
  </tr>`;
}

/** The price table: each cell against the same cell with `none`, and persistent against transient. */
export function priceSection(run: RunFile): SafeHtml {
  const entries = priceEntries(run).filter((entry) => entry.vsNone || entry.vsTransient);
  if (entries.length === 0) return html``;
  const costs = costColumnsShown(entries);
  const grouped = new Set(entries.map((entry) => entry.group)).size > 1 || entries[0].group !== '';
  return html`<section id="price-table">
    <h2>Price of each guarantee (table)</h2>
    <p class="meta">Each cell's figures over the same cell's with publish mode none (same durability, queue, client and load), and a persistent
      cell's over the same cell transient. Throughput: the median headline rate; latency: end-to-end and publish percentiles of the merged
      histograms. ÷2.9: divided by 2.9; ×3.1: multiplied by 3.1; – where the cell has no counterpart in this run.${
        costs.length ? ' Broker-side figures (median over repetitions) as the run recorded them, and the bottleneck verdict.' : ''
      }</p>
    <div class="table-wrap"><table>
      <thead>
        <tr class="groups"><th colspan="${grouped ? 4 : 3}">cell</th><th colspan="3">against publish none</th><th colspan="3">persistent against transient</th>${
          costs.length ? html`<th colspan="${costs.length + 1}">cost per message</th>` : ''
        }</tr>
        <tr>${grouped ? html`<th>group</th>` : ''}<th>durability</th><th>publish</th><th>throughput (msg/s)</th>
          <th>throughput</th><th>e2e p50</th><th>e2e p99</th>
          <th>throughput</th><th>e2e p99</th><th>publish p99</th>
          ${costs.map((column) => html`<th>${COST_HEADERS.get(column)}</th>`)}${costs.length ? html`<th>bottleneck</th>` : ''}</tr>
      </thead>
      <tbody>${entries.map((entry) => priceRowHtml(entry, costs, grouped))}</tbody>
    </table></div>
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
    const rate = f.beforeFault.consumedPerS ?? f.beforeFault.confirmedPerS ?? f.beforeFault.sentPerS;
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
    ${results.map((result) => {
      const facts = result.status === 'ok' ? faultFacts(result) : [['status', `${result.status}: ${result.reason ?? 'no reason recorded'}`] as [string, string]];
      return html`<div class="fault-detail" id="${faultDetailsId(result.cell.id, result.repetition)}">
        <h3>${cellLabel(result.cell, varying)}${run.scenario.window.repetitions > 1 ? ` (repetition ${result.repetition})` : ''}</h3>
        <dl class="env">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
        <p class="meta"><a href="#${summaryRowId(result.cell.id)}">summary row</a>${hasTimeline && result.status === 'ok' ? html` · <a href="#timeline">timeline</a>` : ''} · cell <code>${result.cell.id}</code></p>
      </div>`;
    })}
  </section>`;
}
