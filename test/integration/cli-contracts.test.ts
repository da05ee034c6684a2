// Every command keeps its contract under bad input and signals: one line naming the input and the
// problem, the documented exit code (0 ok, 1 a finding or regression, 2 bad usage or input, 3 broker,
// 130 / 143 after SIGINT / SIGTERM), quickly, never a hang. Each test here failed before its fix.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { CLI, REPO, runCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../../src/broker/local-node.js';

const BOUND_MS = 20_000;

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at |^\s+at /m, 'no stack trace');
  return lines[0];
}

/** An AMQP URL where nothing listens. */
async function deadUrl(): Promise<string> {
  return `amqp://guest:guest@127.0.0.1:${await freePort()}`;
}

test('--out under /proc: exit 2 naming the path at once, no spin (was: 100% CPU forever, SIGTERM ignored)', async () => {
  const r = await runCli(['run', '--out', '/proc/ackbench-nope', '--messages', '100'], { timeoutMs: BOUND_MS });
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /^ackbench: --out \/proc\/ackbench-nope: /);
  for (const command of [['merge', 'x', '--out', '/proc/ackbench-nope/m'], ['faults', '--out', '/proc/ackbench-nope'], ['compare', 'a', 'b', '--out', '/proc/ackbench-nope']]) {
    const m = await runCli(command, { timeoutMs: BOUND_MS });
    assert.equal(m.code, 2, command.join(' '));
    oneLine(m.stderr);
  }
});

test('a missing or foreign run directory is bad input (exit 2), never a regression (1)', async () => {
  const empty = tempDir();
  const cases: [string[], RegExp][] = [
    [['compare', join(empty, 'nope'), empty], /^ackbench: compare: baseline .*nope: no such directory$/],
    [['compare', empty, empty], /^ackbench: compare: baseline .*: no run\.json there \(not a run directory\)$/],
    [['report', empty], /: no run\.json there/],
    [['report', join(empty, 'nope')], /: no such directory$/],
    [['history', join(empty, 'nope')], /^ackbench: history .*nope: no such directory$/],
    [['merge', empty, '--out', join(empty, 'm')], /^ackbench: merge: .*no run\.json there/],
    [['run', '--resume', empty], /^ackbench: --resume .*: cannot read run\.json \(ENOENT\)$/],
  ];
  const garbage = join(empty, 'garbage');
  mkdirSync(garbage);
  writeFileSync(join(garbage, 'run.json'), JSON.stringify({ format: 'ackbench-run/1', cells: [{}], aggregates: [] }));
  cases.push([['report', garbage], /run\.json: not a run ackbench can read: runId: /]);
  cases.push([['compare', garbage, garbage], /^ackbench: compare: baseline .*run\.json: not a run ackbench can read: /]);
  for (const [args, line] of cases) {
    const r = await runCli(args, { timeoutMs: BOUND_MS });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneLine(r.stderr), line);
  }
});

test('run with a scenario that has faults: refuses with a pointer to ackbench faults (was: ran without them)', async () => {
  const r = await runCli(['run', 'bench/faults.yaml', '--url', await deadUrl()], { timeoutMs: BOUND_MS });
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /^ackbench: scenario bench\/faults\.yaml: has faults: \(kill9@.*\), which `run` does not inject; run it with `ackbench faults bench\/faults\.yaml`/);
});

test('a run the broker refuses (exit 3) leaves no directory behind', async () => {
  const root = tempDir();
  const out = join(root, 'a', 'b');
  const r = await runCli(['run', '--url', await deadUrl(), '--out', out, '--messages', '10'], { timeoutMs: BOUND_MS });
  assert.equal(r.code, 3);
  assert.match(oneLine(r.stderr), /connection refused/);
  assert.equal(existsSync(join(root, 'a')), false, 'created directories removed');
});

