// Broker URLs: the default, parsing with a clear error, and masking so a password is never shown.

import { UsageError } from '../errors.js';

export const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Replace the password of every amqp(s)/http(s) URL in `text` with `***`. */
export function maskCredentials(text: string): string {
  return text.replace(/\b((?:amqps?|https?):\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi, '$1:***@');
}

export function parseBrokerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: '${maskCredentials(url)}'`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new UsageError(`--url: scheme must be amqp or amqps, got '${parsed.protocol.replace(/:$/, '')}'`);
  }
  if (!parsed.hostname) throw new UsageError(`--url: no host in '${maskCredentials(url)}'`);
  return parsed;
}
