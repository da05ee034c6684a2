// Integrity accounting of one repetition: merges what producers say they sent and had confirmed with
// what consumers received, by sequence-number bitsets. Pure: worker reports in, counts out.

import { SeqBitset, type TransferredBits } from './bitset.js';

/** Integrity counts of one repetition, over measured messages only (warm-up excluded). */
export interface IntegrityCounts {
  /** Messages handed to the client. */
  sent: number;
  /** Covered by a basic.ack or a tx.commit-ok; null for publish mode `none`. */
  confirmed: number | null;
  /** Covered by a basic.nack. */
  nacked: number;
  /** Sent in a confirm or tx mode, and no answer came before the channel or connection died. */
  unknown: number;
  /** Distinct messages received by consumers (or counted in the queue when consumers = 0). */
  received: number;
  /** Deliveries of a message already received (redeliveries included). */
  duplicates: number;
  /** Deliveries whose sequence number is lower than one already seen from the same producer. */
  outOfOrder: number;
  /** Confirmed and never received after the final drain. */
  lost: number;
  /** Sent and never received, confirmed or not (for `none`: what the broker dropped or never took). */
  missing: number;
  /** Unknown (no answer before the channel died) and received all the same. */
  recovered: number;
  /** Deliveries the broker flagged as redelivered. */
  redelivered: number;
  /** Received bodies that no producer of the cell sent. */
  unexpected: number;
}

/** What accounting reads of a producer's report (run/worker-protocol.ts ProducerReport has more). */
export interface ProducerTally {
  index: number;
  sent: number;
  confirmed: number;
  nacked: number;
  unknown: number;
  confirmedBits: TransferredBits;
  /** Sequence numbers of messages with no answer (channel died with them outstanding). */
  unknownBits: TransferredBits;
}

/** What accounting reads of a consumer's report (run/worker-protocol.ts ConsumerReport has more). */
export interface ConsumerTally {
  /** Per producer index: the sequence numbers received. */
  receivedBits: ReadonlyArray<TransferredBits | null>;
  duplicates: number;
  outOfOrder: number;
  redelivered: number;
  /** Bodies that are not ackbench messages of this cell. */
  unexpected: number;
}

/**
 * @param queued when the cell has no consumers: the messages counted in the queue afterwards,
 *   which stand in for `received` (which ones is unknown, so loss is confirmed minus queued).
 * @param options.readsAll every consumer reads every message (a stream: run/stream-fan-out.ts), so
 *   a message received by several consumers is no duplicate; only one delivered twice to one is.
 */
export function account(producers: readonly ProducerTally[], consumers: readonly ConsumerTally[], answered: boolean, queued: number | null, options: { readsAll?: boolean } = {}): IntegrityCounts {
  let sent = 0;
  let confirmed = 0;
  let nacked = 0;
  let unknown = 0;
  for (const p of producers) {
    sent += p.sent;
    confirmed += p.confirmed;
    nacked += p.nacked;
    unknown += p.unknown;
  }
  let duplicates = 0;
  let outOfOrder = 0;
  let redelivered = 0;
  let unexpected = 0;
  for (const c of consumers) {
    duplicates += c.duplicates;
    outOfOrder += c.outOfOrder;
    redelivered += c.redelivered;
    unexpected += c.unexpected;
  }

  if (queued !== null) {
    return {
      sent,
      confirmed: answered ? confirmed : null,
      nacked,
      unknown,
      received: queued,
      duplicates: 0,
      outOfOrder: 0,
      lost: answered ? Math.max(0, confirmed - queued) : 0,
      missing: Math.max(0, sent - queued),
      recovered: 0,
      redelivered: 0,
      unexpected: 0,
    };
  }

  let received = 0;
  let lost = 0;
  let missing = 0;
  let recovered = 0;
  producers.forEach((p) => {
    const union = new SeqBitset();
    let perConsumerTotal = 0;
    for (const c of consumers) {
      const t = c.receivedBits[p.index];
      if (!t) continue;
      const bits = SeqBitset.fromTransfer(t);
      perConsumerTotal += bits.count();
      union.or(bits);
    }
    const distinct = union.count();
    received += distinct;
    // A message delivered to two consumers (a redelivery after a consumer died) counts as a duplicate.
    if (!options.readsAll) duplicates += perConsumerTotal - distinct;
    lost += SeqBitset.fromTransfer(p.confirmedBits).countAndNot(union);
    missing += Math.max(0, p.sent - distinct);
    recovered += SeqBitset.fromTransfer(p.unknownBits).countAnd(union);
  });

  return { sent, confirmed: answered ? confirmed : null, nacked, unknown, received, duplicates, outOfOrder, lost, missing, recovered, redelivered, unexpected };
}
