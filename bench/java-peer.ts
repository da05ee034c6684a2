// The Java peers in ../shared/peers (RabbitMQ's Java client from Debian), compiled once per bench run.
// Needs: apt-get install -y default-jdk-headless librabbitmq-client-java libslf4j-java

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** ../shared/peers beside the repository, or $ACKBENCH_PEERS (e.g. from a git worktree elsewhere). */
export const PEERS = process.env.ACKBENCH_PEERS ?? join(REPO, '..', 'shared', 'peers');
const JAVA = '/usr/share/java';
const CLASSPATH_JARS = ['amqp-client.jar', 'slf4j-api.jar', 'slf4j-nop.jar'].map((j) => join(JAVA, j));

/** Compiles the peers' `sources` (file names in PEERS); returns the classpath to run them with. */
export function compilePeers(sources: string[]): string {
  for (const jar of CLASSPATH_JARS) {
    if (!existsSync(jar)) throw new Error(`missing ${jar}: apt-get install -y default-jdk-headless librabbitmq-client-java libslf4j-java`);
  }
  const out = mkdtempSync(join(tmpdir(), 'ackbench-peer-'));
  execFileSync('javac', ['-cp', CLASSPATH_JARS[0], '-d', out, ...sources.map((s) => join(PEERS, s))], { stdio: 'inherit' });
  return [out, ...CLASSPATH_JARS].join(':');
}
