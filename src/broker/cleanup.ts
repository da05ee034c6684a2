// What a process must not leave behind when it ends: private nodes and containers it started. Each
// registers itself while it exists; on process 'exit' every one left is destroyed synchronously, and
// on SIGINT / SIGTERM too when nobody else handles the signal (the CLI does: it winds down, and
// 'exit' removes what is left).

/** A broker this process owns, with a synchronous last-resort removal for the 'exit' path. */
export interface SyncDisposable {
  destroySync(): void;
}

const live = new Set<SyncDisposable>();
let hooksInstalled = false;

function cleanupAllSync(): void {
  for (const item of [...live]) {
    try {
      item.destroySync();
    } catch {
      // best effort: the others still go
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else (the CLI) handles this signal: let it wind down; 'exit' cleans up what is left.
  if (process.listenerCount(signal) > 1) return;
  cleanupAllSync();
  uninstallHooks();
  process.kill(process.pid, signal); // default action now that no listener is left
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', cleanupAllSync);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Destroy `item` (destroySync) when the process exits or is interrupted, unless untracked first. */
export function trackForCleanup(item: SyncDisposable): void {
  live.add(item);
  installHooks();
}

/** `item` is gone (its own destroy ran): nothing to do for it at exit. */
export function untrackForCleanup(item: SyncDisposable): void {
  live.delete(item);
  if (live.size === 0) uninstallHooks();
}

/** Everything still registered. */
export function trackedForCleanup(): SyncDisposable[] {
  return [...live];
}
