// Rate control (docs/architecture.md#rate-control-and-the-sweep): message i is due at start + i / rate, evenly, never in
// once-per-second bursts. Latency is measured from that intended time, so a stalled broker shows
// up in the percentiles instead of silently slowing the sender (coordinated-omission correction).

export class Pacer {
  private readonly intervalNs: number;

  constructor(
    private readonly startNs: number,
    ratePerSecond: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be positive');
    this.intervalNs = 1e9 / ratePerSecond;
  }

  /** When message i (from 0) is due, ns on the monotonic clock. */
  intendedNs(i: number): number {
    return this.startNs + i * this.intervalNs;
  }

  /** How long to wait, in ms, before sending message i at time `nowNs`; 0 when it is due or late. */
  waitMs(i: number, nowNs: number): number {
    const early = this.intendedNs(i) - nowNs;
    return early > 0 ? early / 1e6 : 0;
  }
}
