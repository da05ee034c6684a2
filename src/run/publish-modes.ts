// The five publish modes, built once on the adapter's primitives. Adding a mode touches this file, its
// spelling and outstanding bound in scenario/modes.ts, its kind in scenario/types.ts (PublishMode,
// PUBLISH_KINDS), its colour in report/palette.ts and its order in report/cell-labels.ts; never a client adapter.

import type { AmqpChannel, AmqpConnection, ConfirmListener } from '../clients/adapter.js';
import type { ConfirmTracker } from '../measure/confirm-tracker.js';
import { nowNs } from '../measure/clock.js';
import type { PublishMode } from '../scenario/types.js';

export interface ModeDriver {
  /** Whether the tracker is fed by publisher confirms or tx.commit-ok (false only for `none`). */
  readonly answered: boolean;
  /** Open the producer's channel in the mode's state (confirm.select, tx.select, or plain). */
  open(connection: AmqpConnection, confirms: ConfirmListener): Promise<AmqpChannel>;
  /**
   * Called after each publish with the number published so far in this phase. Returns a promise
   * to await before publishing again, or null to continue without yielding (the fast path).
   */
  afterPublish(published: number): Promise<void> | null;
  /** After the last publish: resolves once the broker has answered everything sent. */
  finish(queue: string): Promise<void>;
}

export function modeDriver(mode: PublishMode, tracker: ConfirmTracker | null, channelRef: { ch?: AmqpChannel }): ModeDriver {
  const confirmOpen = (connection: AmqpConnection, confirms: ConfirmListener) => connection.openChannel({ confirms });
  const needTracker = (): ConfirmTracker => {
    if (!tracker) throw new Error(`publish mode ${mode.kind} needs a confirm tracker`);
    return tracker;
  };
  switch (mode.kind) {
    case 'none':
      return {
        answered: false,
        open: (connection) => connection.openChannel(),
        afterPublish: () => null,
        // No confirms: the window ends when a round trip after the last send returns (docs/architecture.md#figures-clocks-and-windows).
        finish: (queue) => channelRef.ch!.sync(queue),
      };
    case 'single': {
      const t = needTracker();
      return { answered: true, open: confirmOpen, afterPublish: () => t.waitAll(), finish: () => t.waitAll() };
    }
    case 'batch': {
      const t = needTracker();
      const size = mode.size;
      return {
        answered: true,
        open: confirmOpen,
        afterPublish: (n) => (n % size === 0 ? t.waitAll() : null),
        finish: () => t.waitAll(),
      };
    }
    case 'async': {
      const t = needTracker();
      const window = mode.window;
      return {
        answered: true,
        open: confirmOpen,
        afterPublish: () => (t.outstanding >= window ? t.waitBelow(window) : null),
        finish: () => t.waitAll(),
      };
    }
    case 'tx': {
      const t = needTracker();
      const size = mode.size;
      const commit = async () => {
        await channelRef.ch!.txCommit();
        t.settleAll(nowNs());
      };
      return {
        answered: true,
        async open(connection) {
          const ch = await connection.openChannel();
          await ch.txSelect();
          return ch;
        },
        afterPublish: (n) => (n % size === 0 ? commit() : null),
        finish: () => (t.outstanding > 0 ? commit() : Promise.resolve()),
      };
    }
  }
}
