// A docker CLI test double: THE ENGINE IS SIMULATED, THE BROKER IS REAL. There is no docker engine on
// the test machine; test/helpers/docker-bin/docker (a shell shim that runs this file) is put first on
// PATH, and implements just the docker subcommands ackbench's container node calls:
//   info [--format F] | run --detach --name N --hostname H --publish 127.0.0.1:P:5672
//   [--publish 127.0.0.1:S:5552] [--env K=V]... IMAGE |
//   inspect --format F N | kill --signal KILL N | stop N | start N | exec N rabbitmqctl ARGS... |
//   logs --tail K N | rm [--force] [--volumes] N
// Behind each "container" a small long-lived Node process (this file, `__serve N P`, started by `run`)
// owns a real private RabbitMQ node (startLocalNode with amqpPort P, its dir under the double's dir)
// and serves the other subcommands over a unix socket: kill = LocalNode.kill9, stop = a graceful stop,
// start = LocalNode.start on the same data, exec = LocalNode.ctl, rm = destroy, then it exits.
// The private node keeps its own ports' rule: its stream listener is at P - 120, advertised as
// 127.0.0.1 and that port, and it enables rabbitmq_amqp1_0 and rabbitmq_stream. So `run` accepts a
// container only when it would look the same from the host: RABBITMQ_ENABLED_PLUGINS naming
// rabbitmq_amqp1_0, and with a stream port S: S = P - 120, rabbitmq_stream enabled too, and
// RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS advertising exactly 127.0.0.1 and S (a real container given less
// would leave the rhea or stream client unanswered, or send it elsewhere).
//
// Environment: DOCKER_DOUBLE_DIR (required) holds commands.log (one JSON argv per invocation, for the
// test to check the sequence), containers/N.sock|.log and nodes/ (the private nodes' dirs);
// DOCKER_DOUBLE_NO_ENGINE=1 makes every command fail as without a daemon. A container's server gives
// up (removes its node, exits) after DOCKER_DOUBLE_MAX_SECONDS (default 300), should a test not remove it.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, rmSync, closeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { portAnswers, startLocalNode, type LocalNode } from '../../src/broker/local-node.js';

interface Request {
  op: 'inspect' | 'kill' | 'stop' | 'start' | 'exec' | 'logs' | 'rm';
  format?: string;
  signal?: string;
  args?: string[];
  tail?: number;
  force?: boolean;
}

interface Reply {
  code: number;
  stdout: string;
  stderr: string;
}

const NO_DAEMON = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function stateDir(): string {
  const dir = process.env.DOCKER_DOUBLE_DIR;
  if (!dir) {
    process.stderr.write('docker double: DOCKER_DOUBLE_DIR is not set\n');
    process.exit(125);
  }
  return dir;
}

const socketOf = (dir: string, name: string) => join(dir, 'containers', `${name}.sock`);

// ---- the short-lived CLI -------------------------------------------------------------------------

/**
 * Splits `docker CMD` arguments into flags (name -> value, or true), the values of flags that may be
 * repeated (name -> values, in order), and the rest, for the flags we know.
 */
function parseFlags(args: string[], valued: string[], booleans: string[], repeated: string[] = []): { flags: Map<string, string | true>; lists: Map<string, string[]>; rest: string[] } {
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-')) break;
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (booleans.includes(name)) flags.set(name, true);
    else if (valued.includes(name)) flags.set(name, inline ?? args[++i]);
    else if (repeated.includes(name)) lists.set(name, [...(lists.get(name) ?? []), inline ?? args[++i]]);
    else throw new Error(`unknown flag: ${name}`);
  }
  return { flags, lists, rest: args.slice(i) };
}

const flag = (flags: Map<string, string | true>, ...names: string[]) => names.map((n) => flags.get(n)).find((v) => v !== undefined);

function ask(dir: string, name: string, request: Request): Promise<Reply> {
  return new Promise((resolve) => {
    const path = socketOf(dir, name);
    if (!existsSync(path)) return resolve({ code: 1, stdout: '', stderr: `Error response from daemon: No such container: ${name}\n` });
    const s = net.connect(path);
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (data += d));
    s.on('error', () => resolve({ code: 1, stdout: '', stderr: `Error response from daemon: No such container: ${name}\n` }));
    s.on('end', () => {
      try {
        resolve(JSON.parse(data) as Reply);
      } catch {
        resolve({ code: 1, stdout: '', stderr: `docker double: bad reply from ${name}: ${data}\n` });
      }
    });
    s.end(`${JSON.stringify(request)}\n`);
  });
}

