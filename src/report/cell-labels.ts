// How a cell is named and ordered in charts and tables: publish modes in the fixed PUBLISH_KINDS order
// (scenario/publish-traits.ts), and only the axes that actually vary in a run spelled out, so labels
// stay short.

import { consumeLabel, publishLabel } from '../scenario/modes.js';
import { channelsOf, deduplicationOf } from '../scenario/matrix.js';
import { publishParameter } from '../scenario/publish-traits.js';
import { DURABILITIES, PUBLISH_KINDS, type Cell, type PublishMode } from '../scenario/types.js';

/**
 * The axes besides durability and publish mode that can split a run into comparable groups. `fault`
 * is the fault a cell of ackbench faults ran under ('none' for every cell of a plain run, so it never
 * varies there and never shows).
 */
export const GROUPING_AXES = ['fault', 'client', 'queue', 'consume', 'size', 'producers', 'channels', 'deduplication', 'consumers', 'rate'] as const;
export type GroupingAxis = (typeof GROUPING_AXES)[number];

/** Orders publish modes by kind (PUBLISH_KINDS, the traits table's order), then by their size or window. */
export function comparePublishModes(a: PublishMode, b: PublishMode): number {
  return PUBLISH_KINDS.indexOf(a.kind) - PUBLISH_KINDS.indexOf(b.kind) || (publishParameter(a) ?? 0) - (publishParameter(b) ?? 0);
}

/** The distinct publish labels of these cells, in chart order. */
export function orderedPublishLabels(cells: readonly Cell[]): string[] {
  const byLabel = new Map<string, PublishMode>();
  for (const cell of cells) byLabel.set(publishLabel(cell.publish), cell.publish);
  return [...byLabel.entries()].sort(([, a], [, b]) => comparePublishModes(a, b)).map(([label]) => label);
}

function rateLabel(rate: number | null): string {
  return rate === null ? 'unlimited' : `${rate} msg/s`;
}

/** How one axis value of a cell is spelled in labels and tables. */
export function axisValueLabel(cell: Cell, axis: GroupingAxis): string {
  switch (axis) {
    case 'fault':
      return cell.fault ?? 'no fault';
    case 'client':
      return cell.client;
    case 'queue':
      return cell.queue;
    case 'consume':
      return consumeLabel(cell.consume);
    case 'size':
      return `${cell.size} B`;
    case 'producers':
      return `${cell.producers} producer${cell.producers === 1 ? '' : 's'}`;
    case 'channels': {
      const channels = channelsOf(cell);
      return channels === 1 ? 'a connection per producer' : `${channels} producer channels per connection`;
    }
    case 'deduplication':
      return `deduplication ${deduplicationOf(cell)}`;
    case 'consumers':
      return `${cell.consumers} consumer${cell.consumers === 1 ? '' : 's'}`;
    case 'rate':
      return rateLabel(cell.rate);
  }
}

/** The grouping axes that take more than one value among these cells. */
export function varyingAxes(cells: readonly Cell[]): GroupingAxis[] {
  return GROUPING_AXES.filter((axis) => new Set(cells.map((cell) => axisValueLabel(cell, axis))).size > 1);
}

/** What distinguishes this cell's group from the others ('' when the run has a single group). */
export function groupLabel(cell: Cell, varying: readonly GroupingAxis[]): string {
  return varying.map((axis) => axisValueLabel(cell, axis)).join(' · ');
}

/** A short name for one cell within a run: durability, publish mode, and the varying axes. */
export function cellLabel(cell: Cell, varying: readonly GroupingAxis[]): string {
  const group = groupLabel(cell, varying);
  return [cell.durability, publishLabel(cell.publish), ...(group ? [group] : [])].join(' · ');
}

/** Chart and table order: group, then publish mode, then durability. */
export function compareCells(a: Cell, b: Cell, varying: readonly GroupingAxis[]): number {
  const groupA = groupLabel(a, varying);
  const groupB = groupLabel(b, varying);
  if (groupA !== groupB) return groupA < groupB ? -1 : 1;
  return (
    comparePublishModes(a.publish, b.publish) ||
    DURABILITIES.indexOf(a.durability) - DURABILITIES.indexOf(b.durability)
  );
}

/** The axis values of a cell as flat columns, for the CSV behind a chart (units in the names). */
export function axisColumns(cell: Cell) {
  return {
    cell: cell.id,
    client: cell.client,
    durability: cell.durability,
    publish: publishLabel(cell.publish),
    publish_kind: cell.publish.kind,
    consume: consumeLabel(cell.consume),
    queue: cell.queue,
    size_bytes: cell.size,
    producers: cell.producers,
    channels_per_connection: channelsOf(cell),
    deduplication: deduplicationOf(cell),
    consumers: cell.consumers,
    rate_msg_per_s: cell.rate,
    fault: cell.fault ?? null,
  };
}

export type AxisColumns = ReturnType<typeof axisColumns>;
