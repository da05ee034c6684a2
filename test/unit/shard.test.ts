// The pure parts of sharded runs: shares, I/N parsing, the stored bitsets.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeqBitset } from '../../src/measure/bitset.js';
import { loadBits, parseShard, shareOf, storeBits } from '../../src/run/shard.js';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_AXES, expandMatrix } from '../../src/scenario/matrix.js';
import { shardUnsupportedReason } from '../../src/run/shard-runner.js';

describe('shards', () => {
  test('shares are contiguous, balanced, and cover every id once', () => {
    assert.deepEqual(shareOf(4, 1, 2), { start: 0, end: 2 });
    assert.deepEqual(shareOf(4, 2, 2), { start: 2, end: 4 });
    assert.deepEqual(shareOf(1, 2, 2), { start: 1, end: 1 }, 'a shard with no share runs none');
    for (const total of [0, 1, 2, 5, 7, 10]) {
      for (const n of [1, 2, 3, 4]) {
        const ids = Array.from({ length: n }, (_, k) => shareOf(total, k + 1, n)).flatMap(({ start, end }) => Array.from({ length: end - start }, (_, i) => start + i));
        assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i), `${total} over ${n}`);
      }
    }
  });

  test('--shard I/N is checked', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3, group: undefined });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) assert.throws(() => parseShard(bad), UsageError, bad);
    assert.throws(() => parseShard('1/2', 'no spaces'), UsageError);
  });

  test('stored bitsets read back bit for bit', () => {
    const bits = new SeqBitset();
    for (const i of [0, 1, 31, 32, 65535, 65536, 200_001]) bits.testAndSet(i);
    const back = SeqBitset.fromTransfer(loadBits(JSON.parse(JSON.stringify(storeBits(bits.toTransfer())))));
    assert.equal(back.count(), 7);
    for (const i of [0, 1, 31, 32, 65535, 65536, 200_001]) assert.ok(back.has(i), String(i));
    assert.ok(!back.has(2));
  });

  test('several consumers of a stream are refused with a reason; one consumer, or another queue, runs', () => {
    const cellOf = (queue: 'classic' | 'stream', consumers: number) => expandMatrix({ ...DEFAULT_AXES, queue: [queue], consumers: [consumers] })[0];
    assert.match(shardUnsupportedReason(cellOf('stream', 2)) ?? '', /several consumers of a stream/);
    assert.equal(shardUnsupportedReason(cellOf('stream', 1)), null);
    assert.equal(shardUnsupportedReason(cellOf('classic', 3)), null);
  });
});
