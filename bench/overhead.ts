// The harness's own overhead: each cell through ackbench against the same cell as a bare loop on the
// same client (bench/overhead-bare.ts: the client's public API, nothing of ackbench), per client and
// publish mode, publish-only and one producer + one consumer (1P1C).
//
// Both sides run as a child process per cell, so both pay the same process costs (start-up, module
// loading, connecting), and neither cost is in the figure: each side times its own measured window
// (same definitions: src/run/result.ts CellRates, bench/overhead-bare.ts header). The two alternate
// cell by cell, and which goes first flips each round, so drift of the machine or the broker favours
// neither. Reported: the median rate of each side over the rounds and their ratio (ackbench / bare):
// publish-only, the confirmed rate (sent rate for `none`); 1P1C, the consumed rate. Beside it, the
// median of the rounds' own ratios (each round's two runs are adjacent in time, so a machine whose
// speed drifts over the rounds, as these shared 2-core machines do by 20% and more, moves both runs
// of a pair alike) with their lowest and highest.
//
// `single` and `tx:1` rows also split each side's time per message (its publish window / messages)
// into the mean round trip (hand-off to the confirm or commit-ok: ackbench's publish latency, the
// bare loop's roundTripUs) and the rest, the loop's own time between an answer and the next hand-off
// (`ackbenchLoopUs`, `bareLoopUs`, medians over the rounds). Taken within each run, it does not move
// with the broker's or the disk's speed, which the round trip does.
//
// single and tx:1 (a round trip per message) get --slow-messages and a warm-up scaled down alike.
//
//   npm run build && node dist/bench/overhead.js [--rounds 3] [--messages 20000] [--slow-messages 2000]
//     [--warmup 2000] [--clients amqplib,rabbitmq-client] [--publish-cells D/P,...] [--flow-cells D/P,...]
//     [--out FILE.json] [--json]
// D/P is durability/publish, e.g. persistent/batch:100; --flow-cells '' skips the 1P1C part.
// --peer [SECONDS] adds ../shared/peers/FlowPeer.java (RabbitMQ's Java client, a fixed window of
// SECONDS after 2 s of warm-up) as a third side of the 1P1C cells, for the ratios to the Java client
// (run once a round per cell; both clients' rows share it).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/run/atomic-write.js';
import type { RunFile } from '../src/run/result.js';
import { median } from '../src/stats/spread.js';
import { compilePeers } from './java-peer.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BARE = fileURLToPath(new URL('./overhead-bare.js', import.meta.url));
const CLI = join(REPO, 'dist/src/cli.js');
const CLIENTS = ['amqplib', 'rabbitmq-client'] as const;
const PUBLISH_CELLS = ['transient/none', 'persistent/none', 'persistent/single', 'persistent/batch:100', 'persistent/async:1000', 'persistent/tx:1', 'persistent/tx:100'];
const FLOW_CELLS = ['persistent/single', 'persistent/tx:1', 'persistent/async:1000', 'persistent/tx:100', 'transient/single'];
/** One round trip per message: these get --slow-messages, so a round stays short. */
const SLOW = new Set(['single', 'tx:1']);
const CHILD_TIMEOUT_MS = 300_000;

interface Spec {
  client: string;
  durability: 'transient' | 'persistent';
  publish: string;
  consumer: boolean;
  messages: number;
  warmup: number;
}

export interface OverheadRow {
  kind: 'publish' | '1p1c';
  client: string;
  durability: string;
  publish: string;
  messages: number;
  warmup: number;
  /** Publish-only: confirmed msgs/s (sent for `none`); 1P1C: consumed msgs/s. Medians over rounds. */
  bareMsgsPerS: number;
  ackbenchMsgsPerS: number;
  /** ackbench / bare, of the medians. */
  ratio: number;
  /** `single` and `tx:1`: each side's µs per message outside the round trip (see the header), medians; else null. */
  bareLoopUs: number | null;
  ackbenchLoopUs: number | null;
  /** The median, lowest and highest of the rounds' own ratios (ackbench / bare of the same round). */
  pairedRatio: number;
  pairedRatioMin: number;
  pairedRatioMax: number;
  bareRuns: number[];
  ackbenchRuns: number[];
  /** --peer, 1P1C rows: FlowPeer's consumed msgs/s (median, every round) and ackbench / peer, bare / peer. */
  peerMsgsPerS?: number;
  ackbenchToPeer?: number;
  bareToPeer?: number;
  peerRuns?: number[];
}

class UsageError extends Error {}

