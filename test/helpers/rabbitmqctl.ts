// rabbitmqctl against the system node, with argument arrays (never a shell).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/** Close the broker connections whose client-given name contains `fragment`; returns how many. */
export async function closeConnectionsNamed(fragment: string, reason = 'closed by test'): Promise<number> {
  const listing = await rabbitmqctl('list_connections', 'pid', 'client_properties');
  let closed = 0;
  for (const line of listing.split('\n')) {
    const pid = line.match(/^(<[^>]+>)/)?.[1];
    const name = line.match(/"connection_name","([^"]*)"/)?.[1];
    if (pid && name?.includes(fragment)) {
      await rabbitmqctl('close_connection', pid, reason).catch(() => undefined);
      closed++;
    }
  }
  return closed;
}
