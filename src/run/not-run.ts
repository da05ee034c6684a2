// A cell repetition that did not run: why it cannot (the one check every kind of run goes through
// before anything connects), and the result it gets then, never silently skipped.

import { clientUnsupportedReason } from '../clients/registry.js';
import { maskCredentials } from '../broker/url.js';
import type { Cell } from '../scenario/types.js';
import type { CellResult, IntegrityCounts } from './result.js';

function emptyCounts(): IntegrityCounts {
  return { sent: 0, confirmed: null, nacked: 0, unknown: 0, received: 0, duplicates: 0, outOfOrder: 0, lost: 0, missing: 0, recovered: 0, redelivered: 0, unexpected: 0 };
}

/** A result for a cell that could not run: never silently skipped. */
export function notRunResult(cell: Cell, repetition: number, status: 'failed' | 'unsupported', reason: string): CellResult {
  return {
    cell,
    repetition,
    status,
    reason: maskCredentials(reason),
    counts: emptyCounts(),
    window: { sendSeconds: 0, confirmSeconds: null, consumeSeconds: null },
    rates: { sentPerS: 0, confirmedPerS: null, consumedPerS: null },
    publishLatency: null,
    e2eLatency: null,
    histograms: { publish: null, e2e: null },
    clientCpuPct: 0,
    clientBound: false,
    timeline: [],
  };
}

/** Why this client / queue combination cannot be measured, or null if it can. */
export function unsupportedReason(cell: Cell): string | null {
  if (cell.queue === 'stream' && cell.consume.ack === 'auto') return 'stream queues require manual acknowledgement (RabbitMQ refuses noAck consumers on streams)';
  if (cell.queue === 'stream' && cell.consumers === 0) return 'a publish-only cell counts and purges the queue, which stream queues do not support';
  return clientUnsupportedReason(cell);
}
