// The shape a run.json must have for report, compare, merge and history to read it: the fields they
// use, with their types (more fields are allowed; run/result.ts defines them all). A file that passes
// the format check but not this (hand-edited, or written by something else) ends in one line naming
// the field, not in a TypeError deep in a chart.

import { z } from 'zod';

const count = z.number();
const counts = z.looseObject({ sent: count, lost: count, duplicates: count, received: count });
const cell = z.looseObject({
  id: z.string(),
  client: z.string(),
  durability: z.string(),
  publish: z.looseObject({ kind: z.string() }),
  consume: z.looseObject({ ack: z.string() }),
  queue: z.string(),
  size: count,
  producers: count,
  consumers: count,
  rate: count.nullable(),
});
const rateOrNull = z.number().nullable();
const spread = z.looseObject({ median: z.number(), min: z.number(), max: z.number() });
const histograms = z.looseObject({ publish: z.string().nullable(), e2e: z.string().nullable() });

const result = z.looseObject({
  cell,
  repetition: count,
  status: z.enum(['ok', 'failed', 'unsupported']),
  counts,
  window: z.looseObject({ sendSeconds: z.number() }),
  rates: z.looseObject({ sentPerS: z.number(), confirmedPerS: rateOrNull, consumedPerS: rateOrNull }),
  histograms,
  timeline: z.array(z.looseObject({ second: count })),
});

const aggregate = z.looseObject({
  cell,
  repetitions: count,
  failed: count,
  counts,
  rates: z.looseObject({ sentPerS: spread, confirmedPerS: spread.nullable(), consumedPerS: spread.nullable() }),
  histograms,
});

export const RUN_FILE_SHAPE = z.looseObject({
  runId: z.string(),
  complete: z.boolean(),
  startedAt: z.string(),
  scenario: z.looseObject({ name: z.string(), axes: z.record(z.string(), z.array(z.string())), window: z.looseObject({}) }),
  cells: z.array(result),
  aggregates: z.array(aggregate),
});

/** Null when `data` has the shape, else "cells[0].cell.id: expected string, received undefined". */
export function runFileShapeProblem(data: unknown): string | null {
  const parsed = RUN_FILE_SHAPE.safeParse(data);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${path || '(top level)'}: ${issue.message}`;
}
