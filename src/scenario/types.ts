// The scenario model: what a user asks for, expanded into cells. Pure data, no I/O.

export const CLIENTS = ['amqplib', 'rabbitmq-client', 'rhea', 'stream'] as const;
export type ClientName = (typeof CLIENTS)[number];

export const DURABILITIES = ['transient', 'persistent'] as const;
export type Durability = (typeof DURABILITIES)[number];

export const QUEUE_TYPES = ['classic', 'quorum', 'stream'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/** Stream publisher deduplication (the stream protocol's named publishers): off, or on. */
export const DEDUPLICATIONS = ['off', 'on'] as const;
export type Deduplication = (typeof DEDUPLICATIONS)[number];

// A publish mode's kinds, order and parameter come from its traits table (publish-traits.ts).
import type { PublishMode } from './publish-traits.js';
export { PUBLISH_KINDS, type PublishKind, type PublishMode } from './publish-traits.js';

export type ConsumeMode =
  /** basic.ack every `multiAck` deliveries with multiple=true (1 = ack each one) */
  | { ack: 'manual'; prefetch: number; multiAck: number }
  /** noAck consumption; prefetch 0 means unlimited (ignored by the broker for auto-ack on classic queues) */
  | { ack: 'auto'; prefetch: number };

/** Faults the harness can inject mid-run on a broker it owns (docs/architecture.md#faults). */
export const FAULT_KINDS = ['kill9', 'restart', 'close-connections', 'kill-consumer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What producers and consumers do when a fault cuts their connection: end, or reconnect with backoff and go on. */
export const FAULT_AFTER = ['stop', 'continue'] as const;
export type FaultAfter = (typeof FAULT_AFTER)[number];

/**
 * A fault, checked: an entry of a scenario file's `faults:` list or of `--fault`, and what the fault
 * runner injects (run/fault-runner.ts `runFaultCell`, which ignores `where`).
 */
export interface ScenarioFault {
  kind: FaultKind;
  /** Inject once this many measured messages were sent (all producers of the cell). */
  atMessages?: number;
  /** Inject this long after the measured window opened. */
  atSeconds?: number;
  /** After the fault: clients end (stop, the default) or reconnect and go on (continue). */
  after?: FaultAfter;
  /** Only cells whose axis values are among these (canonical spelling); all cells when absent. */
  where?: Partial<Record<string, string[]>>;
}

/** One element of the matrix: everything that varies between measured configurations. */
export interface Cell {
  /** Stable, filename-safe identifier built from the axis values. */
  id: string;
  client: ClientName;
  durability: Durability;
  publish: PublishMode;
  consume: ConsumeMode;
  queue: QueueType;
  /** Message body size in bytes, header included. */
  size: number;
  producers: number;
  /**
   * Producer channels per connection: the producers share ceil(producers / channels) connections,
   * one worker thread each, a channel per producer. Absent (runs before this axis existed) or 1: a
   * connection per producer. Consumers always have a connection each.
   */
  channels?: number;
  /**
   * Stream publisher deduplication: `on` gives each producer's publisher a name (publisherRef), so
   * the broker drops a message whose publishing id it already stored for that name; the stream
   * client only (clients/registry.ts refuses it elsewhere). Absent (runs before this axis existed)
   * or off: unnamed publishers, no check.
   */
  deduplication?: Deduplication;
  consumers: number;
  /** Target messages per second per producer; null = unlimited. */
  rate: number | null;
  /**
   * Fault cells only (ackbench faults): the fault injected, spelled as `--fault` takes it, e.g.
   * `kill9@2500`; the id then ends with it, so one cell under two faults gives two cells.
   */
  fault?: string;
}

/** How long each repetition of a cell runs, and what it waits for. */
export interface RunWindow {
  /** Measured messages per producer (exclusive with durationSeconds). */
  messages: number | null;
  /** Measured window length per producer in seconds (exclusive with messages). */
  durationSeconds: number | null;
  /** Messages per producer sent before measuring, neither recorded nor counted. */
  warmupMessages: number;
  repetitions: number;
  /** Upper bound on one repetition, after which it is recorded as failed. */
  cellTimeoutSeconds: number;
  /** After the producers finish, how long consumers wait with nothing arriving before giving up. */
  drainSeconds: number;
}

export interface Scenario {
  name: string;
  /** Broker URL; may hold a password, mask it before showing or storing. */
  url: string | null;
  window: RunWindow;
  cells: Cell[];
  /** The axis values as the user spelled them (canonical spelling), for reports. */
  axes: Record<string, string[]>;
  /** The scenario file's `faults:` list (ackbench faults); empty or absent for a plain run. */
  faults?: ScenarioFault[];
  /** Broker nodes ackbench faults starts: 1 (a private node) or 3 (a private cluster); default 1. */
  nodes?: number;
  /** ackbench faults: run each cell once without a fault first, as the throughput baseline. */
  baseline?: boolean;
}
