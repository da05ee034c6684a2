// Queue names stay within the broker's cheap routing-key size (src/run/queue-name.ts), stay unique per
// run, cell and repetition, and agree between the agents of a sharded run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_AXES, expandMatrix } from '../../src/scenario/matrix.js';
import { MAX_QUEUE_NAME_BYTES, queueName, shardQueueName } from '../../src/run/queue-name.js';

const cells = expandMatrix({
  ...DEFAULT_AXES,
  client: ['amqplib', 'rabbitmq-client'],
  durability: ['transient', 'persistent'],
  publish: ['none', 'single', 'async:1000', 'tx:100'],
  queue: ['classic', 'quorum', 'stream'],
});

test('every name is within 64 bytes, even for a long run id, and unique per cell and repetition', () => {
  const names = new Set<string>();
  for (const runId of ['20261201-124959-adhoc', `20261201-124959-${'a-very-long-scenario-name'.repeat(4)}`]) {
    for (const cell of cells) {
      for (const rep of [1, 2, 100]) {
        for (const name of [queueName(runId, cell, rep), shardQueueName(runId, cell, rep)]) {
          assert.ok(Buffer.byteLength(name) <= MAX_QUEUE_NAME_BYTES, `${name}: ${Buffer.byteLength(name)} bytes`);
          assert.ok(name.startsWith('ackbench.'), name);
          assert.ok(!names.has(name), `${name} twice`);
          names.add(name);
        }
      }
    }
  }
  assert.equal(names.size, 2 * cells.length * 3 * 2);
  assert.ok(cells.some((c) => `ackbench.x.${c.id}.r1`.length > MAX_QUEUE_NAME_BYTES), 'the cell ids alone would be too long');
});

test('a short run id stays readable in the name; shards of one group agree on it', () => {
  const [cell] = cells;
  assert.match(queueName('20261201-124959-adhoc', cell, 1), /^ackbench\.20261201-124959-adhoc\.[0-9a-f]{10}\.r1$/);
  assert.equal(shardQueueName('g1', cell, 2), shardQueueName('g1', cell, 2));
  assert.notEqual(shardQueueName('g1', cell, 2), shardQueueName('g2', cell, 2));
});
