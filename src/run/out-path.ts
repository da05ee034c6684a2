// Output directories (--out of run, faults, merge, compare), checked before any work: the path is
// walked up to its first existing ancestor, which must be a writable directory; the missing levels are
// then created one by one and a probe file written. No recursive mkdir: Node's recursive mkdirSync
// loops forever on a path under /proc (mkdir gives ENOENT while the parent exists), a synchronous
// spin that no signal handler can interrupt. Every loop here is bounded by the path's depth.
//
// Directories created here that are still empty when the process exits are removed again: a run
// refused by the broker (exit 3) or interrupted before its first file leaves nothing behind.

import { accessSync, constants, mkdirSync, rmdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

const created: string[] = [];
let exitHookInstalled = false;

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** stat without following the error into an exception: null when the path does not exist. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    const code = codeOf(err);
    // ENOTDIR: a file stands where a directory should; the walk up finds it and says so.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Removes the directories this process created that are still empty, deepest first. */
export function removeUnusedOutputDirs(): void {
  while (created.length) {
    const dir = created.pop()!;
    try {
      rmdirSync(dir);
    } catch {
      // Not empty (the run wrote something) or already gone: kept as it is.
    }
  }
}

/**
 * Checks that `path` can hold a run's files and creates it. `what` names the input in the error
 * line (e.g. "--out"). Throws UsageError (exit 2) naming the path and the reason.
 */
export function prepareOutputDir(path: string, what = '--out'): string {
  const dir = resolve(path);
  const fail = (why: string): never => {
    throw new UsageError(`${what} ${path}: ${why}`);
  };
  const missing: string[] = [];
  let existing = dir;
  let stat: Stats | null;
  try {
    stat = statOrNull(existing);
    while (stat === null) {
      missing.unshift(existing);
      const parent = dirname(existing);
      if (parent === existing) fail('no existing directory above it');
      existing = parent;
      stat = statOrNull(existing);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return fail(`cannot look at ${existing} (${codeOf(err)})`);
  }
  if (!stat.isDirectory()) fail(existing === dir ? 'exists and is not a directory' : `${existing} is a file, not a directory`);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    fail(`${existing} is not writable (${codeOf(err)})`);
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') fail(`cannot create ${level} (${codeOf(err)})`);
      continue;
    }
    created.push(level);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', removeUnusedOutputDirs);
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    fail(`cannot write there (${codeOf(err)})`);
  }
  return dir;
}

/** An existing directory a command writes into (report DIR, history DIR): UsageError when it is not one. */
export function checkWritableDir(path: string, what: string): void {
  let stat: Stats | null;
  try {
    stat = statOrNull(path);
  } catch (err) {
    throw new UsageError(`${what} ${path}: cannot look at it (${codeOf(err)})`);
  }
  if (stat === null) throw new UsageError(`${what} ${path}: no such directory`);
  if (!stat.isDirectory()) throw new UsageError(`${what} ${path}: not a directory`);
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new UsageError(`${what} ${path}: not writable (${codeOf(err)})`);
  }
}
