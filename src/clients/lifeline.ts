// The end of an adapter's connection or channel, told once: to its own parts first (onLost: a
// connection's channels, a channel's waiters), then to the harness (onClose, AmqpConnection and
// AmqpChannel in adapter.ts), unless the end came from the adapter's own close(). For the adapters
// that keep this state themselves (rhea.ts, stream.ts).

export class Lifeline {
  /** Why it ended (the first reason), or null while it is up. */
  failure: Error | null = null;
  /** close() was called: an end after it is no failure to report. */
  closedByUs = false;
  private readonly lostListeners: ((err: Error) => void)[] = [];
  private readonly closeListeners: ((err: Error) => void)[] = [];

  /** close() has begun: true the first time (go on closing), false after (already closed or closing). */
  markClosed(): boolean {
    if (this.closedByUs) return false;
    this.closedByUs = true;
    return true;
  }

  /** It ended: `err` to every onLost listener, then, unless the close was ours, to every onClose one. Later reasons change nothing. */
  end(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const l of this.lostListeners.splice(0)) l(err);
    if (this.closedByUs) return;
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  /** Told when it ends, however it ended; at once if it already has. */
  onLost(listener: (err: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.lostListeners.push(listener);
  }

  /** onClose of the adapter interface: told once if it ends other than through close(); on the next turn if it already failed. */
  onClose(listener: (err: Error) => void): void {
    const failed = this.failure;
    if (!failed) this.closeListeners.push(listener);
    else if (!this.closedByUs) setImmediate(() => listener(failed));
  }
}
