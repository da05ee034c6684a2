// Property tests (fast-check) over the scenario loader and the values the CLI's flags pass to it:
// whatever document or flag value a user gives (wrong types, huge and tiny numbers, unicode, deep
// nesting, unknown keys), loading ends quickly in a valid cell matrix or in one UsageError line (exit
// 2) that names where the problem is; never another error, never a stack trace, never a hang.
// A failure prints fast-check's seed and path; the inputs it found are kept in REGRESSIONS below.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { UsageError } from '../../src/errors.js';
import { HEADER_BYTES } from '../../src/measure/header.js';
import { loadScenario, MAX_CELLS, type ScenarioOverrides } from '../../src/scenario/load.js';
import { MAX_CLIENTS, MAX_MESSAGE_BYTES, MAX_MESSAGES, MAX_SECONDS, MIN_RATE } from '../../src/scenario/schema.js';
import { CLIENTS, DEDUPLICATIONS, DURABILITIES, QUEUE_TYPES, type Scenario } from '../../src/scenario/types.js';

/** Each load, valid or not, ends within this (the loader does no I/O beyond one small file). */
const BOUND_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'ackbench-property-'));

/** Everything a valid scenario must be: cells the runner can run, a window it can keep. */
function assertValid(s: Scenario): void {
  assert.ok(s.cells.length >= 1 && s.cells.length <= MAX_CELLS, `${s.cells.length} cells`);
  for (const c of s.cells) {
    assert.ok((CLIENTS as readonly string[]).includes(c.client), c.client);
    assert.ok((DURABILITIES as readonly string[]).includes(c.durability), c.durability);
    assert.ok((QUEUE_TYPES as readonly string[]).includes(c.queue), c.queue);
    assert.ok(Number.isInteger(c.size) && c.size >= HEADER_BYTES && c.size <= MAX_MESSAGE_BYTES, `size ${c.size}`);
    assert.ok(Number.isInteger(c.producers) && c.producers >= 1 && c.producers <= MAX_CLIENTS, `producers ${c.producers}`);
    assert.ok(Number.isInteger(c.consumers) && c.consumers >= 0 && c.consumers <= MAX_CLIENTS, `consumers ${c.consumers}`);
    assert.ok(c.rate === null || (Number.isFinite(c.rate) && c.rate >= MIN_RATE), `rate ${c.rate}`);
    assert.match(c.id, /^[A-Za-z0-9._-]+$/, 'ids are file names');
  }
  const w = s.window;
  assert.ok((w.messages === null) !== (w.durationSeconds === null), 'messages or duration');
  if (w.messages !== null) assert.ok(Number.isInteger(w.messages) && w.messages >= 1 && w.messages + w.warmupMessages <= MAX_MESSAGES);
  if (w.durationSeconds !== null) assert.ok(w.durationSeconds > 0 && w.durationSeconds < w.cellTimeoutSeconds);
  assert.ok(Number.isInteger(w.warmupMessages) && w.warmupMessages >= 0);
  assert.ok(Number.isInteger(w.repetitions) && w.repetitions >= 1);
  assert.ok(w.cellTimeoutSeconds > 0 && w.cellTimeoutSeconds <= MAX_SECONDS);
  assert.ok(w.drainSeconds > 0 && w.drainSeconds <= MAX_SECONDS);
}

