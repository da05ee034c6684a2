// Rate pacing accuracy: a paced cell's achieved send rate over the whole window and second by second
// (timeline.csv), against its target. A benchmark, not a test: it depends on the machine.
//
//   npm run build && node dist/bench/pacing.js [--rates 1000,5000] [--duration 10]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunFile } from '../src/run/result.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const { values } = parseArgs({ options: { rates: { type: 'string', default: '1000,5000' }, duration: { type: 'string', default: '10' } } });

for (const rate of values.rates.split(',').map(Number)) {
  const out = mkdtempSync(join(tmpdir(), 'ackbench-pacing-'));
  const r = spawnSync(process.execPath, [CLI, 'run', '--publish', 'async:1000', '--rate', String(rate), '--duration', values.duration, '--warmup', '500', '--out', out, '--no-report'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`paced run at ${rate}/s exited ${r.status}`);
  const [c] = (JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile).cells;
  // Whole seconds only: the last timeline point is a partial second.
  const seconds = c.timeline.slice(0, -1).map((t) => t.sent);
  const worst = Math.max(...seconds.map((s) => Math.abs(s - rate) / rate));
  console.log(
    `target ${rate}/s: achieved ${c.rates.sentPerS.toFixed(1)}/s over ${c.window.sendSeconds.toFixed(2)} s (${((c.rates.sentPerS / rate - 1) * 100).toFixed(2)}%), ` +
      `per-second sends ${Math.min(...seconds)}..${Math.max(...seconds)} (worst ${(worst * 100).toFixed(1)}% off), publish p50 ${c.publishLatency?.p50Us} µs p99 ${c.publishLatency?.p99Us} µs`,
  );
}
