// Errors that end a command with a documented exit code (docs/architecture.md#exit-codes) and one clear line.

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, broker: 3 } as const;

/** Bad usage or a bad scenario: exit 2. The message is the whole line shown to the user. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
}

/** The broker is unreachable or refused us: exit 3. */
export class BrokerError extends Error {
  readonly exitCode = EXIT.broker;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof BrokerError) return err.exitCode;
  return EXIT.checkFailed;
}
