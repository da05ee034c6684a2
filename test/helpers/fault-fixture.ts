// A fault run built from the report fixture (fixture-run.ts), as ackbench faults writes one: every cell
// under kill9, with the counts agreeing with the fault outcome as the runner makes them, and each
// timeline showing the outage (nothing consumed from the fault until the broker is back).

import type { CellResult, FaultOutcome, RunFile } from '../../src/run/result.js';
import { faultCell } from '../../src/scenario/faults.js';
import { maxOutstanding } from '../../src/scenario/modes.js';
import { aggregate } from '../../src/stats/aggregate.js';
import { buildFixtureRun } from './fixture-run.js';

export function outcome(result: CellResult, overrides: Partial<FaultOutcome>): FaultOutcome {
  const sent = result.counts.sent;
  const unknown = result.cell.publish.kind === 'none' ? sent : Math.min(sent, maxOutstanding(result.cell.publish));
  const ok = result.cell.publish.kind === 'none' ? 0 : sent - unknown;
  return {
    kind: 'kill9',
    atMessages: 1250,
    atSeconds: null,
    after: 'stop',
    sentAtInjection: 1250,
    injectedAtNs: 1,
    recoverySeconds: 4.2,
    producersCut: 1,
    reconnects: 0,
    resumeSeconds: null,
    drained: 100,
    attempted: sent,
    ok,
    fail: 0,
    unknown,
    lost: 0,
    recovered: 0,
    duplicated: 0,
    unexpected: 0,
    node: 'ackbench-1-1@localhost',
    beforeFault: { seconds: 3, sentPerS: result.rates.sentPerS, confirmedPerS: result.rates.confirmedPerS, consumedPerS: result.rates.consumedPerS },
    ...overrides,
  };
}

/** A result of the fixture under a fault: the counts agree with the fault outcome, as the runner makes them. */
export function underFault(result: CellResult, cell: CellResult['cell'], fault: FaultOutcome): CellResult {
  // Nothing moves from the fault until the broker is back.
  const from = fault.beforeFault?.seconds ?? 0;
  const timeline = result.timeline.map((point) =>
    point.second > from && point.second <= from + fault.recoverySeconds + 1 ? { ...point, sent: 0, confirmed: 0, consumed: 0 } : point,
  );
  return { ...result, cell, timeline, counts: { ...result.counts, lost: fault.lost, unknown: fault.unknown, duplicates: fault.duplicated }, fault };
}

/**
 * A fault run built from the report fixture: every cell under kill9 (transient cells lose what they
 * had confirmed, persistent ones get duplicates), the async cells also measured without a fault
 * (baselines), one auto-ack cell under kill-consumer that lost, and one fault cell that failed.
 */
export function buildFaultRun(): RunFile {
  const plain = buildFixtureRun({ repetitions: 1 });
  const cells: CellResult[] = [];
  for (const result of plain.cells) {
    if (result.cell.publish.kind === 'async') cells.push(result);
    const transient = result.cell.durability === 'transient';
    const confirms = result.cell.publish.kind !== 'none';
    const cell = faultCell(result.cell, { kind: 'kill9', atMessages: 1250 });
    cells.push(underFault(result, cell, outcome(result, { lost: transient && confirms ? 300 : 0, duplicated: transient ? 0 : 5 })));
  }
  const base = plain.cells.find((r) => r.cell.durability === 'persistent' && r.cell.publish.kind === 'single')!;
  const autoCell = faultCell({ ...base.cell, consume: { ack: 'auto', prefetch: 0 } }, { kind: 'kill-consumer', atMessages: 1250 });
  cells.push(underFault(base, autoCell, outcome(base, { kind: 'kill-consumer', lost: 812, unknown: 0, ok: base.counts.sent, producersCut: 0, node: undefined })));
  const failedCell = faultCell(base.cell, { kind: 'restart' });
  cells.push({
    ...base,
    cell: failedCell,
    status: 'failed',
    reason: 'fault cell timed out after 120 s while injecting the fault (restart)',
    fault: outcome(base, { kind: 'restart', atMessages: null }),
  });
  return { ...plain, scenario: { ...plain.scenario, name: 'faults' }, cells, aggregates: aggregate(cells) };
}

