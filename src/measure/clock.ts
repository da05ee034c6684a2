// The one clock of every figure: CLOCK_MONOTONIC in nanoseconds (process.hrtime), shared by all threads
// and processes of a host, so a send time written by one worker can be read by another.
// Kept as a float64: exact to the nanosecond for 104 days of uptime, and free of BigInt in hot paths.

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
