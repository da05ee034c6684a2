// The broker-side cost of one repetition: counters read at the edges of its measured window, and the
// broker's resident memory sampled through it (README: Cost per message). A runner starts a sampler just
// before it opens the window and stops it once the window is over; nothing here runs in the
// workers, and nothing but a /proc read (local) or one scrape a statistics interval (prometheus)
// happens inside the window.
//
// Sources, in this order (resolveMetricsSource):
// - local: the harness owns the node (a private node, a local cluster, a fault run's node), or the
//   broker URL is 127.0.0.1 / localhost and an Erlang VM on this host listens on its port (the system
//   node). Exact counters: /proc/<pid> for CPU, memory; `rabbitmqctl eval` (outside the window) for
//   fsyncs and bytes. Peak RSS: VmHWM when it rose during the window (exact), else the highest VmRSS
//   sampled each second. A node that restarted in the window (another pid: a fault) started its
//   counters again from zero; its figures are left empty.
// - prometheus: --metrics-url, or http://<broker host>:15692/metrics. Its io and memory figures move
//   once per collect_statistics_interval, stamped with rabbitmq_erlang_uptime_seconds: the sampler
//   waits for a fresh update before the window opens and for the next one after it ends, so the
//   figures cover the window plus at most one interval. Where that interval is longer than the
//   window, they are left empty with the reason.
// - none: every broker figure empty, the reason in run.json.

import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../measure/clock.js';
import type { BrokerWindow } from '../measure/cost.js';
import type { MetricsSourceKind } from '../run/result.js';
import type { QueueType } from '../scenario/types.js';
import { beamListeningOn, COUNTERS_EXPR, parseCounters, PROC_CPU_RESOLUTION_MS, readProc, scrape, systemEval, type EvalReading, type PrometheusReading, type ProcReading } from './broker-counters.js';
import type { FaultNode } from './fault-node.js';
import { liveLocalNodes } from './local-node.js';
import { maskCredentials } from './url.js';

/** A node on this host: its VM's pid (of its latest start) and an eval against it. */
export interface LocalTarget {
  name: string;
  pid(): number;
  eval(expr: string): Promise<string>;
  /** Where its data lives (the fsync latency probe writes there); null: the temp dir. */
  dataDir: string | null;
}

export type MetricsSource =
  | { kind: 'local'; targets: LocalTarget[]; detail: string }
  | { kind: 'prometheus'; url: string; detail: string }
  | { kind: 'none'; detail: string };

export interface CostSampler {
  /** Ends the sampling; the counters of the window's end are read here. */
  stop(cell: { queue: QueueType }): Promise<BrokerWindow>;
  /** Ends the sampling without figures (the repetition failed). Idempotent. */
  cancel(): void;
}

export const DEFAULT_METRICS_PORT = 15692;
/** How long the prometheus sampler waits for the node's next statistics update. */
const STATS_UPDATE_WAIT_MS = 12_000;
const STATS_POLL_MS = 100;
const RSS_SAMPLE_MS = 1000;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function targetOf(node: FaultNode & { dir?: string }): LocalTarget {
  return { name: node.nodeName, pid: () => node.pid, eval: (expr) => node.ctl(['eval', expr], 30_000), dataDir: node.dir ?? null };
}

/** The metrics source of nodes the harness owns (a fault run's node, a cluster's members). */
export function ownedNodesSource(nodes: readonly FaultNode[]): MetricsSource {
  return { kind: 'local', targets: nodes.map(targetOf), detail: `local: ${nodes.map((n) => n.nodeName).join(', ')} (/proc and rabbitmqctl eval)` };
}

/**
 * Decides where a run's broker figures come from. metricsUrl 'none' turns them off; a given URL is
 * used as it is (prometheus), even for a local broker. An endpoint that names another cluster than
 * the broker's (`cluster`, from its connection's server properties) is not used: its figures would
 * be another broker's (e.g. a container's port on 127.0.0.1 beside a system node's 15692).
 */
