// What a run was measured on: the broker (from the connection's server properties), Node, the
// clients, OS and CPU. Probing it is also the early reachability check (exit 3 within the timeout).

import os from 'node:os';
import type { ClientAdapter, ServerInfo } from '../clients/adapter.js';
import { loadAdapter } from '../clients/registry.js';
import type { Environment } from '../run/result.js';
import type { Cell } from '../scenario/types.js';
import { describeConnectError } from './connect-error.js';
import { maskCredentials } from './url.js';

export const CONNECT_TIMEOUT_MS = 5000;

export async function probeBroker(adapter: ClientAdapter, url: string): Promise<ServerInfo> {
  let connection;
  try {
    connection = await adapter.connect(url, { connectionName: 'ackbench probe', timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw describeConnectError(url, err);
  }
  const info = connection.server;
  await connection.close().catch(() => undefined);
  return info;
}

export function describeEnvironment(url: string, server: ServerInfo, clients: ClientAdapter[]): Environment {
  const cpus = os.cpus();
  return {
    brokerUrl: maskCredentials(url),
    broker: { product: server.product, version: server.version, erlang: server.platform, cluster: server.clusterName },
    node: process.version,
    clients: Object.fromEntries(clients.map((c) => [c.name, c.version])),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: cpus.length },
    hostname: os.hostname(),
  };
}

/** The environment of a run of these cells on the broker at url, probed with the first cell's client. */
export async function probeEnvironment(url: string, cells: readonly Cell[]): Promise<Environment> {
  const clientNames = [...new Set(cells.map((c) => c.client))];
  const adapters = await Promise.all(clientNames.map(loadAdapter));
  const server = await probeBroker(adapters[0], url);
  return describeEnvironment(url, server, adapters);
}
