// The five publish modes, built once on the adapter's primitives. Adding a mode touches its row in
// scenario/publish-traits.ts (spelling, parameter, answered, outstanding bound, order, colour,
// description) and its driver here; never a client adapter.

import type { AmqpChannel, AmqpConnection, ChannelOptions, ConfirmListener } from '../clients/adapter.js';
import type { ConfirmTracker } from '../measure/confirm-tracker.js';
import { nowNs } from '../measure/clock.js';
import { publishAnswered } from '../scenario/publish-traits.js';
import type { PublishMode } from '../scenario/types.js';

/**
 * A producer's channel in its publish mode. One per channel: a reconnect opens a new one, so the
 * driver never reaches a channel other than the one it was opened with.
 */
export interface ModeDriver {
  /** The channel, opened in the mode's state (confirm.select, tx.select, or plain). */
  readonly channel: AmqpChannel;
  /** Whether the tracker is fed by publisher confirms or tx.commit-ok (false only for `none`). */
  readonly answered: boolean;
  /**
   * Called after each publish with the number published so far in this phase. Returns a promise
   * to await before publishing again, or null to continue without yielding (the fast path).
   */
  afterPublish(published: number): Promise<void> | null;
  /** After the last publish: resolves once the broker has answered everything sent. */
  finish(): Promise<void>;
}

/**
 * Open a channel of `connection` in `mode`. `confirms` gets the broker's basic.ack / basic.nack on a
 * confirm channel; `tracker` (null only for `none`) holds what is unanswered; `queue` is where
 * `none` makes its closing round trip; `named` carries the publisher name of a deduplication cell to
 * the channel, whatever the mode.
 */
export async function openModeDriver(
  mode: PublishMode,
  tracker: ConfirmTracker | null,
  connection: AmqpConnection,
  confirms: ConfirmListener,
  queue: string,
  named: Pick<ChannelOptions, 'publisherName'> = {},
): Promise<ModeDriver> {
  const answered = publishAnswered(mode.kind);
  if (mode.kind === 'none') {
    const channel = await connection.openChannel(named);
    // No confirms: the window ends when a round trip after the last send returns (docs/architecture.md#figures-clocks-and-windows).
    return { channel, answered, afterPublish: () => null, finish: () => channel.sync(queue) };
  }
  if (!tracker) throw new Error(`publish mode ${mode.kind} needs a confirm tracker`);
  const t = tracker;
  if (mode.kind === 'tx') {
    const channel = await connection.openChannel(named);
    await channel.txSelect();
    const size = mode.size;
    const commit = async () => {
      await channel.txCommit();
      t.settleAll(nowNs());
    };
    return {
      channel,
      answered,
      afterPublish: (n) => (n % size === 0 ? commit() : null),
      finish: () => (t.outstanding > 0 ? commit() : Promise.resolve()),
    };
  }
  const channel = await connection.openChannel({ ...named, confirms });
  const finish = () => t.waitAll();
  switch (mode.kind) {
    case 'single':
      return { channel, answered, afterPublish: () => t.waitAll(), finish };
    case 'batch': {
      const size = mode.size;
      return { channel, answered, afterPublish: (n) => (n % size === 0 ? t.waitAll() : null), finish };
    }
    case 'async': {
      const window = mode.window;
      return { channel, answered, afterPublish: () => (t.outstanding >= window ? t.waitBelow(window) : null), finish };
    }
  }
}
