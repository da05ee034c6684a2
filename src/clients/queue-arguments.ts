// Queue declaration arguments per queue type, shared by every client so all declare the same queue.

import type { QueueType } from '../scenario/types.js';

export function queueArguments(type: QueueType): Record<string, unknown> {
  return { 'x-queue-type': type };
}
