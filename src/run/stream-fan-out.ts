// Several consumers on a stream queue: each reads the whole stream, from its first offset (fan-out:
// a stream is a log, and reading it does not take a message from the others). So "received" is the
// distinct messages any consumer read, a message read by two consumers is not a duplicate (only a
// second delivery to the same consumer is), end-to-end latency is recorded once per message and
// consumer, a message counts as consumed once the slowest consumer has read it, and the drain ends
// when every consumer has read every message sent, not when their counts add up to it.
// Classic and quorum queues share messages out: each is delivered to one consumer.

import type { Cell } from '../scenario/types.js';

/** Every consumer of the cell reads every message (a stream queue). */
export function everyConsumerReadsAll(cell: Pick<Cell, 'queue'>): boolean {
  return cell.queue === 'stream';
}

/** Messages consumed so far, from each consumer's count of distinct messages it received. */
export function consumedSoFar(perConsumer: number[], readsAll: boolean): number {
  if (perConsumer.length === 0) return 0;
  return readsAll ? Math.min(...perConsumer) : perConsumer.reduce((a, b) => a + b, 0);
}
