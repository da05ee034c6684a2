// What the fault runner needs from a broker it owns: a private node (local-node.ts) or a container
// (docker-node.ts). It connects to url, kills and starts the node, stops it gracefully, and asks it
// about queues and connections through rabbitmqctl.

export interface FaultNode {
  /** amqp://guest:guest@127.0.0.1:PORT (guest may log in over loopback). */
  readonly url: string;
  /** RabbitMQ node name, e.g. ackbench-123-1@localhost, or rabbit@<container> for a container. */
  readonly nodeName: string;
  /** AMQP port on 127.0.0.1. */
  readonly amqpPort: number;
  /** OS pid of the node's Erlang VM (a container's main process), of the latest start; stays set after it dies; 0 if unknown. */
  readonly pid: number;
  /** Whether the node of the latest start is still running. */
  readonly running: boolean;
  /** SIGKILL the VM (or container), then wait until it is gone. */
  kill9(): Promise<void>;
  /**
   * Graceful stop, then wait until the node is down (SIGKILL after a bound). A private node: via
   * 'rabbitmqctl' (default) runs `rabbitmqctl stop`; via 'sigterm' sends SIGTERM to the VM, which OTP
   * turns into init:stop(), the same orderly shutdown, without the CLI's start-up lag (for a fault that
   * must land at a given moment). A container: `docker stop` either way (SIGTERM to the VM, SIGKILL
   * after the engine's timeout).
   */
  stop(options?: { via?: 'rabbitmqctl' | 'sigterm' }): Promise<void>;
  /** Start again on the same data (durable queues, persistent messages survive), same AMQP port; resolves once AMQP accepts a connection. */
  start(): Promise<void>;
  /** Kill if running, remove the node and its data. Idempotent. */
  destroy(): Promise<void>;
  /** `rabbitmqctl ...args` against this node; resolves with stdout, rejects with stderr. */
  ctl(args: string[], timeoutMs?: number): Promise<string>;
  /** The last lines of the node's log. */
  logTail(lines?: number): string;
}
