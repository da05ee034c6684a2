// Several consumers on a stream read every message (run/stream-fan-out.ts): a message counts as
// consumed once the slowest consumer has it; on a shared queue the consumers' counts add up.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { consumedSoFar, everyConsumerReadsAll } from '../../src/run/stream-fan-out.js';

describe('stream fan-out', () => {
  test('only stream queues are read whole by each consumer', () => {
    assert.equal(everyConsumerReadsAll({ queue: 'stream' }), true);
    assert.equal(everyConsumerReadsAll({ queue: 'classic' }), false);
    assert.equal(everyConsumerReadsAll({ queue: 'quorum' }), false);
  });

  test('consumed so far: the slowest consumer of a stream, the sum on a shared queue', () => {
    assert.equal(consumedSoFar([2000, 1882], true), 1882);
    assert.equal(consumedSoFar([1000, 882], false), 1882);
    assert.equal(consumedSoFar([], true), 0);
  });
});
