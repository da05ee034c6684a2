// `ackbench faults` as a user runs it: a tiny scenario under kill -9 on a private node writes run.json
// with each cell's fault outcome, summary.csv with the fault columns and the report; a transient loss
// is a finding (exit 0), not a failure; a plain --url, or docker with three nodes, is refused (exit 2);
// Ctrl-C removes the node (--broker docker itself: faults-docker.test.ts). After every test no private
// node of the CLI is left: no process in its dirs, no dir, no port.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { amqpReachable, dockerAnswers } from '../../src/broker/provision.js';
import { DEFAULT_URL } from '../../src/broker/url.js';
import type { RunFile } from '../../src/run/result.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { nodeDirsOf, portsAnswering, processesOfNodesOf } from '../helpers/private-nodes.js';

const readRun = (dir: string): RunFile => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

/** CLI processes of the current test, and the ports their nodes had: checked after it. */
let children: Array<{ pid: number; ports: number[] }> = [];

describe('ackbench faults', { concurrency: false }, () => {
  afterEach(async () => {
    const done = children;
    children = [];
    for (const { pid, ports } of done) {
      assert.deepEqual(processesOfNodesOf(pid), [], `no process left in the private nodes' dirs of CLI ${pid}`);
      assert.deepEqual(nodeDirsOf(pid), [], `no node dir of CLI ${pid} left`);
      assert.deepEqual(await portsAnswering(ports), [], 'the nodes\' AMQP and distribution ports are free');
    }
    assert.equal(await amqpReachable(DEFAULT_URL, 5000), true, 'the system node on 5672 still answers');
  });

  test('kill -9 on a tiny scenario: run.json with fault outcomes, summary.csv with the fault columns, report; a transient loss is a finding, exit 0', { timeout: 120_000 }, async (t) => {
    const dir = tempDir();
    const scenario = join(dir, 'tiny.yaml');
    // Publish-only cells: a transient message sitting in the queue cannot survive kill -9, a persistent confirmed one must.
    writeFileSync(
      scenario,
      [
        'name: tiny-faults',
        'messages: 8000',
        'warmup: 100',
        'drain: 2',
        'timeout: 60',
        'axes: { durability: [transient, persistent], publish: async:100, consumers: 0, size: 256 }',
        'faults: [{ kind: kill9, at: 2000 }]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const r = await runCli(['faults', scenario, '--out', out], { timeoutMs: 110_000 });
    const run = readRun(out);
    const ports = run.faultBroker!.nodes.flatMap((n) => (n.distPort === null ? [n.amqpPort] : [n.amqpPort, n.distPort]));
    children.push({ pid: r.pid, ports });
    assert.equal(r.code, 0, `exit 0 (a transient loss is a finding):\n${r.stdout}\n${r.stderr}`);
    assert.equal(run.complete, true);
    assert.equal(run.cells.length, 2);
    assert.deepEqual(run.scenario.faults, [{ kind: 'kill9', atMessages: 2000 }]);
    assert.equal(run.faultBroker!.kind, 'local');
    const byDurability = Object.fromEntries(run.cells.map((c) => [c.cell.durability, c]));
    for (const c of run.cells) {
      assert.equal(c.status, 'ok', c.reason);
      assert.ok(c.fault, 'every cell carries its fault outcome');
      assert.equal(c.cell.fault, 'kill9@2000');
      assert.equal(c.fault.attempted, c.fault.ok + c.fault.fail + c.fault.unknown);
      assert.ok(c.fault.sentAtInjection >= 2000 && c.counts.sent < 8000, `the fault came mid-publish (sent ${c.counts.sent})`);
      assert.ok(c.fault.beforeFault && c.fault.beforeFault.confirmedPerS! > 0, 'the rate before the fault is kept');
    }
    const transient = byDurability.transient.fault!;
    const persistent = byDurability.persistent.fault!;
    assert.ok(transient.lost > 0 && transient.lost === transient.ok, `transient: every confirmed message lost (${transient.lost} of ${transient.ok})`);
    assert.equal(persistent.lost, 0, 'persistent + confirms: nothing confirmed lost');
    assert.ok(persistent.ok > 0);
    assert.match(r.stdout, /finding: .*transient.*confirmed messages lost \(transient messages do not survive the node\)/);
    assert.doesNotMatch(r.stdout, /problem:/);
    // Every rate is named with its window: the table's until the fault, the per-cell line both.
    assert.match(r.stdout, /rates over/);
    assert.match(r.stdout, /to fault \d+\.\d\d s/);
    assert.match(r.stderr, /(confirmed|consumed) [\d,]+\/s before the fault \([\d.]+ s\); consumed [\d,]+\/s over the whole [\d.]+ s with the outage and drain/);

    const rows = parse(readFileSync(join(out, 'summary.csv')), { columns: true }) as Record<string, string>[];
    for (const column of ['ok', 'fail', 'recovered', 'unexpected', 'fault']) assert.ok(column in rows[0], `summary.csv has ${column}`);
    for (const row of rows) {
      const c = byDurability[row.durability];
      assert.deepEqual(
        [row.fault, row.ok, row.fail, row.lost, row.recovered, row.unexpected],
        ['kill9@2000', String(c.fault!.ok), String(c.fault!.fail), String(c.fault!.lost), String(c.fault!.recovered), '0'],
      );
    }
    const page = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(page, /<h2>Guarantees under faults<\/h2>/);
    assert.ok(page.includes('data-chart="guarantees"'));
    assert.ok(existsSync(join(out, 'charts', 'guarantees.vl.json')));
    t.diagnostic(
      `transient: ok ${transient.ok} unknown ${transient.unknown} lost ${transient.lost}; persistent: ok ${persistent.ok} unknown ${persistent.unknown} lost ${persistent.lost} recovered ${persistent.recovered}`,
    );
  });

  test('a plain --url, --broker url, --broker docker --nodes 3 are refused with one line, exit 2, before any node starts', { timeout: 30_000 }, async () => {
    for (const args of [['--url', 'amqp://guest:secret@127.0.0.1:5672'], ['--broker', 'url'], ['--broker', 'docker', '--nodes', '3'], ['--broker', 'nope']]) {
      const r = await runCli(['faults', ...args, '--messages', '100'], { timeoutMs: 25_000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.ok(!r.stderr.includes('secret'), 'the password is masked');
    }
    const r = await runCli(['faults', '--url', 'amqp://guest:guest@127.0.0.1:5672'], { timeoutMs: 25_000 });
    assert.match(r.stderr, /faults kill the broker, so they run only on a private node ackbench starts itself \(--broker local, the default\)/);
  });

  test('run --broker local measures on a private node and removes it; --broker docker without an engine is exit 3', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--broker', 'local', '--publish', 'async:100', '--messages', '1000', '--warmup', '100', '--out', dir, '--no-report'], { timeoutMs: 55_000 });
    const run = readRun(dir);
    const port = Number(/:(\d+)$/.exec(run.environment!.brokerUrl)?.[1]);
    children.push({ pid: r.pid, ports: [port] });
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(port, 5672, `measured on the private node (${run.environment!.brokerUrl}), not the system one`);
    assert.equal(run.cells[0].status, 'ok');
    assert.equal(run.cells[0].counts.lost, 0);
    if (!(await dockerAnswers())) {
      const docker = await runCli(['run', '--broker', 'docker', '--messages', '100'], { timeoutMs: 25_000 });
      assert.equal(docker.code, 3, docker.stderr);
      assert.match(docker.stderr, /^ackbench: --broker docker: no docker engine answers `docker info` here/);
    }
  });

  test('Ctrl-C mid-cell: exit 130, the private node is killed and its dir removed', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { child, stderr, exited } = startCli(['faults', '--messages', '200000', '--rate', '2000', '--fault', 'kill9@150000', '--out', join(dir, 'run'), '--no-report']);
    const ports: number[] = [];
    children.push({ pid: child.pid!, ports });
    // Until the node accepts AMQP (its port is in its config file), then a moment for the cell to start.
    const until = Date.now() + 45_000;
    for (;;) {
      if (Date.now() > until) throw new Error(`the private node did not come up: ${stderr()}`);
      await sleep(200);
      const [nodeDir] = nodeDirsOf(child.pid!);
      const conf = nodeDir && existsSync(join(nodeDir, 'rabbitmq.conf')) ? readFileSync(join(nodeDir, 'rabbitmq.conf'), 'utf8') : '';
      const port = Number(/listeners\.tcp\.default = 127\.0\.0\.1:(\d+)/.exec(conf)?.[1] ?? 0);
      if (port && (await portsAnswering([port])).length) {
        ports.push(port);
        break;
      }
    }
    await sleep(3000);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr());
    assert.match(stderr(), /SIGINT: stopping the cell, removing the private broker/);
  });
});