const refused = (why: string): Reply => ({ code: 125, stdout: '', stderr: `docker double: ${why}\n` });

/**
 * What `run`'s --publish and --env must say for the double's node to look, from the host, like the
 * container they describe (see the header): null if they do, else why not.
 */
function unlike(port: number, publishes: string[], env: Map<string, string>): string | null {
  const stream = publishes.filter((p) => p.endsWith(':5552'));
  if (publishes.length !== 1 + stream.length) return `only 5672 and 5552 are published, got ${publishes.join(' ')}`;
  const plugins = (env.get('RABBITMQ_ENABLED_PLUGINS') ?? '').split(',');
  if (!plugins.includes('rabbitmq_amqp1_0')) return `RABBITMQ_ENABLED_PLUGINS must name rabbitmq_amqp1_0 (the node runs it), got '${env.get('RABBITMQ_ENABLED_PLUGINS') ?? ''}'`;
  if (stream.length === 0) return null;
  const s = /^127\.0\.0\.1:(\d+):5552$/.exec(stream[0]);
  if (stream.length > 1 || !s || Number(s[1]) !== port - 120) return `the node's stream listener is at ${port - 120} (the AMQP port - 120): expected --publish 127.0.0.1:${port - 120}:5552, got ${stream.join(' ')}`;
  if (!plugins.includes('rabbitmq_stream')) return 'a published stream port needs rabbitmq_stream in RABBITMQ_ENABLED_PLUGINS';
  const advertised = `-rabbitmq_stream advertised_host "127.0.0.1" advertised_port ${s[1]}`;
  if (env.get('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS') !== advertised) return `the node advertises its stream listener as 127.0.0.1:${s[1]}: expected RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=${advertised}, got ${env.get('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS') ?? 'none'}`;
  return null;
}

