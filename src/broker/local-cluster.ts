// A cluster of private RabbitMQ nodes (docs/architecture.md#brokers-ackbench-owns): three local nodes started beside any
// system node with one Erlang cookie and one cluster name, nodes 2 and 3 joined to node 1 with
// `rabbitmqctl -n NODE stop_app / join_cluster / start_app` (argument arrays, never a shell).
// Clients connect to node 1; a fault can then take another member down while the cluster goes on.
// destroy() removes every member (each is also registered for cleanup on exit and signals by local-node).

import { randomBytes } from 'node:crypto';
import { BrokerError } from '../errors.js';
import { startLocalNode, type LocalNode, type LocalNodeOptions } from './local-node.js';

export interface LocalClusterOptions extends Pick<LocalNodeOptions, 'baseDir' | 'startTimeoutMs'> {
  /** Members; default 3 (quorum queues need a majority, so 3 is the smallest that survives losing one). */
  size?: number;
}

export interface LocalCluster {
  /** nodes[0] is the node clients connect to; the others joined it. */
  readonly nodes: readonly LocalNode[];
  /** cluster_name of every member (and what a client sees in the server properties). */
  readonly name: string;
  /** nodes[0].url. */
  readonly url: string;
  /** Node names the cluster reports as running (rabbitmqctl cluster_status on the first running member). */
  runningMembers(): Promise<string[]>;
  /** Kill every member still running and remove their dirs. Idempotent. */
  destroy(): Promise<void>;
}

let clusters = 0;

/** Running node names from `rabbitmqctl cluster_status --formatter json`. */
async function runningOf(node: LocalNode): Promise<string[]> {
  const out = await node.ctl(['cluster_status', '--formatter', 'json']);
  const status = JSON.parse(out) as { running_nodes?: string[] };
  return status.running_nodes ?? [];
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 2 || size > 7) throw new Error(`a local cluster has 2 to 7 nodes, got ${size}`);
  const cookie = randomBytes(24).toString('hex').toUpperCase();
  const name = `ackbench-${process.pid}-cluster-${++clusters}`;
  const nodes: LocalNode[] = [];
  const destroy = async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
  };
  try {
    // Started one after another: on a small host, parallel boots each take as long as all of them.
    for (let i = 0; i < size; i++) {
      nodes.push(await startLocalNode({ cookie, clusterName: name, baseDir: options.baseDir, startTimeoutMs: options.startTimeoutMs }));
    }
    const [first, ...others] = nodes;
    for (const node of others) {
      await node.ctl(['stop_app'], 60_000);
      await node.ctl(['join_cluster', first.nodeName], 60_000);
      await node.ctl(['start_app'], 90_000);
    }
    const running = await runningOf(first);
    const missing = nodes.filter((n) => !running.includes(n.nodeName)).map((n) => n.nodeName);
    if (missing.length) throw new BrokerError(`local cluster ${name}: ${missing.join(', ')} not running after join_cluster (running: ${running.join(', ')})`);
  } catch (err) {
    const tails = nodes.map((n) => `${n.nodeName}:\n${n.logTail(15)}`).join('\n');
    await destroy();
    if (err instanceof BrokerError) throw err;
    throw new BrokerError(`local cluster ${name} failed to form: ${err instanceof Error ? err.message : String(err)}\n${tails}`);
  }
  return {
    nodes,
    name,
    url: nodes[0].url,
    async runningMembers() {
      const node = nodes.find((n) => n.running);
      return node ? runningOf(node) : [];
    },
    destroy,
  };
}
