// The guarantees matrix of a fault run (docs/architecture.md#faults, docs/architecture.md#charts-and-the-report): the rows, the Vega-Lite chart
// (compiles without warnings, a bar and a number per row, the fixed mode colours and order), the
// report's table, summary.csv's fault columns, the exit-code verdicts, and the scenario's faults: list.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../../src/errors.js';
import { runCharts } from '../../src/report/charts.js';
import { summaryCsv } from '../../src/report/csv.js';
import { GUARANTEE_MEASURES, guaranteeRows, guaranteesSpec, guaranteeTable } from '../../src/report/guarantees.js';
import { reportHtml } from '../../src/report/html.js';
import { writeReport } from '../../src/report/index.js';
import { MODE_COLOR_SCALE } from '../../src/report/palette.js';
import { renderChart } from '../../src/report/render.js';
import { faultVerdicts, promisesNoLoss, queueGoneText } from '../../src/run/guarantees.js';
import { faultPlan } from '../../src/run/run-faults.js';
import { faultApplies, faultLabel, parseFaultSpelling, withoutFault } from '../../src/scenario/faults.js';
import { loadScenario } from '../../src/scenario/load.js';
import { PUBLISH_KINDS } from '../../src/scenario/types.js';
import { buildFaultRun, outcome } from '../helpers/fault-fixture.js';
import { buildFixtureRun, removeFixtureDirs, writeFixtureRun } from '../helpers/fixture-run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

after(removeFixtureDirs);

const run = buildFaultRun();
const faultCellsOk = run.cells.filter((r) => r.fault && r.status === 'ok');

describe('guarantees rows', () => {
  const rows = guaranteeRows(run);

  test('four rows (lost, unknown, duplicated, throughput) per fault cell that ran; failed and plain cells none', () => {
    assert.equal(rows.length, faultCellsOk.length * GUARANTEE_MEASURES.length);
    assert.ok(!rows.some((row) => row.fault === 'restart'), 'the failed cell is left out');
    assert.ok(rows.every((row) => row.fault !== null), 'only fault cells');
  });

  test('the counts are the fault outcome', () => {
    const lost = rows.filter((row) => row.measure === 'lost' && row.durability === 'transient' && row.publish_kind !== 'none');
    assert.ok(lost.length > 0 && lost.every((row) => row.value === 300));
    const unknownTx = rows.find((row) => row.measure === 'unknown' && row.publish === 'tx:1' && row.fault === 'kill9@1250')!;
    assert.equal(unknownTx.value, 1);
  });

  test('throughput comes from the run without a fault where there is one, else from before the fault', () => {
    const throughput = rows.filter((row) => row.measure === 'throughput');
    for (const row of throughput) {
      const expected = row.publish_kind === 'async' && row.fault === 'kill9@1250' ? 'baseline' : 'before the fault';
      assert.equal(row.throughput_source, expected, row.label);
      assert.ok(row.value > 0);
    }
    const asyncRow = throughput.find((row) => row.publish_kind === 'async' && row.durability === 'persistent')!;
    const baseline = run.cells.find((r) => !r.fault && r.cell.publish.kind === 'async' && r.cell.durability === 'persistent')!;
    assert.equal(asyncRow.value, Math.round(baseline.rates.consumedPerS!));
  });

  test('the fault names every row group, the varying axes follow it', () => {
    const groups = [...new Set(rows.map((row) => row.group))];
    assert.deepEqual(groups.sort(), ['kill-consumer@1250 · auto', 'kill9@1250 · manual:100:1']);
  });
});