test('AMQP_URL and --url are named in their errors', async () => {
  const env = await runCli(['run', '--messages', '10', '--out', tempDir()], { env: { AMQP_URL: 'http://x' }, timeoutMs: BOUND_MS });
  assert.equal(env.code, 2);
  assert.match(oneLine(env.stderr), /^ackbench: AMQP_URL: scheme must be amqp or amqps, got 'http'$/);
  const empty = await runCli(['run', '--url', '', '--out', tempDir()], { timeoutMs: BOUND_MS });
  assert.equal(empty.code, 2);
  assert.match(oneLine(empty.stderr), /^ackbench: --url: not a URL: ''$/);
});

test('a bad ACKBENCH_STREAM_PORT is bad input: exit 2 naming it, before anything runs (was: exit 3, a failed stream connection)', async () => {
  const url = await deadUrl();
  for (const value of ['abc', '0', '70000', '-1', '5552.5']) {
    // A stream matrix and the default (amqplib) one alike: the variable is checked whenever it is set.
    for (const args of [['run', '--client', 'stream', '--queue', 'stream'], ['run'], ['faults', '--client', 'stream', '--queue', 'stream']]) {
      const out = join(tempDir(), 'run');
      const r = await runCli([...args, '--url', url, '--messages', '10', '--out', out], { env: { ACKBENCH_STREAM_PORT: value }, timeoutMs: BOUND_MS });
      assert.equal(r.code, 2, `${args.join(' ')} with ACKBENCH_STREAM_PORT=${value}: ${r.stderr}`);
      assert.equal(oneLine(r.stderr), `ackbench: ACKBENCH_STREAM_PORT: '${value}' is not a port (1 to 65535)`);
      assert.equal(existsSync(out), false, 'checked before the output directory is made');
    }
  }
  // Empty is unset: the run goes on to the (dead) broker and is refused there, exit 3.
  const r = await runCli(['run', '--client', 'stream', '--queue', 'stream', '--url', url, '--messages', '10', '--out', join(tempDir(), 'run')], { env: { ACKBENCH_STREAM_PORT: '' }, timeoutMs: BOUND_MS });
  assert.equal(r.code, 3, r.stderr);
});

test('an unsupported cell shows its reason in the terminal table, the NDJSON events and the report', async () => {
  const out = tempDir();
  const r = await runCli(['run', '--queue', 'stream', '--consume', 'auto', '--messages', '10', '--warmup', '0', '--out', out], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^unsupported: amqplib\.\S+\.stream\.\S+ r1: stream queues require manual acknowledgement/m);
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /stream queues require manual acknowledgement/);
  const json = await runCli(['run', '--queue', 'stream', '--consume', 'auto', '--messages', '10', '--warmup', '0', '--out', tempDir(), '--json', '--no-report'], { timeoutMs: 60_000 });
  const event = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'cell-result');
  assert.equal(event.result.status, 'unsupported');
  assert.match(event.result.reason, /stream queues require manual acknowledgement/);
});

interface Started {
  child: ReturnType<typeof spawn>;
  out: () => string;
  /** The exit code, and when the process ended (Date.now()). */
  exited: Promise<{ code: number | null; at: number }>;
}

function start(args: string[]): Started {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  return { child, out: () => out, exited };
}

/** How long node takes here until it runs the first line of a script: before that, no handler of ours can run. */
function nodeStartMs(): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, ['-e', "process.stdout.write('x')"]);
  return new Promise((resolve) => child.stdout.once('data', () => resolve(Date.now() - started)));
}

/** Sends the signal; returns when it was sent. */
function signal(p: Started, sig: NodeJS.Signals): number {
  p.child.kill(sig);
  return Date.now();
}

