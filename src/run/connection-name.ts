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
