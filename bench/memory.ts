// Memory stays flat as message counts grow: peak RSS of the whole harness process (main thread and
// every worker) for one cell of a small and of a large message count, and their ratio.
//
//   npm run build && node dist/bench/memory.js [--small 100000] [--large 5000000]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunFile } from '../src/run/result.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const CELL = ['--durability', 'transient', '--publish', 'async:1000', '--consume', 'manual:200:50', '--warmup', '1000', '--no-report'];

function measure(messages: number): RunFile {
  const out = mkdtempSync(join(tmpdir(), 'ackbench-memory-'));
  const r = spawnSync(process.execPath, [CLI, 'run', ...CELL, '--messages', String(messages), '--out', out], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'], timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`run of ${messages} messages exited ${r.status}`);
  return JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
}

const { values } = parseArgs({ options: { small: { type: 'string', default: '100000' }, large: { type: 'string', default: '5000000' } } });
const small = measure(Number(values.small));
const large = measure(Number(values.large));
const ratio = large.peakRssMiB! / small.peakRssMiB!;
for (const [n, run] of [[values.small, small], [values.large, large]] as const) {
  const c = run.cells[0];
  console.log(`${n} messages: peak RSS ${run.peakRssMiB} MiB, ${Math.round(c.rates.consumedPerS ?? 0)} msg/s consumed, lost ${c.counts.lost}, received ${c.counts.received}/${c.counts.sent}`);
}
console.log(`peak RSS ratio large/small: ${ratio.toFixed(2)} (goal: at most 1.3)`);
process.exitCode = ratio <= 1.3 ? 0 : 1;