describe('guarantees chart', () => {
  const rows = guaranteeRows(run);

  test('compiles without warnings and draws a bar and a number per row, in the fixed colours and mode order', async () => {
    const spec = guaranteesSpec(rows);
    const rendered = await renderChart(spec);
    assert.deepEqual(rendered.warnings, []);
    assert.match(rendered.svg, /^<svg /);
    assert.equal(rendered.marks.rect, rows.length, 'a bar per row (zero-height for a zero)');
    assert.equal(rendered.marks.text, rows.length, 'a number per row');
    const scales = JSON.stringify(rendered.vega);
    assert.ok(scales.includes(JSON.stringify([...PUBLISH_KINDS])), 'colour domain: every mode kind, fixed');
    assert.ok(scales.includes(JSON.stringify(MODE_COLOR_SCALE.range)), 'colour range from the palette');
    const x = (spec as { spec: { layer: Array<{ encoding: { x?: { sort: string[] } } }> } }).spec.layer[1].encoding.x!;
    assert.deepEqual(x.sort, ['none', 'single', 'batch:100', 'async:1000', 'tx:1']);
    for (const header of ['lost (messages)', 'unknown (messages)', 'duplicated (messages)', 'throughput (msg/s)']) {
      assert.ok(rendered.svg.includes(header), header);
    }
  });

  test('a panel of zeros still renders (no NaN axis)', async () => {
    const zeros = rows.filter((row) => row.group.startsWith('kill9')).map((row) => ({ ...row, value: row.measure === 'throughput' ? row.value : 0, value_label: '0' }));
    const rendered = await renderChart(guaranteesSpec(zeros));
    assert.deepEqual(rendered.warnings, []);
    assert.ok(!rendered.svg.includes('NaN'), 'no NaN in the SVG');
  });

  test('a fault run leads with the guarantees chart; a plain run has none', () => {
    assert.equal(runCharts(run)[0].name, 'guarantees');
    assert.ok(!runCharts(buildFixtureRun({ repetitions: 1 })).some((chart) => chart.name === 'guarantees'));
  });

  test('writeReport writes the chart files and a page with the table', async () => {
    const dir = await writeFixtureRun(run);
    const output = await writeReport(dir);
    assert.deepEqual(output.warnings, []);
    assert.ok(output.charts.some((path) => path.endsWith('guarantees.svg')));
    const page = reportHtml({ run, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.match(page, /<h2>Guarantees under faults<\/h2>/);
    assert.match(page, /0 broken promises,\s+5 losses the modes do not promise to avoid/);
    assert.match(page, /loss, not promised/);
    assert.match(page, /fault cell timed out after 120 s/);
  });
});

describe('guarantees table and verdicts', () => {
  test('a row per fault cell, failed ones included, with the verdict', () => {
    const table = guaranteeTable(run);
    assert.equal(table.length, run.cells.filter((r) => r.fault).length);
    const failed = table.find((row) => row.status === 'failed')!;
    assert.equal(failed.verdict, 'failed');
    assert.equal(failed.counts, null);
    const auto = table.find((row) => row.fault === 'kill-consumer@1250')!;
    assert.deepEqual([auto.verdict, auto.promised], ['loss, not promised', false]);
    const persistentAsync = table.find((row) => row.fault === 'kill9@1250' && row.durability === 'persistent' && row.publish === 'async:1000')!;
    assert.deepEqual([persistentAsync.verdict, persistentAsync.promised], ['no loss', true]);
  });

  test('after: continue: the row says how many clients reconnected and when publishing resumed', () => {
    const continued = structuredClone(run);
    const r = continued.cells.find((c) => c.fault && c.status === 'ok' && c.cell.fault === 'kill9@1250')!;
    r.cell = { ...r.cell, fault: 'kill9@1250:continue' };
    Object.assign(r.fault!, { after: 'continue', reconnects: 2, resumeSeconds: 6.154 });
    const table = guaranteeTable(continued);
    const row = table.find((x) => x.fault === 'kill9@1250:continue')!;
    assert.equal(row.resumed, '2 reconnects; publishing again 6.15 s after the fault');
    assert.ok(table.filter((x) => x !== row).every((x) => x.resumed === null), 'stop cells say nothing of reconnects');
    const page = reportHtml({ run: continued, charts: [], chartsHref: 'charts', runFiles: [], historyHref: '../index.html' });
    assert.match(page, /2 reconnects; publishing again 6\.15 s after the fault/);
  });

  test('a queue that answered 404 after recovery: a finding, a note in the row, fault_queue_unavailable_s in summary.csv', () => {
    const forgot = structuredClone(run);
    const r = forgot.cells.find((c) => c.fault && c.status === 'ok' && c.cell.fault === 'kill9@1250' && promisesNoLoss(c.cell))!;
    r.fault!.queueUnavailableSeconds = 20.3;
    const { problems, findings } = faultVerdicts([r]);
    assert.deepEqual(problems, []);
    assert.deepEqual(findings.length, 1);
    assert.match(findings[0], /: the queue answered 404 NOT_FOUND for 20 s after the node came back; ackbench restarted the node once more to reach what it held$/);
    const row = guaranteeTable(forgot).find((x) => x.cellId === r.cell.id)!;
    assert.equal(row.resumed, 'queue 404 NOT_FOUND for 20 s after recovery; node restarted once more');
    const csvRows = parse(summaryCsv(forgot), { columns: true }) as Record<string, string>[];
    const line = csvRows.find((x) => x.cell === r.cell.id && x.fault === 'kill9@1250' && x.repetition !== 'all')!;
    assert.equal(line.fault_queue_unavailable_s, '20.3');
    assert.ok(csvRows.filter((x) => x !== line).every((x) => x.fault_queue_unavailable_s === ''), 'empty where the queue answered');
  });

  test('a queue still gone after the second restart: its loss is a problem with the reason, a finding with the node\'s words, fault_queue_gone in summary.csv', () => {
    const gone = structuredClone(run);
    const r = gone.cells.find((c) => c.fault && c.status === 'ok' && c.cell.fault === 'kill9@1250' && promisesNoLoss(c.cell))!;
    r.fault!.queueUnavailableSeconds = 20.2;
    r.fault!.queueGone = { durableRecord: false, log: ['2026-11-24 21:57:01 [error] <0.9.0> queue q crashed'] };
    r.fault!.lost = 1250;
    const { problems, findings } = faultVerdicts([r]);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /1250 confirmed messages lost, though persistent \+ confirms \+ manual ack promise none \(the queue itself was gone\)$/);
    assert.equal(findings.length, 2, findings.join('\n'));
    assert.match(findings[1], /still answered 404 NOT_FOUND after a second restart \(its durable record was gone too\).*the node logged: .*queue q crashed$/);
    assert.match(queueGoneText({ durableRecord: null, log: [] }), /could not be read\); the drain could read nothing, so what it held counts as lost$/);
    const row = guaranteeTable(gone).find((x) => x.cellId === r.cell.id)!;
    assert.match(row.resumed!, /queue still 404 after that restart: nothing to drain/);
    const csvRows = parse(summaryCsv(gone), { columns: true }) as Record<string, string>[];
    const line = csvRows.find((x) => x.cell === r.cell.id && x.fault === 'kill9@1250' && x.repetition !== 'all')!;
    assert.equal(line.fault_queue_gone, 'true');
    assert.ok(csvRows.filter((x) => x !== line && x.fault_queue_gone !== '').every((x) => x.fault_queue_gone === 'false'));
  });

  test('only a promise broken, a failed cell or an unexpected message is a problem; other losses are findings', () => {
    const { problems, findings } = faultVerdicts(run.cells);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /failed/);
    assert.equal(findings.length, 5, findings.join('\n'));
    assert.ok(findings.some((f) => /transient messages do not survive the node/.test(f)));
    assert.ok(findings.some((f) => /auto-ack/.test(f)));
    const broken = structuredClone(run.cells.find((r) => r.fault && r.status === 'ok' && promisesNoLoss(r.cell))!);
    broken.fault!.lost = 3;
    assert.match(faultVerdicts([broken]).problems[0], /3 confirmed messages lost, though persistent \+ confirms \+ manual ack promise none/);
  });

  test('what promises no loss: persistent, confirms or tx, manual ack (or no consumer)', () => {
    const [cell] = run.cells.filter((r) => r.cell.durability === 'persistent' && r.cell.publish.kind === 'tx').map((r) => withoutFault(r.cell));
    assert.equal(promisesNoLoss(cell), true);
    assert.equal(promisesNoLoss({ ...cell, durability: 'transient' }), false);
    assert.equal(promisesNoLoss({ ...cell, publish: { kind: 'none' } }), false);
    assert.equal(promisesNoLoss({ ...cell, consume: { ack: 'auto', prefetch: 0 } }), false);
    assert.equal(promisesNoLoss({ ...cell, consume: { ack: 'auto', prefetch: 0 }, consumers: 0 }), true);
  });

  test('summary.csv carries ok, fail, recovered, unexpected and fault for fault cells, empty for plain ones', () => {
    const rows = parse(summaryCsv(run), { columns: true }) as Record<string, string>[];
    for (const column of ['ok', 'fail', 'recovered', 'unexpected', 'fault']) assert.ok(column in rows[0], column);
    const plain = rows.find((row) => row.fault === '')!;
    assert.deepEqual([plain.ok, plain.fail], ['', '']);
    const auto = rows.find((row) => row.fault === 'kill-consumer@1250')!;
    assert.deepEqual([auto.ok, auto.fail, auto.lost, auto.fault_verdict], [String(run.cells.find((r) => r.cell.fault === 'kill-consumer@1250')!.fault!.ok), '0', '812', 'loss, not promised']);
    const failed = rows.find((row) => row.fault === 'restart')!;
    assert.deepEqual([failed.status, failed.ok, failed.fault_verdict], ['failed', '', 'failed']);
  });
});

