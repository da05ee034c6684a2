// The change points of a history (stats/history-changes.ts) as an HTML section of the history page
// and as Markdown for a CI step summary. Pure. Text from run.json is escaped.

import { COMPARED_FIGURES } from '../stats/compare.js';
import type { ChangeRecord } from '../stats/history-changes.js';
import { EDIVISIVE_DEFAULTS } from '../stats/e-divisive.js';
import { escapeMarkdown } from './compare-markdown.js';
import { formatChangePct, formatWhole } from './format.js';
import { html, type SafeHtml } from './html-escape.js';

export interface ChangeView {
  changes: readonly ChangeRecord[];
  /** The ones the newest runs started (newRegressions). */
  fresh: readonly ChangeRecord[];
  /** How many of the newest runs count as "newest". */
  recent: number;
  /** A short label of a cell id (cell-labels.ts), or the id itself. */
  labelOf: (cellId: string) => string;
  /** Link of a run's page from where the output is read, or null. */
  hrefOf?: (runId: string) => string | null;
}

export const METHOD_TEXT =
  `E-divisive means (Matteson & James 2014, as in MongoDB's performance CI and Apache Otava): each cell's figure, ` +
  `run after run, is split where its distribution shifts; a split counts when its permutation test ` +
  `(${EDIVISIVE_DEFAULTS.permutations} permutations) gives p ≤ ${EDIVISIVE_DEFAULTS.alpha}, with at least ` +
  `${EDIVISIVE_DEFAULTS.minSegment} runs on each side. Before and after: medians of the runs between change points.`;

const changePct = (c: ChangeRecord) => (c.before === 0 ? null : ((c.after - c.before) / c.before) * 100);
const pText = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));
const newestFirst = (changes: readonly ChangeRecord[]) => [...changes].sort((a, b) => b.index - a.index || a.cell.localeCompare(b.cell));
const isFresh = (view: ChangeView, c: ChangeRecord) => view.fresh.includes(c);

/** The figure as compare names it, e.g. "consumed/s (msg/s)". */
function figureText(c: ChangeRecord): string {
  return `${COMPARED_FIGURES.find((figure) => figure.key === c.figure)?.label ?? c.figure} (${c.unit})`;
}

export function changePointsHtml(view: ChangeView): SafeHtml {
  const rows = newestFirst(view.changes).map((c) => {
    const href = view.hrefOf?.(c.runId) ?? null;
    return html`<tr data-change="${c.direction}" data-new="${isFresh(view, c)}">
      <td class="num">${c.startedAt}</td>
      <td>${href ? html`<a href="${href}">${c.runId}</a>` : c.runId}</td>
      <td>${view.labelOf(c.cell)}</td>
      <td>${figureText(c)}</td>
      <td class="num">${formatWhole(c.before)} → ${formatWhole(c.after)} (${formatChangePct(changePct(c))})</td>
      <td class="num">${pText(c.pValue)}</td>
      <td>${isFresh(view, c) ? html`<strong>${c.direction}, new</strong>` : c.direction}</td>
    </tr>`;
  });
  const banner = view.fresh.length
    ? html`<div class="banner failed"><strong>${view.fresh.length} regression${view.fresh.length === 1 ? '' : 's'}</strong> started in the newest ${view.recent} runs.</div>`
    : '';
  const table = view.changes.length
    ? html`<div class="table-wrap"><table>
        <thead><tr><th>first run after (UTC)</th><th>run</th><th>cell</th><th>figure</th><th>before → after</th><th>p-value</th><th>direction</th></tr></thead>
        <tbody>${rows}</tbody>
      </table></div>`
    : html`<p class="meta">No significant change point in any cell's history.</p>`;
  return html`<section id="changes"><h2>Change points</h2>${banner}${table}<p class="meta">${METHOD_TEXT}</p></section>`;
}

export function changePointsMarkdown(view: ChangeView): string {
  const lines = ['## ackbench change points', ''];
  if (view.fresh.length) {
    lines.push(`**${view.fresh.length} regression${view.fresh.length === 1 ? '' : 's'} started in the newest ${view.recent} runs:**`, '');
    for (const c of view.fresh) {
      lines.push(`- ${escapeMarkdown(view.labelOf(c.cell))}, ${escapeMarkdown(figureText(c))}: ${formatWhole(c.before)} → ${formatWhole(c.after)} from run ${escapeMarkdown(c.runId)} (p ${pText(c.pValue)})`);
    }
  } else {
    lines.push(`**No regression** started in the newest ${view.recent} runs.`);
  }
  lines.push('', METHOD_TEXT, '');
  if (view.changes.length) {
    lines.push('| first run after (UTC) | run | cell | figure | before → after | p-value | direction |', '|---|---|---|---|--:|--:|---|');
    for (const c of newestFirst(view.changes)) {
      lines.push(
        `| ${escapeMarkdown(c.startedAt)} | ${escapeMarkdown(c.runId)} | ${escapeMarkdown(view.labelOf(c.cell))} | ${escapeMarkdown(figureText(c))} | ` +
          `${formatWhole(c.before)} → ${formatWhole(c.after)} (${formatChangePct(changePct(c))}) | ${pText(c.pValue)} | ${isFresh(view, c) ? '**regression, new**' : c.direction} |`,
      );
    }
  } else {
    lines.push('No significant change point in any cell\'s history.');
  }
  return `${lines.join('\n')}\n`;
}
