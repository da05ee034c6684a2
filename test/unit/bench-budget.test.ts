// The throughput matrices measure by duration (a window long enough for its steadiness figures), and
// their estimated length stays in budget: cells x repetitions x (duration + set-up). An estimate from
// the scenario, not a timing: the set-up allowance (connections, queue, warm-up, drain) is the one the
// bench files' comments state, measured: bench/default.yaml's 120 repetitions took 837 s at 4.5 s
// each (2026-12-01), 2.5 s apiece outside the window (workers, warm-up, broker counters, drain).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../src/scenario/load.js';
import { STEADY_MIN_SECONDS } from '../../src/measure/steadiness.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SETUP_SECONDS = 2.5;
/** Past the whole seconds judged: the last row is partial, and the ticks drift a few ms from the first send. */
const PARTIAL_ROW_SECONDS = 0.5;

describe('bench matrices', () => {
  for (const [file, budgetMinutes] of [['default.yaml', 15], ['nightly.yaml', 60]] as const) {
    test(`bench/${file} measures by duration, long enough to judge steadiness, within ${budgetMinutes} minutes`, () => {
      const s = loadScenario(join(REPO, 'bench', file));
      assert.equal(s.window.messages, null, 'measured by duration, not by a message count');
      const duration = s.window.durationSeconds!;
      assert.ok(duration >= STEADY_MIN_SECONDS + PARTIAL_ROW_SECONDS, `a ${duration} s window has too few whole seconds`);
      const estimate = s.cells.length * s.window.repetitions * (duration + SETUP_SECONDS);
      assert.ok(estimate <= budgetMinutes * 60, `estimated ${Math.round(estimate / 60)} min`);
    });
  }
});
