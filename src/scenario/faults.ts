// Faults of a scenario (ackbench faults): spelling, labels, and which cells a fault applies to.
// Spelling, as `--fault` takes it and as reports show it: KIND[@N | @Ss], e.g. `kill9@2500` (after
// 2500 measured messages were sent), `restart@1.5s` (1.5 s into the measured window), `kill9` (a
// quarter of the way in).

import { consumeLabel, parseConsumeMode, parsePublishMode, publishLabel } from './modes.js';
import { FAULT_KINDS, type Cell, type FaultKind, type ScenarioFault } from './types.js';
import { cellId } from './matrix.js';

export const FAULT_SPELLING = `${FAULT_KINDS.join(' | ')}, optionally @N (messages sent) or @Ss (seconds), e.g. kill9@2500`;

export class FaultSpellingError extends Error {}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/** `kill9@2500` -> { kind: 'kill9', atMessages: 2500 }; `restart@1.5s` -> { kind: 'restart', atSeconds: 1.5 }. */
export function parseFaultSpelling(value: string): ScenarioFault {
  const [kind, at, extra] = value.trim().split('@');
  if (extra !== undefined) throw new FaultSpellingError(`'${value}': too many '@' (expected ${FAULT_SPELLING})`);
  if (!isFaultKind(kind)) throw new FaultSpellingError(`unknown fault '${kind}' (expected ${FAULT_SPELLING})`);
  if (at === undefined) return { kind };
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(at);
  if (seconds) return { kind, atSeconds: Number(seconds[1]) };
  if (/^\d+$/.test(at) && Number.isSafeInteger(Number(at))) return { kind, atMessages: Number(at) };
  throw new FaultSpellingError(`'${value}': after '@' give a number of messages (2500) or seconds (1.5s)`);
}

/** The spelling of a fault: kind, and its trigger if it has one. */
export function faultLabel(fault: Pick<ScenarioFault, 'kind' | 'atMessages' | 'atSeconds'>): string {
  if (fault.atMessages !== undefined) return `${fault.kind}@${fault.atMessages}`;
  if (fault.atSeconds !== undefined) return `${fault.kind}@${fault.atSeconds}s`;
  return fault.kind;
}

/** The axis values of a cell in the canonical spelling `where:` lists are compared in. */
function cellAxisValue(cell: Cell, axis: string): string {
  switch (axis) {
    case 'client':
      return cell.client;
    case 'durability':
      return cell.durability;
    case 'publish':
      return publishLabel(cell.publish);
    case 'consume':
      return consumeLabel(cell.consume);
    case 'queue':
      return cell.queue;
    case 'size':
      return String(cell.size);
    case 'producers':
      return String(cell.producers);
    case 'consumers':
      return String(cell.consumers);
    case 'rate':
      return cell.rate === null ? 'unlimited' : String(cell.rate);
    default:
      return '';
  }
}

/** A `where:` value in canonical spelling: `manual` and `manual:100:1` are one consume mode. */
export function canonicalAxisValue(axis: string, value: unknown): string {
  if (axis === 'publish') return publishLabel(parsePublishMode(String(value)));
  if (axis === 'consume') return consumeLabel(parseConsumeMode(String(value)));
  return String(value);
}

/** Whether a fault applies to a cell: every axis its `where:` names holds the cell's value. */
export function faultApplies(fault: ScenarioFault, cell: Cell): boolean {
  for (const [axis, values] of Object.entries(fault.where ?? {})) {
    if (values && !values.includes(cellAxisValue(cell, axis))) return false;
  }
  return true;
}

/** The cell as run under a fault: same axes, the fault named, an id of its own. */
export function faultCell(cell: Cell, fault: ScenarioFault): Cell {
  const { id: _id, ...axes } = cell;
  const derived = { ...axes, fault: faultLabel(fault) };
  return { id: cellId(derived), ...derived };
}

/** The cell a fault cell was derived from (its baseline): same axes, no fault. */
export function withoutFault(cell: Cell): Cell {
  const { id: _id, fault: _fault, ...axes } = cell;
  return { id: cellId(axes), ...axes };
}
