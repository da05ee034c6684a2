// The executable's last resort: an error that escapes every command's own handling (thrown in an
// event handler, a promise nobody awaited) still ends in one line and a documented exit code, never
// in Node's stack trace and its exit 1, which would read as a finding (errors.ts).

import { escapeControls, EXIT, exitCodeOf } from './errors.js';
import { maskCredentials } from './broker/url.js';

function fatal(err: unknown): void {
  const code = exitCodeOf(err);
  const message = escapeControls(err instanceof Error ? err.message : String(err));
  const prefix = code === EXIT.internal ? 'internal error (a bug in ackbench, please report it): ' : '';
  process.stderr.write(`ackbench: ${prefix}${maskCredentials(message)}\n`);
  process.exit(code);
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
