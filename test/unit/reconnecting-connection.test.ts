// ReconnectingConnection: the connection a worker's producers share is replaced once when it dies,
// with backoff, however many of them saw it die; and reconnecting gives up after its time.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AmqpConnection } from '../../src/clients/adapter.js';
import { connectionGroups } from '../../src/run/cell-worker.js';
import { ReconnectingConnection } from '../../src/run/reconnecting-connection.js';

function fakeConnection(name: string, closed: string[]): AmqpConnection {
  return {
    server: { product: 'fake', version: '0', platform: null, clusterName: null },
    openChannel: () => Promise.reject(new Error('not used')),
    onClose: () => undefined,
    onBlocked: () => undefined,
    close: async () => {
      closed.push(name);
    },
  };
}

const policy = { forMs: 2000, minDelayMs: 5, maxDelayMs: 20 };

describe('ReconnectingConnection', () => {
  test('clients that saw the same connection die share one new connection; the dead one is closed once', async () => {
    const closed: string[] = [];
    let attempts = 0;
    const shared = await ReconnectingConnection.open(async () => {
      attempts++;
      // The first connect succeeds; after the fault the broker refuses twice before it is back.
      if (attempts === 2 || attempts === 3) throw new Error('ECONNREFUSED');
      return fakeConnection(`c${attempts}`, closed);
    });
    const first = shared.current;
    const [a, b, c] = await Promise.all([shared.replace(first, policy), shared.replace(first, policy), shared.replace(first, policy)]);
    assert.ok(a && a === b && b === c, 'one replacement for all three');
    assert.equal(a, shared.current);
    assert.equal(attempts, 4, 'one connect, two refusals, one success');
    assert.deepEqual(closed, ['c1']);
    // A client reporting the old connection late gets the current one, without a new attempt.
    assert.equal(await shared.replace(first, policy), a);
    assert.equal(attempts, 4);
  });

  test('gives up after forMs, and then answers null at once', async () => {
    let attempts = 0;
    const shared = await ReconnectingConnection.open(async () => {
      if (attempts++ > 0) throw new Error('ECONNREFUSED');
      return fakeConnection('c', []);
    });
    const started = Date.now();
    assert.equal(await shared.replace(shared.current, { ...policy, forMs: 150 }), null);
    assert.ok(Date.now() - started < 1500, 'bounded by forMs (plus one backoff)');
    assert.ok(attempts > 2, 'it tried more than once');
    const tried = attempts;
    assert.equal(await shared.replace(shared.current, policy), null);
    assert.equal(attempts, tried);
  });

  test('an aborted signal stops reconnecting', async () => {
    let attempts = 0;
    const shared = await ReconnectingConnection.open(async () => {
      if (attempts++ > 0) throw new Error('ECONNREFUSED');
      return fakeConnection('c', []);
    });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    assert.equal(await shared.replace(shared.current, { ...policy, forMs: 60_000, signal: stop.signal }), null);
  });
});

describe('connectionGroups', () => {
  test('producer ids in runs of the channels per connection, the last run shorter', () => {
    assert.deepEqual(connectionGroups([0, 1, 2, 3, 4], 2), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(connectionGroups([0, 1, 2], 1), [[0], [1], [2]]);
    assert.deepEqual(connectionGroups([4, 5, 6, 7], 8), [[4, 5, 6, 7]]);
  });
});
