// Where the broker of a run comes from: a URL as given, a private local node started from the
// installed rabbitmq-server, a docker container started for the run, or (auto) whichever of a URL or a
// private node is available, with a clear error when none is.

import { execFile, execFileSync } from 'node:child_process';
import { amqplibAdapter } from '../clients/amqplib.js';
import { BrokerError } from '../errors.js';
import { findRabbitmqScripts, freePort, startLocalNode, type LocalNode, type LocalNodeOptions } from './local-node.js';
import { DEFAULT_URL, maskCredentials } from './url.js';

export const BROKER_KINDS = ['url', 'local', 'docker', 'auto'] as const;
export type BrokerKind = (typeof BROKER_KINDS)[number];

/** The image `--broker docker` runs: the one docker/compose.yml names, without the management plugin. */
export const DOCKER_IMAGE = 'rabbitmq:4.1';
/** A first start pulls the image and boots the node. */
const DOCKER_START_TIMEOUT_MS = 180_000;

export interface ProvisionedBroker {
  /** How the broker was provisioned in the end (auto resolves to url or local). */
  kind: 'url' | 'local' | 'docker';
  url: string;
  /** The private node when kind is 'local' (faults need one), else null. */
  node: LocalNode | null;
  /** Stops and removes a private node; nothing for a URL. Idempotent. */
  release(): Promise<void>;
}

/** How long auto waits for the default URL to answer before looking elsewhere. */
export const AUTO_PROBE_TIMEOUT_MS = 2000;

/** Whether an AMQP connection to url succeeds within timeoutMs. */
export async function amqpReachable(url: string, timeoutMs = AUTO_PROBE_TIMEOUT_MS): Promise<boolean> {
  let gaveUp = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = amqplibAdapter.connect(url, { connectionName: 'ackbench provision probe', timeoutMs });
  // A connection that completes after we gave up is closed, not leaked.
  attempt.then((c) => (gaveUp ? c.close().catch(() => undefined) : undefined)).catch(() => undefined);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true;
      reject(new Error('timeout'));
    }, timeoutMs);
  });
  try {
    const c = await Promise.race([attempt, deadline]);
    await c.close().catch(() => undefined);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a docker engine answers `docker info` (within 5 s). */
export function dockerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 }, (err, stdout) => resolve(!err && stdout.trim() !== ''));
    } catch {
      resolve(false);
    }
  });
}

function fromUrl(url: string): ProvisionedBroker {
  return { kind: 'url', url, node: null, release: async () => undefined };
}

async function local(options?: LocalNodeOptions): Promise<ProvisionedBroker> {
  const node = await startLocalNode(options);
  return { kind: 'local', url: node.url, node, release: () => node.destroy() };
}

let containers = 0;

function dockerCommand(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args[0]}: ${(stderr || err.message).trim()}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * A throw-away container of DOCKER_IMAGE, its AMQP port published on a free port of 127.0.0.1 only,
 * removed by release() and, failing that, when the process exits.
 */
async function docker(): Promise<ProvisionedBroker> {
  if (!(await dockerAnswers())) {
    throw new BrokerError('--broker docker: no docker engine answers `docker info` here; start one, or use --broker local (rabbitmq-server installed) or --url');
  }
  const port = await freePort();
  const name = `ackbench-${process.pid}-${++containers}`;
  const removeSync = () => {
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // already gone
    }
  };
  process.once('exit', removeSync);
  let released: Promise<void> | null = null;
  const release = () =>
    (released ??= (async () => {
      process.off('exit', removeSync);
      await dockerCommand(['rm', '-f', name], 60_000).catch(() => undefined);
    })());
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  try {
    await dockerCommand(['run', '--detach', '--rm', '--name', name, '--hostname', name, '--publish', `127.0.0.1:${port}:5672`, DOCKER_IMAGE], DOCKER_START_TIMEOUT_MS);
    const deadline = Date.now() + DOCKER_START_TIMEOUT_MS;
    while (!(await amqpReachable(url))) {
      if (Date.now() > deadline) throw new Error(`the container did not accept AMQP on 127.0.0.1:${port} within ${DOCKER_START_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (err) {
    await release();
    throw new BrokerError(`--broker docker: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { kind: 'docker', url, node: null, release };
}

/**
 * url: the given URL (else the default), not probed here. local: a private node. docker: a container
 * started for the run (needs a docker engine; BrokerError, exit 3, without one). auto: the given
 * URL if any; else the default URL if it answers within 2 s; else a private node if rabbitmq-server
 * is installed; else a BrokerError (exit 3) that says how to get a broker.
 */
export async function provisionBroker(kind: BrokerKind, url?: string, options?: LocalNodeOptions): Promise<ProvisionedBroker> {
  switch (kind) {
    case 'url':
      return fromUrl(url ?? DEFAULT_URL);
    case 'local':
      return local(options);
    case 'docker':
      return docker();
    case 'auto': {
      if (url) return fromUrl(url);
      if (await amqpReachable(DEFAULT_URL)) return fromUrl(DEFAULT_URL);
      if (findRabbitmqScripts()) return local(options);
      const docker = (await dockerAnswers())
        ? 'docker answers: npm run broker:up (then --url amqp://guest:guest@127.0.0.1:5672)'
        : 'docker: no engine answers `docker info` here; with one, npm run broker:up';
      throw new BrokerError(
        `no broker: nothing answers at ${maskCredentials(DEFAULT_URL)} within ${AUTO_PROBE_TIMEOUT_MS / 1000} s and rabbitmq-server is not installed. ` +
          `Get one: ${docker}; Debian/Ubuntu: apt-get install rabbitmq-server (ackbench then starts a private node itself); or pass --url.`,
      );
    }
  }
}