export async function resolveMetricsSource(amqpUrl: string, metricsUrl?: string, cluster?: string | null): Promise<MetricsSource> {
  if (metricsUrl === 'none') return { kind: 'none', detail: 'turned off (--metrics-url none)' };
  const broker = new URL(amqpUrl);
  const port = Number(broker.port || (broker.protocol === 'amqps:' ? 5671 : 5672));
  if (!metricsUrl && LOCAL_HOSTS.has(broker.hostname)) {
    const own = liveLocalNodes().find((n) => n.amqpPort === port && n.running);
    if (own) return ownedNodesSource([own]);
    const pid = beamListeningOn(port);
    if (pid !== null) {
      // The node rabbitmqctl reaches by default must be this VM: its eval answers with its OS pid.
      const evalError = await systemEval(COUNTERS_EXPR).then(
        (out) => (parseCounters(out).pid === pid ? null : `rabbitmqctl reaches another node (pid ${parseCounters(out).pid}, not ${pid})`),
        (err: Error) => err.message,
      );
      if (evalError === null) {
        return {
          kind: 'local',
          targets: [{ name: `pid ${pid}`, pid: () => pid, eval: (expr) => systemEval(expr), dataDir: null }],
          detail: `local: the Erlang VM (pid ${pid}) listening on port ${port} (/proc and rabbitmqctl eval)`,
        };
      }
      // No eval: the prometheus endpoint may still answer (below).
    }
  }
  const url = metricsUrl ?? `http://${broker.hostname.includes(':') && !broker.hostname.startsWith('[') ? `[${broker.hostname}]` : broker.hostname}:${DEFAULT_METRICS_PORT}/metrics`;
  try {
    const seen = (await scrape(url)).cluster;
    if (cluster && seen && seen !== cluster) {
      return { kind: 'none', detail: `the metrics at ${maskCredentials(url)} are of cluster ${seen}, the broker is ${cluster}` };
    }
    return { kind: 'prometheus', url, detail: `prometheus: ${maskCredentials(url)}` };
  } catch (err) {
    return { kind: 'none', detail: `no local broker and no metrics at ${maskCredentials(url)} (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Starts sampling for one window: call just before the window opens. */
export async function startCostSampler(source: MetricsSource | undefined): Promise<CostSampler> {
  if (!source || source.kind === 'none') {
    const detail = source?.detail ?? 'no metrics source given';
    return { stop: async () => emptyWindow('none', [`no broker figures: ${detail}`]), cancel: () => undefined };
  }
  return source.kind === 'local' ? startLocal(source.targets) : startPrometheus(source.url);
}

function emptyWindow(source: MetricsSourceKind, notes: string[]): BrokerWindow {
  return { source, spanMs: 0, cpuMs: null, fsyncs: null, fsyncTimeMs: null, writeBytes: null, rssPeakBytes: null, resolutionMs: null, cores: null, sharedHost: source === 'local', notes };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Each queue type's disk writes the counters see, or why not. */
function queueNote(queue: QueueType, source: MetricsSourceKind): { fsyncs: boolean; bytes: boolean; note: string | null } {
  if (queue === 'classic') return { fsyncs: true, bytes: true, note: null };
  if (queue === 'quorum' && source === 'local') return { fsyncs: true, bytes: false, note: 'quorum queue: fsyncs are its WAL batches; its log bytes are written outside the file handle cache (no byte counter)' };
  return { fsyncs: false, bytes: false, note: `${queue} queue: its log is written outside the file handle cache${source === 'prometheus' ? ' and rabbitmq_prometheus has no counter of its syncs' : ''}: no fsync or byte figures` };
}

/** The median latency of one small append + fdatasync in dir, µs (the quorum WAL's syncs have no time counter). */
export function measureFsyncLatencyUs(dir: string | null, samples = 20): number | null {
  let tmp: string | null = null;
  try {
    tmp = mkdtempSync(join(dir ?? os.tmpdir(), '.ackbench-fsync-'));
    const fd = openSync(join(tmp, 'probe'), 'w');
    const block = Buffer.alloc(1024, 1);
    const times: number[] = [];
    try {
      for (let i = 0; i < samples; i++) {
        const t = nowNs();
        writeSync(fd, block);
        fsyncSync(fd);
        times.push((nowNs() - t) / 1000);
      }
    } finally {
      closeSync(fd);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } catch {
    return null;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

async function evalAll(targets: LocalTarget[]): Promise<EvalReading[] | Error> {
  try {
    return await Promise.all(targets.map(async (t) => parseCounters(await t.eval(COUNTERS_EXPR))));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function startLocal(targets: LocalTarget[]): Promise<CostSampler> {
  const evals0 = await evalAll(targets);
  const proc0 = targets.map((t) => readProc(t.pid()));
  const t0 = nowNs();
  let rssPeak = sum(proc0.map((p) => p?.rssBytes ?? 0));
  const timer = setInterval(() => {
    const now = targets.map((t) => readProc(t.pid())?.rssBytes ?? 0);
    rssPeak = Math.max(rssPeak, sum(now));
  }, RSS_SAMPLE_MS);
  timer.unref();
  return {
    cancel: () => clearInterval(timer),
    async stop(cell) {
      clearInterval(timer);
      const proc1 = targets.map((t) => readProc(t.pid()));
      const spanMs = (nowNs() - t0) / 1e6;
      const evals1 = await evalAll(targets);
      const notes: string[] = [];
      const w = emptyWindow('local', notes);
      w.spanMs = spanMs;
      w.cores = os.cpus().length;
      w.resolutionMs = PROC_CPU_RESOLUTION_MS;
      const unreadable = targets.filter((_, i) => !proc0[i]);
      if (unreadable.length) {
        notes.push(`cannot read /proc/<pid> of ${unreadable.map((t) => `${t.name} (pid ${t.pid() || 'unknown'})`).join(', ')} here: no broker figures`);
        return w;
      }
      const restarted = targets.filter((_, i) => !proc1[i] || proc0[i]!.pid !== proc1[i]!.pid);
      if (restarted.length) {
        notes.push(`${restarted.map((t) => t.name).join(', ')} restarted or stopped in the window: its counters started again from zero, so no broker figures`);
        return w;
      }
      const p0 = proc0 as ProcReading[];
      const p1 = proc1 as ProcReading[];
      w.cpuMs = sum(p1.map((p, i) => p.cpuMs - p0[i].cpuMs));
      rssPeak = Math.max(rssPeak, sum(p1.map((p) => p.rssBytes)));
      // A high-water mark that rose in the window was set in it: the exact peak of that node.
      w.rssPeakBytes = Math.max(rssPeak, sum(p1.map((p, i) => (p.hwmBytes > p0[i].hwmBytes ? p.hwmBytes : 0))));
      notes.push(`local: CPU user + system from /proc (${PROC_CPU_RESOLUTION_MS} ms ticks); fsyncs and bytes from rabbitmqctl eval at the window's edges; peak RSS: VmHWM if it rose, else VmRSS sampled every ${RSS_SAMPLE_MS / 1000} s`);
      if (evals0 instanceof Error || evals1 instanceof Error) {
        notes.push(`no fsync or byte figures: ${(evals0 instanceof Error ? evals0 : (evals1 as Error)).message}`);
        return w;
      }
      if (evals0.some((e, i) => e.pid !== (evals1 as EvalReading[])[i].pid)) {
        notes.push('a node restarted between the two evals: no fsync or byte figures');
        return w;
      }
      const e1 = evals1;
      const q = queueNote(cell.queue, 'local');
      if (q.note) notes.push(q.note);
      const fhcSyncs = sum(e1.map((e, i) => e.fsyncs - evals0[i].fsyncs));
      const walSyncs = sum(e1.map((e, i) => e.walBatches - evals0[i].walBatches));
      const fhcMs = sum(e1.map((e, i) => e.fsyncMicros - evals0[i].fsyncMicros)) / 1000;
      if (q.fsyncs) {
        w.fsyncs = fhcSyncs + walSyncs;
        if (walSyncs > 0) {
          const latency = measureFsyncLatencyUs(targets[0].dataDir);
          w.fsyncTimeMs = latency === null ? null : fhcMs + (walSyncs * latency) / 1000;
          if (latency !== null) notes.push(`WAL fsync time estimated with a measured fsync latency of ${Math.round(latency)} µs`);
        } else {
          w.fsyncTimeMs = fhcMs;
        }
      }
      if (q.bytes) w.writeBytes = sum(e1.map((e, i) => e.writeBytes - evals0[i].writeBytes));
      return w;
    },
  };
}