describe('faults in scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ackbench-faults-scenario-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('bench/faults.yaml: 40 cells under kill9, 10 under kill9 with clients that go on, 8 under kill-consumer', () => {
    const scenario = loadScenario(join(REPO, 'bench/faults.yaml'));
    assert.equal(scenario.cells.length, 40);
    assert.deepEqual(scenario.faults, [
      { kind: 'kill9', atMessages: 1250 },
      { kind: 'kill9', atMessages: 1250, after: 'continue', where: { durability: ['persistent'], consume: ['manual:100:1'] } },
      { kind: 'kill-consumer', atMessages: 1250, where: { durability: ['persistent'], publish: ['single', 'async:1000'] } },
    ]);
    const plan = faultPlan(scenario);
    assert.equal(plan.length, 58);
    assert.equal(new Set(plan.map((p) => p.cell.id)).size, 58, 'a fault cell id per cell and fault');
    assert.ok(plan.every((p) => p.cell.id.startsWith(`${p.base.id}.`) && p.cell.fault === faultLabel(p.fault)));
  });

  test('where: compares canonical spellings (manual is manual:100:1)', () => {
    const scenario = loadScenario(file('w.yaml', 'axes: { consume: [manual, auto] }\nfaults: [{ kind: kill-consumer, at: 10, where: { consume: manual } }]\n'));
    assert.deepEqual(scenario.faults![0].where, { consume: ['manual:100:1'] });
    assert.deepEqual(scenario.cells.map((c) => faultApplies(scenario.faults![0], c)), [true, false]);
  });

  test('where: deduplication picks the cells with that setting', () => {
    const scenario = loadScenario(file('d.yaml', 'axes: { client: stream, queue: stream, deduplication: [off, on] }\nfaults: [{ kind: kill9, at: 10, after: continue, where: { deduplication: on } }]\n'));
    assert.deepEqual(scenario.cells.map((c) => [c.deduplication, faultApplies(scenario.faults![0], c)]), [['off', false], ['on', true]]);
  });

  const bad: Array<[string, RegExp]> = [
    ['faults: [{ kind: kill8 }]', /faults\[0\]\.kind: must be one of kill9, restart, close-connections, kill-consumer/],
    ['faults: [{ kind: kill9, at: 10, atSeconds: 2 }]', /faults\[0\]: give at \(messages sent\) or atSeconds, not both/],
    ['faults: [{ kind: kill9, att: 10 }]', /unknown key 'faults\[0\]\.att' \(did you mean 'at'\?\)/],
    ['faults: [{ kind: kill9, at: -1 }]', /faults\[0\]\.at: must not be negative/],
    ['faults: [{ kind: kill9, where: { publsh: single } }]', /unknown key 'faults\[0\]\.where\.publsh' \(did you mean 'publish'\?\)/],
    ['faults: [{ kind: kill9, where: { publish: sngle } }]', /faults\[0\]\.where\.publish.*unknown publish mode 'sngle'/],
    ['faults: []', /faults: give at least one fault/],
    ['faults: [{ kind: kill9, after: retry }]', /faults\[0\]\.after: must be one of stop, continue/],
    ['nodes: 2', /nodes: must be 1 \(a private node\) or 3 \(a private cluster\)/],
  ];
  for (const [yaml, message] of bad) {
    test(`'${yaml}' is refused in one line`, () => {
      assert.throws(
        () => loadScenario(file('bad.yaml', `${yaml}\n`)),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  test('--fault spelling: kind, @N messages, @Ss seconds', () => {
    assert.deepEqual(parseFaultSpelling('kill9@2500'), { kind: 'kill9', atMessages: 2500 });
    assert.deepEqual(parseFaultSpelling('restart@1.5s'), { kind: 'restart', atSeconds: 1.5 });
    assert.deepEqual(parseFaultSpelling('kill-consumer'), { kind: 'kill-consumer' });
    assert.equal(faultLabel(parseFaultSpelling('restart@1.5s')), 'restart@1.5s');
    const scenario = loadScenario(null, { faults: 'kill9@10,close-connections' });
    assert.deepEqual(scenario.faults, [{ kind: 'kill9', atMessages: 10 }, { kind: 'close-connections' }]);
    assert.throws(() => loadScenario(null, { faults: 'kill9@soon' }), /--fault: 'kill9@soon': after '@' give a number/);
    assert.throws(() => loadScenario(null, { faults: 'nuke' }), /--fault: unknown fault 'nuke'/);
  });

  test('after: continue, in a file and spelled :continue; a cell under it has an id of its own', () => {
    assert.deepEqual(parseFaultSpelling('kill9@2500:continue'), { kind: 'kill9', atMessages: 2500, after: 'continue' });
    assert.deepEqual(parseFaultSpelling('restart:stop'), { kind: 'restart', after: 'stop' });
    assert.equal(faultLabel(parseFaultSpelling('kill9@2500:continue')), 'kill9@2500:continue');
    assert.equal(faultLabel(parseFaultSpelling('kill9@2500:stop')), 'kill9@2500', 'stop is the default and is not spelled');
    assert.throws(() => loadScenario(null, { faults: 'kill9@10:retry' }), /--fault: 'kill9@10:retry': after ':' give stop or continue/);
    const scenario = loadScenario(file('c.yaml', 'faults: [{ kind: kill9, at: 10 }, { kind: kill9, at: 10, after: continue }]\n'));
    assert.deepEqual(scenario.faults, [{ kind: 'kill9', atMessages: 10 }, { kind: 'kill9', atMessages: 10, after: 'continue' }]);
    const ids = faultPlan(scenario).map((p) => p.cell.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids[1].endsWith('.kill9-at10-continue'), ids[1]);
  });
});
