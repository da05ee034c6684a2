// Which resource limited a repetition, from its cost figures (README: Cost per message). Pure. The rules,
// in order (each share is of the window the figure was measured over):
//
// 1. paced: a --rate cell that sent at least 95% of its target rate.
// 2. client: a client worker thread ran on a CPU 90% of its window or more.
// 3. broker-cpu: the broker used 90% or more of the cores it could use (on a host it shares with the
//    client: the host's cores less the client's CPU).
// 3b. client: a worker thread was busy (on a CPU, or waiting in a run queue for one) 90% of its window
//    or more: it never waited for the broker, it waited for a CPU (the evidence says how long).
// 4. disk-sync: the broker's fsyncs took a third of the window or more (its own io_sync time, else
//    fsyncs x a measured fsync latency): with every fsync gone the cell would be 1.5x faster or more.
// 5. broker-cpu: nothing saturated, so round trips set the pace (one confirm per message, a confirm
//    window, a prefetch); the broker's CPU is a third of a core or more and above any client
//    thread's: its per-message work is the largest part of each round trip.
// 6. unclear: none of these; the evidence gives every share.

/** The resource that limited a repetition (measure/bottleneck.ts), with the figures that say so. */
export interface Bottleneck {
  verdict: 'client' | 'broker-cpu' | 'disk-sync' | 'paced' | 'unclear';
  evidence: string;
}

/** One client worker thread over the window (measure/thread-cpu.ts). */
export interface ClientThread {
  role: 'producer' | 'consumer';
  index: number;
  /** Time on a CPU, percent of the thread's window. */
  cpuPct: number;
  /** On a CPU or waiting in a run queue for one, percent of the window. */
  busyPct: number;
}

/** A worker thread busy this share of its window or more was the limit. */
export const CLIENT_BOUND_SHARE = 0.9;
/** A paced cell that sent at least this share of its target kept its rate. */
export const PACED_KEPT = 0.95;
/** The broker near the cores it could use. */
export const BROKER_SATURATED = 0.9;
/** fsyncs explain the window when they take this share of it. */
export const DISK_SYNC_SHARE = 1 / 3;
/** In a round-trip-bound cell, broker CPU below this share of a core explains nothing. */
export const BROKER_ROUND_TRIP_SHARE = 1 / 3;

export interface BottleneckInput {
  /** Target rate per producer; null when unpaced. */
  rate: number | null;
  /** Producers whose target that is (those of this host). */
  producers: number;
  sent: number;
  sendSeconds: number;
  threads: ClientThread[];
  /** Client process CPU over the window, in cores (1 = one core all the time). */
  clientCores: number | null;
  broker: {
    /** Broker CPU over its window, in cores. */
    cores: number | null;
    /** Cores the broker could use. */
    usableCores: number | null;
    /** Share of its window the broker spent in fsyncs. */
    fsyncShare: number | null;
    fsyncsPer1k: number | null;
    fsyncLatencyUs: number | null;
  } | null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const cores = (x: number) => `${x.toFixed(2)} cores`;

function busiestThread(threads: ClientThread[]): ClientThread | null {
  return threads.reduce<ClientThread | null>((a, t) => (a === null || t.busyPct > a.busyPct ? t : a), null);
}

export function bottleneckOf(i: BottleneckInput): Bottleneck {
  const target = i.rate ? i.rate * i.producers * i.sendSeconds : 0;
  const achieved = i.sendSeconds > 0 ? i.sent / i.sendSeconds : 0;
  if (i.rate && i.sent >= PACED_KEPT * target) {
    return { verdict: 'paced', evidence: `sent ${Math.round(achieved)} msg/s of a ${i.rate * i.producers} msg/s target` };
  }
  const behind = i.rate ? `sent ${Math.round(achieved)} msg/s of a ${i.rate * i.producers} msg/s target; ` : '';
  const top = busiestThread(i.threads);
  const thread = top ? `${top.role} ${top.index} thread busy ${top.busyPct}% (on a CPU ${top.cpuPct}%)` : 'no thread figures';
  const onCpu = i.threads.reduce<ClientThread | null>((a, t) => (a === null || t.cpuPct > a.cpuPct ? t : a), null);
  if (onCpu && onCpu.cpuPct >= CLIENT_BOUND_SHARE * 100) {
    return { verdict: 'client', evidence: `${behind}${onCpu.role} ${onCpu.index} thread on a CPU ${onCpu.cpuPct}% of its window` };
  }
  const b = i.broker;
  if (b?.cores != null && b.usableCores != null && b.usableCores > 0 && b.cores >= BROKER_SATURATED * b.usableCores) {
    return { verdict: 'broker-cpu', evidence: `${behind}broker CPU ${cores(b.cores)} of the ${b.usableCores.toFixed(2)} it could use; ${thread}` };
  }
  if (top && top.busyPct >= CLIENT_BOUND_SHARE * 100) {
    return { verdict: 'client', evidence: `${behind}${thread} of its window: it waited for a CPU ${Math.round((top.busyPct - top.cpuPct) * 10) / 10}% of it (the host's CPUs were busy)` };
  }
  if (b?.fsyncShare != null && b.fsyncShare >= DISK_SYNC_SHARE) {
    const per = b.fsyncsPer1k !== null && b.fsyncLatencyUs !== null ? `${Math.round(b.fsyncsPer1k)} fsyncs per 1000 msgs x ${Math.round(b.fsyncLatencyUs)} µs each: ` : '';
    return { verdict: 'disk-sync', evidence: `${behind}${per}fsyncs took ${pct(b.fsyncShare)} of the window; ${thread}` };
  }
  const topCpu = top ? top.cpuPct / 100 : 0;
  if (b?.cores != null && b.cores >= BROKER_ROUND_TRIP_SHARE && b.cores > topCpu) {
    return {
      verdict: 'broker-cpu',
      evidence: `${behind}nothing saturated (round trips set the pace); broker CPU ${cores(b.cores)}, above any client thread's (${thread})`,
    };
  }
  const parts = [thread];
  if (b?.cores != null) parts.push(`broker CPU ${cores(b.cores)}${b.usableCores != null ? ` of ${b.usableCores.toFixed(2)} usable` : ''}`);
  if (b?.fsyncShare != null) parts.push(`fsyncs ${pct(b.fsyncShare)} of the window`);
  if (!b || b.cores == null) parts.push('no broker figures');
  return { verdict: 'unclear', evidence: `${behind}${parts.join('; ')}` };
}
