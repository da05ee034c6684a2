// Where the broker of a run comes from: a URL as given, a private local node started from the
// installed rabbitmq-server, a docker container started for the run (docker-node.ts), or (auto)
// the first of these that is available, with a clear error when none is.

import { amqplibAdapter } from '../clients/amqplib.js';
import { BrokerError } from '../errors.js';
import { dockerAnswers, startDockerNode } from './docker-node.js';
import type { FaultNode } from './fault-node.js';
import { findRabbitmqScripts, startLocalNode, type LocalNodeOptions } from './local-node.js';
import { DEFAULT_URL, maskCredentials } from './url.js';

export const BROKER_KINDS = ['url', 'local', 'docker', 'auto'] as const;
export type BrokerKind = (typeof BROKER_KINDS)[number];

export { DOCKER_IMAGE, dockerAnswers } from './docker-node.js';

export interface ProvisionedBroker {
  /** How the broker was provisioned in the end (auto resolves to one of these). */
  kind: 'url' | 'local' | 'docker';
  url: string;
  /** The private node (kind 'local') or container (kind 'docker') ackbench started, else null. */
  node: FaultNode | null;
  /** Stops and removes a private node or container; nothing for a URL. Idempotent. */
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

function fromUrl(url: string): ProvisionedBroker {
  return { kind: 'url', url, node: null, release: async () => undefined };
}

async function local(options?: LocalNodeOptions): Promise<ProvisionedBroker> {
  const node = await startLocalNode(options);
  return { kind: 'local', url: node.url, node, release: () => node.destroy() };
}

/**
 * A container of DOCKER_IMAGE (docker-node.ts), its AMQP port published on a free port of 127.0.0.1
 * only, removed by release() and, failing that, when the process exits.
 */
async function docker(engineAnswered = false): Promise<ProvisionedBroker> {
  if (!engineAnswered && !(await dockerAnswers())) {
    throw new BrokerError('--broker docker: no docker engine answers `docker info` here; start one, or use --broker local (rabbitmq-server installed) or --url');
  }
  const node = await startDockerNode();
  return { kind: 'docker', url: node.url, node, release: () => node.destroy() };
}

/** What auto looks at, in its order; injectable so each outcome can be tested without its setup. */
export interface AutoProbes {
  /** Whether a broker answers at DEFAULT_URL (within AUTO_PROBE_TIMEOUT_MS). */
  defaultUrlAnswers(): Promise<boolean>;
  /** Whether rabbitmq-server is installed, so a private node can be started. */
  rabbitmqServerInstalled(): boolean;
  /** Whether a docker engine answers `docker info`. */
  dockerAnswers(): Promise<boolean>;
}

export const AUTO_PROBES: AutoProbes = {
  defaultUrlAnswers: () => amqpReachable(DEFAULT_URL),
  rabbitmqServerInstalled: () => findRabbitmqScripts() !== null,
  dockerAnswers,
};

/** What auto picks without a given URL: the first that is available, in the order of docs/architecture.md#brokers-ackbench-owns. */
export async function chooseAutoBroker(probes: AutoProbes = AUTO_PROBES): Promise<'url' | 'local' | 'docker' | null> {
  if (await probes.defaultUrlAnswers()) return 'url';
  if (probes.rabbitmqServerInstalled()) return 'local';
  if (await probes.dockerAnswers()) return 'docker';
  return null;
}

/**
 * url: the given URL (else the default), not probed here. local: a private node. docker: a container
 * started for the run (needs a docker engine; BrokerError, exit 3, without one). auto: the given
 * URL if any; else the default URL if it answers within 2 s; else a private node if rabbitmq-server
 * is installed; else a container if a docker engine answers; else a BrokerError (exit 3) that says
 * how to get a broker.
 */
export async function provisionBroker(kind: BrokerKind, url?: string, options?: LocalNodeOptions, probes?: AutoProbes): Promise<ProvisionedBroker> {
  switch (kind) {
    case 'url':
      return fromUrl(url ?? DEFAULT_URL);
    case 'local':
      return local(options);
    case 'docker':
      return docker();
    case 'auto': {
      if (url) return fromUrl(url);
      switch (await chooseAutoBroker(probes)) {
        case 'url':
          return fromUrl(DEFAULT_URL);
        case 'local':
          return local(options);
        case 'docker':
          return docker(true);
        case null:
          throw new BrokerError(
            `no broker: nothing answers at ${maskCredentials(DEFAULT_URL)} within ${AUTO_PROBE_TIMEOUT_MS / 1000} s, rabbitmq-server is not installed and no docker engine answers \`docker info\`. ` +
              'Get one: Debian/Ubuntu: apt-get install rabbitmq-server (ackbench then starts a private node itself); or start a docker engine (ackbench then starts a container); or pass --url.',
          );
      }
    }
  }
}
