// Scenario spelling, matrix expansion and scenario-file loading (docs/architecture.md#scenarios-axes-and-cells, docs/architecture.md#spelling-of-modes).

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { CLI } from '../helpers/cli.js';
import { loadScenario, type ScenarioOverrides } from '../../src/scenario/load.js';
import { cellId, DEFAULT_AXES, expandMatrix, type Axes } from '../../src/scenario/matrix.js';
import { consumeLabel, ModeSpellingError, parseConsumeMode, parsePublishMode, publishLabel } from '../../src/scenario/modes.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('publish mode spelling', () => {
  const roundTrips: [string, string][] = [
    ['none', 'none'],
    ['single', 'single'],
    ['batch', 'batch:100'],
    ['batch:50', 'batch:50'],
    ['async', 'async:1000'],
    ['async:10', 'async:10'],
    ['tx', 'tx:1'],
    ['tx:100', 'tx:100'],
  ];
  for (const [spelt, label] of roundTrips) {
    test(`'${spelt}' prints as '${label}' and the label parses back to the same mode`, () => {
      const mode = parsePublishMode(spelt);
      assert.equal(publishLabel(mode), label);
      assert.deepEqual(parsePublishMode(label), mode);
    });
  }

  test('bare batch, async and tx take defaults 100, 1000 and 1', () => {
    assert.deepEqual(parsePublishMode('batch'), { kind: 'batch', size: 100 });
    assert.deepEqual(parsePublishMode('async'), { kind: 'async', window: 1000 });
    assert.deepEqual(parsePublishMode('tx'), { kind: 'tx', size: 1 });
  });

  for (const bad of ['batch:0', 'async:0', 'tx:0', 'async:-1', 'async:1.5', 'foo', 'single:3', 'batch:1:2']) {
    test(`rejects '${bad}' with a ModeSpellingError naming it`, () => {
      assert.throws(
        () => parsePublishMode(bad),
        (e: unknown) => e instanceof ModeSpellingError && e.message.includes(`'${bad}'`),
      );
    });
  }
});

describe('consume mode spelling', () => {
  test("'manual' means prefetch 100, ack each delivery", () => {
    assert.deepEqual(parseConsumeMode('manual'), { ack: 'manual', prefetch: 100, multiAck: 1 });
  });

  test("'manual:50:10' sets prefetch and multi-ack, and round-trips through its label", () => {
    const mode = parseConsumeMode('manual:50:10');
    assert.deepEqual(mode, { ack: 'manual', prefetch: 50, multiAck: 10 });
    assert.deepEqual(parseConsumeMode(consumeLabel(mode)), mode);
  });

  test("'auto' is auto-ack with no prefetch limit", () => {
    assert.deepEqual(parseConsumeMode('auto'), { ack: 'auto', prefetch: 0 });
    assert.equal(consumeLabel(parseConsumeMode('auto')), 'auto');
  });

  for (const bad of ['manual:10:20', 'manual:0', 'auto:5:2', 'xyz']) {
    test(`rejects '${bad}'`, () => {
      assert.throws(
        () => parseConsumeMode(bad),
        (e: unknown) => e instanceof ModeSpellingError && e.message.includes(`'${bad}'`),
      );
    });
  }

  test('a multi-ack count above the prefetch is refused because the consumer would stall', () => {
    assert.throws(() => parseConsumeMode('manual:10:20'), /exceeds prefetch/);
    assert.deepEqual(parseConsumeMode('manual:10:10'), { ack: 'manual', prefetch: 10, multiAck: 10 });
  });
});