/** Loads, and checks the outcome: a valid scenario, or one UsageError line that starts with `prefix`. */
/** How many loads ended each way, to show that the generators reach both. */
const outcomes = { valid: 0, refused: 0 };
function check(prefix: string | RegExp, load: () => Scenario): void {
  const started = performance.now();
  let outcome: Scenario | unknown;
  try {
    outcome = load();
  } catch (err) {
    outcome = err;
  }
  const ms = performance.now() - started;
  assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms`);
  if (outcome instanceof Error) {
    assert.ok(outcome instanceof UsageError, `not a UsageError: ${outcome.stack}`);
    assert.doesNotMatch(outcome.message, /\n/, 'one line');
    assert.ok(typeof prefix === 'string' ? outcome.message.startsWith(prefix) : prefix.test(outcome.message), `'${outcome.message}' should start with '${prefix}'`);
    assert.ok(outcome.message.length < 1000, 'a line, not a dump');
    outcomes.refused++;
  } else {
    assertValid(outcome as Scenario);
    outcomes.valid++;
  }
}

// Values of every kind, the valid spellings among them so that valid documents come up too.
const tiny = fc.constantFrom(0, -0, 5e-324, 1e-300, -1e-300, 0.5, 1e-3);
const huge = fc.constantFrom(1e308, -1e308, Infinity, -Infinity, NaN, 2 ** 32, 2 ** 53 + 1, 1e21);
const wellSpelled = fc.constantFrom(
  'single', 'none', 'async:100', 'batch:10', 'tx:5', 'manual:100', 'manual:10:5', 'auto', 'auto:50',
  'classic', 'quorum', 'stream', 'amqplib', 'rabbitmq-client', 'transient', 'persistent', 'unlimited',
  'kill9', 'restart', 'close-connections', 'kill-consumer', 'continue', 'stop',
);
const scalar = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  tiny,
  huge,
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  wellSpelled,
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 3 })),
}));
/** Deep nesting: a value inside 50 to 400 levels of lists or maps. */
const deep = fc.tuple(fc.integer({ min: 50, max: 400 }), fc.boolean(), scalar).map(([depth, lists, leaf]) => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = lists ? [v] : { a: v };
  return v;
});
/** Per key: a value that key accepts (most of the time), else anything. Valid documents come up often. */
const sometimesWild = <T>(valid: fc.Arbitrary<T>, wild = 1 / 12) =>
  fc.oneof({ weight: Math.round(1 / wild) - 1, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.oneof(scalar, value) });
/** Present in about one document in six, else null. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
const listOf = <T>(item: fc.Arbitrary<T>) => fc.oneof(item, fc.array(item, { minLength: 1, maxLength: 3 }));
const validAxes: Record<string, fc.Arbitrary<unknown>> = {
  client: listOf(fc.constantFrom(...CLIENTS)),
  durability: listOf(fc.constantFrom(...DURABILITIES)),
  publish: listOf(fc.constantFrom('none', 'single', 'async:100', 'batch:10', 'tx:5', 'async')),
  consume: listOf(fc.constantFrom('manual:100', 'manual:10:5', 'auto', 'auto:50', 'manual')),
  queue: listOf(fc.constantFrom(...QUEUE_TYPES)),
  size: listOf(fc.integer({ min: 16, max: 65536 })),
  producers: listOf(fc.integer({ min: 1, max: 8 })),
  channels: listOf(fc.integer({ min: 1, max: 4 })),
  deduplication: listOf(fc.constantFrom(...DEDUPLICATIONS)),
  consumers: listOf(fc.integer({ min: 0, max: 8 })),
  rate: listOf(fc.oneof(fc.constant('unlimited'), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0.5, max: 1e6, noNaN: true }))),
};
const axisKeys = Object.keys(validAxes);
const axes = fc.record(Object.fromEntries(axisKeys.map((k) => [k, sometimesWild(validAxes[k])])), { requiredKeys: [] }).chain((a) =>
  // Now and then an unknown key, unicode or a near-miss of a known one.
  rarely(fc.tuple(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('Size', 'producer', 'clients')), value)).map((extra) => (extra ? { ...a, [extra[0]]: extra[1] } : a)),
);
const validTop: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  description: fc.string({ unit: 'grapheme', maxLength: 40 }),
  messages: fc.integer({ min: 1, max: 1_000_000 }),
  duration: fc.double({ min: 0.01, max: 100, noNaN: true }),
  warmup: fc.integer({ min: 0, max: 10_000 }),
  repetitions: fc.integer({ min: 1, max: 5 }),
  timeout: fc.integer({ min: 1, max: 3600 }),
  drain: fc.double({ min: 0.1, max: 30, noNaN: true }),
};
const topKeys = [...Object.keys(validTop), 'url', 'nodes', 'baseline'];
const fault = fc.dictionary(fc.constantFrom('kind', 'at', 'atSeconds', 'after', 'where', 'wen'), fc.oneof(scalar, axes), { maxKeys: 4 });
const doc = fc.record(
  {
    top: fc.tuple(fc.record(Object.fromEntries(Object.keys(validTop).map((k) => [k, sometimesWild(validTop[k])])), { requiredKeys: [] }), fc.nat(3)).map(([t, both]) =>
      // messages and duration together are refused; most documents give one of them.
      'messages' in t && 'duration' in t && both !== 0 ? { ...t, duration: undefined } : t,
    ),
    unknown: rarely(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), value, { minKeys: 1, maxKeys: 2 })),
    axes: sometimesWild(axes, 1 / 6),
    faults: rarely(fc.oneof(fc.array(fault, { maxLength: 3 }), value)),
    deep: rarely(fc.tuple(fc.constantFrom(...topKeys, 'axes', 'faults'), deep)),
  },
  { requiredKeys: [] },
);

/** Documents that are not a mapping, or not YAML at all. */
const rawText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.constantFrom('{', ']', '&a [*a]', 'a: *b', 'axes: {size: [', '\t- x'));

let fileNo = 0;
function writeDoc(text: string): string {
  const path = join(dir, `s${fileNo++}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Inputs fast-check found that broke the property once (seed in the comment), replayed every time. */
const REGRESSIONS: Array<{ why: string; yaml: string }> = [
  // Found while writing the test (no seed: hand-made): a 3,200,000-cell matrix hung the loader.
  { why: 'a product of long axes', yaml: stringify({ axes: { size: Array.from({ length: 20 }, (_, i) => 16 + i), producers: Array.from({ length: 20 }, (_, i) => i + 1), consumers: Array.from({ length: 20 }, (_, i) => i), rate: Array.from({ length: 20 }, (_, i) => i + 1), channels: Array.from({ length: 20 }, (_, i) => i + 1) } }) },
  { why: 'a timeout a timer cannot hold', yaml: 'timeout: 1e308\n' },
  // seed 972563063, path "37:0:1:0:2:1:5:5:5:5:5:5:5:5:5": a newline in a mode's spelling, echoed into the error line.
  { why: 'a control character echoed in the error', yaml: 'axes:\n  publish: "\\n"\n' },
  { why: 'nesting beyond the YAML parser\'s stack', yaml: `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n` },
];

test('regressions of the scenario loader stay fixed', () => {
  for (const r of REGRESSIONS) {
    const path = writeDoc(r.yaml);
    check(`scenario ${path}:`, () => loadScenario(path));
  }
});

test('any scenario document loads into a valid matrix or one line naming the file, exit 2', () => {
  fc.assert(
    fc.property(doc, (d) => {
      const { top = {}, unknown, deep: nested, ...rest } = d as { top?: Record<string, unknown>; unknown?: Record<string, unknown> | null; deep?: [string, unknown] | null };
      const body: Record<string, unknown> = Object.fromEntries(Object.entries({ ...top, ...unknown, ...rest }).filter(([, v]) => v !== undefined));
      if (nested) body[nested[0]] = nested[1];
      if (body.faults === null) delete body.faults;
      const path = writeDoc(stringify(body, { aliasDuplicateObjects: false }));
      check(`scenario ${path}:`, () => loadScenario(path));
    }),
    { numRuns: 400 },
  );
  // Not a property, a check of the generator: both outcomes must come up, or the test shows nothing.
  assert.ok(outcomes.valid > 40 && outcomes.refused > 40, JSON.stringify(outcomes));
});

test('any text loads or fails with one line naming the file', () => {
  fc.assert(
    fc.property(rawText, (text) => {
      const path = writeDoc(text);
      check(`scenario ${path}:`, () => loadScenario(path));
    }),
    { numRuns: 300 },
  );
});

// Flag values as the CLI passes them: axis flags as the typed text, numbers as parsed (any double).
const token = fc.oneof(wellSpelled, fc.integer({ min: -3, max: 70_000 }).map(String), fc.double().map(String), tiny.map(String), huge.map(String), fc.string({ unit: 'grapheme', maxLength: 6 }));
/** A flag's comma list: mostly what the axis takes, sometimes anything. */
const flagList = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => (Array.isArray(v) ? v : [v]).map(String).join(',')) },
    { weight: 1, arbitrary: fc.array(token, { minLength: 1, maxLength: 4 }).map((items) => items.join(',')) },
  );
