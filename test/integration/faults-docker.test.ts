// `ackbench faults --broker docker`. THE DOCKER ENGINE IS SIMULATED, THE BROKER IS REAL: there is no
// docker engine here, so a docker CLI test double (test/helpers/docker-bin/docker, docker-double.ts)
// is put first on the CLI's PATH. It answers the docker subcommands ackbench calls, and behind the
// "container" it runs a real private RabbitMQ node that `docker kill --signal KILL` kills -9 and
// `docker start` starts again on the same data. So this tests ackbench's side (the docker commands and
// their order, readiness, the fault cell and its counts on a real broker, cleanup), not Docker itself
// nor the rabbitmq image.
//
// Also: without an engine (the double's `info` fails, or no docker on PATH) `faults --broker docker`
// ends with one line and exit 3; `--nodes 3` with docker is refused with one line, exit 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { portAnswers } from '../../src/broker/local-node.js';
import { dockerAnswers, provisionBroker, type ProvisionedBroker } from '../../src/broker/provision.js';
import { amqplibAdapter } from '../../src/clients/amqplib.js';
import type { RunFile } from '../../src/run/result.js';
import { REPO, runCli, tempDir } from '../helpers/cli.js';
import { processesIn } from '../helpers/private-nodes.js';

const DOUBLE_BIN = join(REPO, 'test', 'helpers', 'docker-bin');
/** State dirs of the double made by the tests: after them, any container left is removed. */
const doubleDirs: string[] = [];

/** The environment that finds the double first on PATH, with its state in dir. */
function doubleEnvOf(dir: string): NodeJS.ProcessEnv {
  return { PATH: `${DOUBLE_BIN}${delimiter}${process.env.PATH ?? ''}`, DOCKER_DOUBLE_DIR: dir, DOCKER_DOUBLE_NODE: process.execPath };
}

/** A state dir for the double, and the CLI environment for it. */
function doubleEnv(extra: NodeJS.ProcessEnv = {}): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('ackbench-docker-double-');
  // The private node drops to the rabbitmq user when we are root: it must reach its dir under ours.
  chmodSync(dir, 0o755);
  doubleDirs.push(dir);
  return { dir, env: { ...doubleEnvOf(dir), ...extra } };
}