describe('expandMatrix', () => {
  const axes: Axes = {
    client: ['amqplib', 'rabbitmq-client'],
    durability: ['transient', 'persistent'],
    publish: ['none', 'single', 'batch:10', 'async:100', 'tx:5'],
    consume: ['manual:100', 'auto'],
    queue: ['classic', 'quorum'],
    size: [16, 1024],
    producers: [1, 4],
    channels: [1, 4],
    deduplication: ['off', 'on'],
    consumers: [0, 2],
    rate: ['unlimited', 2.5],
  };

  test('the cell count is the product of the axes', () => {
    const product = Object.values(axes).reduce((n, values) => n * values.length, 1);
    assert.equal(product, 2 * 2 * 5 * 2 * 2 * 2 * 2 * 2 * 2 * 2 * 2);
    assert.equal(expandMatrix(axes).length, product);
  });

  test('every combination appears exactly once', () => {
    const cells = expandMatrix(axes);
    const keys = new Set(cells.map((c) => JSON.stringify([c.client, c.durability, c.publish, c.consume, c.queue, c.size, c.producers, c.channels, c.deduplication, c.consumers, c.rate])));
    assert.equal(keys.size, cells.length);
  });

  test('cell ids are unique and filename-safe', () => {
    const cells = expandMatrix(axes);
    assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
    for (const c of cells) assert.match(c.id, /^[A-Za-z0-9._-]+$/, c.id);
  });

  test(
    'ids stay filename-safe for any rate the schema accepts',
    () => {
      for (const rate of [0.5, 1 / 3, 1e-7, 1e21]) {
        const [cell] = expandMatrix({ ...DEFAULT_AXES, rate: [rate] });
        assert.match(cell.id, /^[A-Za-z0-9._-]+$/, cell.id);
      }
    },
  );

  test('a rate is per second, unlimited becomes null', () => {
    assert.deepEqual(new Set(expandMatrix(axes).map((c) => c.rate)), new Set([null, 2.5]));
  });

  test('duplicate spellings of one mode collapse into one cell', () => {
    const cells = expandMatrix({ ...DEFAULT_AXES, publish: ['async', 'async:1000', 'tx', 'tx:1'], consume: ['manual', 'manual:100', 'manual:100:1'], size: [64, 64] });
    assert.equal(cells.length, 2);
    assert.deepEqual(
      cells.map((c) => publishLabel(c.publish)),
      ['async:1000', 'tx:1'],
    );
  });

  test('channels per connection: 1 adds nothing to the id (ids of older runs still match), more adds .chN', () => {
    const [one, four] = expandMatrix({ ...DEFAULT_AXES, producers: [4], channels: [1, 4] });
    assert.equal(one.id, 'amqplib.persistent.async-1000.manual-100-1.classic.1024B.p4c1.max');
    assert.equal(four.id, 'amqplib.persistent.async-1000.manual-100-1.classic.1024B.p4c1.ch4.max');
    assert.equal(loadScenario(null, { axes: { channels: '2,8' } }).cells.map((c) => c.channels).join(','), '2,8');
    assert.throws(() => loadScenario(null, { axes: { channels: '0' } }), /--channels/);
    assert.throws(() => loadScenario(null, { axes: { channels: '4096' } }), /channel_max/);
  });

  test('deduplication: off (the default) adds nothing to the id, and a cell stored before the axis has the same id; on adds .dedup', () => {
    const [off, on] = expandMatrix({ ...DEFAULT_AXES, client: ['stream'], queue: ['stream'], deduplication: ['off', 'on'] });
    assert.equal(off.id, 'stream.persistent.async-1000.manual-100-1.stream.1024B.p1c1.max');
    assert.equal(on.id, 'stream.persistent.async-1000.manual-100-1.stream.1024B.p1c1.dedup.max');
    assert.deepEqual([off.deduplication, on.deduplication], ['off', 'on']);
    const { id: _id, deduplication: _d, ...stored } = off;
    assert.equal(cellId(stored), off.id, 'a cell without the field is off');
    assert.equal(expandMatrix(DEFAULT_AXES)[0].id, 'amqplib.persistent.async-1000.manual-100-1.classic.1024B.p1c1.max');
    const [chOn] = expandMatrix({ ...DEFAULT_AXES, producers: [4], channels: [2], deduplication: ['on'] });
    assert.equal(chOn.id, 'amqplib.persistent.async-1000.manual-100-1.classic.1024B.p4c1.ch2.dedup.max');
  });

  test('deduplication from --deduplication and from axes.deduplication; a bad value is one line naming it', () => {
    assert.deepEqual(loadScenario(null, { axes: { deduplication: 'off,on' } }).cells.map((c) => c.deduplication), ['off', 'on']);
    assert.deepEqual(loadScenario(null).cells.map((c) => c.deduplication), ['off'], 'default off');
    assert.deepEqual(loadScenario(null, { axes: { deduplication: 'on,on' } }).cells.length, 1, 'duplicates collapse');
    for (const bad of ['yes', 'true', 'ON', '']) {
      assert.throws(
        () => loadScenario(null, { axes: { deduplication: bad } }),
        (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /^--deduplication/.test(e.message) && !e.message.includes('\n'),
        bad,
      );
    }
    assert.throws(() => loadScenario(null, { axes: { deduplication: 'maybe' } }), { message: '--deduplication[0]: must be one of off, on' });
  });

  test('the CLI: --deduplication with a bad value exits 2 with one line naming it, before any broker is contacted', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--deduplication', 'off,maybe', '--url', 'amqp://127.0.0.1:1', '--no-report', '--out', join(mkdtempSync(join(tmpdir(), 'ackbench-dedup-')), 'run')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, 'ackbench: --deduplication[1]: must be one of off, on\n');
  });

  test('the distinct values of each axis multiply, not the raw lists', () => {
    const cells = expandMatrix({ ...DEFAULT_AXES, durability: ['transient', 'persistent', 'transient'], producers: [1, 2, 2, 1] });
    assert.equal(cells.length, 4);
  });
});

