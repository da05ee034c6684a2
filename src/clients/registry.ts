// The clients ackbench can drive, by the name used on the `client` axis. Adding a client: write its
// adapter beside the others and list it here (and in CLIENTS, scenario/types.ts).

import type { ClientName } from '../scenario/types.js';
import type { ClientAdapter } from './adapter.js';
import { amqplibAdapter } from './amqplib.js';

const adapters: Record<ClientName, () => Promise<ClientAdapter>> = {
  amqplib: async () => amqplibAdapter,
  'rabbitmq-client': async () => (await import('./rabbitmq-client.js')).rabbitmqClientAdapter,
};

export function loadAdapter(name: ClientName): Promise<ClientAdapter> {
  return adapters[name]();
}
