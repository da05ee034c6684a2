// Matrix expansion: the product of the axes, in a stable order, each cell with a stable id.

import { consumeLabel, parseConsumeMode, parsePublishMode, publishLabel } from './modes.js';
import type { Cell, ClientName, ConsumeMode, Deduplication, Durability, PublishMode, QueueType } from './types.js';

export interface Axes {
  client: ClientName[];
  durability: Durability[];
  publish: string[];
  consume: string[];
  queue: QueueType[];
  size: number[];
  producers: number[];
  /** Producer channels per connection. */
  channels: number[];
  /** Stream publisher deduplication, off or on. */
  deduplication: Deduplication[];
  consumers: number[];
  /** 'unlimited' or messages per second per producer. */
  rate: ('unlimited' | number)[];
}

export const DEFAULT_AXES: Axes = {
  client: ['amqplib'],
  durability: ['persistent'],
  publish: ['async:1000'],
  consume: ['manual:100'],
  queue: ['classic'],
  size: [1024],
  producers: [1],
  channels: [1],
  deduplication: ['off'],
  consumers: [1],
  rate: ['unlimited'],
};

/** Producer channels per connection of a cell (1 for cells stored before the axis existed). */
export function channelsOf(cell: Pick<Cell, 'channels'>): number {
  return cell.channels ?? 1;
}

/** A cell's stream publisher deduplication (off for cells stored before the axis existed). */
export function deduplicationOf(cell: Pick<Cell, 'deduplication'>): Deduplication {
  return cell.deduplication ?? 'off';
}

export function cellId(c: Omit<Cell, 'id'>): string {
  // String(1e21) is '1e+21': drop the '+' so ids stay filename-safe for any rate the schema accepts.
  const rate = c.rate === null ? 'max' : `${String(c.rate).replace('+', '')}ps`;
  // A fault cell ends with its fault, '@' spelled '-at' (kill9@2500 -> kill9-at2500).
  const fault = c.fault ? [c.fault.replace(/@/g, '-at')] : [];
  // Shared producer connections add a part (p4c1.ch4); one connection per producer adds none, so ids
  // of runs made before the channels axis existed still match.
  const channels = channelsOf(c) > 1 ? [`ch${channelsOf(c)}`] : [];
  // Likewise deduplication: on adds `dedup`, off (and cells stored before the axis) nothing.
  const dedup = deduplicationOf(c) === 'on' ? ['dedup'] : [];
  return [c.client, c.durability, publishLabel(c.publish), consumeLabel(c.consume), c.queue, `${c.size}B`, `p${c.producers}c${c.consumers}`, ...channels, ...dedup, rate, ...fault]
    .join('.')
    .replace(/:/g, '-');
}

/** Every combination of axis values; the first axis varies slowest. Duplicate values collapse. */
export function expandMatrix(axes: Axes): Cell[] {
  const publish = unique(axes.publish.map(parsePublishMode), publishLabel);
  const consume = unique(axes.consume.map(parseConsumeMode), consumeLabel);
  const cells: Cell[] = [];
  for (const client of new Set(axes.client))
    for (const queue of new Set(axes.queue))
      for (const durability of new Set(axes.durability))
        for (const p of publish)
          for (const c of consume)
            for (const size of new Set(axes.size))
              for (const producers of new Set(axes.producers))
                for (const channels of new Set(axes.channels))
                  for (const deduplication of new Set(axes.deduplication))
                    for (const consumers of new Set(axes.consumers))
                      for (const r of new Set(axes.rate)) {
                        const cell = { client, durability, publish: p, consume: c, queue, size, producers, channels, deduplication, consumers, rate: r === 'unlimited' ? null : r };
                        cells.push({ id: cellId(cell), ...cell });
                      }
  return cells;
}

function unique<T extends PublishMode | ConsumeMode>(modes: T[], label: (m: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const m of modes) if (!seen.has(label(m))) seen.set(label(m), m);
  return [...seen.values()];
}
