// A latency histogram for the whole window plus one for the current interval, so a long cell can
// report percentiles minute by minute (merged across workers by the main thread) as well as overall.

import { createHistogram, encodeHistogram, recordMicros, type Histogram } from './histogram.js';

export class LatencyRecorder {
  readonly total: Histogram = createHistogram();
  private readonly interval: Histogram = createHistogram();

  record(micros: number): void {
    recordMicros(this.total, micros);
    recordMicros(this.interval, micros);
  }

  /** The values recorded since the last call, encoded, or null if none; starts a new interval. */
  takeInterval(): string | null {
    if (this.interval.totalCount === 0) return null;
    const encoded = encodeHistogram(this.interval);
    this.interval.reset();
    return encoded;
  }

  /** The whole window, encoded, or null if nothing was recorded. */
  encodeTotal(): string | null {
    return this.total.totalCount > 0 ? encodeHistogram(this.total) : null;
  }
}
