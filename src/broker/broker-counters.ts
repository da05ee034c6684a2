// Reading a broker's own counters: the adapters behind cost-sampler.ts. Two kinds of source:
//
// - local: a node on this host (a private node, a member of a local cluster, the system node). CPU
//   (utime + stime), resident memory and its high-water mark come from /proc/<beam pid>, read in
//   microseconds of our time and free for the broker. fsyncs and bytes written come from one
//   `rabbitmqctl eval` per edge of the window (it starts an Erlang VM, a second of CPU on this host,
//   so it runs only outside the window): RabbitMQ's file_handle_cache_stats (io_sync count and time,
//   io_write bytes: classic queues' message store and index) and ra's WAL counters (quorum queues:
//   one fsync per WAL batch).
// - prometheus: any broker with rabbitmq_prometheus. erlang_vm_statistics_runtime_milliseconds is
//   read live (user-mode CPU only: Erlang's statistics(runtime)); the io and memory figures are those
//   the node published at its last statistics update (every collect_statistics_interval), stamped
//   with rabbitmq_erlang_uptime_seconds.

import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { parseStatTicks, CLOCK_TICKS_PER_S } from '../measure/thread-cpu.js';

/** One reading of a local node's /proc figures. */
export interface ProcReading {
  pid: number;
  cpuMs: number;
  rssBytes: number;
  hwmBytes: number;
}

/** What one `rabbitmqctl eval` of COUNTERS_EXPR returned. */
export interface EvalReading {
  pid: number;
  fsyncs: number;
  fsyncMicros: number;
  writeBytes: number;
  walBatches: number;
}

/** Resolution of the /proc CPU figures, ms. */
export const PROC_CPU_RESOLUTION_MS = 1000 / CLOCK_TICKS_PER_S;

/**
 * One term, read in one VM start: [io_sync count, io_sync time (µs), io_write bytes, WAL batches of
 * every ra system, OS pid]. The pid tells a node that restarted (counters from zero) from one that did not.
 */
export const COUNTERS_EXPR =
  'S = file_handle_cache_stats:get(), G = fun(K) -> proplists:get_value(K, S, 0) end, ' +
  'W = try maps:fold(fun(_, #{batches := B, wal_files := _}, A) -> A + B; (_, _, A) -> A end, 0, ra_counters:overview()) catch _:_ -> 0 end, ' +
  '[G({io_sync,count}), G({io_sync,time}), G({io_write,bytes}), W, list_to_integer(os:getpid())].';

export function parseCounters(out: string): EvalReading {
  const m = /\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]/.exec(out);
  if (!m) throw new Error(`unexpected answer to the counters eval: ${out.trim().slice(0, 200)}`);
  const [fsyncs, fsyncMicros, writeBytes, walBatches, pid] = m.slice(1).map(Number);
  return { fsyncs, fsyncMicros, writeBytes, walBatches, pid };
}

/** VmRSS and VmHWM of /proc/<pid>/status, bytes. */
export function parseStatusMemory(text: string): { rssBytes: number; hwmBytes: number } | null {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return Number.isFinite(rss) && Number.isFinite(hwm) ? { rssBytes: rss * 1024, hwmBytes: hwm * 1024 } : null;
}

/** The /proc figures of a live process, or null if it is gone. */
export function readProc(pid: number): ProcReading | null {
  if (!(pid > 0)) return null;
  try {
    const ticks = parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const mem = parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (ticks === null || !mem) return null;
    return { pid, cpuMs: ticks * PROC_CPU_RESOLUTION_MS, ...mem };
  } catch {
    return null;
  }
}

/** Inodes of the sockets listening on `port` (any address), from /proc/net/tcp and tcp6. */
export function listeningInodes(port: number, tables: string[]): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: number[] = [];
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode (field 9); st 0A is LISTEN.
      if (f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A') inodes.push(Number(f[9]));
    }
  }
  return inodes;
}

/** The pid of the Erlang VM (beam.smp) listening on 127.0.0.1:port, or null (not here, or not readable). */
export function beamListeningOn(port: number): number | null {
  let tables: string[];
  try {
    tables = ['/proc/net/tcp', '/proc/net/tcp6'].map((p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return '';
      }
    });
  } catch {
    return null;
  }
  const wanted = new Set(listeningInodes(port, tables).map((i) => `socket:[${i}]`));
  if (!wanted.size) return null;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/comm`, 'utf8').startsWith('beam')) continue;
      for (const fd of readdirSync(`/proc/${e}/fd`)) {
        if (wanted.has(readlinkSync(`/proc/${e}/fd/${fd}`))) return Number(e);
      }
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return null;
}

/** `rabbitmqctl eval EXPR` against the node rabbitmqctl talks to by default (the system node). */
export function systemEval(expr: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', ['-q', 'eval', expr], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqctl eval: ${(stderr || stdout || err.message).trim().split('\n')[0]}`));
      else resolve(stdout);
    });
  });
}

/** The figures of one scrape of rabbitmq_prometheus that cost figures use. */
export interface PrometheusReading {
  /** erlang_vm_statistics_runtime_milliseconds: user-mode CPU, read live. */
  runtimeMs: number;
  /** rabbitmq_erlang_uptime_seconds: when the node last published its statistics (its own clock). */
  statsAtS: number;
  fsyncs: number;
  fsyncSeconds: number;
  writeBytes: number;
  rssBytes: number;
  /** erlang_vm_schedulers_online: the cores the broker can use. */
  schedulers: number | null;
  /** The rabbitmq_cluster label of rabbitmq_identity_info: whose figures these are. */
  cluster: string | null;
}

/** The unlabelled samples of a Prometheus text exposition (0.0.4), by metric name. */
export function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)/.exec(line);
    if (m) values.set(m[1], Number(m[2]));
  }
  return values;
}

export function prometheusReading(text: string): PrometheusReading {
  const v = parseExposition(text);
  const need = (name: string) => {
    const x = v.get(name);
    if (x === undefined || !Number.isFinite(x)) throw new Error(`the metrics endpoint has no ${name}`);
    return x;
  };
  return {
    runtimeMs: need('erlang_vm_statistics_runtime_milliseconds'),
    statsAtS: need('rabbitmq_erlang_uptime_seconds'),
    fsyncs: need('rabbitmq_io_sync_ops_total'),
    fsyncSeconds: need('rabbitmq_io_sync_time_seconds_total'),
    writeBytes: need('rabbitmq_io_write_bytes_total'),
    rssBytes: need('rabbitmq_process_resident_memory_bytes'),
    schedulers: v.get('erlang_vm_schedulers_online') ?? null,
    cluster: /^rabbitmq_identity_info\{[^}]*\brabbitmq_cluster="((?:[^"\\]|\\.)*)"/m.exec(text)?.[1] ?? null,
  };
}

/** One scrape of the endpoint, bounded in time. */
export async function scrape(url: string, timeoutMs = 5000): Promise<PrometheusReading> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return prometheusReading(await res.text());
}