describe('loadScenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ackbench-scenario-'));
  let n = 0;
  function scenarioFile(yaml: string): string {
    const path = join(dir, `s${n++}.yaml`);
    writeFileSync(path, yaml);
    return path;
  }

  /** Loading must fail with a one-line UsageError (exit 2) whose message matches every pattern. */
  function assertUsageError(load: () => unknown, ...patterns: (string | RegExp)[]): void {
    assert.throws(load, (e: unknown) => {
      assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
      assert.equal(e.exitCode, 2);
      assert.ok(!e.message.includes('\n'), `message is not one line: ${JSON.stringify(e.message)}`);
      for (const p of patterns) {
        if (typeof p === 'string') assert.ok(e.message.includes(p), `${JSON.stringify(e.message)} does not include ${JSON.stringify(p)}`);
        else assert.match(e.message, p);
      }
      return true;
    });
  }

  test('a valid file expands into its matrix with its window', () => {
    const path = scenarioFile(
      ['name: t', 'messages: 2000', 'warmup: 10', 'repetitions: 3', 'axes:', '  durability: transient', '  publish: [single, async:50, tx:10]', '  size: [16, 4096]'].join('\n'),
    );
    const s = loadScenario(path);
    assert.equal(s.name, 't');
    assert.equal(s.cells.length, 6);
    assert.equal(s.window.messages, 2000);
    assert.equal(s.window.durationSeconds, null);
    assert.equal(s.window.warmupMessages, 10);
    assert.equal(s.window.repetitions, 3);
    assert.deepEqual(s.axes.publish, ['single', 'async:50', 'tx:10']);
    assert.deepEqual(s.axes.durability, ['transient']);
    assert.ok(s.cells.every((c) => c.durability === 'transient' && c.client === 'amqplib'));
  });

  test('a duration window replaces the message count', () => {
    const s = loadScenario(scenarioFile('duration: 2.5\n'));
    assert.equal(s.window.messages, null);
    assert.equal(s.window.durationSeconds, 2.5);
  });

  test('bench/quick.yaml gives 10 cells: 2 durabilities x 5 publish modes', () => {
    const s = loadScenario(join(REPO, 'bench/quick.yaml'));
    assert.equal(s.cells.length, 10);
    assert.deepEqual(new Set(s.cells.map((c) => c.durability)), new Set(['transient', 'persistent']));
    assert.deepEqual(new Set(s.cells.map((c) => c.publish.kind)), new Set(['none', 'single', 'batch', 'async', 'tx']));
  });

  test('bench/default.yaml and bench/nightly.yaml pass the schema: 2 clients x 2 queues x 2 durabilities x 5 modes, 3 repetitions', () => {
    for (const file of ['default.yaml', 'nightly.yaml']) {
      const s = loadScenario(join(REPO, 'bench', file));
      assert.equal(s.cells.length, 40, file);
      assert.equal(s.window.repetitions, 3, file);
      assert.deepEqual(new Set(s.cells.map((c) => c.client)), new Set(['amqplib', 'rabbitmq-client']), file);
      assert.deepEqual(new Set(s.cells.map((c) => c.queue)), new Set(['classic', 'quorum']), file);
    }
  });

  test('a missing file', () => {
    assertUsageError(() => loadScenario(join(dir, 'nope.yaml')), 'nope.yaml', 'file not found');
  });

  test('not YAML', () => {
    assertUsageError(() => loadScenario(scenarioFile('axes: [a, b\n')), 'not valid YAML');
  });

  test('a misspelt top-level key suggests the right one', () => {
    assertUsageError(() => loadScenario(scenarioFile('mesages: 5\n')), "'mesages'", "did you mean 'messages'");
  });

  test('axes.deduplication: [off, on] in YAML (plain strings, not YAML 1.1 booleans); another value names the field', () => {
    const s = loadScenario(scenarioFile('axes:\n  client: stream\n  queue: stream\n  deduplication: [off, on]\n'));
    assert.deepEqual(s.cells.map((c) => c.deduplication), ['off', 'on']);
    assert.deepEqual(s.axes.deduplication, ['off', 'on']);
    assertUsageError(() => loadScenario(scenarioFile('axes:\n  deduplication: [off, yes]\n')), 'axes.deduplication[1]: must be one of off, on');
    assertUsageError(() => loadScenario(scenarioFile('axes:\n  deduplication: true\n')), 'axes.deduplication', 'off, on');
    assertUsageError(() => loadScenario(scenarioFile('axes:\n  deduplicaton: on\n')), "'axes.deduplicaton'", "did you mean 'deduplication'");
  });

  test('a misspelt axis suggests the right one', () => {
    assertUsageError(() => loadScenario(scenarioFile('axes:\n  publsh: single\n')), 'publsh', "did you mean 'publish'");
  });

  test('a value of the wrong type', () => {
    assertUsageError(() => loadScenario(scenarioFile('messages: lots\n')), 'messages');
  });

  const outOfRange: [string, string][] = [
    ['messages: 0', 'messages'],
    ['messages: -5', 'messages'],
    ['duration: 0', 'duration'],
    ['duration: -1', 'duration'],
    ['repetitions: 0', 'repetitions'],
    ['repetitions: -2', 'repetitions'],
    ['axes: {size: 0}', 'size'],
    ['axes: {size: -1024}', 'size'],
    ['axes: {rate: 0}', 'rate'],
    ['axes: {rate: [100, -5]}', 'rate'],
    ['axes: {publish: [async:0]}', 'publish'],
    ['axes: {size: 8}', 'size'],
    ['axes: {size: 99999999}', 'size'],
    ['axes: {publish: []}', 'publish'],
  ];
  for (const [yaml, field] of outOfRange) {
    test(`'${yaml}' is refused, naming ${field}`, () => {
      assertUsageError(() => loadScenario(scenarioFile(yaml + '\n')), field);
    });
  }

  test('the size limits say why: the header below, the broker above', () => {
    assertUsageError(() => loadScenario(scenarioFile('axes: {size: 8}\n')), 'size', '16');
    assertUsageError(() => loadScenario(scenarioFile('axes: {size: 99999999}\n')), 'size', String(16 * 1024 * 1024));
  });

  test('a bad publish mode inside a list names the mode', () => {
    assertUsageError(() => loadScenario(scenarioFile('axes: {publish: [single, async:0]}\n')), 'publish', 'async:0');
  });

  test('messages and duration together are refused', () => {
    assertUsageError(() => loadScenario(scenarioFile('messages: 100\nduration: 5\n')), 'messages', 'duration');
  });

  describe('command-line overrides', () => {
    const base = () => scenarioFile('messages: 100\naxes:\n  publish: [none, async:10]\n  size: 1024\n');

    test('an axis flag replaces the file axis', () => {
      const s = loadScenario(base(), { axes: { publish: 'single,tx:5' } });
      assert.deepEqual(
        s.cells.map((c) => publishLabel(c.publish)),
        ['single', 'tx:5'],
      );
      assert.deepEqual(s.axes.publish, ['single', 'tx:5']);
    });

    test('a numeric axis flag that is not a number names the flag', () => {
      assertUsageError(() => loadScenario(base(), { axes: { size: 'abc' } }), '--size');
    });

    test('an axis flag value the schema refuses names the flag', () => {
      assertUsageError(() => loadScenario(base(), { axes: { publish: 'single,async:0' } }), '--publish', 'async:0');
      assertUsageError(() => loadScenario(base(), { axes: { size: '8' } }), '--size');
    });

    const badNumbers: [ScenarioOverrides, string][] = [
      [{ messages: 0 }, '--messages'],
      [{ messages: 1.5 }, '--messages'],
      [{ duration: 0 }, '--duration'],
      [{ repetitions: 0 }, '--repetitions'],
    ];
    for (const [overrides, flag] of badNumbers) {
      test(`${JSON.stringify(overrides)} is refused, naming ${flag}`, () => {
        assertUsageError(() => loadScenario(base(), overrides), flag);
      });
    }

    test('--duration replaces the file message count, and --messages the file duration', () => {
      const byDuration = loadScenario(base(), { duration: 3 });
      assert.equal(byDuration.window.messages, null);
      assert.equal(byDuration.window.durationSeconds, 3);
      const byCount = loadScenario(scenarioFile('duration: 4\n'), { messages: 7 });
      assert.equal(byCount.window.messages, 7);
      assert.equal(byCount.window.durationSeconds, null);
    });
  });
});
