// README's lists against the program: every command, every option of `run` and `faults`, and every
// scenario key is documented (a new user reads them there, not in --help).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TOP_LEVEL_KEYS } from '../../src/scenario/schema.js';
import { CLI, REPO } from '../helpers/cli.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The README's text from one heading to the next of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, heading);
  const level = heading.indexOf(' ');
  const next = readme.slice(start + heading.length + 2).search(new RegExp(`\\n#{1,${level}} `));
  return readme.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
}

/** Where each command's options are listed: run's under Running; faults takes those and its own. */
const OPTION_LISTS: Record<string, string> = {
  run: section('## Running').split('### Spelling of modes')[0],
  faults: section('## Running').split('### Spelling of modes')[0] + section('### Faults: the guarantees matrix'),
};

function help(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('README lists', () => {
  test('every command', () => {
    const commands = [...help().matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    assert.ok(commands.length >= 6, commands.join(' '));
    for (const c of commands) assert.ok(readme.includes(`ackbench ${c}`), `ackbench ${c}`);
  });

  for (const command of ['run', 'faults']) {
    test(`every option of ${command}, in its list`, () => {
      const options = [...help(command).matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).filter((o) => o !== '--help');
      assert.ok(options.length >= 15, options.join(' '));
      for (const o of options) assert.match(OPTION_LISTS[command], new RegExp(`(^|[\\s\`([])${o}(?![\\w-])`, 'm'), `${command} ${o}`);
    });
  }

  test('every top-level scenario key, in a YAML example', () => {
    for (const key of TOP_LEVEL_KEYS) assert.match(readme, new RegExp(`(^|[\\s(])${key}: `, 'm'), key);
  });
});