/** Waits until the output matches (the run reached a stage), or fails. */
async function until(out: () => string, pattern: RegExp, ms = 60_000): Promise<void> {
  const started = Date.now();
  while (!pattern.test(out())) {
    if (Date.now() - started > ms) throw new Error(`no ${pattern} within ${ms} ms:\n${out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGINT as soon as node runs the first line says what happened and exits 130 (was: silent until the modules loaded)', async () => {
  // The signal handlers are the first module the executable loads (src/bin.ts): once node runs a
  // script's first line, a Ctrl-C is answered. Before, they came after ~0.3 s of module loading.
  const ready = await nodeStartMs();
  const p = start(['run', '--messages', '100', '--warmup', '0', '--out', tempDir(), '--no-report']);
  await new Promise((r) => setTimeout(r, ready * 1.5 + 50));
  signal(p, 'SIGINT');
  const { code } = await p.exited;
  assert.equal(code, 130, p.out());
  assert.match(p.out(), /SIGINT: (stopped while starting|stopping)/);
});

test('a second SIGINT, or one SIGTERM, ends a run within a few seconds', async () => {
  // A paced cell that would go on for minutes: only the signals can end it.
  const args = ['run', '--messages', '200000', '--rate', '500', '--warmup', '0', '--no-report'];
  const twice = start([...args, '--out', tempDir()]);
  await until(twice.out, /\[1\/1\]/);
  const firstAt = signal(twice, 'SIGINT');
  await until(twice.out, /SIGINT: stopping/, 5000);
  signal(twice, 'SIGINT');
  const a = await twice.exited;
  assert.equal(a.code, 130);
  assert.ok(a.at - firstAt < 5000, `exited ${a.at - firstAt} ms after the first SIGINT`);

  const term = start([...args, '--out', tempDir()]);
  await until(term.out, /\[1\/1\]/);
  const termAt = signal(term, 'SIGTERM');
  const b = await term.exited;
  assert.equal(b.code, 143);
  assert.ok(b.at - termAt < 5000, `exited ${b.at - termAt} ms after SIGTERM`);
  assert.match(term.out(), /SIGTERM: /);
});

test('--version and -V print the version', async () => {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag], { timeoutMs: BOUND_MS });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  }
});

test('--broker auto with nothing at the URL starts a private node and says so', { timeout: 180_000 }, async () => {
  const dead = await deadUrl();
  const r = await runCli(['run', '--broker', 'auto', '--url', dead, '--messages', '200', '--warmup', '0', '--no-report', '--out', tempDir()], { timeoutMs: 170_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^broker: a private node of the installed rabbitmq-server at amqp://\\S+, removed at the end \\(--broker auto: nothing answered at ${dead.replace(':guest@', ':***@').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`, 'm'));
});

// The CLI end to end over generated flag values: nothing listens at the URL, so a value the CLI
// accepts ends in exit 3 (the broker check), one it refuses in exit 2; both in one line, quickly.
test('any flag values: exit 2 naming the flag, or 3 (accepted, no broker), one line, within 20 s', { timeout: 600_000 }, async () => {
  const url = await deadUrl();
  const flags = ['--messages', '--duration', '--warmup', '--repetitions', '--producers', '--consumers', '--size', '--rate', '--publish', '--consume', '--queue', '--client', '--channels', '--sweep', '--shard'];
  const values = fc.oneof(
    fc.constantFrom('1', '0', '-1', '1e308', '5e-324', 'NaN', 'Infinity', '0x10', '1,2', 'unlimited', 'async:10', 'manual:5:2', 'stream', '2/3', '50%', '', ' ', '🐇', 'é,ü', '\u202e'),
    fc.double().map(String),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  );
  const argv = fc.array(fc.tuple(fc.constantFrom(...flags), values), { minLength: 1, maxLength: 3 });
  await fc.assert(
    fc.asyncProperty(argv, async (pairs) => {
      const out = tempDir();
      const args = ['run', ...pairs.flat(), '--url', url, '--out', join(out, 'run'), '--no-report'];
      const r = await runCli(args, { timeoutMs: BOUND_MS });
      assert.ok(r.code === 2 || r.code === 3, `exit ${r.code}: ${JSON.stringify(args)}\n${r.stderr}`);
      const line = oneLine(r.stderr);
      if (r.code === 2) assert.match(line, /^ackbench: (--[a-z-]+|the flags|too many arguments|unknown|option|error)/, line);
      else assert.equal(existsSync(join(out, 'run')), false, 'nothing left by a refused run');
    }),
    { numRuns: 25 },
  );
});
