// The clients ackbench can drive, by the name used on the `client` axis. Adding a client: write its
// adapter beside the others and list it here (and in CLIENTS, scenario/types.ts).

import type { Cell, ClientName } from '../scenario/types.js';
import type { ClientAdapter } from './adapter.js';
import { amqplibAdapter } from './amqplib.js';

const adapters: Record<ClientName, () => Promise<ClientAdapter>> = {
  amqplib: async () => amqplibAdapter,
  'rabbitmq-client': async () => (await import('./rabbitmq-client.js')).rabbitmqClientAdapter,
  rhea: async () => (await import('./rhea.js')).rheaAdapter,
  stream: async () => (await import('./stream.js')).streamAdapter,
};

export function loadAdapter(name: ClientName): Promise<ClientAdapter> {
  return adapters[name]();
}

/**
 * Why `cell` cannot run on its client, or null. Synchronous (no adapter is loaded): a cell is refused
 * before anything connects. The AMQP 0-9-1 clients run every cell the broker runs, except those with
 * publisher deduplication, which only the stream protocol has.
 */
const unsupported: Record<ClientName, (cell: Cell) => string | null> = {
  amqplib: (cell) => noDeduplication(cell, 'amqplib (AMQP 0-9-1)'),
  'rabbitmq-client': (cell) => noDeduplication(cell, 'rabbitmq-client (AMQP 0-9-1)'),
  rhea: (cell) => (cell.publish.kind === 'tx' ? 'RabbitMQ has no AMQP 1.0 transactions (tx:N needs the AMQP 0-9-1 tx class)' : noDeduplication(cell, 'rhea (AMQP 1.0)')),
  stream: streamUnsupportedReason,
};

/** Deduplication by publishing id is the stream protocol's (a named publisher); the other protocols have nothing like it. */
function noDeduplication(cell: Cell, client: string): string | null {
  return cell.deduplication === 'on' ? `deduplication is a stream-protocol publisher feature (a named publisher); ${client} has none` : null;
}

/** The stream protocol reaches stream queues only, has no transactions, and rabbitmqctl's connection commands do not see it. */
function streamUnsupportedReason(cell: Cell): string | null {
  if (cell.queue !== 'stream') return `the stream protocol reaches stream queues only, not ${cell.queue} queues`;
  if (cell.publish.kind === 'tx') return 'the stream protocol has no transactions (tx:N needs the AMQP 0-9-1 tx class)';
  const fault = cell.fault?.split(/[@:]/)[0];
  if (fault === 'kill-consumer' || fault === 'close-connections') {
    return `${fault} closes connections through rabbitmqctl, which lists and closes AMQP connections only, not stream protocol ones (rabbitmq-streams list_stream_connections)`;
  }
  return null;
}

export function clientUnsupportedReason(cell: Cell): string | null {
  return unsupported[cell.client](cell);
}
