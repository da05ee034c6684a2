// One repetition of one cell of a plain run: the cell lifecycle (cell-lifecycle.ts) with every phase
// as it is, on a fresh queue unique to run, cell and repetition, with this host's consumers and producers.

import type { MetricsSource } from '../broker/cost-sampler.js';
import type { Cell, RunWindow } from '../scenario/types.js';
import { indices } from './cell-worker.js';
import { runRepetition } from './cell-lifecycle.js';
import type { Progress } from './open-window.js';
import { queueName } from './queue-name.js';
import type { CellResult } from './result.js';

export interface CellRunOptions {
  url: string;
  runId: string;
  window: RunWindow;
  onProgress?: (p: Progress) => void;
  /** Aborting stops the producers; the repetition ends early and is marked failed. */
  signal?: AbortSignal;
  /** Where broker-side cost figures come from (resolveMetricsSource); none without it. */
  metrics?: MetricsSource;
}

export async function runCellRepetition(cell: Cell, repetition: number, options: CellRunOptions): Promise<CellResult> {
  const { result } = await runRepetition(cell, repetition, {
    url: options.url,
    window: options.window,
    queue: queueName(options.runId, cell, repetition),
    ids: { consumers: indices(cell.consumers), producers: indices(cell.producers) },
    signal: options.signal,
    onProgress: options.onProgress,
    metrics: options.metrics,
  });
  return result;
}
