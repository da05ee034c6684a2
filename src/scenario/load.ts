// Loading a scenario: read the YAML file, validate it, apply command-line overrides, expand the
// matrix. Every mistake becomes one UsageError line that names the file, the field and the problem.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { closest } from './did-you-mean.js';
import { DEFAULT_AXES, expandMatrix, type Axes } from './matrix.js';
import { canonicalAxisValue, FaultSpellingError, parseFaultSpelling } from './faults.js';
import { AXES_SCHEMA, AXIS_NAMES, FAULT_KEYS, MAX_MESSAGES, MAX_SECONDS, SCENARIO_SCHEMA, TOP_LEVEL_KEYS, type ScenarioFile } from './schema.js';
import type { RunWindow, Scenario, ScenarioFault } from './types.js';

export const WINDOW_DEFAULTS = { messages: 10_000, warmupMessages: 1_000, repetitions: 1, cellTimeoutSeconds: 300, drainSeconds: 5 };

/** Command-line settings that replace the file's: axis values as comma lists, the rest as parsed. */
export interface ScenarioOverrides {
  axes?: Partial<Record<keyof Axes, string>>;
  messages?: number;
  duration?: number;
  warmup?: number;
  repetitions?: number;
  url?: string;
  /** ackbench faults: a comma list of fault spellings (kill9@2500,kill-consumer@1000) replacing the file's `faults:`. */
  faults?: string;
}

function formatIssue(issue: z.core.$ZodIssue, where: string): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  if (issue.code === 'unrecognized_keys') {
    const known = path === 'axes' || path.endsWith('.where') ? AXIS_NAMES : /^faults\[\d+\]$/.test(path) ? FAULT_KEYS : TOP_LEVEL_KEYS;
    const parts = issue.keys.map((k) => {
      const guess = closest(k, known);
      return `unknown key '${path ? `${path}.` : ''}${k}'${guess ? ` (did you mean '${guess}'?)` : ''}`;
    });
    return `${where}: ${parts.join('; ')}`;
  }
  let message = issue.message;
  if (issue.code === 'invalid_union' && issue.errors.length) {
    // An axis accepts a value or a list: report the list branch's inner problem, which names the element.
    const inner = issue.errors.flat().find((e) => e.path.length > 0) ?? issue.errors.flat()[0];
    if (inner) return formatIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, where);
  }
  if (issue.code === 'invalid_value' && 'values' in issue) message = `must be one of ${issue.values.join(', ')}`;
  return `${where}: ${path || '(top level)'}: ${message}`;
}

/** A scenario is a few lines of YAML; a larger file is not one (and /dev/zero would never end). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** More cells than this is a typo in a list, not a run anyone can wait for. */
export const MAX_CELLS = 10_000;