function parseCells(list: string, flag: string): { durability: 'transient' | 'persistent'; publish: string }[] {
  if (list.trim() === '') return [];
  return list.split(',').map((s) => {
    const [durability, publish] = s.trim().split('/');
    if ((durability !== 'transient' && durability !== 'persistent') || !/^(none|single|batch:\d+|async:\d+|tx:\d+)$/.test(publish ?? '')) {
      throw new UsageError(`${flag}: '${s}' is not durability/publish (e.g. persistent/batch:100)`);
    }
    return { durability, publish };
  });
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: '${value}' is not a positive integer`);
  return n;
}

/** One run's rate, and where the mode has a round trip per message, its loop's µs per message outside it. */
interface Sample {
  rate: number;
  loopUs: number | null;
}

/** µs per message of a publish window that were not the mean round trip: the loop's own. */
const loopUsOf = (publishRate: number, roundTripUs: number | undefined | null) => (roundTripUs == null ? null : 1e6 / publishRate - roundTripUs);

function runBare(s: Spec): Sample {
  const args = [BARE, '--client', s.client, '--durability', s.durability, '--publish', s.publish, '--messages', String(s.messages), '--warmup', String(s.warmup)];
  if (s.consumer) args.push('--consumer');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`bare ${s.client} ${s.durability}/${s.publish} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rate: number; consumedRate?: number; roundTripUs?: number };
  return { rate: s.consumer ? out.consumedRate! : out.rate, loopUs: loopUsOf(out.rate, out.roundTripUs) };
}

