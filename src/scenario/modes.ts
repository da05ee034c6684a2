// Spelling of publish and consume modes (docs/architecture.md#spelling-of-modes): parse and print, one place.

import type { ConsumeMode, PublishMode } from './types.js';

export const PUBLISH_DEFAULTS = { batch: 100, async: 1000, tx: 1 } as const;
export const CONSUME_DEFAULT_PREFETCH = 100;

export const PUBLISH_SPELLING = 'none, single, batch:N, async:W, tx:N';
export const CONSUME_SPELLING = 'manual[:PREFETCH[:MULTIACK]] or auto[:PREFETCH]';

/** Thrown for a value that is not a valid spelling; the message says what was expected. */
export class ModeSpellingError extends Error {}

function positiveInt(text: string, what: string, value: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new ModeSpellingError(`'${value}': ${what} must be a whole number of at least 1, got '${text}'`);
  }
  return Number(text);
}

export function parsePublishMode(value: string): PublishMode {
  const [kind, arg, extra] = value.trim().split(':');
  if (extra !== undefined) throw new ModeSpellingError(`'${value}': too many ':' parts (expected ${PUBLISH_SPELLING})`);
  switch (kind) {
    case 'none':
    case 'single':
      if (arg !== undefined) throw new ModeSpellingError(`'${value}': ${kind} takes no argument`);
      return { kind };
    case 'batch':
      return { kind, size: arg === undefined ? PUBLISH_DEFAULTS.batch : positiveInt(arg, 'batch size', value) };
    case 'async':
      return { kind, window: arg === undefined ? PUBLISH_DEFAULTS.async : positiveInt(arg, 'window', value) };
    case 'tx':
      return { kind, size: arg === undefined ? PUBLISH_DEFAULTS.tx : positiveInt(arg, 'commit size', value) };
    default:
      throw new ModeSpellingError(`unknown publish mode '${value}' (expected ${PUBLISH_SPELLING})`);
  }
}

export function publishLabel(mode: PublishMode): string {
  switch (mode.kind) {
    case 'none':
    case 'single':
      return mode.kind;
    case 'batch':
    case 'tx':
      return `${mode.kind}:${mode.size}`;
    case 'async':
      return `async:${mode.window}`;
  }
}

/** How many messages may be unconfirmed at once in this mode (the size of the confirm tracker). */
export function maxOutstanding(mode: PublishMode): number {
  switch (mode.kind) {
    case 'none':
      return 0;
    case 'single':
      return 1;
    case 'batch':
    case 'tx':
      return mode.size;
    case 'async':
      return mode.window;
  }
}

export function parseConsumeMode(value: string): ConsumeMode {
  const [ack, prefetchText, multiText, extra] = value.trim().split(':');
  if (extra !== undefined) throw new ModeSpellingError(`'${value}': too many ':' parts (expected ${CONSUME_SPELLING})`);
  if (ack === 'manual') {
    const prefetch = prefetchText === undefined ? CONSUME_DEFAULT_PREFETCH : positiveInt(prefetchText, 'prefetch', value);
    const multiAck = multiText === undefined ? 1 : positiveInt(multiText, 'multi-ack count', value);
    if (multiAck > prefetch) {
      throw new ModeSpellingError(`'${value}': multi-ack count ${multiAck} exceeds prefetch ${prefetch}; the consumer would stall`);
    }
    return { ack, prefetch, multiAck };
  }
  if (ack === 'auto') {
    if (multiText !== undefined) throw new ModeSpellingError(`'${value}': auto-ack takes no multi-ack count`);
    const prefetch = prefetchText === undefined ? 0 : positiveInt(prefetchText, 'prefetch', value);
    return { ack, prefetch };
  }
  throw new ModeSpellingError(`unknown consume mode '${value}' (expected ${CONSUME_SPELLING})`);
}

export function consumeLabel(mode: ConsumeMode): string {
  if (mode.ack === 'auto') return mode.prefetch ? `auto:${mode.prefetch}` : 'auto';
  return `manual:${mode.prefetch}:${mode.multiAck}`;
}
