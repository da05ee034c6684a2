// Runs the built CLI as a user would, capturing its exit code and output.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The executable as installed (package.json bin): the signal handlers first, then the CLI.
export const CLI = fileURLToPath(new URL('../../src/bin.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The CLI process's pid (private nodes it starts are named after it). */
  pid: number;
}

/**
 * A `run` without broker cost figures (`--metrics-url none` added) unless the test names a
 * --metrics-url, resumes a run, or asks for them (`brokerFigures`): each repetition would otherwise
 * spend two `rabbitmqctl eval`s on the broker's counters, about 1.8 s on a 2-core machine, which the
 * suite paid some 300 times. Broker figures are tested where they are looked at
 * (test/integration/cost.test.ts); `faults` has no such flag and keeps them.
 */
function withoutBrokerFigures(args: string[], brokerFigures: boolean | undefined): string[] {
  if (brokerFigures || args[0] !== 'run' || args.includes('--metrics-url') || args.includes('--resume')) return args;
  return [...args, '--metrics-url', 'none'];
}

export function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; brokerFigures?: boolean } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...withoutBrokerFigures(args, options.brokerFigures)], { cwd: REPO, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ackbench ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started, pid: child.pid! });
    });
  });
}

/** Starts the CLI and returns at once, for tests that act on a run while it goes (signals, faults). */
export function startCli(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('close', r));
  return { child, stderr: () => stderr, exited };
}

export function tempDir(prefix = 'ackbench-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