function runAckbench(s: Spec, work: string): Sample {
  const out = mkdtempSync(join(work, 'ackbench-'));
  const args = [CLI, 'run', '--client', s.client, '--durability', s.durability, '--publish', s.publish, '--producers', '1', '--consumers', s.consumer ? '1' : '0'];
  args.push('--size', '1024', '--messages', String(s.messages), '--warmup', String(s.warmup), '--repetitions', '1', '--out', out, '--no-report', '--json');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`ackbench ${s.client} ${s.durability}/${s.publish} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
  rmSync(out, { recursive: true, force: true });
  const [cell] = run.cells;
  if (cell?.status !== 'ok') throw new Error(`ackbench ${s.client} ${s.durability}/${s.publish}: ${cell?.status} ${cell?.reason ?? ''}`);
  const rate = s.consumer ? cell.rates.consumedPerS : (cell.rates.confirmedPerS ?? cell.rates.sentPerS);
  if (rate === null) throw new Error(`ackbench ${s.client} ${s.durability}/${s.publish}: no rate`);
  const roundTrip = SLOW.has(s.publish) && cell.rates.confirmedPerS ? cell.publishLatency?.meanUs : null;
  return { rate, loopUs: roundTrip == null ? null : loopUsOf(cell.rates.confirmedPerS!, roundTrip) };
}

function runPeer(classpath: string, s: Spec, seconds: number): number {
  const args = ['-cp', classpath, 'FlowPeer', s.publish, s.durability, String(seconds), '1024', '100', `ackbench-overhead-peer-${process.pid}`];
  const r = spawnSync('java', args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  const consumed = /^consumed (\d+(?:\.\d+)?)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !consumed) throw new Error(`FlowPeer ${s.durability}/${s.publish} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim()}`);
  return Number(consumed[1]);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

function main(): void {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      messages: { type: 'string', default: '20000' },
      'slow-messages': { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '2000' },
      clients: { type: 'string', default: CLIENTS.join(',') },
      'publish-cells': { type: 'string', default: PUBLISH_CELLS.join(',') },
      'flow-cells': { type: 'string', default: FLOW_CELLS.join(',') },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      peer: { type: 'string' },
    },
  });
  const rounds = positive(values.rounds, '--rounds');
  const messages = positive(values.messages, '--messages');
  const slowMessages = positive(values['slow-messages'], '--slow-messages');
  const warmup = positive(values.warmup, '--warmup');
  const clients = values.clients.split(',').map((c) => c.trim());
  for (const c of clients) if (!(CLIENTS as readonly string[]).includes(c)) throw new UsageError(`--clients: '${c}' is not one of ${CLIENTS.join(', ')}`);
  const specs: (Spec & { kind: OverheadRow['kind'] })[] = [];
  for (const [kind, list, flag] of [['publish', values['publish-cells'], '--publish-cells'], ['1p1c', values['flow-cells'], '--flow-cells']] as const) {
    for (const client of clients) {
      for (const { durability, publish } of parseCells(list, flag)) {
        // Slow modes warm up in proportion to their shorter window.
        const slow = SLOW.has(publish);
        specs.push({ kind, client, durability, publish, consumer: kind === '1p1c', messages: slow ? slowMessages : messages, warmup: slow ? Math.max(1, Math.round((warmup * slowMessages) / messages)) : warmup });
      }
    }
  }
  if (specs.length === 0) throw new UsageError('nothing to run: --publish-cells and --flow-cells are both empty');
  // parseArgs has no optional values: `--peer` alone takes the next flag's place, so accept '' too.
  const peerSeconds = values.peer === undefined ? null : values.peer === '' ? 10 : positive(values.peer, '--peer');
  const classpath = peerSeconds !== null && specs.some((s) => s.consumer) ? compilePeers(['FlowPeer.java']) : null;

  const work = mkdtempSync(join(tmpdir(), 'ackbench-overhead-'));
  const samples = specs.map(() => ({ bare: [] as number[], ackbench: [] as number[], peer: [] as number[], bareLoop: [] as number[], ackbenchLoop: [] as number[] }));
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? (['bare', 'ackbench', 'peer'] as const) : (['peer', 'ackbench', 'bare'] as const);
      // The Java peer is one client: once a round per cell, beside whichever Node client comes first.
      const peerOfRound = new Map<string, number>();
      specs.forEach((s, k) => {
        for (const who of order) {
          if (who === 'peer') {
            const key = `${s.durability}/${s.publish}`;
            if (classpath && s.consumer && !peerOfRound.has(key)) peerOfRound.set(key, runPeer(classpath, s, peerSeconds!));
            if (peerOfRound.has(key)) samples[k].peer.push(peerOfRound.get(key)!);
          } else {
            const sample = who === 'bare' ? runBare(s) : runAckbench(s, work);
            samples[k][who].push(sample.rate);
            if (sample.loopUs !== null) samples[k][who === 'bare' ? 'bareLoop' : 'ackbenchLoop'].push(sample.loopUs);
          }
        }
        const { bare, ackbench, peer } = samples[k];
        const peerNote = peer.length ? `, FlowPeer ${Math.round(peer.at(-1)!)}` : '';
        process.stderr.write(`round ${round}/${rounds} ${s.kind} ${s.client} ${s.durability}/${s.publish}: bare ${Math.round(bare.at(-1)!)}, ackbench ${Math.round(ackbench.at(-1)!)}${peerNote} msg/s\n`);
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const rows: OverheadRow[] = specs.map((s, k) => {
    const bare = median(samples[k].bare);
    const ackbench = median(samples[k].ackbench);
    const peer = samples[k].peer.length ? median(samples[k].peer) : null;
    const paired = samples[k].ackbench.map((a, i) => a / samples[k].bare[i]);
    const peerColumns = peer === null ? {} : { peerMsgsPerS: round1(peer), ackbenchToPeer: ratio(ackbench, peer), bareToPeer: ratio(bare, peer), peerRuns: samples[k].peer.map(round1) };
    return {
      kind: s.kind,
      client: s.client,
      durability: s.durability,
      publish: s.publish,
      messages: s.messages,
      warmup: s.warmup,
      bareMsgsPerS: round1(bare),
      ackbenchMsgsPerS: round1(ackbench),
      ratio: ratio(ackbench, bare),
      bareLoopUs: samples[k].bareLoop.length ? round1(median(samples[k].bareLoop)) : null,
      ackbenchLoopUs: samples[k].ackbenchLoop.length ? round1(median(samples[k].ackbenchLoop)) : null,
      pairedRatio: ratio(median(paired), 1),
      pairedRatioMin: ratio(Math.min(...paired), 1),
      pairedRatioMax: ratio(Math.max(...paired), 1),
      bareRuns: samples[k].bare.map(round1),
      ackbenchRuns: samples[k].ackbench.map(round1),
      ...peerColumns,
    };
  });
  const doc = { node: process.version, rounds, warmup, size: 1024, measuredAt: new Date().toISOString(), rows };
  const file = values.out ?? join(REPO, 'results', `overhead-${doc.measuredAt.replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(doc)}\n`);
    return;
  }
  console.log(`1024 B, ${rounds} alternating rounds; medians of msgs/s (publish: confirmed, or sent for none; 1p1c: consumed)`);
  console.table(rows.map(({ bareRuns, ackbenchRuns, peerRuns, pairedRatioMin, pairedRatioMax, ...r }) => ({ ...r, pairedRange: `${pairedRatioMin}-${pairedRatioMax}` })));
  console.log(`written: ${file}`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`overhead: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}
