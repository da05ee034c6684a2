// Errors that end a command with a documented exit code (DESIGN.md section 7) and one clear line.

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

/** The broker is unreachable or refused us: exit 3. */
export class BrokerError extends Error {
  readonly exitCode = EXIT.broker;
  constructor(message: string) {
    super(escapeControls(message));
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
