// Turns a client's connection failure into one line a user can act on (exit code 3).

import { BrokerError } from '../errors.js';
import { maskCredentials } from './url.js';

export function describeConnectError(url: string, err: unknown): BrokerError {
  const masked = maskCredentials(url);
  const e = err as NodeJS.ErrnoException & { message?: string };
  const msg = String(e?.message ?? err);
  const code = e?.code ?? '';
  let why: string;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) why = 'connection refused (is RabbitMQ running? try `rabbitmq-server -detached` or `npm run broker:up`)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = `host not found (${code})`;
  else if (/ETIMEDOUT|timed? ?out/i.test(code + msg)) why = 'no answer within the connect timeout';
  else if (/ACCESS_REFUSED|403|authentication|PLAIN login refused/i.test(msg)) {
    const user = (() => { try { return decodeURIComponent(new URL(url).username) || 'guest'; } catch { return '?'; } })();
    why = `login refused for user '${user}' (wrong user name or password)`;
  } else if (/NOT_ALLOWED|vhost|530|Expected ConnectionOpenOk; got <ConnectionClose/i.test(msg)) {
    // amqplib reports a refused connection.open (unknown vhost, no permission) only as this.
    const vhost = (() => { try { return decodeURIComponent(new URL(url).pathname.slice(1)) || '/'; } catch { return '?'; } })();
    why = `virtual host '${vhost}' does not exist or the user may not use it`;
  } else if (/EPROTO|wrong version number|SSL|TLS|certificate/i.test(code + msg)) why = `TLS handshake failed (an amqps URL to a plain AMQP port?): ${msg.split('\n')[0]}`;
  else if (/ECONNRESET|socket hang up|closed/i.test(code + msg)) why = `the connection was closed during the handshake (${msg.split('\n')[0]})`;
  else why = msg.split('\n')[0];
  return new BrokerError(`broker ${masked}: ${maskCredentials(why)}`);
}