async function run(dir: string, args: string[]): Promise<Reply> {
  const { flags, lists, rest } = parseFlags(args, ['--name', '--hostname', '-h'], ['--detach', '-d', '--rm'], ['--publish', '-p', '--env', '-e']);
  const name = flag(flags, '--name');
  const publishes = [...(lists.get('--publish') ?? []), ...(lists.get('-p') ?? [])];
  const env = new Map([...(lists.get('--env') ?? []), ...(lists.get('-e') ?? [])].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (typeof name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return refused('run needs --name NAME');
  if (flag(flags, '--detach', '-d') !== true) return refused('only run --detach is simulated');
  // The double only publishes on loopback: a test sending traffic elsewhere fails here.
  const amqp = publishes.map((p) => /^127\.0\.0\.1:(\d+):5672$/.exec(p)).find((m) => m !== null);
  if (!amqp) return refused(`expected --publish 127.0.0.1:PORT:5672, got ${publishes.join(' ') || 'none'}`);
  const port = Number(amqp[1]);
  const why = unlike(port, publishes, env);
  if (why) return refused(why);
  if (rest.length === 0) return refused('run needs an IMAGE');
  if (existsSync(socketOf(dir, name))) return { code: 125, stdout: '', stderr: `docker: Error response from daemon: Conflict. The container name "/${name}" is already in use.\n` };
  if (await portAnswers(port, 500)) return { code: 125, stdout: '', stderr: `docker: Error response from daemon: Bind for 127.0.0.1:${port} failed: port is already allocated.\n` };
  mkdirSync(join(dir, 'containers'), { recursive: true });
  const log = openSync(join(dir, 'containers', `${name}.log`), 'a');
  // --rm is accepted and ignored: the container stays until `docker rm` (the test checks ackbench never asks for --rm).
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '__serve', name, String(port)], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  child.unref();
  // `docker run --detach` returns once the container runs: here, once its server listens.
  const until = Date.now() + 15_000;
  while (!existsSync(socketOf(dir, name))) {
    if (Date.now() > until || child.exitCode !== null) return { code: 125, stdout: '', stderr: `docker double: container ${name} did not come up\n` };
    await sleep(50);
  }
  return { code: 0, stdout: `${randomBytes(32).toString('hex')}\n`, stderr: '' };
}

async function cli(argv: string[]): Promise<Reply> {
  const dir = stateDir();
  appendFileSync(join(dir, 'commands.log'), `${JSON.stringify(argv)}\n`);
  if (process.env.DOCKER_DOUBLE_NO_ENGINE === '1') return { code: 1, stdout: '', stderr: `${NO_DAEMON}\n` };
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'info': {
        const { flags } = parseFlags(args, ['--format', '-f'], []);
        return { code: 0, stdout: flag(flags, '--format', '-f') ? '27.0.0-double\n' : 'Server Version: 27.0.0-double\n', stderr: '' };
      }
      case 'run':
        return await run(dir, args);
      case 'inspect': {
        const { flags, rest } = parseFlags(args, ['--format', '-f'], []);
        const format = flag(flags, '--format', '-f');
        if (typeof format !== 'string' || rest.length !== 1) return { code: 125, stdout: '', stderr: 'docker double: only inspect --format F NAME is simulated\n' };
        const r = await ask(dir, rest[0], { op: 'inspect', format });
        return r.code === 0 || !/No such container/.test(r.stderr) ? r : { code: 1, stdout: '', stderr: `Error: No such object: ${rest[0]}\n` };
      }
      case 'kill': {
        const { flags, rest } = parseFlags(args, ['--signal', '-s'], []);
        if (rest.length !== 1) return { code: 125, stdout: '', stderr: 'docker double: kill takes one NAME\n' };
        return await ask(dir, rest[0], { op: 'kill', signal: String(flag(flags, '--signal', '-s') ?? 'KILL') });
      }
      case 'stop':
      case 'start': {
        const { rest } = parseFlags(args, ['--time', '-t'], []);
        if (rest.length !== 1) return { code: 125, stdout: '', stderr: `docker double: ${command} takes one NAME\n` };
        return await ask(dir, rest[0], { op: command });
      }
      case 'exec': {
        const { rest } = parseFlags(args, [], []);
        if (rest.length < 2) return { code: 125, stdout: '', stderr: 'docker double: exec NAME COMMAND...\n' };
        return await ask(dir, rest[0], { op: 'exec', args: rest.slice(1) });
      }
      case 'logs': {
        const { flags, rest } = parseFlags(args, ['--tail', '-n'], []);
        return await ask(dir, rest[0], { op: 'logs', tail: Number(flag(flags, '--tail', '-n') ?? 100) });
      }
      case 'rm': {
        const { flags, rest } = parseFlags(args, [], ['--force', '-f', '--volumes', '-v']);
        if (rest.length !== 1) return { code: 125, stdout: '', stderr: 'docker double: rm takes one NAME\n' };
        return await ask(dir, rest[0], { op: 'rm', force: flag(flags, '--force', '-f') === true });
      }
      default:
        return { code: 125, stdout: '', stderr: `docker double: '${command}' is not simulated\n` };
    }
  } catch (err) {
    return { code: 125, stdout: '', stderr: `docker double: ${(err as Error).message}\n` };
  }
}

// ---- the container's server ----------------------------------------------------------------------

