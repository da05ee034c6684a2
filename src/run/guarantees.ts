// What a fault cell's modes promise, and whether the run kept the promise. A fault run reports every
// loss as a finding; only a loss a cell's modes promise never to suffer fails the run (exit 1):
// persistent messages, publisher confirms or transactions (the queue is always durable), and a
// consumer that acks manually (or none at all). Transient messages die with a node, auto-ack forgets
// a delivery once sent, and `none` gets no answer to lose: their losses are measurements.

import { publishLabel, consumeLabel } from '../scenario/modes.js';
import type { Cell } from '../scenario/types.js';
import type { CellResult, FaultOutcome, QueueGone } from './result.js';
import { publishAnswered } from '../scenario/publish-traits.js';

/** Whether the cell's modes promise that no confirmed (or committed) message is ever lost. */
export function promisesNoLoss(cell: Cell): boolean {
  return publishAnswered(cell.publish.kind) && cell.durability === 'persistent' && (cell.consumers === 0 || cell.consume.ack === 'manual');
}

/** Why a cell that lost confirmed messages did not promise otherwise. */
export function lossReason(cell: Cell, fault: FaultOutcome): string {
  const reasons: string[] = [];
  const nodeDied = fault.kind === 'kill9' || fault.kind === 'restart';
  if (cell.durability === 'transient' && nodeDied) reasons.push('transient messages do not survive the node');
  if (cell.consumers > 0 && cell.consume.ack === 'auto') {
    reasons.push(
      fault.kind === 'kill-consumer'
        ? 'auto-ack: what was handed to a consumer that died is gone'
        : 'auto-ack: the broker forgets a delivery once sent, and those in flight at the fault never arrived',
    );
  }
  if (reasons.length === 0 && cell.durability === 'transient') reasons.push('transient messages are not promised to survive');
  return reasons.join('; ');
}

export type Verdict = 'no loss' | 'loss, not promised' | 'promise broken' | 'failed' | 'unsupported';

export function verdictOf(result: CellResult): Verdict {
  if (result.status !== 'ok') return result.status;
  const lost = result.fault?.lost ?? result.counts.lost;
  if (lost === 0) return 'no loss';
  return promisesNoLoss(result.cell) ? 'promise broken' : 'loss, not promised';
}

/** "the queue was gone after a second restart (...)", with the node's own words when it logged any. */
export function queueGoneText(gone: QueueGone): string {
  const record = gone.durableRecord === null ? 'its durable record could not be read' : gone.durableRecord ? 'its durable record was still there' : 'its durable record was gone too';
  const said = gone.log.length > 0 ? `; the node logged: ${gone.log[gone.log.length - 1]}` : '';
  return `the queue still answered 404 NOT_FOUND after a second restart (${record}); the drain could read nothing, so what it held counts as lost${said}`;
}

function where(result: CellResult): string {
  const c = result.cell;
  return `${c.id} r${result.repetition} (${c.durability} ${publishLabel(c.publish)} ${consumeLabel(c.consume)} ${c.queue}${c.fault ? ` ${c.fault}` : ''})`;
}

/**
 * problems fail the run (exit 1): cells that failed, promises broken, messages received that nobody
 * sent. findings are reported and do not: losses the cell's modes never promised to avoid.
 */
export function faultVerdicts(results: readonly CellResult[]): { problems: string[]; findings: string[] } {
  const problems: string[] = [];
  const findings: string[] = [];
  for (const r of results) {
    if (r.status === 'failed') {
      problems.push(`${where(r)}: failed: ${r.reason}`);
      continue;
    }
    if (r.status !== 'ok') continue;
    const missing = r.fault?.queueUnavailableSeconds;
    if (missing != null) {
      findings.push(`${where(r)}: the queue answered 404 NOT_FOUND for ${missing.toFixed(0)} s after the node came back; ackbench restarted the node once more to reach what it held`);
    }
    const gone = r.fault?.queueGone;
    if (gone) findings.push(`${where(r)}: ${queueGoneText(gone)}`);
    const lost = r.fault?.lost ?? r.counts.lost;
    if (r.counts.unexpected > 0) problems.push(`${where(r)}: ${r.counts.unexpected} unexpected messages (received, never sent)`);
    if (lost === 0) continue;
    if (promisesNoLoss(r.cell)) problems.push(`${where(r)}: ${lost} confirmed messages lost, though persistent + confirms + manual ack promise none${gone ? ' (the queue itself was gone)' : ''}`);
    else findings.push(`${where(r)}: ${lost} confirmed messages lost (${r.fault ? lossReason(r.cell, r.fault) : 'no fault'})`);
  }
  return { problems, findings };
}
