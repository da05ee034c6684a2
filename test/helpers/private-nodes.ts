// What a private RabbitMQ node leaves behind, if anything: processes working in its dir (the VM and
// its helpers run there), its temp dir, its ports. For tests that start nodes in this process and for
// tests that run the CLI, whose nodes are named after the CLI's pid.

import { readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portAnswers } from '../../src/broker/local-node.js';

/** Processes whose working directory is inside dir: a private node's VM and its helpers run there. */
export function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`).startsWith(dir)) out.push(Number(e));
    } catch {
      // exited, or not ours to read
    }
  }
  return out;
}

/** The node dirs (os.tmpdir()/ackbench-node-ackbench-PID-N-XXXXXX) of nodes a process with this pid started. */
export function nodeDirsOf(pid: number): string[] {
  const prefix = `ackbench-node-ackbench-${pid}-`;
  return readdirSync(tmpdir())
    .filter((e) => e.startsWith(prefix))
    .map((e) => join(tmpdir(), e));
}

/** Every process still working in any node dir a process with this pid made. */
export function processesOfNodesOf(pid: number): number[] {
  const prefix = join(tmpdir(), `ackbench-node-ackbench-${pid}-`);
  return processesIn(prefix);
}

/** Ports of the list that still accept connections on 127.0.0.1. */
export async function portsAnswering(ports: number[]): Promise<number[]> {
  const answering: number[] = [];
  for (const port of ports) if (await portAnswers(port, 1000)) answering.push(port);
  return answering;
}
