// The scenario file's schema (YAML, validated with zod). A scalar axis value means a list of one.

import { z } from 'zod';
import { HEADER_BYTES } from '../measure/header.js';
import { CONSUME_SPELLING, ModeSpellingError, parseConsumeMode, parsePublishMode, PUBLISH_SPELLING } from './modes.js';
import { CLIENTS, DEDUPLICATIONS, DURABILITIES, FAULT_AFTER, FAULT_KINDS, QUEUE_TYPES } from './types.js';

/** RabbitMQ 4's default max_message_size; larger bodies are refused by the broker. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The message header's sequence number is 32 bits (measure/header.ts): warm-up and measured messages of a producer fit in it. */
export const MAX_MESSAGES = 2 ** 32 - 1;
/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); a longer wait would fire at once. */
export const MAX_SECONDS = 2_000_000;
/** The header's producer number is 16 bits; consumers are capped alike (a connection each). */
export const MAX_CLIENTS = 65535;
/** The slowest pace: one message every 1000 s. */
export const MIN_RATE = 0.001;

const positiveInt = z.number().int('must be a whole number').positive('must be at least 1');
const nonNegativeInt = z.number().int('must be a whole number').min(0, 'must not be negative');
const seconds = z.number().positive('must be above 0').max(MAX_SECONDS, `must be at most ${MAX_SECONDS} s`);

/** A list of one or more values; a scalar is a list of one. */
function axis<T extends z.ZodTypeAny>(item: T) {
  return z.union([item, z.array(item).min(1, 'an axis needs at least one value')]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);
}

function spelled(parse: (s: string) => unknown, spelling: string) {
  return z.string({ error: `expected a string (${spelling})` }).superRefine((s, ctx) => {
    try {
      parse(s);
    } catch (e) {
      if (e instanceof ModeSpellingError) ctx.addIssue({ code: 'custom', message: e.message });
      else throw e;
    }
  });
}

const RATE_MESSAGE = `must be "unlimited" or a number of messages per second of at least ${MIN_RATE}`;
const rate = z.union([z.literal('unlimited'), z.number({ error: RATE_MESSAGE }).min(MIN_RATE, RATE_MESSAGE)], { error: RATE_MESSAGE });

export const AXES_SCHEMA = z
  .object({
    client: axis(z.enum(CLIENTS)),
    durability: axis(z.enum(DURABILITIES)),
    publish: axis(spelled(parsePublishMode, PUBLISH_SPELLING)),
    consume: axis(spelled(parseConsumeMode, CONSUME_SPELLING)),
    queue: axis(z.enum(QUEUE_TYPES)),
    size: axis(
      positiveInt
        .min(HEADER_BYTES, `must be at least ${HEADER_BYTES} bytes (the message header)`)
        .max(MAX_MESSAGE_BYTES, `must be at most ${MAX_MESSAGE_BYTES} bytes (RabbitMQ's default max_message_size)`),
    ),
    producers: axis(positiveInt.max(MAX_CLIENTS, `must be at most ${MAX_CLIENTS}`)),
    // RabbitMQ's default channel_max is 2047 channels per connection.
    channels: axis(positiveInt.max(2047, "must be at most 2047 (RabbitMQ's default channel_max)")),
    deduplication: axis(z.enum(DEDUPLICATIONS)),
    consumers: axis(nonNegativeInt.max(MAX_CLIENTS, `must be at most ${MAX_CLIENTS}`)),
    rate: axis(rate),
  })
  .strict()
  .partial();

const NODES_MESSAGE = 'must be 1 (a private node) or 3 (a private cluster)';

/** One fault of `faults:` (ackbench faults): what, when (messages sent or seconds), and for which cells. */
const FAULT_OBJECT = z
  .object({
    kind: z.enum(FAULT_KINDS),
    /** Inject once this many measured messages were sent (all producers of the cell). */
    at: nonNegativeInt.optional(),
    /** Inject this many seconds into the measured window. */
    atSeconds: z.number().min(0, 'must not be negative').max(MAX_SECONDS, `must be at most ${MAX_SECONDS} s`).optional(),
    /** After the fault: clients end with their connection (stop), or reconnect with backoff and go on (continue). */
    after: z.enum(FAULT_AFTER).optional(),
    /** Only cells with these axis values (same spelling as axes:); every cell when absent. */
    where: AXES_SCHEMA.optional(),
  })
  .strict();

export const FAULT_SCHEMA = FAULT_OBJECT.refine((f) => !(f.at !== undefined && f.atSeconds !== undefined), { message: 'give at (messages sent) or atSeconds, not both' });

const SCENARIO_OBJECT = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    /** Broker URL; --url and AMQP_URL take precedence. */
    url: z.string().optional(),
    /** Measured messages per producer. */
    messages: positiveInt.max(MAX_MESSAGES, `must be at most ${MAX_MESSAGES} (the header's 32-bit sequence number)`).optional(),
    /** Measured seconds per producer (instead of messages). */
    duration: seconds.optional(),
    warmup: nonNegativeInt.max(MAX_MESSAGES, `must be at most ${MAX_MESSAGES} (the header's 32-bit sequence number)`).optional(),
    repetitions: positiveInt.optional(),
    /** Upper bound on one repetition of a cell, in seconds. */
    timeout: seconds.optional(),
    /** Seconds consumers wait with nothing arriving before the drain ends. */
    drain: seconds.optional(),
    axes: AXES_SCHEMA.optional(),
    /** ackbench faults: the faults each cell runs under, one cell per fault (default: kill9 a quarter of the way in). */
    faults: z.array(FAULT_SCHEMA, { error: 'expected a list of faults ({ kind, at | atSeconds, where })' }).min(1, 'give at least one fault, or leave faults out').optional(),
    /** ackbench faults: 1 private node, or a private cluster of 3 (a node-level fault then hits the queue's leader). */
    nodes: z
      .number({ error: NODES_MESSAGE })
      .refine((n) => n === 1 || n === 3, { message: NODES_MESSAGE })
      .optional(),
    /** ackbench faults: run each cell once without a fault first, as the throughput baseline. */
    baseline: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict();

export const SCENARIO_SCHEMA = SCENARIO_OBJECT.refine((s) => !(s.messages !== undefined && s.duration !== undefined), { message: 'give messages or duration, not both' });

export type ScenarioFile = z.infer<typeof SCENARIO_SCHEMA>;
export type AxesInput = z.infer<typeof AXES_SCHEMA>;
export const AXIS_NAMES = Object.keys(AXES_SCHEMA.shape) as (keyof AxesInput)[];
export const TOP_LEVEL_KEYS = Object.keys(SCENARIO_OBJECT.shape);
export const FAULT_KEYS = Object.keys(FAULT_OBJECT.shape);
