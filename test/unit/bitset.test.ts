// SeqBitset: one bit per sequence number, in chunks of 65536 bits, checked against a Set<number>.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeqBitset } from '../../src/measure/bitset.js';
import { mulberry32, randInt } from '../helpers/prng.js';

function bitsetOf(values: Iterable<number>): SeqBitset {
  const s = new SeqBitset();
  for (const v of values) s.testAndSet(v);
  return s;
}

const BOUNDARIES = [0, 31, 32, 65535, 65536, 65537, 131071, 131072, 1_000_000, 2 ** 32 - 1];

describe('SeqBitset', () => {
  test('testAndSet returns the previous state of the bit', () => {
    const s = new SeqBitset();
    assert.equal(s.testAndSet(7), false);
    assert.equal(s.testAndSet(7), true);
    assert.equal(s.testAndSet(8), false);
    assert.equal(s.has(7), true);
    assert.equal(s.has(6), false);
  });

  test('count counts distinct bits; an empty set counts 0', () => {
    assert.equal(new SeqBitset().count(), 0);
    const s = bitsetOf([1, 2, 3, 3, 2, 100_000]);
    assert.equal(s.count(), 3 + 1);
  });

  test('bits at chunk boundaries are independent', () => {
    const s = new SeqBitset();
    for (const b of BOUNDARIES) assert.equal(s.testAndSet(b), false, `bit ${b} was set before`);
    for (const b of BOUNDARIES) assert.equal(s.has(b), true, `bit ${b}`);
    for (const b of [1, 30, 33, 65534, 65538, 131070, 131073, 999_999, 1_000_001]) assert.equal(s.has(b), false, `bit ${b} leaked`);
    assert.equal(s.count(), BOUNDARIES.length);
  });

  test('or is a union, including chunks only the other side has', () => {
    const a = bitsetOf([1, 65535]);
    const b = bitsetOf([65535, 65536, 1_000_000]);
    a.or(b);
    assert.equal(a.count(), 4);
    for (const v of [1, 65535, 65536, 1_000_000]) assert.ok(a.has(v), `${v}`);
    assert.equal(b.count(), 3, 'the argument is unchanged');
    b.testAndSet(5);
    assert.equal(a.has(5), false, 'or copies, it does not alias the other chunks');
  });

  test('countAnd and countAndNot across chunks', () => {
    const a = bitsetOf([1, 2, 65535, 65536, 131071, 1_000_000]);
    const b = bitsetOf([2, 65536, 131072, 1_000_000, 5_000_000]);
    assert.equal(a.countAnd(b), 3); // 2, 65536, 1e6
    assert.equal(b.countAnd(a), 3);
    assert.equal(a.countAndNot(b), 3); // 1, 65535, 131071
    assert.equal(b.countAndNot(a), 2); // 131072, 5e6
    assert.equal(a.countAndNot(new SeqBitset()), a.count());
    assert.equal(new SeqBitset().countAndNot(a), 0);
    assert.equal(a.countAnd(new SeqBitset()), 0);
  });

  test('toTransfer / fromTransfer round trip, survives structured clone', () => {
    const values = [0, 65535, 65536, 131071, 1_000_000, 3_000_001];
    const t = bitsetOf(values).toTransfer();
    assert.equal(t.index.length, t.words.length);
    assert.ok(t.index.length <= 4, `only chunks in use are transferred (${t.index.length})`);
    const back = SeqBitset.fromTransfer(structuredClone(t));
    assert.equal(back.count(), values.length);
    for (const v of values) assert.ok(back.has(v), `${v}`);
    assert.equal(back.has(1), false);
    assert.deepEqual(new SeqBitset().toTransfer(), { index: [], words: [] });
  });

  test('randomized: agrees with a Set<number> reference', () => {
    for (const seed of [7, 8, 9]) {
      const rand = mulberry32(seed);
      const sets = [0, 1].map(() => ({ bits: new SeqBitset(), ref: new Set<number>() }));
      for (let k = 0; k < 20_000; k++) {
        const side = sets[k & 1];
        // Clustered values around chunk boundaries, plus a sprinkle across a wide range.
        const v = rand() < 0.7 ? randInt(rand, 0, 3) * 65536 + randInt(rand, -300, 300) + 300 : randInt(rand, 0, 2_000_000);
        assert.equal(side.bits.testAndSet(v), side.ref.has(v), `seed ${seed}: testAndSet(${v})`);
        side.ref.add(v);
      }
      const [a, b] = sets;
      for (const s of sets) assert.equal(s.bits.count(), s.ref.size, `seed ${seed}: count`);
      const both = [...a.ref].filter((v) => b.ref.has(v)).length;
      assert.equal(a.bits.countAnd(b.bits), both, `seed ${seed}: countAnd`);
      assert.equal(a.bits.countAndNot(b.bits), a.ref.size - both, `seed ${seed}: countAndNot`);
      assert.equal(b.bits.countAndNot(a.bits), b.ref.size - both, `seed ${seed}: countAndNot reversed`);
      const union = new SeqBitset();
      union.or(SeqBitset.fromTransfer(a.bits.toTransfer()));
      union.or(b.bits);
      assert.equal(union.count(), new Set([...a.ref, ...b.ref]).size, `seed ${seed}: or`);
      for (let v = 0; v < 200_000; v += 7) assert.equal(union.has(v), a.ref.has(v) || b.ref.has(v), `seed ${seed}: has(${v})`);
    }
  });
});
