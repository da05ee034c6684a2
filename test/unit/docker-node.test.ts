// The command line `--broker docker` starts its container with (dockerRunArgs, src/broker/docker-node.ts),
// with no engine: AMQP and the stream listener published on loopback only, the stream port where the
// stream client looks for it (the AMQP port - 120, src/clients/stream-port.ts) and advertised as
// exactly that host and port, the plugins the rhea and stream clients need, and never --rm (a killed
// container must be startable again). test/integration/faults-docker.test.ts runs it against the
// docker double.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dockerPlugins, dockerRunArgs } from '../../src/broker/docker-node.js';
import { streamEndpoint } from '../../src/clients/stream-port.js';

/** The values of every `flag VALUE` pair in args, in order. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
}

/** The --env settings of args, as a map. */
function envOf(args: string[]): Map<string, string> {
  return new Map(valuesOf(args, '--env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('docker run of a container node', () => {
  test('AMQP and the stream listener on loopback, the stream port the AMQP port - 120, advertised as 127.0.0.1 and that port', () => {
    const args = dockerRunArgs('ackbench-7-1', 'rabbitmq:4.1', 41234, 41114);
    assert.deepEqual(args.slice(0, 6), ['run', '--detach', '--name', 'ackbench-7-1', '--hostname', 'ackbench-7-1']);
    assert.equal(args.at(-1), 'rabbitmq:4.1', 'the image last: everything before it is an option of docker run');
    assert.ok(!args.includes('--rm'), 'not --rm: a killed container must be startable again');
    assert.deepEqual(valuesOf(args, '--publish'), ['127.0.0.1:41234:5672', '127.0.0.1:41114:5552']);
    // The stream client finds the published stream port from the URL alone.
    assert.equal(streamEndpoint('amqp://guest:guest@127.0.0.1:41234', {}).port, 41114);
    const env = envOf(args);
    // What stream.advertised_host / stream.advertised_port set, as application parameters on the VM's
    // command line; the host an Erlang string (quoted), the port an integer.
    assert.equal(env.get('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS'), '-rabbitmq_stream advertised_host "127.0.0.1" advertised_port 41114');
    assert.deepEqual(env.get('RABBITMQ_ENABLED_PLUGINS')?.split(','), ['rabbitmq_prometheus', 'rabbitmq_amqp1_0', 'rabbitmq_stream']);
    assert.equal(env.size, 2);
  });

  test('without a stream port: AMQP only, nothing advertised, no rabbitmq_stream; rabbitmq_amqp1_0 still enabled', () => {
    const args = dockerRunArgs('ackbench-7-2', 'rabbitmq:3.13', 5999, null);
    assert.deepEqual(valuesOf(args, '--publish'), ['127.0.0.1:5999:5672']);
    const env = envOf(args);
    assert.equal(env.has('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS'), false);
    assert.equal(env.get('RABBITMQ_ENABLED_PLUGINS'), 'rabbitmq_prometheus,rabbitmq_amqp1_0');
    assert.deepEqual(dockerPlugins(false), ['rabbitmq_prometheus', 'rabbitmq_amqp1_0']);
  });
});
