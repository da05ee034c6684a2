// Errors that end a command with a documented exit code (docs/architecture.md#exit-codes) and one clear line.

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, broker: 3, internal: 4 } as const;

/**
 * Control characters (a newline, an escape sequence) of a value echoed in an error, written as
 * escapes: the message stays one line, and cannot move the user's terminal cursor.
 */
export function escapeControls(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Bad usage or a bad scenario: exit 2. The message is the whole line shown to the user. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(escapeControls(message));
  }
}

/**
 * The broker is unreachable or refused us: exit 3. A message of several lines (a private node's
 * verdict, then its log tail) keeps the first as the message and the rest as `detail`, which the CLI
 * writes to a file and names, so the error stays one line.
 */
export class BrokerError extends Error {
  readonly exitCode = EXIT.broker;
  readonly detail: string | undefined;
  constructor(message: string) {
    const newline = message.indexOf('\n');
    super(escapeControls(newline < 0 ? message : message.slice(0, newline)));
    this.detail = newline < 0 ? undefined : message.slice(newline + 1);
  }
}

/**
 * The exit code of an error that ended a command. An error of no known kind is a bug in ackbench:
 * exit 4, never 1, which would read as a finding or a regression (a nightly would publish it as one).
 */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof BrokerError) return err.exitCode;
  return EXIT.internal;
}

/** The line for an error that ended a command: its message, with where its detail was written. */
export function errorLine(err: unknown, writeDetail: (detail: string) => string | null): string {
  const code = exitCodeOf(err);
  const message = escapeControls(err instanceof Error ? err.message : String(err));
  const prefix = code === EXIT.internal ? 'internal error (a bug in ackbench, please report it): ' : '';
  const detail = err instanceof BrokerError && err.detail ? writeDetail(err.detail) : null;
  return `${prefix}${message}${detail ? ` (details: ${detail})` : ''}`;
}
