// The name of the queue a cell's repetition runs on. Every basic.publish carries it as the routing key,
// and RabbitMQ stores the routing key with each message, so its length is part of what the broker
// does per message: on RabbitMQ 3.10, a routing key of 65 bytes or more made persistent unconfirmed
// publishing about 35% slower than one of 64, the Erlang VM's limit for binaries copied into a
// process's heap (README, "What the harness's queue names cost"). So names stay within 64 bytes, whatever the run
// id or the cell: the cell's id, which can be long, enters as a hash; run.json names each cell in full.

import { createHash } from 'node:crypto';
import type { Cell } from '../scenario/types.js';

/** The longest name ackbench gives a queue: the broker's cheap routing-key size. */
export const MAX_QUEUE_NAME_BYTES = 64;

const hash = (s: string, hexChars: number) => createHash('sha256').update(s).digest('hex').slice(0, hexChars);

/** `prefix.<cell hash>.r<N>`, with the prefix replaced by its hash too when that would be too long. */
function bounded(prefix: string, cell: Cell, repetition: number): string {
  const tail = `.${hash(cell.id, 10)}.r${repetition}`;
  const name = `${prefix}${tail}`;
  if (Buffer.byteLength(name) <= MAX_QUEUE_NAME_BYTES) return name;
  return `ackbench.${hash(prefix, 16)}${tail}`;
}

/** A queue name unique to the run, cell and repetition. */
export function queueName(runId: string, cell: Cell, repetition: number): string {
  return bounded(`ackbench.${runId}`, cell, repetition);
}

/** The queue all N agents use for a cell and repetition: from the group, never from a run id. */
export function shardQueueName(group: string, cell: Cell, repetition: number): string {
  return bounded(`ackbench.shard.${group}`, cell, repetition);
}
