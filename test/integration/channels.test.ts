// Producer channels per connection (the channels axis): producers share connections, a channel each,
// and every message and latency value is still counted once. Checked on the broker's side with
// rabbitmqctl, on a private node so that no other test's connections are in the listing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startLocalNode, type LocalNode } from '../../src/broker/local-node.js';
import { decodeHistogram } from '../../src/measure/histogram.js';
import { runCellRepetition } from '../../src/run/cell-runner.js';
import type { Progress } from '../../src/run/open-window.js';
import { DEFAULT_AXES, expandMatrix } from '../../src/scenario/matrix.js';
import { CLIENTS } from '../../src/scenario/types.js';

describe('producers sharing connections (channels per connection)', { concurrency: false }, () => {
  let node: LocalNode;
  before(async () => {
    node = await startLocalNode();
  });
  after(async () => {
    await node?.destroy();
  });

  for (const client of CLIENTS) {
    test(`${client}: 4 producers, 2 channels per connection: 2 producer connections of 2 channels; 4x the messages, none lost, each latency counted once`, { timeout: 60_000 }, async () => {
      // The stream protocol reaches stream queues only, and rabbitmqctl's list_connections does not
      // show its connections; AMQP 1.0 connections it shows, but with 0 channels (3.10 does not count
      // sessions there), so for rhea only the number of producer connections is checked.
      const [cell] = expandMatrix({ ...DEFAULT_AXES, client: [client], queue: [client === 'stream' ? 'stream' : 'classic'], producers: [4], channels: [2], consumers: [1], rate: [200] });
      const listed = client !== 'stream';
      // Paced (200/s per producer for 2000 messages: 10 s), so the connections are listed mid-run even
      // when rabbitmqctl takes seconds to start.
      const listing: { connections: Promise<string> | null } = { connections: null };
      const onProgress = (p: Progress) => {
        if (listed && !listing.connections && p.sent > 800) listing.connections = node.ctl(['list_connections', '--quiet', '--no-table-headers', 'channels', 'client_properties'], 20_000);
      };
      const r = await runCellRepetition(cell, 1, {
        url: node.url,
        runId: `channels-test-${process.pid}`,
        window: { messages: 2000, durationSeconds: null, warmupMessages: 50, repetitions: 1, cellTimeoutSeconds: 50, drainSeconds: 3 },
        onProgress,
      });
      assert.equal(r.status, 'ok', r.reason);
      if (listed) {
        assert.ok(listing.connections, 'the connections were listed mid-run');
        const producerConnections = (await listing.connections)
          .split('\n')
          .filter((line) => line.includes(`ackbench ${cell.id} producer`))
          .map((line) => Number(line.trim().split('\t')[0]));
        if (client === 'rhea') assert.equal(producerConnections.length, 2, 'two producer connections');
        else assert.deepEqual(producerConnections, [2, 2], 'two producer connections, two channels each');
      }
      assert.equal(r.counts.sent, 8000);
      assert.equal(r.counts.confirmed, 8000);
      assert.equal(r.counts.received, 8000);
      assert.equal(r.counts.lost, 0);
      assert.equal(r.counts.duplicates, 0);
      // Producers sharing a worker record into one histogram; merged, it holds each confirm once.
      assert.equal(decodeHistogram(r.histograms.publish!).totalCount, 8000);
      assert.equal(decodeHistogram(r.histograms.e2e!).totalCount, 8000);
    });
  }
});
