// The executable's last resort: an error that escapes every command's own handling (thrown in an
// event handler, a promise nobody awaited) still ends in one line and a documented exit code, never
// in Node's stack trace and its exit 1, which would read as a finding (errors.ts).

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLine, exitCodeOf } from './errors.js';
import { maskCredentials } from './broker/url.js';

/** Writes an error's detail (a broker's log tail) to a file of its own; its path, or null. */
export function writeErrorDetail(detail: string): string | null {
  const path = join(tmpdir(), `ackbench-${process.pid}-error.log`);
  try {
    writeFileSync(path, `${maskCredentials(detail)}\n`);
    return path;
  } catch {
    return null;
  }
}

function fatal(err: unknown): void {
  process.stderr.write(`ackbench: ${maskCredentials(errorLine(err, writeErrorDetail))}\n`);
  process.exit(exitCodeOf(err));
}

/** Installed by the executable only (bin.ts): a library must not take over the process's errors. */
export function installLastResort(): void {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
