// Where the broker of a run comes from: a URL as given, a private local node started from the
// installed rabbitmq-server, a docker container started for the run (docker-node.ts), or (auto)
// the first of these that is available, with a clear error when none is. And for `ackbench faults`,
// which kills its broker: only one ackbench started (an OwnedBroker), a node, a cluster of three or a
// container, never a URL it was given.

import { amqplibAdapter } from '../clients/amqplib.js';
import { BrokerError } from '../errors.js';
import type { FaultBroker } from '../run/result.js';
import { dockerAnswers, startDockerNode, type DockerNode } from './docker-node.js';
import type { FaultNode } from './fault-node.js';
import { startLocalCluster } from './local-cluster.js';
import { findRabbitmqScripts, startLocalNode, type LocalNode, type LocalNodeOptions } from './local-node.js';
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
  /** Whether a broker answers at url (the given one, else DEFAULT_URL) within AUTO_PROBE_TIMEOUT_MS. */
  urlAnswers(url: string): Promise<boolean>;
  /** Whether rabbitmq-server is installed, so a private node can be started. */
  rabbitmqServerInstalled(): boolean;
  /** Whether a docker engine answers `docker info`. */
  dockerAnswers(): Promise<boolean>;
}

export const AUTO_PROBES: AutoProbes = {
  urlAnswers: (url) => amqpReachable(url),
  rabbitmqServerInstalled: () => findRabbitmqScripts() !== null,
  dockerAnswers,
};

/** What auto picks: the first that is available, in the order of docs/architecture.md#brokers-ackbench-owns, starting with url (default DEFAULT_URL). */
export async function chooseAutoBroker(probes: AutoProbes = AUTO_PROBES, url: string = DEFAULT_URL): Promise<'url' | 'local' | 'docker' | null> {
  if (await probes.urlAnswers(url)) return 'url';
  if (probes.rabbitmqServerInstalled()) return 'local';
  if (await probes.dockerAnswers()) return 'docker';
  return null;
}

/**
 * url: the given URL (else the default), not probed here. local: a private node. docker: a container
 * started for the run (needs a docker engine; BrokerError, exit 3, without one). auto: the given
 * URL (else the default one) if it answers within 2 s; else a private node if rabbitmq-server
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
      const target = url ?? DEFAULT_URL;
      switch (await chooseAutoBroker(probes, target)) {
        case 'url':
          return fromUrl(target);
        case 'local':
          return local(options);
        case 'docker':
          return docker(true);
        case null:
          throw new BrokerError(
            `no broker: nothing answers at ${maskCredentials(target)} within ${AUTO_PROBE_TIMEOUT_MS / 1000} s, rabbitmq-server is not installed and no docker engine answers \`docker info\`. ` +
              'Get one: Debian/Ubuntu: apt-get install rabbitmq-server (ackbench then starts a private node itself); or start a docker engine (ackbench then starts a container); or pass --url.',
          );
      }
    }
  }
}

/** A broker ackbench started itself, so a fault run may kill it. */
export interface OwnedBroker {
  /** Clients connect here. */
  node: FaultNode;
  /** kill9 / restart hit this node. */
  target: FaultNode;
  /** Every node, for the broker-side cost figures: a cluster's three, else the one. */
  members: FaultNode[];
  /** What run.json says about it (faultBroker). */
  description: FaultBroker;
  /** Stops and removes what was started here; nothing for a node started before (ownedNode). */
  release(): Promise<void>;
}

/** A private node or a cluster of them: their names and ports for run.json. */
function describeLocal(nodes: readonly LocalNode[], target: LocalNode): FaultBroker {
  return {
    kind: nodes.length > 1 ? 'cluster' : 'local',
    nodes: nodes.map((n) => ({ name: n.nodeName, amqpPort: n.amqpPort, distPort: n.distPort })),
    target: target.nodeName,
  };
}

function describeDocker(node: DockerNode): FaultBroker {
  return {
    kind: 'docker',
    nodes: [{ name: node.nodeName, amqpPort: node.amqpPort, distPort: null }],
    target: node.nodeName,
    container: { name: node.container, image: node.image },
  };
}

/** One private node as an OwnedBroker; by default released by whoever started it, not here. */
export function ownedNode(node: LocalNode, release: () => Promise<void> = async () => undefined): OwnedBroker {
  return { node, target: node, members: [node], description: describeLocal([node], node), release };
}

const NO_ENGINE_FOR_FAULTS = '--broker docker: no docker engine answers `docker info` here; start one, or use --broker local (rabbitmq-server installed)';

/**
 * What a fault run starts for --broker KIND: local a private node (a cluster with nodes: 3), docker a
 * container (BrokerError, exit 3, when no engine answers), auto run's order without its first step (a
 * fault run never uses a broker it did not start; always local for nodes: 3). Checked before any
 * file of the run is written. (url never gets here: the fault run takes it only for a node it
 * started, run/run-faults.ts checkFaultBroker.)
 */
export async function ownedBrokerKind(kind: BrokerKind, nodes: number): Promise<'local' | 'docker'> {
  if (kind === 'docker') {
    if (!(await dockerAnswers())) throw new BrokerError(NO_ENGINE_FOR_FAULTS);
    return 'docker';
  }
  if (kind !== 'auto' || nodes > 1) return 'local';
  const choice = await chooseAutoBroker({ ...AUTO_PROBES, urlAnswers: async () => false });
  if (choice === 'local' || choice === 'docker') return choice;
  throw new BrokerError(
    '--broker auto: rabbitmq-server is not installed and no docker engine answers `docker info`; install rabbitmq-server (Debian/Ubuntu: apt-get install rabbitmq-server) or start a docker engine',
  );
}

/**
 * Starts what ownedBrokerKind chose: a container, a private node, or with nodes: 3 a private cluster
 * whose clients connect to node 1 while node-level faults hit node 2, where each queue is declared
 * (so its leader is there).
 */
export async function provisionOwnedBroker(kind: 'local' | 'docker', nodes: number): Promise<OwnedBroker> {
  if (kind === 'docker') {
    const node = await startDockerNode();
    return { node, target: node, members: [node], description: describeDocker(node), release: () => node.destroy() };
  }
  if (nodes === 3) {
    const cluster = await startLocalCluster({ size: 3 });
    const [node, target] = cluster.nodes;
    return { node, target, members: [...cluster.nodes], description: describeLocal(cluster.nodes, target), release: () => cluster.destroy() };
  }
  const node = await startLocalNode();
  return ownedNode(node, () => node.destroy());
}