async function serve(name: string, port: number): Promise<void> {
  const dir = stateDir();
  const nodesDir = join(dir, 'nodes');
  mkdirSync(nodesDir, { recursive: true, mode: 0o755 });
  const path = socketOf(dir, name);
  let running = true;
  let node: LocalNode | null = null;
  // The container's main process boots: requests wait for the first start to end.
  let booting: Promise<unknown> = startLocalNode({ amqpPort: port, baseDir: nodesDir }).then(
    (n) => (node = n),
    (err: Error) => {
      running = false;
      console.error(`first start failed: ${err.message}`);
    },
  );
  // allowHalfOpen: the client ends its side after the request; the reply still goes out.
  const server = net.createServer({ allowHalfOpen: true });
  const exit = async () => {
    await booting;
    await node?.destroy();
    server.close();
    rmSync(path, { force: true });
    process.exit(0);
  };
  const giveUp = setTimeout(() => {
    console.error('lifetime over: removing the container');
    void exit();
  }, Number(process.env.DOCKER_DOUBLE_MAX_SECONDS ?? 300) * 1000);

  const handle = async (req: Request): Promise<Reply & { last?: boolean }> => {
    const ok = (stdout = `${name}\n`): Reply => ({ code: 0, stdout, stderr: '' });
    switch (req.op) {
      case 'inspect': {
        const pid = running && node ? node.pid : 0;
        const fields: Record<string, string> = {
          '.State.Running': String(running),
          '.State.Pid': String(pid),
          '.State.Status': running ? 'running' : 'exited',
          '.Name': `/${name}`,
        };
        let unknown = '';
        const out = (req.format ?? '').replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, f: string) => fields[f] ?? ((unknown = f), ''));
        if (unknown) return { code: 1, stdout: '', stderr: `docker double: template field ${unknown} is not simulated\n` };
        return ok(`${out}\n`);
      }
      case 'kill':
        if (!['KILL', 'SIGKILL', '9'].includes(req.signal ?? '')) return { code: 125, stdout: '', stderr: `docker double: only --signal KILL is simulated, got ${req.signal}\n` };
        await booting;
        if (!running || !node) return { code: 1, stdout: '', stderr: `Error response from daemon: cannot kill container: ${name}: container is not running\n` };
        await node.kill9();
        running = false;
        return ok();
      case 'stop':
        await booting;
        if (running && node) await node.stop({ via: 'sigterm' });
        running = false;
        return ok();
      case 'start':
        await booting;
        if (!node) return { code: 1, stdout: '', stderr: `Error response from daemon: container ${name} cannot start: its first start failed\n` };
        if (running) return ok();
        running = true;
        // `docker start` returns once the main process runs, not once the broker inside is ready.
        booting = node.start().catch((err: Error) => {
          running = false;
          console.error(`start failed: ${err.message}`);
        });
        return ok();
      case 'exec': {
        if (!running) return { code: 1, stdout: '', stderr: `Error response from daemon: container ${name} is not running\n` };
        const [command, ...args] = req.args ?? [];
        if (command !== 'rabbitmqctl') return { code: 126, stdout: '', stderr: `docker double: only rabbitmqctl runs in a container, not ${command}\n` };
        if (!node) return { code: 69, stdout: '', stderr: 'Error: unable to perform an operation on node: the node is booting\n' };
        try {
          return ok(await node.ctl(args, 60_000));
        } catch (err) {
          return { code: 69, stdout: '', stderr: `${(err as Error).message}\n` };
        }
      }
      case 'logs':
        await booting;
        return ok(`${node ? node.logTail(req.tail ?? 100) : '(no node)'}\n`);
      case 'rm':
        if (running && !req.force) return { code: 1, stdout: '', stderr: `Error response from daemon: cannot remove container "/${name}": container is running: stop the container before removing or force remove\n` };
        await booting;
        await node?.destroy();
        running = false;
        return { ...ok(), last: true };
    }
  };

  server.on('connection', (s) => {
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      data += d;
      if (!data.includes('\n')) return;
      const req = JSON.parse(data.slice(0, data.indexOf('\n'))) as Request;
      console.error(`${new Date().toISOString()} ${req.op} ${JSON.stringify(req.args ?? req.format ?? req.signal ?? '')}`);
      handle(req)
        .catch((err: Error): Reply => ({ code: 1, stdout: '', stderr: `docker double: ${err.message}\n` }))
        .then((reply) => {
          const { last, ...rest } = reply as Reply & { last?: boolean };
          s.end(JSON.stringify(rest), () => {
            if (last) {
              clearTimeout(giveUp);
              void exit();
            }
          });
        });
    });
    s.on('error', () => undefined);
  });
  rmSync(path, { force: true });
  server.listen(path);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === undefined) {
  // As `docker` alone prints its usage; also what `node --test dist/test/` does when it loads this file.
  process.stdout.write('Usage: docker COMMAND (a test double: info, run, inspect, kill, stop, start, exec, rm)\n');
} else if (mode === '__serve') {
  await serve(rest[0], Number(rest[1]));
} else {
  const reply = await cli([mode, ...rest].filter((a) => a !== undefined));
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  process.exitCode = reply.code;
}
