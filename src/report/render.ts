// Vega-Lite spec -> Vega spec -> SVG (headless Vega view) -> PNG (resvg). No browser, no canvas:
// Vega's 'none' renderer lays out the scenegraph and serializes it to SVG itself.

import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** Items drawn by the data marks of a chart, by mark type (axes, legends and headers not counted). */
export type MarkTally = Partial<Record<string, number>>;

export interface RenderedChart {
  vega: vega.Spec;
  svg: string;
  marks: MarkTally;
  /** Vega-Lite and Vega warnings; a spec of ours should produce none. */
  warnings: string[];
}

function collectingLogger(warnings: string[]) {
  return vega.logger(vega.Warn, undefined, (_method, level, args) => {
    warnings.push(`${level} ${args.map(String).join(' ')}`);
  });
}

/** A scenegraph node as the renderer leaves it; vega's typings do not describe nested items. */
interface SceneNode {
  marktype?: string;
  role?: string;
  items?: SceneNode[];
}

/** Counts data-mark items: each bar, point, rule, or each vertex of a line is one item. */
export function tallyMarks(root: SceneNode): MarkTally {
  const tally: MarkTally = {};
  const visit = (node: SceneNode): void => {
    if (node.marktype && node.marktype !== 'group' && node.role === 'mark') {
      tally[node.marktype] = (tally[node.marktype] ?? 0) + (node.items?.length ?? 0);
    }
    for (const child of node.items ?? []) visit(child);
  };
  visit(root);
  return tally;
}

export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = vl.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    // At run time scenegraph() is a Scenegraph holding the root group; the typings say Scene.
    const marks = tallyMarks((view.scenegraph() as unknown as { root: SceneNode }).root);
    return { vega: compiled, svg, marks, warnings };
  } finally {
    view.finalize();
  }
}

/** Twice the SVG's width, so the PNG stays sharp on high-density screens and in slides. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}
