// The clients ackbench can drive, by the name used on the `client` axis. Adding a client: write its
// adapter beside the others and list it here (and in CLIENTS, scenario/types.ts).

import type { Cell, ClientName } from '../scenario/types.js';
import type { ClientAdapter } from './adapter.js';
import { amqplibAdapter } from './amqplib.js';

const adapters: Record<ClientName, () => Promise<ClientAdapter>> = {
  amqplib: async () => amqplibAdapter,
  'rabbitmq-client': async () => (await import('./rabbitmq-client.js')).rabbitmqClientAdapter,
  rhea: async () => (await import('./rhea.js')).rheaAdapter,
};

export function loadAdapter(name: ClientName): Promise<ClientAdapter> {
  return adapters[name]();
}

/**
 * Why `cell` cannot run on its client, or null. Synchronous (no adapter is loaded): a cell is refused
 * before anything connects. The AMQP 0-9-1 clients run every cell the broker runs.
 */
const unsupported: Record<ClientName, (cell: Cell) => string | null> = {
  amqplib: () => null,
  'rabbitmq-client': () => null,
  rhea: (cell) => (cell.publish.kind === 'tx' ? 'RabbitMQ has no AMQP 1.0 transactions (tx:N needs the AMQP 0-9-1 tx class)' : null),
};

export function clientUnsupportedReason(cell: Cell): string | null {
  return unsupported[cell.client](cell);
}