const number = (valid: fc.Arbitrary<number>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.oneof(fc.double(), fc.integer({ min: -10, max: 1e6 }), tiny, huge) });
const overrides = fc.record(
  {
    axes: fc.record(Object.fromEntries(axisKeys.map((k) => [k, flagList(validAxes[k])])) as Record<string, fc.Arbitrary<string>>, { requiredKeys: [] }),
    messages: number(fc.integer({ min: 1, max: 1e6 })),
    duration: number(fc.double({ min: 0.01, max: 100, noNaN: true })),
    warmup: number(fc.integer({ min: 0, max: 1e4 })),
    repetitions: number(fc.integer({ min: 1, max: 5 })),
    faults: flagList(fc.constantFrom('kill9', 'kill9@100', 'restart@1.5s', 'kill-consumer:continue')),
  },
  { requiredKeys: [] },
);

test('any flag values give a valid matrix or one line naming the flag, exit 2', () => {
  fc.assert(
    fc.property(overrides, (o) => {
      const given = o as ScenarioOverrides;
      check(/^(--[a-z]+(\[\d+\])?|the flags): /, () => loadScenario(null, given));
    }),
    { numRuns: 500 },
  );
  assert.ok(outcomes.valid > 50 && outcomes.refused > 50, JSON.stringify(outcomes));
});
