// Holds ackbench's publisher figures against an independent peer: ../shared/peers/ConfirmsPeer.java on
// RabbitMQ's Java client. Seven publish-only cells, 1 KB, the same message counts, the two programs
// alternating round by round (never at once), and the ratio of rates per mode (ackbench / peer).
// Both rates are messages over the time from the first measured publish until all are answered (for
// the no-confirm modes, until a round trip after the last publish returns).
//
//   npm run build && node dist/bench/peer-ratio.js [--rounds 3] [--messages 20000]
// Needs: apt-get install -y default-jdk-headless librabbitmq-client-java libslf4j-java

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../src/run/atomic-write.js';
import type { RunFile } from '../src/run/result.js';
import { publishLabel } from '../src/scenario/modes.js';
import { median } from '../src/stats/spread.js';
import { compilePeers } from './java-peer.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Peer mode -> the ackbench cell that does the same thing. */
const MODES = [
  { peer: 'transient', durability: 'transient', publish: 'none' },
  { peer: 'persistent', durability: 'persistent', publish: 'none' },
  { peer: 'confirm1', durability: 'persistent', publish: 'single' },
  { peer: 'confirm100', durability: 'persistent', publish: 'batch:100' },
  { peer: 'async1000', durability: 'persistent', publish: 'async:1000' },
  { peer: 'tx1', durability: 'persistent', publish: 'tx:1' },
  { peer: 'tx100', durability: 'persistent', publish: 'tx:100' },
] as const;

function runPeer(classpath: string, messages: number, warmup: number): Map<string, number> {
  const r = spawnSync('java', ['-cp', classpath, 'ConfirmsPeer', String(messages), '1024', 'ackbench-peer-q', String(warmup)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`peer failed: ${r.stderr}`);
  const rates = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const [mode, rate] = line.trim().split(/\s+/);
    if (MODES.some((m) => m.peer === mode)) rates.set(mode, Number(rate));
  }
  return rates;
}

function runAckbench(messages: number, warmup: number, work: string, round: number): Map<string, number> {
  const rates = new Map<string, number>();
  for (const durability of ['transient', 'persistent'] as const) {
    const publish = MODES.filter((m) => m.durability === durability).map((m) => m.publish);
    const out = join(work, `ackbench-${round}-${durability}`);
    const r = spawnSync(
      process.execPath,
      [join(REPO, 'dist/src/cli.js'), 'run', '--durability', durability, '--publish', publish.join(','), '--consumers', '0', '--size', '1024', '--messages', String(messages), '--warmup', String(warmup), '--out', out, '--no-report'],
      { encoding: 'utf8', timeout: 600_000 },
    );
    if (r.status !== 0) throw new Error(`ackbench failed (${r.status}): ${r.stderr}`);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    for (const c of run.cells) {
      const mode = MODES.find((m) => m.durability === durability && m.publish === publishLabel(c.cell.publish));
      if (!mode || c.status !== 'ok') throw new Error(`unexpected cell ${c.cell.id}: ${c.status} ${c.reason ?? ''}`);
      rates.set(mode.peer, c.rates.confirmedPerS ?? c.rates.sentPerS);
    }
  }
  return rates;
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, messages: { type: 'string', default: '20000' }, warmup: { type: 'string', default: '2000' } } });
  const rounds = Number(values.rounds);
  const messages = Number(values.messages);
  const warmup = Number(values.warmup);
  const classes = compilePeers(['ConfirmsPeer.java', 'QAdmin.java']);
  const work = mkdtempSync(join(tmpdir(), 'ackbench-peer-runs-'));
  const samples = new Map<string, { ackbench: number[]; peer: number[] }>(MODES.map((m) => [m.peer, { ackbench: [], peer: [] }]));
  for (let round = 1; round <= rounds; round++) {
    // Alternate which program goes first, so drift of the machine or broker favours neither.
    const order = round % 2 ? (['peer', 'ackbench'] as const) : (['ackbench', 'peer'] as const);
    for (const who of order) {
      const rates = who === 'peer' ? runPeer(classes, messages, warmup) : runAckbench(messages, warmup, work, round);
      for (const [mode, rate] of rates) samples.get(mode)![who].push(rate);
      process.stderr.write(`round ${round}/${rounds} ${who}: ${[...rates].map(([m, r]) => `${m} ${Math.round(r)}`).join(', ')}\n`);
    }
  }
  const rows = MODES.map((m) => {
    const s = samples.get(m.peer)!;
    const a = median(s.ackbench);
    const p = median(s.peer);
    return {
      mode: m.peer,
      ackbench_cell: `${m.durability} ${m.publish}`,
      ackbench_msgs_per_s: Math.round(a),
      peer_msgs_per_s: Math.round(p),
      ratio: Math.round((a / p) * 100) / 100,
      ackbench_runs: s.ackbench.map(Math.round).join(' '),
      peer_runs: s.peer.map(Math.round).join(' '),
    };
  });
  console.log(`publish-only, 1024 B, ${messages} messages after ${warmup} warm-up, ${rounds} alternating rounds; medians of msgs/s`);
  console.table(rows.map(({ ackbench_runs, peer_runs, ...r }) => r));
  const dir = join(REPO, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `peer-ratio-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`);
  writeFileAtomic(file, stringify(rows, { header: true }));
  console.log(`written: ${file}`);
}

main();
