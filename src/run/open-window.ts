// The measured window of a repetition: opened for every worker at once, then sampled from the workers'
// shared counters into the per-second timeline and the progress events.

import { nowNs } from '../measure/clock.js';
import { Timeline, type RunningTotals } from '../measure/timeline.js';
import type { RunWindow } from '../scenario/types.js';
import { sumCounter, type CellWorker } from './cell-worker.js';
import { consumedSoFar } from './stream-fan-out.js';
import { COUNTER } from './worker-protocol.js';

export interface Progress {
  sent: number;
  confirmed: number;
  consumed: number;
  /** Measured messages the cell will send in all; null for a duration-bound cell. */
  total: number | null;
  elapsedSeconds: number;
}

export interface OpenWindowOptions {
  window: RunWindow;
  /** Every worker of the window: all are told to go at once. */
  workers: CellWorker[];
  producers: CellWorker[];
  /** Whose deliveries count as consumed; read at each sample, so a consumer added later counts from then on. */
  consumers: CellWorker[];
  /** The sampling intervals are added here, for the caller to clear. */
  timers: NodeJS.Timeout[];
  /** The run-wide signal: aborting it stops the producers. */
  signal?: AbortSignal;
  /** Removes the listener on `signal` when the repetition ends. */
  until: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Every consumer reads every message (stream-fan-out.ts): consumed counts what the slowest has read. */
  readsAll?: boolean;
}

export interface OpenedWindow {
  goNs: number;
  /** process.cpuUsage() when the window opened. */
  cpu0: NodeJS.CpuUsage;
  /** Running totals of the window so far, from the shared counters. */
  snapshot: () => RunningTotals;
  timeline: Timeline;
}

/** Opens the measured window for every worker at once, then samples it: the timeline each second, progress every 250 ms. */
export function openWindow(o: OpenWindowOptions): OpenedWindow {
  const total = o.window.messages === null ? null : o.window.messages * o.producers.length;
  const cpu0 = process.cpuUsage();
  const goNs = nowNs();
  for (const w of o.workers) w.send({ type: 'go' });
  o.signal?.addEventListener('abort', () => o.producers.forEach((p) => p.send({ type: 'stop' })), { once: true, signal: o.until });

  const snapshot = () => ({
    sent: sumCounter(o.producers, COUNTER.sent),
    confirmed: sumCounter(o.producers, COUNTER.confirmed),
    consumed: consumedSoFar(o.consumers.map((c) => c.count(COUNTER.consumed)), Boolean(o.readsAll)),
  });
  const timeline = new Timeline(snapshot);
  o.timers.push(setInterval(() => timeline.tick(), 1000));
  if (o.onProgress) {
    const report = o.onProgress;
    o.timers.push(setInterval(() => report({ ...snapshot(), total, elapsedSeconds: (nowNs() - goNs) / 1e9 }), 250));
  }
  return { goNs, cpu0, snapshot, timeline };
}
