// A broker that blocks publishers (memory alarm, connection.blocked) must not hang a run: the cell
// ends at its timeout, is recorded as failed and says the broker was blocking publishers.
// Runs on a private node, so the system broker's alarms are never touched.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startLocalNode, type LocalNode } from '../../src/broker/local-node.js';
import type { RunFile } from '../../src/run/result.js';
import { runCli, tempDir } from '../helpers/cli.js';

let node: LocalNode | null = null;
after(async () => {
  await node?.destroy();
});

test('publishers blocked by a memory alarm: the cell fails at its timeout with the reason, nothing hangs', { timeout: 120_000 }, async () => {
  node = await startLocalNode();
  // A watermark this low raises the memory alarm at once: every publishing connection is blocked.
  await node.ctl(['set_vm_memory_high_watermark', '0.000001']);
  const dir = tempDir();
  const scenario = join(dir, 'blocked.yaml');
  writeFileSync(scenario, 'timeout: 8\nwarmup: 0\nmessages: 2000\n');
  const r = await runCli(['run', scenario, '--url', node.url, '--out', join(dir, 'out'), '--no-report'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  const run: RunFile = JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8'));
  assert.equal(run.complete, true);
  const [cell] = run.cells;
  assert.equal(cell.status, 'failed');
  assert.match(cell.reason!, /timed out after 8 s while .*blocking publishers \(connection\.blocked/);
  assert.ok(r.ms < 40_000, `took ${r.ms} ms`);
});
