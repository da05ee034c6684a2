// The bodies a producer publishes, reused as far as its client allows (AmqpChannel.bodyAfterPublish),
// so the hot path neither allocates nor copies the padding of every message: only the 16-byte header
// is written anew. A fresh BodySource per channel: a dead channel's client may still hold its bodies.

import type { BodyAfterPublish } from '../clients/adapter.js';

export class BodySource {
  /** Bodies handed out in turn; empty when each message needs a fresh one. */
  private readonly ring: Buffer[];
  private next = 0;

  /**
   * @param answeredBound for a client that holds bodies until answered: the mode's bound on publishes
   *   the broker has not answered (the confirm tracker's capacity), or 0 when nothing is answered
   *   (`none`). A ring of that many bodies gives each one out again only after that many later
   *   publishes, when (the bound holding) the broker has answered it.
   * @param heldBytes when nothing is answered: the channel's heldBodyBytes, if it has one. Held bodies
   *   are then the last fewer than heldBytes / size publishes (writes complete in order), so a ring
   *   of one more than that gives a body out again only once the client is done with it.
   */
  constructor(
    private readonly template: Buffer,
    after: BodyAfterPublish,
    answeredBound: number,
    heldBytes?: number,
  ) {
    let size = after === 'copied' ? 1 : answeredBound;
    if (size === 0 && heldBytes !== undefined) size = Math.ceil(heldBytes / template.length) + 1;
    this.ring = Array.from({ length: size }, () => Buffer.from(template));
  }

  /** Whether take() reuses bodies (callers must then keep to the bound they gave). */
  get reusing(): boolean {
    return this.ring.length > 0;
  }

  /** The body for the next publish: padding in place, the header for the caller to write. */
  take(): Buffer {
    if (this.ring.length === 0) {
      const body = Buffer.allocUnsafe(this.template.length);
      this.template.copy(body);
      return body;
    }
    const body = this.ring[this.next];
    this.next = this.next + 1 === this.ring.length ? 0 : this.next + 1;
    return body;
  }
}
