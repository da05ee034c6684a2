// The report of each kind of run (a 40-cell matrix, a rate sweep, a single cell, a fault run) as a
// reader opens it in headless Chromium: no console error, the charts chosen for that kind and each
// with marks, no line drawn as a lone point, no empty panel, the written summary's every number equal
// to the summary.csv (or timeline.csv) figure it names, and the fault run's links leading somewhere.

import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunFile } from '../../src/run/result.js';
import { writeReport } from '../../src/report/index.js';
import { buildFaultRun } from '../helpers/fault-fixture.js';
import { buildFixtureRun, writeFixtureRun } from '../helpers/fixture-run.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEWPORT = { width: 1280, height: 900 };
const skip = process.env.ACKBENCH_SKIP_BROWSER === '1' ? 'ACKBENCH_SKIP_BROWSER=1' : false;
/** Set to a directory to keep the screenshots there as well. */
const SHOTS = process.env.ACKBENCH_SHOTS_DIR;

interface Kind {
  name: string;
  run: RunFile;
  charts: string[];
}

const KINDS: Kind[] = [
  {
    // 2 clients x 2 queues x 2 durabilities x 5 publish modes.
    name: 'matrix',
    run: buildFixtureRun({ name: 'matrix-40', clients: ['amqplib', 'rabbitmq-client'], queues: ['classic', 'quorum'], repetitions: 2 }),
    charts: ['throughput', 'price', 'latency', 'frontier', 'timeline'],
  },
  {
    name: 'sweep',
    run: buildFixtureRun({ name: 'sweep', publish: ['none', 'async:100'], sweep: [0.25, 0.5, 0.75, 1], repetitions: 1 }),
    charts: ['sweep', 'sweep-throughput', 'price', 'timeline'],
  },
  {
    name: 'single',
    run: buildFixtureRun({ name: 'single', publish: ['async:1000'], durabilities: ['persistent'], repetitions: 3 }),
    charts: ['latency', 'timeline'],
  },
  { name: 'faults', run: buildFaultRun(), charts: ['guarantees', 'throughput', 'price', 'latency', 'frontier', 'timeline'] },
];

type CsvRow = Record<string, string>;

async function readCsv(path: string): Promise<CsvRow[]> {
  return parse(await readFile(path, 'utf8'), { columns: true }) as CsvRow[];
}

/** The figure a summary span names, read from the CSV files; prefix 'num' or 'den' for a ratio's parts. */
function lookUp(files: Record<string, CsvRow[]>, data: Record<string, string>, prefix: '' | 'num' | 'den'): number {
  // dataset spells data-num-cell as numCell.
  const get = (name: string) => data[prefix ? `${prefix}${name[0].toUpperCase()}${name.slice(1)}` : name];
  const file = get('file');
  const rows = (files[file] ?? []).filter(
    (row) => row.cell === get('cell') && row.repetition === get('repetition') && (get('second') === undefined || row.second === get('second')),
  );
  assert.equal(rows.length, 1, `one ${file} row for ${JSON.stringify(data)}`);
  const text = rows[0][get('column')];
  assert.ok(text !== undefined && text !== '', `${file} has ${get('column')} for ${get('cell')}`);
  return Number(text) * Number(get('scale') ?? 1);
}

/** The number a reader sees, in the unit of the CSV, and half its last shown digit (its rounding). */
function shownValue(text: string, unit: string): { value: number; tolerance: number } {
  const match = /([÷×]?)([\d,]+(?:\.(\d+))?)/.exec(text);
  assert.ok(match, `a number in '${text}'`);
  const shown = Number(match[2].replace(/,/g, ''));
  const half = 0.5 * 10 ** -(match[3]?.length ?? 0);
  if (unit === 'ratio') {
    // ÷2.9 is 1/2.9 (between 1/2.95 and 1/2.85); two significant digits.
    return match[1] === '÷' ? { value: 1 / shown, tolerance: 1 / (shown - half) - 1 / shown } : { value: shown, tolerance: half };
  }
  if (unit === 'ms') return { value: shown * 1000, tolerance: half * 1000 };
  return { value: shown, tolerance: half };
}

async function figureData(page: Page): Promise<Array<{ text: string; data: Record<string, string> }>> {
  return page.locator('#at-a-glance .figure').evaluateAll((spans) =>
    spans.map((span) => ({ text: span.textContent ?? '', data: { ...(span as HTMLElement).dataset } as Record<string, string> })),
  );
}