/** Every docker invocation the double saw, in order. */
function commandsOf(dir: string): string[][] {
  const path = join(dir, 'commands.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
}

describe('ackbench faults --broker docker (simulated engine, real broker)', { concurrency: false }, () => {
  after(() => {
    // Whatever a failed test left: `docker rm` makes the double's server remove its node and exit.
    for (const dir of doubleDirs) {
      const containers = join(dir, 'containers');
      for (const f of existsSync(containers) ? readdirSync(containers) : []) {
        if (!f.endsWith('.sock')) continue;
        spawnSync(join(DOUBLE_BIN, 'docker'), ['rm', '--force', f.slice(0, -'.sock'.length)], { env: { ...process.env, ...doubleEnvOf(dir) }, timeout: 30_000 });
      }
    }
  });

  test('kill -9 of the container mid-cell: a persistent async:100 cell loses nothing confirmed; run, kill, start, rm; nothing left', { timeout: 150_000 }, async (t) => {
    const { dir, env } = doubleEnv();
    const scenario = join(dir, 'one-cell.yaml');
    writeFileSync(
      scenario,
      [
        'name: docker-faults',
        // Paced, 7 s left after the fault's message: the double's `docker kill` (a shell, a Node
        // process, a socket) lands mid-publish even on a loaded machine.
        'messages: 8000',
        'warmup: 100',
        'drain: 2',
        'timeout: 60',
        'axes: { durability: persistent, publish: async:100, consumers: 0, size: 256, rate: 1000 }',
        'faults: [{ kind: kill9, at: 1000 }]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const r = await runCli(['faults', scenario, '--broker', 'docker', '--out', out, '--no-report'], { env, timeoutMs: 140_000 });
    const commands = commandsOf(dir);
    t.diagnostic(`docker commands: ${commands.map((c) => c[0]).join(' ')}`);
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}\n--- container log ---\n${readdirSync(join(dir, 'containers')).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(dir, 'containers', f), 'utf8')).join('\n')}`);

    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    assert.equal(run.complete, true);
    assert.equal(run.cells.length, 1);
    const [cell] = run.cells;
    const fault = cell.fault!;
    t.diagnostic(`attempted ${fault.attempted} ok ${fault.ok} fail ${fault.fail} unknown ${fault.unknown} lost ${fault.lost} recovered ${fault.recovered} recovery ${fault.recoverySeconds.toFixed(2)} s`);
    assert.equal(cell.status, 'ok', cell.reason);
    assert.equal(fault.kind, 'kill9');
    assert.equal(fault.lost, 0, 'persistent + confirms: nothing confirmed lost');
    assert.ok(fault.ok > 0, 'messages were confirmed');
    assert.equal(fault.attempted, fault.ok + fault.fail + fault.unknown);
    assert.ok(fault.sentAtInjection >= 1000 && cell.counts.sent < 8000, `the fault came mid-publish (sent ${cell.counts.sent})`);

    // run.json names the container; the node is rabbit@<container> (its hostname).
    const broker = run.faultBroker!;
    assert.equal(broker.kind, 'docker');
    assert.match(broker.container!.name, /^ackbench-\d+-\d+$/);
    assert.equal(broker.container!.image, 'rabbitmq:4.1');
    assert.deepEqual(broker.nodes.map((n) => [n.name, n.distPort]), [[`rabbit@${broker.container!.name}`, null]]);
    assert.equal(broker.target, `rabbit@${broker.container!.name}`);
    assert.equal(fault.node, broker.target);
    const port = broker.nodes[0].amqpPort;

    // The container's life, as the engine saw it: created once, killed, started again, removed.
    const name = broker.container!.name;
    assert.equal(commands[0][0], 'info', 'the engine is asked first');
    const lifecycle = commands.filter((c) => ['run', 'kill', 'stop', 'start', 'rm'].includes(c[0]));
    assert.deepEqual(lifecycle.map((c) => c[0]), ['run', 'kill', 'start', 'rm'], JSON.stringify(lifecycle));
    const [runArgs, killArgs, startArgs, rmArgs] = lifecycle;
    assert.ok(!runArgs.includes('--rm'), 'not --rm: a killed container must be startable again');
    assert.deepEqual(runArgs.slice(runArgs.indexOf('--name'), runArgs.indexOf('--name') + 2), ['--name', name]);
    assert.ok(runArgs.includes(`127.0.0.1:${port}:5672`), `published on loopback only: ${runArgs.join(' ')}`);
    // The stream listener on the host port the stream client looks for (the AMQP port - 120), advertised as that.
    assert.ok(runArgs.includes(`127.0.0.1:${port - 120}:5552`), `stream port published: ${runArgs.join(' ')}`);
    assert.ok(runArgs.includes(`RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-rabbitmq_stream advertised_host "127.0.0.1" advertised_port ${port - 120}`), runArgs.join(' '));
    assert.ok(runArgs.includes('RABBITMQ_ENABLED_PLUGINS=rabbitmq_prometheus,rabbitmq_amqp1_0,rabbitmq_stream'), runArgs.join(' '));
    assert.deepEqual(killArgs, ['kill', '--signal', 'KILL', name]);
    assert.deepEqual(startArgs, ['start', name]);
    assert.equal(rmArgs.at(-1), name);
    assert.ok(rmArgs.includes('--force'));
    // kill9 waits until the engine says the container stopped; rabbitmqctl runs in the container.
    const killAt = commands.indexOf(killArgs);
    assert.deepEqual(commands[killAt + 1], ['inspect', '--format', '{{.State.Running}}', name]);
    assert.ok(commands.some((c) => c[0] === 'exec' && c[1] === name && c[2] === 'rabbitmqctl' && c[3] === 'list_queues'), 'the queue is settled through docker exec rabbitmqctl');

    // Nothing left: no server of the double, no beam under its dir, no node dir, the port free.
    const until = Date.now() + 10_000;
    while (processesIn(dir).length && Date.now() < until) await sleep(100);
    assert.deepEqual(processesIn(dir), [], 'no process (container server, beam) left under the double\'s dir');
    assert.deepEqual(readdirSync(join(dir, 'nodes')), [], 'the private node behind the container was removed');
    assert.deepEqual(readdirSync(join(dir, 'containers')).filter((f) => f.endsWith('.sock')), [], 'no container left');
    assert.equal(await portAnswers(port, 1000), false, `port ${port} is free`);
    assert.equal(await portAnswers(port - 120, 1000), false, `stream port ${port - 120} is free`);
  });

  test('run --broker docker with the rhea and stream clients: AMQP 1.0 on the AMQP port, the stream protocol on the published stream port; every message delivered', { timeout: 120_000 }, async (t) => {
    const { dir, env } = doubleEnv();
    const out = join(dir, 'run');
    const r = await runCli(
      ['run', '--broker', 'docker', '--client', 'rhea,stream', '--queue', 'classic,stream', '--publish', 'async:100', '--messages', '300', '--warmup', '20', '--out', out, '--no-report'],
      { env, timeoutMs: 110_000 },
    );
    t.diagnostic(`docker commands: ${commandsOf(dir).map((c) => c[0]).join(' ')}`);
    assert.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    const ran = run.cells.filter((c) => c.status !== 'unsupported').map((c) => `${c.cell.client}.${c.cell.queue}`);
    // stream on a classic queue is refused; the other three ran.
    assert.deepEqual(ran.sort(), ['rhea.classic', 'rhea.stream', 'stream.stream']);
    for (const c of run.cells.filter((x) => x.status !== 'unsupported')) {
      assert.equal(c.status, 'ok', `${c.cell.id}: ${c.reason}`);
      assert.equal(c.counts.sent, 300, c.cell.id);
      assert.equal(c.counts.confirmed, 300, c.cell.id);
      assert.equal(c.counts.received, 300, c.cell.id);
      assert.equal(c.counts.lost, 0, c.cell.id);
    }
    assert.deepEqual(commandsOf(dir).filter((c) => ['run', 'rm'].includes(c[0])).map((c) => c[0]), ['run', 'rm'], 'one container, removed');
  });

  test('auto with nothing at the default URL and no rabbitmq-server starts a container, and removes it', { timeout: 90_000 }, async () => {
    // The first two probes are made to fail (the system node does answer here, and rabbitmq-server is
    // installed); the docker one is the real `docker info`, answered by the double on PATH.
    const { dir, env } = doubleEnv();
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let broker: ProvisionedBroker | undefined;
    try {
      broker = await provisionBroker('auto', undefined, undefined, {
        urlAnswers: async () => false,
        rabbitmqServerInstalled: () => false,
        dockerAnswers,
      });
      assert.equal(broker.kind, 'docker');
      const port = Number(new URL(broker.url).port);
      assert.notEqual(port, 5672, 'a port of its own');
      // A real broker behind it: a message goes in and is counted.
      const conn = await amqplibAdapter.connect(broker.url, { connectionName: 'ackbench auto-docker test', timeoutMs: 10_000 });
      const ch = await conn.openChannel();
      await ch.declareQueue('ackbench.auto-docker', 'classic');
      ch.publish('ackbench.auto-docker', Buffer.from('x'), true);
      let count = 0;
      for (let i = 0; i < 50 && count === 0; i++, await sleep(100)) count = await ch.countMessages('ackbench.auto-docker');
      assert.equal(count, 1);
      await conn.close();
      await broker.release();
      assert.deepEqual(commandsOf(dir).filter((c) => ['info', 'run', 'rm'].includes(c[0])).map((c) => c[0]), ['info', 'run', 'rm'], 'the engine asked once');
      const until = Date.now() + 10_000;
      while (processesIn(dir).length && Date.now() < until) await sleep(100);
      assert.deepEqual(processesIn(dir), [], 'no process left under the double\'s dir');
      assert.equal(await portAnswers(port, 1000), false, `port ${port} is free`);
    } finally {
      await broker?.release();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test('without an engine: exit 3 with one line, and nothing run', { timeout: 30_000 }, async () => {
    // The double's `info` fails as a docker CLI without a daemon does.
    const { dir, env } = doubleEnv({ DOCKER_DOUBLE_NO_ENGINE: '1' });
    const r = await runCli(['faults', '--broker', 'docker', '--messages', '100', '--out', join(dir, 'run')], { env, timeoutMs: 25_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /^ackbench: --broker docker: no docker engine answers `docker info` here; start one, or use --broker local/);
    assert.deepEqual(commandsOf(dir).map((c) => c[0]), ['info'], 'only the engine was asked');
    assert.equal(existsSync(join(dir, 'run')), false, 'no run directory');

    // No docker on PATH at all.
    const bare = await runCli(['faults', '--broker', 'docker', '--messages', '100'], { env: { PATH: dir }, timeoutMs: 25_000 });
    assert.equal(bare.code, 3, bare.stderr);
    assert.equal(bare.stderr.trim().split('\n').length, 1, `one line: ${bare.stderr}`);
    assert.match(bare.stderr, /no docker engine answers/);
  });

  test('--nodes 3 with docker is refused with one line, exit 2, before the engine is asked', { timeout: 30_000 }, async () => {
    const { dir, env } = doubleEnv();
    const r = await runCli(['faults', '--broker', 'docker', '--nodes', '3', '--messages', '100'], { env, timeoutMs: 25_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /docker\/compose\.cluster\.yml/);
    assert.match(r.stderr, /--broker local/);
    assert.deepEqual(commandsOf(dir), [], 'the engine was not asked');
  });
});
