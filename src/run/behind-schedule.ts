// A paced --duration cell whose producers were behind schedule at the deadline: they stop there, so
// the messages due last (the latest, the ones that would have waited longest) were never sent and
// are missing from the latency figures. Counted here, from the producers' reports, and shown.

import type { BehindSchedule } from './result.js';
import type { ProducerReport } from './worker-protocol.js';

/** Due before the deadline and never sent, over these producers; undefined for a cell without a deadline and rate. */
export function behindSchedule(producers: ReadonlyArray<Pick<ProducerReport, 'sent' | 'dueByDeadline'>>): BehindSchedule | undefined {
  const paced = producers.filter((p) => typeof p.dueByDeadline === 'number');
  if (paced.length === 0) return undefined;
  let due = 0;
  let unsent = 0;
  for (const p of paced) {
    due += p.dueByDeadline!;
    unsent += Math.max(0, p.dueByDeadline! - p.sent);
  }
  return { due, unsent };
}

/** One line for the terminal, or null when nothing due went unsent. */
export function behindScheduleNote(cellId: string, repetition: number, b: BehindSchedule | undefined): string | null {
  if (!b || b.unsent === 0) return null;
  return `${cellId} r${repetition}: behind schedule at the deadline: ${b.unsent.toLocaleString('en-US')} of ${b.due.toLocaleString('en-US')} messages due were not sent; latency figures leave out these latest ones`;
}

/** Shards of one repetition (ackbench merge): their counts added; undefined when none has one. */
export function sumBehindSchedule(parts: ReadonlyArray<BehindSchedule | undefined>): BehindSchedule | undefined {
  const present = parts.filter((p): p is BehindSchedule => p !== undefined);
  if (present.length === 0) return undefined;
  return { due: present.reduce((n, p) => n + p.due, 0), unsent: present.reduce((n, p) => n + p.unsent, 0) };
}
