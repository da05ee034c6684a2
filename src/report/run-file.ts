// Reads a run directory's run.json for reporting; refuses files that are not an ackbench run.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { RunFile } from '../run/result.js';
import { runFileShapeProblem } from './run-file-shape.js';

export const RUN_FILE_NAME = 'run.json';

/** A run directory that cannot be read as one is bad input: exit 2, like every missing input. */
export class RunFileError extends UsageError {}

export async function readRunFile(runDir: string): Promise<RunFile> {
  const path = join(runDir, RUN_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RunFileError(existsSync(runDir) ? `${runDir}: no ${RUN_FILE_NAME} there (not a run directory)` : `${runDir}: no such directory`);
    if (code === 'ENOTDIR') throw new RunFileError(`${runDir}: not a directory (give a run directory holding ${RUN_FILE_NAME})`);
    throw new RunFileError(`${path}: cannot read (${code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RunFileError(`${path}: not JSON (${(err as Error).message})`);
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format !== 'ackbench-run/1') {
    throw new RunFileError(`${path}: not an ackbench run file (format ${JSON.stringify(format)}, expected "ackbench-run/1")`);
  }
  const problem = runFileShapeProblem(parsed);
  if (problem) throw new RunFileError(`${path}: not a run ackbench can read: ${problem}`);
  return parsed as RunFile;
}
