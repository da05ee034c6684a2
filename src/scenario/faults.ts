// Faults of a scenario (ackbench faults): spelling, labels, and which cells a fault applies to.
// Spelling, as `--fault` takes it and as reports show it: KIND[@N | @Ss][:continue | :stop], e.g.
// `kill9@2500` (after 2500 measured messages were sent), `restart@1.5s` (1.5 s into the measured
// window), `kill9` (a quarter of the way in), `kill9@2500:continue` (clients reconnect and go on; the
// default, stop, is not spelled).

import { consumeLabel, parseConsumeMode, parsePublishMode, publishLabel } from './modes.js';
import { UsageError } from '../errors.js';
import { FAULT_AFTER, FAULT_KINDS, type Cell, type FaultAfter, type FaultKind, type Scenario, type ScenarioFault } from './types.js';
import { cellId, channelsOf, deduplicationOf } from './matrix.js';

export const FAULT_SPELLING = `${FAULT_KINDS.join(' | ')}, optionally @N (messages sent) or @Ss (seconds), then optionally :continue (clients reconnect and go on) or :stop, e.g. kill9@2500:continue`;

export class FaultSpellingError extends Error {}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

function isFaultAfter(value: string): value is FaultAfter {
  return (FAULT_AFTER as readonly string[]).includes(value);
}

/**
 * `kill9@2500` -> { kind: 'kill9', atMessages: 2500 }; `restart@1.5s` -> { kind: 'restart', atSeconds: 1.5 };
 * `kill9:continue` -> { kind: 'kill9', after: 'continue' }.
 */
export function parseFaultSpelling(value: string): ScenarioFault {
  const [trigger, after, extraColon] = value.trim().split(':');
  if (extraColon !== undefined) throw new FaultSpellingError(`'${value}': too many ':' (expected ${FAULT_SPELLING})`);
  if (after !== undefined && !isFaultAfter(after)) throw new FaultSpellingError(`'${value}': after ':' give ${FAULT_AFTER.join(' or ')}, not '${after}'`);
  const withAfter = (f: ScenarioFault): ScenarioFault => (after === undefined ? f : { ...f, after });
  const [kind, at, extra] = trigger.split('@');
  if (extra !== undefined) throw new FaultSpellingError(`'${value}': too many '@' (expected ${FAULT_SPELLING})`);
  if (!isFaultKind(kind)) throw new FaultSpellingError(`unknown fault '${kind}' (expected ${FAULT_SPELLING})`);
  if (at === undefined) return withAfter({ kind });
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(at);
  if (seconds) return withAfter({ kind, atSeconds: Number(seconds[1]) });
  if (/^\d+$/.test(at) && Number.isSafeInteger(Number(at))) return withAfter({ kind, atMessages: Number(at) });
  throw new FaultSpellingError(`'${value}': after '@' give a number of messages (2500) or seconds (1.5s)`);
}

/** The spelling of a fault: kind, its trigger if it has one, and `:continue` if clients go on. */
export function faultLabel(fault: Pick<ScenarioFault, 'kind' | 'atMessages' | 'atSeconds' | 'after'>): string {
  const after = fault.after === 'continue' ? ':continue' : '';
  if (fault.atMessages !== undefined) return `${fault.kind}@${fault.atMessages}${after}`;
  if (fault.atSeconds !== undefined) return `${fault.kind}@${fault.atSeconds}s${after}`;
  return `${fault.kind}${after}`;
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
    case 'channels':
      return String(channelsOf(cell));
    case 'deduplication':
      return deduplicationOf(cell);
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

/**
 * `run` refuses a scenario that has `faults:` (UsageError, exit 2): it would run the cells without
 * them, a run that looks fine and tests nothing of what the file asks. `source` names the scenario
 * (its file, when there is one), as the user would type it to `ackbench faults`.
 */
export function refuseFaultsInRun(scenario: Pick<Scenario, 'name' | 'faults'>, source?: string): void {
  if (!scenario.faults?.length) return;
  const spelled = scenario.faults.map(faultLabel).join(', ');
  throw new UsageError(
    `scenario ${source ?? scenario.name}: has faults: (${spelled}), which \`run\` does not inject; run it with \`ackbench faults${source ? ` ${source}` : ''}\`, or remove faults: for a run without them`,
  );
}
