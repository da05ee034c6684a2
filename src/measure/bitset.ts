// A growable bitset of sequence numbers: one bit per message, in fixed-size chunks allocated on first
// use, so memory grows by 1 bit per message and never by a map entry (docs/architecture.md#the-life-of-one-message).

/** A bitset as it crosses a worker boundary (postMessage): chunk index -> words, absent chunks omitted. */
export interface TransferredBits {
  index: number[];
  words: Uint32Array[];
}

const CHUNK_BITS = 1 << 16; // 8 KiB a chunk
const CHUNK_WORDS = CHUNK_BITS >>> 5;

export class SeqBitset {
  private chunks: (Uint32Array | undefined)[] = [];

  /** Sets bit `i`; returns whether it was already set. */
  testAndSet(i: number): boolean {
    const c = Math.floor(i / CHUNK_BITS);
    let chunk = this.chunks[c];
    if (chunk === undefined) chunk = this.chunks[c] = new Uint32Array(CHUNK_WORDS);
    const bit = i - c * CHUNK_BITS;
    const w = bit >>> 5;
    const mask = 1 << (bit & 31);
    const was = (chunk[w] & mask) !== 0;
    chunk[w] |= mask;
    return was;
  }

  has(i: number): boolean {
    const c = Math.floor(i / CHUNK_BITS);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const bit = i - c * CHUNK_BITS;
    return (chunk[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  count(): number {
    let n = 0;
    for (const chunk of this.chunks) if (chunk) for (let w = 0; w < chunk.length; w++) n += popcount(chunk[w]);
    return n;
  }

  /** this |= other */
  or(other: SeqBitset): void {
    other.chunks.forEach((src, c) => {
      if (!src) return;
      let dst = this.chunks[c];
      if (dst === undefined) dst = this.chunks[c] = new Uint32Array(CHUNK_WORDS);
      for (let w = 0; w < CHUNK_WORDS; w++) dst[w] |= src[w];
    });
  }

  /** popcount(this & other) */
  countAnd(other: SeqBitset): number {
    let n = 0;
    this.chunks.forEach((a, c) => {
      const b = other.chunks[c];
      if (a && b) for (let w = 0; w < CHUNK_WORDS; w++) n += popcount(a[w] & b[w]);
    });
    return n;
  }

  /** popcount(this & ~other) */
  countAndNot(other: SeqBitset): number {
    let n = 0;
    this.chunks.forEach((a, c) => {
      if (!a) return;
      const b = other.chunks[c];
      for (let w = 0; w < CHUNK_WORDS; w++) n += popcount(b ? a[w] & ~b[w] : a[w]);
    });
    return n;
  }

  /** A transferable form: chunk index -> words (absent chunks omitted). */
  toTransfer(): TransferredBits {
    const index: number[] = [];
    const words: Uint32Array[] = [];
    this.chunks.forEach((chunk, c) => {
      if (chunk) {
        index.push(c);
        words.push(chunk);
      }
    });
    return { index, words };
  }

  static fromTransfer(t: TransferredBits): SeqBitset {
    const s = new SeqBitset();
    t.index.forEach((c, k) => (s.chunks[c] = t.words[k]));
    return s;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
