// A latency histogram for the whole window plus one for the current interval, so a long cell can
// report percentiles minute by minute (merged across workers by the main thread) as well as overall.
// Each value is recorded once, into the interval's histogram; a finished interval is added to the
// earlier ones (histogram addition is exact), so the whole window costs nothing per message.

import { createHistogram, encodeHistogram, recordMicros, type Histogram } from './histogram.js';

export class LatencyRecorder {
  /** The intervals already taken, added together. */
  private readonly earlier: Histogram = createHistogram();
  private readonly interval: Histogram = createHistogram();

  record(micros: number): void {
    recordMicros(this.interval, micros);
  }

  /** Values recorded over the whole window so far. */
  get count(): number {
    return this.earlier.totalCount + this.interval.totalCount;
  }

  /** The values recorded since the last call, encoded, or null if none; starts a new interval. */
  takeInterval(): string | null {
    if (this.interval.totalCount === 0) return null;
    const encoded = encodeHistogram(this.interval);
    this.earlier.add(this.interval);
    this.interval.reset();
    return encoded;
  }

  /** The whole window, encoded, or null if nothing was recorded. */
  encodeTotal(): string | null {
    if (this.count === 0) return null;
    if (this.interval.totalCount === 0) return encodeHistogram(this.earlier);
    const total = createHistogram();
    total.add(this.earlier);
    total.add(this.interval);
    return encodeHistogram(total);
  }
}
