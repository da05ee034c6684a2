// `--broker auto` picks the first broker available, in the order of docs/architecture.md#brokers-ackbench-owns: the default URL, a private
// node from an installed rabbitmq-server, a docker container; probes after the one that answered are
// not asked (a `docker info` costs up to 5 s).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseAutoBroker, provisionBroker, type AutoProbes } from '../../src/broker/provision.js';

/** Probes with fixed answers that record which were asked. */
function probes(urlAnswers: boolean, installed: boolean, docker: boolean): { probes: AutoProbes; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    probes: {
      defaultUrlAnswers: async () => (asked.push('url'), urlAnswers),
      rabbitmqServerInstalled: () => (asked.push('local'), installed),
      dockerAnswers: async () => (asked.push('docker'), docker),
    },
  };
}

test('auto: the default URL first, then a private node, then docker, else none', async () => {
  const cases: [boolean, boolean, boolean, string | null, string[]][] = [
    [true, true, true, 'url', ['url']],
    [false, true, true, 'local', ['url', 'local']],
    [false, false, true, 'docker', ['url', 'local', 'docker']],
    [false, false, false, null, ['url', 'local', 'docker']],
  ];
  for (const [url, installed, docker, picked, asked] of cases) {
    const p = probes(url, installed, docker);
    assert.equal(await chooseAutoBroker(p.probes), picked, `url ${url}, installed ${installed}, docker ${docker}`);
    assert.deepEqual(p.asked, asked);
  }
});

test('auto with nothing available: one line that names what was tried and how to get a broker', async () => {
  const p = probes(false, false, false);
  await assert.rejects(provisionBroker('auto', undefined, undefined, p.probes), (err: Error) => {
    assert.equal(err.message.split('\n').length, 1);
    assert.match(err.message, /^no broker: nothing answers at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672 within 2 s, rabbitmq-server is not installed and no docker engine answers/);
    assert.match(err.message, /apt-get install rabbitmq-server/);
    assert.match(err.message, /--url/);
    return true;
  });
});

test('auto with a given URL asks no probe', async () => {
  const p = probes(false, false, false);
  const b = await provisionBroker('auto', 'amqp://u:p@127.0.0.1:5999', undefined, p.probes);
  assert.deepEqual([b.kind, b.url], ['url', 'amqp://u:p@127.0.0.1:5999']);
  assert.deepEqual(p.asked, []);
});
