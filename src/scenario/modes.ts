// Spelling of publish and consume modes (docs/architecture.md#spelling-of-modes): parse and print, one
// place; a publish mode's spelling, parameter and bound come from its traits (publish-traits.ts).

import { kindSpelling, PUBLISH_TRAITS, publishParameter, publishTraitsOf } from './publish-traits.js';
import type { ConsumeMode, PublishMode } from './types.js';

/** The default of each publish mode's parameter: batch 100, async 1000, tx 1. */
export const PUBLISH_DEFAULTS: Readonly<Record<string, number>> = Object.fromEntries(
  PUBLISH_TRAITS.flatMap((traits) => (traits.parameter ? [[traits.kind, traits.parameter.default]] : [])),
);
export const CONSUME_DEFAULT_PREFETCH = 100;

export const PUBLISH_SPELLING = PUBLISH_TRAITS.map(kindSpelling).join(', ');
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
  const traits = publishTraitsOf(kind);
  if (!traits) throw new ModeSpellingError(`unknown publish mode '${value}' (expected ${PUBLISH_SPELLING})`);
  const { parameter } = traits;
  if (!parameter) {
    if (arg !== undefined) throw new ModeSpellingError(`'${value}': ${kind} takes no argument`);
    return { kind } as PublishMode;
  }
  return { kind, [parameter.field]: arg === undefined ? parameter.default : positiveInt(arg, parameter.what, value) } as PublishMode;
}

export function publishLabel(mode: PublishMode): string {
  const parameter = publishParameter(mode);
  return parameter === null ? mode.kind : `${mode.kind}:${parameter}`;
}

/** How many messages may be unconfirmed at once in this mode (the size of the confirm tracker). */
export function maxOutstanding(mode: PublishMode): number {
  const { outstanding } = publishTraitsOf(mode.kind)!;
  return outstanding === 'parameter' ? publishParameter(mode)! : outstanding;
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