describe('report of each kind of run, in a browser', { skip }, () => {
  let browser: Browser;
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ackbench-kinds-'));
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
    for (const kind of KINDS) {
      const dir = await writeFixtureRun(kind.run, join(root, kind.name));
      const { warnings } = await writeReport(dir);
      assert.deepEqual(warnings, [], `${kind.name}: Vega renders without warnings`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  after(async () => {
    await browser?.close();
    // ACKBENCH_KEEP_REPORTS=1 keeps the reports to open by hand.
    if (process.env.ACKBENCH_KEEP_REPORTS === '1') console.log(`reports kept in ${root}`);
    else await rm(root, { recursive: true, force: true });
  });

  for (const kind of KINDS) {
    it(`${kind.name}: the charts of its kind, each drawn, no lone points, no empty panels, numbers as in the CSVs`, async () => {
      assert.ok(browser, 'no browser');
      const dir = join(root, kind.name);
      const page = await browser.newPage({ viewport: VIEWPORT });
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('requestfailed', (request) => errors.push(`${request.url()}: ${request.failure()?.errorText}`));
      try {
        await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
        assert.deepEqual(errors, [], 'console errors');

        const charts = await page.locator('figure[data-chart]').evaluateAll((figures) => figures.map((figure) => figure.getAttribute('data-chart')));
        assert.deepEqual(charts, kind.charts, 'the charts chosen for this kind of run');
        for (const chart of kind.charts) {
          const figure = page.locator(`figure[data-chart="${chart}"]`);
          assert.ok((await figure.locator('svg g.role-mark > *').count()) > 0, `${chart} has marks`);
          // A line mark of one vertex is a point where a line was meant.
          const paths = await figure.locator('svg g.mark-line.role-mark > path').evaluateAll((lines) => lines.map((line) => line.getAttribute('d') ?? ''));
          for (const d of paths) assert.match(d, /L/, `${chart}: a line of more than one point`);
          // Every facet cell draws something: no empty panel.
          const panels = await figure.locator('svg g.mark-group.role-scope.cell > g').evaluateAll((cells) => cells.map((cell) => cell.querySelectorAll('g.role-mark > *').length));
          assert.ok(panels.every((count) => count > 0), `${chart}: no empty panel (${panels.join(',')})`);
        }

        // The written summary: every number is the one in the file it names.
        const files = { 'summary.csv': await readCsv(join(dir, 'summary.csv')), 'timeline.csv': await readCsv(join(dir, 'timeline.csv')) };
        const figures = await figureData(page);
        assert.ok(figures.length >= 2, 'the summary gives figures');
        for (const { text, data } of figures) {
          const expected =
            data.unit === 'ratio' ? lookUp(files, data, 'num') / lookUp(files, data, 'den') : lookUp(files, data, '');
          const shown = shownValue(text, data.unit);
          // The CSV rounds rates to 0.1 msg/s: allow that beside the display's rounding.
          assert.ok(Math.abs(shown.value - expected) <= shown.tolerance + 0.05 + 1e-9 * expected, `'${text}' shows ${expected} (${JSON.stringify(data)})`);
        }

        await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
        if (SHOTS) {
          await copyFile(join(dir, 'report.png'), join(SHOTS, `${kind.name}.png`));
          await page.locator('#at-a-glance').screenshot({ path: join(SHOTS, `${kind.name}-summary.png`) });
        }
      } finally {
        await page.close();
      }
    });
  }

  it('matrix: the throughput chart of 40 cells fits one screen', async () => {
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(pathToFileURL(join(root, 'matrix', 'index.html')).href);
      const figure = page.locator('figure[data-chart="throughput"] svg');
      assert.equal(await figure.locator('g.mark-rect.role-mark > path').count(), 40, 'a bar per cell');
      const box = await figure.boundingBox();
      assert.ok(box && box.height <= VIEWPORT.height - 100, `throughput chart ${box?.height} px high`);
      assert.match((await page.locator('#at-a-glance [data-topic="confirms"]').textContent()) ?? '', /÷/);
      assert.match((await page.locator('#at-a-glance [data-topic="persistence"]').textContent()) ?? '', /÷/);
    } finally {
      await page.close();
    }
  });

  it('sweep: one line per family and percentile, and the saturation point ringed and named', async () => {
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(pathToFileURL(join(root, 'sweep', 'index.html')).href);
      const sweep = page.locator('figure[data-chart="sweep"] svg');
      // 4 families x 3 percentiles x (end-to-end, publish where the mode confirms: 2 of 4).
      assert.equal(await sweep.locator('g.mark-line.role-mark > path').count(), 4 * 3 + 2 * 3);
      assert.ok((await sweep.locator('path[stroke="#c50f1f"]').count()) > 0, 'a saturation ring');
      assert.match((await page.locator('#at-a-glance [data-topic="saturated"]').textContent()) ?? '', /100% of its unpaced maximum/);
    } finally {
      await page.close();
    }
  });

  it('faults: the timeline marks fault and recovery; every link of the guarantees matrix reaches a cell\'s details', async () => {
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(pathToFileURL(join(root, 'faults', 'index.html')).href);
      const timeline = page.locator('figure[data-chart="timeline"] svg');
      assert.ok((await timeline.locator('g.mark-rule.role-mark > line[stroke="#c50f1f"]').count()) > 0, 'fault rules');
      assert.ok((await timeline.locator('g.mark-rule.role-mark > line[stroke="#0b6a0b"]').count()) > 0, 'recovery rules');
      const hrefs = [
        ...(await page.locator('figure[data-chart="guarantees"] svg a').evaluateAll((links) => links.map((link) => link.getAttribute('xlink:href') ?? link.getAttribute('href') ?? ''))),
        ...(await page.locator('#guarantees-table a').evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''))),
      ];
      assert.ok(hrefs.length > 0, 'links');
      for (const href of new Set(hrefs)) {
        assert.match(href, /^#fault-/);
        assert.equal(await page.locator(`[id="${href.slice(1)}"]`).count(), 1, `${href} leads to one element`);
      }
      await page.locator('#guarantees-table a').first().click();
      assert.ok(await page.locator('.fault-detail:target').isVisible(), 'the details open on click');
      assert.ok(existsSync(join(root, 'faults', 'summary.csv')));
    } finally {
      await page.close();
    }
  });
});
