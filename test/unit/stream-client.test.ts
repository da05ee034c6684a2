// The stream client's rules that need no broker: where it looks for the stream port (the AMQP URL's
// port - 120, or ACKBENCH_STREAM_PORT), how a prefetch becomes chunk credits, and which cells it
// refuses, with the reason, through clientUnsupportedReason (src/clients/registry.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientUnsupportedReason } from '../../src/clients/registry.js';
import { creditsFor } from '../../src/clients/stream.js';
import { streamEndpoint } from '../../src/clients/stream-port.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import type { ClientName, Deduplication } from '../../src/scenario/types.js';

function streamCell(queue: 'classic' | 'quorum' | 'stream', publish: string, client: ClientName = 'stream', deduplication: Deduplication = 'off') {
  const [cell] = expandMatrix({ client: [client], durability: ['persistent'], publish: [publish], consume: ['manual:100'], queue: [queue], size: [64], producers: [1], channels: [1], deduplication: [deduplication], consumers: [1], rate: ['unlimited'] });
  return cell;
}

describe('stream client', () => {
  test('the stream port: AMQP port - 120 (5672 -> 5552, amqps 5671 -> 5551, private nodes alike), ACKBENCH_STREAM_PORT overrides', () => {
    assert.deepEqual(streamEndpoint('amqp://guest:guest@127.0.0.1:5672', {}), { host: '127.0.0.1', port: 5552, tls: false });
    assert.deepEqual(streamEndpoint('amqp://guest:guest@127.0.0.1', {}), { host: '127.0.0.1', port: 5552, tls: false });
    assert.deepEqual(streamEndpoint('amqps://u:p@127.0.0.1/', {}), { host: '127.0.0.1', port: 5551, tls: true });
    assert.equal(streamEndpoint('amqp://127.0.0.1:41234', {}).port, 41114);
    assert.equal(streamEndpoint('amqp://127.0.0.1:5672', { ACKBENCH_STREAM_PORT: '6000' }).port, 6000);
    assert.throws(() => streamEndpoint('amqp://127.0.0.1:5672', { ACKBENCH_STREAM_PORT: 'x' }), /^Error: ACKBENCH_STREAM_PORT: 'x' is not a port \(1 to 65535\)$/);
    assert.throws(() => streamEndpoint('amqp://127.0.0.1:100', {}), /set ACKBENCH_STREAM_PORT/);
  });

  test('credits count chunks of up to 100 messages: ceil(prefetch / 100), at least 1; 0 (unlimited) is the most the protocol holds', () => {
    assert.deepEqual([1, 100, 101, 1000, 0].map(creditsFor), [1, 1, 2, 10, 65535]);
  });

  test('refused: other queue types, tx, and the faults rabbitmqctl cannot aim at stream connections', () => {
    assert.equal(clientUnsupportedReason(streamCell('stream', 'async:100')), null);
    assert.match(clientUnsupportedReason(streamCell('classic', 'single'))!, /stream queues only, not classic queues/);
    assert.match(clientUnsupportedReason(streamCell('quorum', 'single'))!, /stream queues only, not quorum queues/);
    assert.match(clientUnsupportedReason(streamCell('stream', 'tx:1'))!, /no transactions/);
    for (const fault of ['kill-consumer@100', 'close-connections@1.5s:continue']) {
      assert.match(clientUnsupportedReason({ ...streamCell('stream', 'single'), fault })!, /rabbitmqctl/);
    }
    for (const fault of ['kill9@100', 'restart@1s:continue']) assert.equal(clientUnsupportedReason({ ...streamCell('stream', 'single'), fault }), null);
  });

  test('deduplication on: the stream client runs it; every other client refuses it, saying the feature is the stream protocol\'s', () => {
    for (const publish of ['none', 'single', 'async:100']) assert.equal(clientUnsupportedReason(streamCell('stream', publish, 'stream', 'on')), null, publish);
    assert.match(clientUnsupportedReason(streamCell('stream', 'tx:1', 'stream', 'on'))!, /no transactions/);
    const others: [ClientName, RegExp][] = [
      ['amqplib', /^deduplication is a stream-protocol publisher feature \(a named publisher\); amqplib \(AMQP 0-9-1\) has none$/],
      ['rabbitmq-client', /rabbitmq-client \(AMQP 0-9-1\) has none$/],
      ['rhea', /rhea \(AMQP 1\.0\) has none$/],
    ];
    for (const [client, reason] of others) {
      for (const queue of ['classic', 'stream'] as const) {
        assert.match(clientUnsupportedReason(streamCell(queue, 'async:100', client, 'on')) ?? 'ran', reason, `${client} ${queue}`);
        assert.equal(clientUnsupportedReason(streamCell(queue, 'async:100', client, 'off')), null, `${client} ${queue} off`);
      }
    }
    // A cell stored before the axis (no field) is off.
    const { deduplication: _d, ...stored } = streamCell('classic', 'single', 'amqplib', 'on');
    assert.equal(clientUnsupportedReason(stored), null);
  });
});
