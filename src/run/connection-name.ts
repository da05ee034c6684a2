// The connection_name every connection of a cell carries (a client property the broker lists): an
// operator reading `rabbitmqctl list_connections` sees which cell and role each is, and the
// kill-consumer fault finds the consumers' connections by it (fault-runner.ts). Built here only, so
// the name a worker connects with and the name the fault looks for cannot drift apart.

/** `ackbench <cell id> admin`, or `ackbench <cell id> <producer|consumer> <index>` for a worker's. */
export function connectionName(cellId: string, role: 'admin'): string;
export function connectionName(cellId: string, role: 'producer' | 'consumer', index: number): string;
export function connectionName(cellId: string, role: 'admin' | 'producer' | 'consumer', index?: number): string {
  return role === 'admin' ? `ackbench ${cellId} admin` : `ackbench ${cellId} ${role} ${index}`;
}

/**
 * The name (publisherRef) of a producer's stream publisher on a deduplication cell: its connection's
 * name and its channel on that connection, `ackbench <cell id> producer <index> channel <k>`, as an
 * operator reading `rabbitmq-streams list_stream_publishers` can match to the connection. The broker
 * keeps the last publishing id per name and stream, so the name must be the same on every connection
 * the producer opens (a reconnect goes on from the broker's id) and no other producer's on its
 * stream: it is, as each repetition of a cell publishes to a stream of its own (queue-name.ts).
 */
export function publisherName(cellId: string, connectionIndex: number, channel: number): string {
  return `${connectionName(cellId, 'producer', connectionIndex)} channel ${channel}`;
}
