// The report as a reader opens it: index.html from file:// in headless Chromium. No console error, no
// failed or external request, no script run from run data, every chart drawn, a screenshot kept.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeHistory } from '../../src/report/history.js';
import { writeReport } from '../../src/report/index.js';
import { buildFixtureRun, writeFixtureRun } from '../helpers/fixture-run.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE_NAME = '<script>alert(1)</script>';
const CHARTS = ['throughput', 'latency', 'frontier', 'timeline'];
// A missing browser must fail the suite, not pass it silently; skipping is an explicit choice.
const skip = process.env.ACKBENCH_SKIP_BROWSER === '1' ? 'ACKBENCH_SKIP_BROWSER=1' : false;

/** What a page did while loading: anything here besides file:// and data: requests is a failure. */
interface PageLog {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  requests: string[];
  dialogs: string[];
}

async function openLogged(browser: Browser, file: string): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const log: PageLog = { consoleErrors: [], pageErrors: [], failedRequests: [], requests: [], dialogs: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') log.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => log.pageErrors.push(error.message));
  page.on('requestfailed', (request) => log.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('request', (request) => log.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    log.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, log };
}

function assertQuiet(log: PageLog): void {
  assert.deepEqual(log.consoleErrors, [], 'console errors');
  assert.deepEqual(log.pageErrors, [], 'page errors');
  assert.deepEqual(log.failedRequests, [], 'failed requests');
  assert.deepEqual(log.dialogs, [], 'no script from run data ran');
  const external = log.requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'));
  assert.deepEqual(external, [], 'no request leaves the machine');
}

/** Elements Vega drew inside a chart's data-mark groups (bars, points, line paths...). */
async function markElements(page: Page, chart: string): Promise<number> {
  return page.locator(`figure[data-chart="${chart}"] svg g.role-mark > *`).count();
}

describe('report in a browser', { skip }, () => {
  let browser: Browser;
  let runDir: string;
  let resultsDir: string;

  before(async () => {
    // Without Chromium the tests below fail on their own (no browser), after the named failure below.
    if (!existsSync(CHROMIUM)) return;
    resultsDir = await mkdtemp(join(tmpdir(), 'ackbench-browser-'));
    const run = buildFixtureRun({
      name: HOSTILE_NAME,
      complete: false,
      failedReason: '<img src=x onerror=alert(2)> channel closed',
    });
    runDir = await writeFixtureRun(run, join(resultsDir, run.runId));
    // As a run under ./results does (run-dir.ts): its report links to the history written after it.
    await writeReport(runDir, { historyFollows: true });
    await writeHistory(resultsDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
  });

  it(`finds Chromium at ${CHROMIUM}`, () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install chromium, or set ACKBENCH_SKIP_BROWSER=1 to skip`);
  });

  it('opens offline with every chart drawn, run data as text, and a screenshot', async () => {
    assert.ok(browser, 'no browser');
    const { page, log } = await openLogged(browser, join(runDir, 'index.html'));
    try {
      assertQuiet(log);
      for (const chart of CHARTS) {
        assert.ok((await markElements(page, chart)) > 0, `${chart} has marks`);
        assert.ok(await page.locator(`figure[data-chart="${chart}"] svg`).isVisible(), `${chart} visible`);
      }
      // 2 durabilities x 5 modes: one bar each.
      assert.equal(await page.locator('figure[data-chart="throughput"] svg g.mark-rect.role-mark > path').count(), 10);
      assert.equal(await page.locator('h1').textContent(), `ackbench report: ${HOSTILE_NAME}`);
      assert.match((await page.getByRole('alert').textContent()) ?? '', /Partial run/);
      assert.ok(await page.getByText('channel closed').first().isVisible(), 'failure reason shown');
      assert.equal(await page.locator('a[href="../index.html"]').count(), 1, 'history link');
      await page.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
      assert.ok(existsSync(join(runDir, 'report.png')));
    } finally {
      await page.close();
    }
  });

  it('links to a history page that opens cleanly with its trend chart', async () => {
    assert.ok(browser, 'no browser');
    const { page, log } = await openLogged(browser, join(resultsDir, 'index.html'));
    try {
      assertQuiet(log);
      assert.ok((await markElements(page, 'trend')) > 0, 'trend has marks');
      await page.locator('#runs a').first().click();
      await page.waitForLoadState('load');
      assert.match(page.url(), /\/index\.html$/);
      assert.equal(await page.locator('h1').textContent(), `ackbench report: ${HOSTILE_NAME}`);
      assertQuiet(log);
    } finally {
      await page.close();
    }
  });
});
