// Broker URLs: the default, parsing with a clear error, and masking so a password is never shown.

import { UsageError } from '../errors.js';

export const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Replace the password of every amqp(s)/http(s) URL in `text` with `***`. */
export function maskCredentials(text: string): string {
  return text.replace(/\b((?:amqps?|https?):\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi, '$1:***@');
}

/** `source` names where the URL came from in the error line: --url, AMQP_URL, the scenario's url. */
export function parseBrokerUrl(url: string, source = '--url'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source}: not a URL: '${maskCredentials(url)}'`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new UsageError(`${source}: scheme must be amqp or amqps, got '${parsed.protocol.replace(/:$/, '')}'`);
  }
  if (!parsed.hostname) throw new UsageError(`${source}: no host in '${maskCredentials(url)}'`);
  return parsed;
}

/**
 * The broker URL of a run, in order of precedence: given (--url or the API's url), the scenario file's
 * url, $AMQP_URL, DEFAULT_URL; checked, with an error line that names the one that was taken.
 */
export function resolveBrokerUrl(given: string | undefined | null, scenarioUrl: string | undefined | null): string {
  const env = process.env.AMQP_URL;
  // An empty --url or url: is a mistake to name, not a reason to fall back to the next source.
  const [url, source] = given != null ? [given, '--url'] : scenarioUrl != null ? [scenarioUrl, 'scenario url'] : env ? [env, 'AMQP_URL'] : [DEFAULT_URL, 'default URL'];
  parseBrokerUrl(url, source);
  return url;
}