/** Scrapes until the node has published statistics newer than `after` (its uptime stamp), or gives up. */
async function nextUpdate(url: string, after: number): Promise<PrometheusReading | null> {
  const until = Date.now() + STATS_UPDATE_WAIT_MS;
  while (Date.now() < until) {
    const r = await scrape(url);
    if (r.statsAtS > after) return r;
    await sleep(STATS_POLL_MS);
  }
  return null;
}

async function startPrometheus(url: string): Promise<CostSampler> {
  const where = maskCredentials(url);
  let fresh: PrometheusReading | null = null;
  let intervalS: number | null = null;
  let failure: string | null = null;
  try {
    // Open the window right after an update, so the counters cover as little outside it as they can.
    const first = await scrape(url);
    fresh = await nextUpdate(url, first.statsAtS);
    if (fresh) intervalS = fresh.statsAtS - first.statsAtS;
    else failure = `the node published no statistics within ${STATS_UPDATE_WAIT_MS / 1000} s`;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const start = fresh;
  const t0 = nowNs();
  let rssPeak = start?.rssBytes ?? 0;
  const timer = setInterval(
    () => {
      scrape(url).then(
        (r) => (rssPeak = Math.max(rssPeak, r.rssBytes)),
        () => undefined,
      );
    },
    Math.max(RSS_SAMPLE_MS, (intervalS ?? 1) * 1000),
  );
  timer.unref();
  return {
    cancel: () => clearInterval(timer),
    async stop(cell) {
      clearInterval(timer);
      const w = emptyWindow('prometheus', []);
      w.sharedHost = false;
      if (!start) {
        w.notes.push(`no broker figures: ${where}: ${failure}`);
        return w;
      }
      let end: PrometheusReading;
      let after: PrometheusReading | null;
      try {
        end = await scrape(url);
        w.spanMs = (nowNs() - t0) / 1e6;
        after = await nextUpdate(url, end.statsAtS);
      } catch (err) {
        w.notes.push(`no broker figures: ${where}: ${err instanceof Error ? err.message : String(err)}`);
        return w;
      }
      if (end.runtimeMs < start.runtimeMs || end.statsAtS < start.statsAtS) {
        w.notes.push('the node restarted in the window: its counters started again from zero, so no broker figures');
        return w;
      }
      w.cores = end.schedulers;
      w.cpuMs = end.runtimeMs - start.runtimeMs;
      w.resolutionMs = intervalS === null ? null : Math.round(intervalS * 1000);
      w.notes.push(`prometheus ${where}: CPU is user-mode only (erlang_vm_statistics_runtime_milliseconds, read live); fsyncs, bytes and memory as the node publishes them every ${intervalS?.toFixed(1)} s (collect_statistics_interval)`);
      if (!after) {
        w.notes.push(`no fsync, byte or memory figures: the node published no statistics within ${STATS_UPDATE_WAIT_MS / 1000} s of the window's end`);
        return w;
      }
      const coveredS = after.statsAtS - start.statsAtS;
      const windowS = w.spanMs / 1000;
      if (coveredS > 2 * windowS) {
        w.notes.push(`no fsync, byte or memory figures: statistics published every ${intervalS?.toFixed(1)} s cover ${coveredS.toFixed(1)} s around this ${windowS.toFixed(2)} s window (more than twice it); lower collect_statistics_interval or measure longer`);
        return w;
      }
      w.notes.push(`fsyncs and bytes cover ${coveredS.toFixed(1)} s of broker time around the ${windowS.toFixed(2)} s window`);
      w.rssPeakBytes = Math.max(rssPeak, end.rssBytes, after.rssBytes);
      const q = queueNote(cell.queue, 'prometheus');
      if (q.note) w.notes.push(q.note);
      if (q.fsyncs) {
        w.fsyncs = after.fsyncs - start.fsyncs;
        w.fsyncTimeMs = (after.fsyncSeconds - start.fsyncSeconds) * 1000;
      }
      if (q.bytes) w.writeBytes = after.writeBytes - start.writeBytes;
      return w;
    },
  };
}
