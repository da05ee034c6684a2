// The per-second timeline of a measured window (timeline.csv): what was sent, confirmed and consumed
// during each second, as differences of running totals read off the workers' shared counters. Each
// row keeps its true length: the ticks of a 1 s interval timer drift by a few ms, and the last row
// (from the last tick to the end of the window) is usually a fraction of a second, whose count read
// as a rate per second would show a false dip at the end of every timeline.

import { nowNs } from './clock.js';

/** One second of the measured window: counts that happened during it, over all workers. */
export interface TimelinePoint {
  second: number;
  sent: number;
  confirmed: number;
  consumed: number;
  /**
   * The row's true length in seconds (monotonic clock): about 1, and for the last row the fraction
   * of a second after the last whole one. Absent in runs written before it was kept (read as 1).
   */
  seconds?: number;
}

export interface RunningTotals {
  sent: number;
  confirmed: number;
  consumed: number;
}

export class Timeline {
  readonly points: TimelinePoint[] = [];
  private last: RunningTotals = { sent: 0, confirmed: 0, consumed: 0 };
  private lastNs: number;

  /** Construct when the window opens: the first row starts then. */
  constructor(
    private readonly read: () => RunningTotals,
    private readonly clock: () => number = nowNs,
  ) {
    this.lastNs = clock();
  }

  /** Records the second that just ended: call once a second from the window's opening. */
  tick(): void {
    this.push(this.read(), false);
  }

  /** Once the ticks stopped: records what came after the last whole second, if anything did. */
  close(): TimelinePoint[] {
    this.push(this.read(), true);
    return this.points;
  }

  private push(now: RunningTotals, onlyIfAny: boolean): void {
    const atNs = this.clock();
    const row = { sent: now.sent - this.last.sent, confirmed: now.confirmed - this.last.confirmed, consumed: now.consumed - this.last.consumed };
    if (onlyIfAny && !row.sent && !row.confirmed && !row.consumed) return;
    const seconds = Math.round((atNs - this.lastNs) / 1e6) / 1e3;
    this.points.push({ second: this.points.length + 1, ...row, seconds });
    this.last = now;
    this.lastNs = atNs;
  }
}

/** A row's counts as rates per second over its true length (1 s for rows written before lengths were kept). */
export function rowRate(point: TimelinePoint, count: number): number {
  const seconds = point.seconds ?? 1;
  return seconds > 0 ? count / seconds : 0;
}

/** Where a row ends in the window, in seconds from its opening: its start plus its length. */
export function rowEnd(point: TimelinePoint): number {
  return point.second - 1 + (point.seconds ?? 1);
}
