// CPU time of the calling thread (Linux /proc/thread-self), for client CPU per worker thread: Node 20
// has no process.threadCpuUsage, and process.cpuUsage() sums every thread of the process.
//
// /proc/thread-self/schedstat gives, in ns, the time the thread ran on a CPU and the time it waited
// in a run queue for one (runnable, not running). Their sum is the time the thread wanted a CPU: a
// thread whose sum covers the window never waited for the network or a timer, so it was the limit,
// whether it had a core to itself or shared one with the broker. Where schedstat is missing,
// /proc/thread-self/stat gives user + system time in clock ticks (no run-queue wait).

import { readFileSync } from 'node:fs';
import { nowNs } from './clock.js';

/** Cumulative CPU figures of one thread at one moment. */
export interface ThreadCpuSample {
  /** nowNs() when read. */
  atNs: number;
  /** Time on a CPU, ns. */
  runNs: number;
  /** Time runnable and waiting for a CPU, ns; 0 where the kernel does not say (stat fallback). */
  waitNs: number;
}

/** What one thread did over a window. */
export interface ThreadLoad {
  wallNs: number;
  runNs: number;
  waitNs: number;
}

/** Linux USER_HZ: /proc stat times are in these ticks (100 on every mainstream architecture). */
export const CLOCK_TICKS_PER_S = 100;

/** schedstat: "run_ns wait_ns timeslices". */
export function parseSchedstat(text: string): { runNs: number; waitNs: number } | null {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  return Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run, waitNs: wait } : null;
}

/** utime + stime (fields 14 and 15 of /proc/.../stat) in ticks; the command name may hold spaces and ')'. */
export function parseStatTicks(text: string): number | null {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks : null;
}

/** The calling thread's CPU so far, or null off Linux. */
export function threadCpu(): ThreadCpuSample | null {
  const atNs = nowNs();
  try {
    const s = parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'utf8'));
    if (s && s.runNs > 0) return { atNs, ...s };
  } catch {
    // no schedstat: fall back to stat
  }
  try {
    const ticks = parseStatTicks(readFileSync('/proc/thread-self/stat', 'utf8'));
    return ticks === null ? null : { atNs, runNs: (ticks * 1e9) / CLOCK_TICKS_PER_S, waitNs: 0 };
  } catch {
    return null;
  }
}

/** What the thread did between two samples of it. */
export function threadLoadBetween(a: ThreadCpuSample, b: ThreadCpuSample): ThreadLoad {
  return { wallNs: b.atNs - a.atNs, runNs: b.runNs - a.runNs, waitNs: b.waitNs - a.waitNs };
}

/** Share of the window the thread ran on a CPU, 0..1 (a little above 1 within tick rounding). */
export function cpuShare(load: ThreadLoad): number {
  return load.wallNs > 0 ? load.runNs / load.wallNs : 0;
}

/** Share of the window the thread wanted a CPU (ran, or waited in a run queue for one), 0..1. */
export function busyShare(load: ThreadLoad): number {
  return load.wallNs > 0 ? (load.runNs + load.waitNs) / load.wallNs : 0;
}
