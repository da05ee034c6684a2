// Where a broker's stream protocol listens, when all the harness has is its AMQP URL. RabbitMQ's
// default ports put the stream listener 120 below the AMQP one (5672 -> 5552, amqps 5671 -> 5551),
// and the private nodes ackbench starts keep that rule (broker/local-node.ts gives each a free pair),
// so the URL alone names both. ACKBENCH_STREAM_PORT overrides it for a broker configured otherwise.

/** The stream port sits this far below the AMQP port (RabbitMQ's defaults, and private nodes). */
export const STREAM_PORT_BELOW_AMQP = 120;

export function streamPortOf(amqpPort: number): number {
  return amqpPort - STREAM_PORT_BELOW_AMQP;
}

export interface StreamEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

/**
 * The port ACKBENCH_STREAM_PORT names, undefined when it is unset or empty; an Error naming it when it
 * is not a port. The CLI checks it before anything runs (cli.ts), so a bad value is bad input (exit 2)
 * there rather than a failed connection.
 */
export function streamPortOverride(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const override = env.ACKBENCH_STREAM_PORT;
  if (override === undefined || override === '') return undefined;
  const port = Number(override);
  if (!/^\d+$/.test(override) || port < 1 || port > 65535) throw new Error(`ACKBENCH_STREAM_PORT: '${override}' is not a port (1 to 65535)`);
  return port;
}

/** The stream endpoint of the broker at `url` (amqp or amqps), or a one-line error naming the bad input. */
export function streamEndpoint(url: string, env: NodeJS.ProcessEnv = process.env): StreamEndpoint {
  const u = new URL(url);
  const tls = u.protocol === 'amqps:';
  const override = streamPortOverride(env);
  if (override !== undefined) return { host: u.hostname, port: override, tls };
  const port = streamPortOf(Number(u.port || (tls ? 5671 : 5672)));
  if (port < 1) throw new Error(`no stream port below AMQP port ${u.port} (the stream port is the AMQP port - ${STREAM_PORT_BELOW_AMQP}); set ACKBENCH_STREAM_PORT`);
  return { host: u.hostname, port, tls };
}
