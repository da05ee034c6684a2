// The per-second timeline of a measured window (timeline.csv): what was sent, confirmed and consumed
// during each second, as differences of running totals read off the workers' shared counters.

import type { TimelinePoint } from '../run/result.js';

export interface RunningTotals {
  sent: number;
  confirmed: number;
  consumed: number;
}

export class Timeline {
  readonly points: TimelinePoint[] = [];
  private last: RunningTotals = { sent: 0, confirmed: 0, consumed: 0 };

  constructor(private readonly read: () => RunningTotals) {}

  /** Records the second that just ended: call once a second from the window's opening. */
  tick(): void {
    const now = this.read();
    this.points.push({ second: this.points.length + 1, sent: now.sent - this.last.sent, confirmed: now.confirmed - this.last.confirmed, consumed: now.consumed - this.last.consumed });
    this.last = now;
  }

  /** Once the ticks stopped: records what came after the last whole second, if anything did. */
  close(): TimelinePoint[] {
    const now = this.read();
    const tail = { sent: now.sent - this.last.sent, confirmed: now.confirmed - this.last.confirmed, consumed: now.consumed - this.last.consumed };
    if (tail.sent || tail.confirmed || tail.consumed) this.points.push({ second: this.points.length + 1, ...tail });
    return this.points;
  }
}
