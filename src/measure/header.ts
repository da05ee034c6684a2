// The fixed binary header at the start of every message body (little-endian, 16 bytes):
//   0  u8   magic 0xAB
//   1  u8   flags (bit 0: warm-up message, not measured)
//   2  u16  producer id (unique within a cell)
//   4  u32  sequence number within the producer, from 0
//   8  f64  send time, ns on the monotonic clock (intended time when rate-limited)
// The rest of the body, up to the cell's size, is padding.

export const HEADER_BYTES = 16;
const MAGIC = 0xab;
const FLAG_WARMUP = 1;

export interface MessageHeader {
  producer: number;
  seq: number;
  sendNs: number;
  warmup: boolean;
}

export function writeHeader(body: Buffer, producer: number, seq: number, sendNs: number, warmup: boolean): void {
  body[0] = MAGIC;
  body[1] = warmup ? FLAG_WARMUP : 0;
  body.writeUInt16LE(producer, 2);
  body.writeUInt32LE(seq, 4);
  body.writeDoubleLE(sendNs, 8);
}

/** Null when the body is not an ackbench message (too short or wrong magic). */
export function readHeader(body: Buffer): MessageHeader | null {
  const h: MessageHeader = { producer: 0, seq: 0, sendNs: 0, warmup: false };
  return readHeaderInto(body, h) ? h : null;
}

/** readHeader into `out`, for a consumer's hot path (no object per message); false when not ackbench's. */
export function readHeaderInto(body: Buffer, out: MessageHeader): boolean {
  if (body.length < HEADER_BYTES || body[0] !== MAGIC) return false;
  out.producer = body.readUInt16LE(2);
  out.seq = body.readUInt32LE(4);
  out.sendNs = body.readDoubleLE(8);
  out.warmup = (body[1] & FLAG_WARMUP) !== 0;
  return true;
}

/** A new body of `size` bytes: a header to be filled in, then a fixed padding pattern. */
export function bodyTemplate(size: number): Buffer {
  const template = Buffer.alloc(size);
  for (let i = HEADER_BYTES; i < size; i++) template[i] = 0x61 + (i % 26);
  return template;
}