function readScenarioFile(path: string): ScenarioFile {
  let text: string;
  try {
    // Only a regular file: a FIFO or a device would block the synchronous read (and Ctrl-C with it).
    const stat = statSync(path);
    if (stat.isDirectory()) throw new UsageError(`scenario ${path}: is a directory, not a scenario file`);
    if (!stat.isFile()) throw new UsageError(`scenario ${path}: not a regular file`);
    if (stat.size > MAX_SCENARIO_BYTES) throw new UsageError(`scenario ${path}: ${stat.size} bytes, more than a scenario file holds (at most ${MAX_SCENARIO_BYTES})`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `scenario ${path}: file not found` : `scenario ${path}: cannot read (${code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    const why = err instanceof RangeError || /Maximum call stack/.test((err as Error).message) ? 'nested too deeply' : (err as Error).message.split('\n')[0].replace(/:\s*$/, '');
    throw new UsageError(`scenario ${path}: not valid YAML${line}: ${why}`);
  }
  if (data === null || data === undefined) throw new UsageError(`scenario ${path}: the file is empty`);
  if (typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`scenario ${path}: expected a mapping of keys (name, messages, axes, ...) at the top level`);
  const result = SCENARIO_SCHEMA.safeParse(data);
  if (!result.success) throw new UsageError(formatIssue(result.error.issues[0], `scenario ${path}`));
  return result.data;
}

function parseAxisOverride(name: keyof Axes, list: string): unknown[] {
  const items = list.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name}: empty value in '${list}'`);
  const numeric = name === 'size' || name === 'producers' || name === 'channels' || name === 'consumers' || name === 'rate';
  return items.map((s) => {
    if (!numeric || (name === 'rate' && s === 'unlimited')) return s;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UsageError(`--${name}: '${s}' is not a number`);
    return n;
  });
}

/** The file's `faults:` list checked, `at` renamed atMessages, `where:` values in canonical spelling. */
function faultsOf(file: ScenarioFile): ScenarioFault[] | undefined {
  return file.faults?.map((f) => ({
    kind: f.kind,
    ...(f.at !== undefined ? { atMessages: f.at } : {}),
    ...(f.atSeconds !== undefined ? { atSeconds: f.atSeconds } : {}),
    ...(f.after !== undefined ? { after: f.after } : {}),
    ...(f.where
      ? { where: Object.fromEntries(Object.entries(f.where).map(([axis, values]) => [axis, (values as unknown[]).map((v) => canonicalAxisValue(axis, v))])) }
      : {}),
  }));
}

function parseFaultOverride(list: string): ScenarioFault[] {
  const items = list.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--fault: empty value in '${list}'`);
  return items.map((item) => {
    try {
      return parseFaultSpelling(item);
    } catch (err) {
      if (err instanceof FaultSpellingError) throw new UsageError(`--fault: ${err.message}`);
      throw err;
    }
  });
}

export function loadScenario(path: string | null, overrides: ScenarioOverrides = {}): Scenario {
  const file: ScenarioFile = path ? readScenarioFile(path) : {};
  const axes: Axes = { ...DEFAULT_AXES, ...(file.axes as Partial<Axes>) };
  for (const [name, list] of Object.entries(overrides.axes ?? {}) as [keyof Axes, string | undefined][]) {
    if (list === undefined) continue;
    const parsed = AXES_SCHEMA.safeParse({ [name]: parseAxisOverride(name, list) });
    if (!parsed.success) throw new UsageError(formatIssue(parsed.error.issues[0], `--${name}`).replace(`--${name}: ${name}`, `--${name}`));
    (axes as unknown as Record<string, unknown>)[name] = (parsed.data as Record<string, unknown>)[name];
  }
  const check = (flag: string, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= min)) throw new UsageError(`${flag}: must be a number of at least ${min}, got ${v}`);
    if (v !== undefined && v > max) throw new UsageError(`${flag}: must be at most ${max}, got ${v}`);
  };
  check('--messages', overrides.messages, 1, MAX_MESSAGES);
  check('--duration', overrides.duration, 0.001, MAX_SECONDS);
  check('--warmup', overrides.warmup, 0, MAX_MESSAGES);
  check('--repetitions', overrides.repetitions, 1);
  if (overrides.messages !== undefined && !Number.isInteger(overrides.messages)) throw new UsageError('--messages: must be a whole number');
  if (overrides.repetitions !== undefined && !Number.isInteger(overrides.repetitions)) throw new UsageError('--repetitions: must be a whole number');
  if (overrides.warmup !== undefined && !Number.isInteger(overrides.warmup)) throw new UsageError('--warmup: must be a whole number');

  let messages: number | null = file.messages ?? null;
  let durationSeconds: number | null = file.duration ?? null;
  if (overrides.messages !== undefined) [messages, durationSeconds] = [overrides.messages, null];
  if (overrides.duration !== undefined) [messages, durationSeconds] = [null, overrides.duration];
  if (messages === null && durationSeconds === null) messages = WINDOW_DEFAULTS.messages;

  const window: RunWindow = {
    messages,
    durationSeconds,
    warmupMessages: overrides.warmup ?? file.warmup ?? WINDOW_DEFAULTS.warmupMessages,
    repetitions: overrides.repetitions ?? file.repetitions ?? WINDOW_DEFAULTS.repetitions,
    // A duration cell needs its duration and then some: without a timeout: it gets 300 s beyond it.
    cellTimeoutSeconds: file.timeout ?? (durationSeconds !== null ? Math.max(WINDOW_DEFAULTS.cellTimeoutSeconds, durationSeconds + WINDOW_DEFAULTS.cellTimeoutSeconds) : WINDOW_DEFAULTS.cellTimeoutSeconds),
    drainSeconds: file.drain ?? WINDOW_DEFAULTS.drainSeconds,
  };
  const where = path ? `scenario ${path}` : 'the flags';
  if ((window.messages ?? 0) + window.warmupMessages > MAX_MESSAGES) throw new UsageError(`${where}: warm-up and measured messages together must be at most ${MAX_MESSAGES} a producer (the header's 32-bit sequence number)`);
  if (durationSeconds !== null && durationSeconds >= window.cellTimeoutSeconds) {
    throw new UsageError(`${where}: duration ${durationSeconds} s is not below timeout ${window.cellTimeoutSeconds} s, so every repetition would time out: raise timeout: in the scenario`);
  }
  const size = AXIS_NAMES.reduce((product, name) => product * new Set((axes[name] as unknown[]).map(String)).size, 1);
  if (size > MAX_CELLS) {
    const lengths = AXIS_NAMES.map((name) => `${name} ${new Set((axes[name] as unknown[]).map(String)).size}`).join(' x ');
    throw new UsageError(`${where}: the axes make ${size} cells (${lengths}), more than ${MAX_CELLS}: shorten the lists`);
  }
  const cells = expandMatrix(axes);
  const axesLabels = Object.fromEntries(AXIS_NAMES.map((n) => [n, (axes[n] as unknown[]).map(String)]));
  const faults = overrides.faults !== undefined ? parseFaultOverride(overrides.faults) : faultsOf(file);
  return {
    name: file.name ?? (path ? path.replace(/^.*\//, '').replace(/\.ya?ml$/, '') : 'adhoc'),
    url: overrides.url ?? file.url ?? null,
    window,
    cells,
    axes: axesLabels,
    ...(faults ? { faults } : {}),
    ...(file.nodes !== undefined ? { nodes: file.nodes } : {}),
    ...(file.baseline !== undefined ? { baseline: file.baseline } : {}),
  };
}

/**
 * The scenario of an interrupted run, rebuilt from its run.json (axes and window as stored), so
 * `run --resume DIR` needs nothing else. Command-line overrides are not allowed to change it.
 */
export function scenarioOfRun(dir: string): Scenario {
  const file = join(dir, 'run.json');
  let stored: { scenario?: { name: string; axes: Record<string, string[]>; window: RunWindow; faults?: unknown[] }; shard?: unknown; merged?: unknown };
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--resume ${dir}: cannot read run.json (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!stored?.scenario?.axes || !stored.scenario.window || !Object.values(stored.scenario.axes).every(Array.isArray)) throw new UsageError(`--resume ${dir}: run.json holds no scenario`);
  // `run --resume` would run the cells of these as something else: plain cells, or on one agent.
  if (stored.scenario.faults) throw new UsageError(`--resume ${dir}: a faults run (ackbench faults) cannot be resumed; run it again with ackbench faults`);
  if (stored.shard) throw new UsageError(`--resume ${dir}: a shard of a sharded run (--shard) cannot be resumed; run the shards again`);
  if (stored.merged) throw new UsageError(`--resume ${dir}: a merged run (ackbench merge) cannot be resumed; run the shards again, then merge`);
  const axes = Object.fromEntries(Object.entries(stored.scenario.axes).map(([k, v]) => [k, v.join(',')]));
  const scenario = loadScenario(null, { axes });
  return { ...scenario, name: stored.scenario.name, window: stored.scenario.window };
}
