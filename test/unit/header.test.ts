// The 16-byte message header: producer id, sequence number, send time, warm-up flag.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bodyTemplate, HEADER_BYTES, readHeader, readHeaderInto, writeHeader } from '../../src/measure/header.js';

// 100 days of uptime in ns, plus a fraction (paced send times are not whole nanoseconds).
const LONG_UPTIME_NS = 100 * 86_400 * 1e9 + 0.5;

describe('message header', () => {
  test('round trip at the limits of each field', () => {
    for (const warmup of [false, true]) {
      const body = bodyTemplate(64);
      writeHeader(body, 65535, 2 ** 32 - 1, LONG_UPTIME_NS, warmup);
      assert.deepEqual(readHeader(body), { producer: 65535, seq: 2 ** 32 - 1, sendNs: LONG_UPTIME_NS, warmup });
    }
  });

  test('round trip of small values', () => {
    const body = bodyTemplate(HEADER_BYTES);
    writeHeader(body, 0, 0, 0, false);
    assert.deepEqual(readHeader(body), { producer: 0, seq: 0, sendNs: 0, warmup: false });
  });

  test('rewriting the header of a reused body leaves the padding alone', () => {
    const body = bodyTemplate(100);
    const padding = Buffer.from(body.subarray(HEADER_BYTES));
    for (let seq = 0; seq < 5; seq++) {
      writeHeader(body, 3, seq, seq * 1000, seq === 0);
      assert.deepEqual(readHeader(body), { producer: 3, seq, sendNs: seq * 1000, warmup: seq === 0 });
    }
    assert.deepEqual(body.subarray(HEADER_BYTES), padding);
  });

  test('readHeaderInto fills one object message after message, and says false for a body not ours', () => {
    const out = { producer: -1, seq: -1, sendNs: -1, warmup: true };
    const body = bodyTemplate(32);
    for (let seq = 0; seq < 3; seq++) {
      writeHeader(body, 7, seq, seq + 0.5, false);
      assert.equal(readHeaderInto(body, out), true);
      assert.deepEqual(out, { producer: 7, seq, sendNs: seq + 0.5, warmup: false });
    }
    assert.equal(readHeaderInto(Buffer.from('not ours at all, no magic byte'), out), false);
  });

  test('a body that is not an ackbench message reads as null', () => {
    assert.equal(readHeader(Buffer.from('{"hello":"this is someone else\'s JSON message"}')), null);
    assert.equal(readHeader(Buffer.alloc(0)), null);
    assert.equal(readHeader(bodyTemplate(64)), null, 'a template before its header is written');
    const short = Buffer.alloc(HEADER_BYTES - 1);
    short[0] = 0xab;
    assert.equal(readHeader(short), null, 'too short, even with the right first byte');
  });

  test('bodyTemplate has exactly the cell size, with non-zero padding after the header', () => {
    for (const size of [HEADER_BYTES, 17, 1024, 65536]) {
      const body = bodyTemplate(size);
      assert.equal(body.length, size);
      assert.ok(body.subarray(0, HEADER_BYTES).every((b) => b === 0), `size ${size}: header area starts zeroed`);
      assert.ok(body.subarray(HEADER_BYTES).every((b) => b >= 0x61 && b <= 0x7a), `size ${size}: padding is a-z`);
    }
  });

  test('the header is 16 bytes, little-endian at fixed offsets', () => {
    assert.equal(HEADER_BYTES, 16);
    const body = bodyTemplate(HEADER_BYTES);
    writeHeader(body, 0x0102, 0x03040506, 1.5, true);
    assert.equal(body[0], 0xab);
    assert.equal(body[1], 1);
    assert.equal(body.readUInt16LE(2), 0x0102);
    assert.equal(body.readUInt32LE(4), 0x03040506);
    assert.equal(body.readDoubleLE(8), 1.5);
  });
});
