// Writes one chart as files: <name>.vl.json (the spec), .svg, .png, and .csv (the rows it plots).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { renderChart, svgToPng, type RenderedChart } from './render.js';

export interface WrittenChart extends RenderedChart {
  name: string;
  /** File names relative to the chart directory. */
  files: { spec: string; svg: string; png: string; csv: string | null };
}

/** Rows as CSV with a header from the first row's keys; empty cells for null. */
export function rowsToCsv(rows: ReadonlyArray<object>): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  return stringify(rows as Array<Record<string, unknown>>, {
    header: true,
    columns,
    cast: { boolean: (value) => String(value) },
  });
}

/**
 * Renders a spec and writes its files into dir. rows = null writes no CSV (for charts whose data is
 * already a run file).
 */
export async function writeChartFiles(
  dir: string,
  name: string,
  spec: TopLevelSpec,
  rows: ReadonlyArray<object> | null,
): Promise<WrittenChart> {
  await mkdir(dir, { recursive: true });
  const rendered = await renderChart(spec);
  const files = {
    spec: `${name}.vl.json`,
    svg: `${name}.svg`,
    png: `${name}.png`,
    csv: rows ? `${name}.csv` : null,
  };
  await Promise.all([
    writeFile(join(dir, files.spec), `${JSON.stringify(spec, null, 2)}\n`),
    writeFile(join(dir, files.svg), rendered.svg),
    writeFile(join(dir, files.png), svgToPng(rendered.svg)),
    ...(rows && files.csv ? [writeFile(join(dir, files.csv), rowsToCsv(rows))] : []),
  ]);
  return { ...rendered, name, files };
}
