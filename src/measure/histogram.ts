// Latency histograms: HdrHistogram in microseconds. Percentiles always come from a histogram,
// merged from its encoded form across workers and repetitions; never averaged.

import hdr from 'hdr-histogram-js';

/** Percentiles of one histogram, in microseconds; count is the number of recorded values. */
export interface LatencySummary {
  count: number;
  minUs: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export type Histogram = hdr.Histogram;

/** 1 µs to 1 hour, 3 significant digits; auto-resize so a stall longer than that is still recorded. */
export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Record a latency in microseconds; sub-microsecond values are recorded as 1 µs (the resolution). */
export function recordMicros(h: Histogram, micros: number): void {
  h.recordValue(micros < 1 ? 1 : Math.round(micros));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Merge encoded histograms exactly (bucket counts added); null when there is nothing to merge. */
export function mergeEncoded(encoded: ReadonlyArray<string | null | undefined>): Histogram | null {
  let merged: Histogram | null = null;
  for (const e of encoded) {
    if (!e) continue;
    const h = decodeHistogram(e);
    if (merged === null) merged = createHistogram();
    merged.add(h);
  }
  return merged;
}

export function summarize(h: Histogram | null): LatencySummary | null {
  if (h === null || h.totalCount === 0) return null;
  return {
    count: h.totalCount,
    minUs: h.minNonZeroValue,
    meanUs: Math.round(h.mean * 10) / 10,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
  };
}

/** HdrHistogram's percentile-distribution text (the .hgrm format), values in microseconds. */
export function percentileDistribution(h: Histogram): string {
  return h.outputPercentileDistribution(5, 1);
}
