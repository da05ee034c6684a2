// A RabbitMQ node in a Docker container that ackbench starts, kills, starts again and removes
// (`ackbench run --broker docker`, `ackbench faults --broker docker`). It implements FaultNode, so the
// fault runner treats it as it treats a private node:
// - a named container (`ackbench-<pid>-<n>`, its hostname too, so the node is rabbit@<name>), started
//   WITHOUT --rm: a killed container keeps its data (durable queues, persistent messages, in the
//   image's /var/lib/rabbitmq volume) and `docker start` brings it back on it;
// - AMQP published on a free port of 127.0.0.1 only; ready once AMQP accepts a connection (a published
//   port can accept TCP before the broker inside listens);
// - the stream listener (the container's 5552) published on the host port the stream client looks for,
//   the AMQP port - 120 (clients/stream-port.ts; both chosen free together, as for private nodes), and
//   advertised as 127.0.0.1 and that host port: the stream client connects to what the node
//   advertises, and inside the container that is its hostname and 5552 (dockerRunArgs);
// - plugins by RABBITMQ_ENABLED_PLUGINS, which replaces the image's enabled_plugins file at boot:
//   rabbitmq_prometheus (the image's own default), rabbitmq_stream, and rabbitmq_amqp1_0, a no-op on
//   RabbitMQ 4 (AMQP 1.0 is core there; the plugin is kept for upgrades) that gives an older image
//   (DockerNodeOptions.image, e.g. rabbitmq:3.13) the AMQP 1.0 the rhea client needs;
// - kill9: `docker kill --signal KILL`, then until `docker inspect` says it no longer runs; stop:
//   `docker stop` (SIGTERM, SIGKILL after the engine's timeout); start: `docker start`, then AMQP;
//   ctl: `docker exec NAME rabbitmqctl ...`; destroy: `docker rm --force --volumes` (idempotent);
// - registered for cleanup on exit / SIGINT / SIGTERM as private nodes are (cleanup.ts).
// Every docker command runs through execFile with an argument array and a timeout.

import { execFile, execFileSync } from 'node:child_process';
import { amqplibAdapter } from '../clients/amqplib.js';
import { BrokerError } from '../errors.js';
import { trackForCleanup, untrackForCleanup } from './cleanup.js';
import type { FaultNode } from './fault-node.js';
import { freePortsWithStream, portAnswers, releasePort } from './local-node.js';

/** The image `--broker docker` runs: the one docker/compose.yml names, without the management plugin. */
export const DOCKER_IMAGE = 'rabbitmq:4.1';
/** A first start pulls the image and boots the node. */
const FIRST_START_TIMEOUT_MS = 180_000;
/** A start on existing data: the node boots and recovers its queues. */
const RESTART_TIMEOUT_MS = 90_000;
/** `docker stop` waits 10 s (the engine's default) before SIGKILL; our bound on the command is longer. */
const STOP_TIMEOUT_MS = 60_000;
const CTL_TIMEOUT_MS = 30_000;
/** Bound on a container being reported as not running after a kill or stop. */
const DOWN_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;

export interface DockerNodeOptions {
  /** Image to run; default DOCKER_IMAGE. */
  image?: string;
  /**
   * Host port on 127.0.0.1 published to the container's 5672; default a free one whose stream port
   * (the AMQP port - 120) is free too. A given port whose stream port is taken: no stream listener.
   */
  amqpPort?: number;
  /** Bound on the first start (pull, create, boot until AMQP accepts a connection), in ms; default 180 s. */
  startTimeoutMs?: number;
  /** Bound on a later start (docker start until AMQP), in ms; default 90 s. */
  restartTimeoutMs?: number;
}

/** A FaultNode in a container; `container` is its name for the docker CLI. */
export interface DockerNode extends FaultNode {
  readonly container: string;
  readonly image: string;
  /** Host port on 127.0.0.1 published to the container's stream listener (the AMQP port - 120), or null: none. */
  readonly streamPort: number | null;
}

/** The stream listener inside the container: rabbitmq_stream's default port. */
const CONTAINER_STREAM_PORT = 5552;

/** The plugins a container node enables (see the header): the stream protocol's only with its port published. */
export function dockerPlugins(withStream: boolean): string[] {
  return ['rabbitmq_prometheus', 'rabbitmq_amqp1_0', ...(withStream ? ['rabbitmq_stream'] : [])];
}

/**
 * `docker run` for a container node: named and hostnamed `container`, AMQP on 127.0.0.1:amqpPort and,
 * with a stream port, the stream listener on 127.0.0.1:streamPort, advertised as exactly that. The
 * advertised settings go in as application parameters (`-rabbitmq_stream advertised_host "127.0.0.1"
 * advertised_port N`, what stream.advertised_host / stream.advertised_port in rabbitmq.conf set) on
 * the VM's command line, which the image's rabbitmq-server script extends with
 * RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: no config file to mount, so the engine need not see the host's
 * files. The host is quoted: an Erlang string (the plugin makes it a binary), where a bare 127.0.0.1
 * would not parse as a term.
 */
export function dockerRunArgs(container: string, image: string, amqpPort: number, streamPort: number | null): string[] {
  const stream =
    streamPort === null
      ? []
      : ['--publish', `127.0.0.1:${streamPort}:${CONTAINER_STREAM_PORT}`, '--env', `RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-rabbitmq_stream advertised_host "127.0.0.1" advertised_port ${streamPort}`];
  return [
    'run',
    '--detach',
    '--name',
    container,
    '--hostname',
    container,
    '--publish',
    `127.0.0.1:${amqpPort}:5672`,
    ...stream,
    '--env',
    `RABBITMQ_ENABLED_PLUGINS=${dockerPlugins(streamPort !== null).join(',')}`,
    image,
  ];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `docker ...args`; resolves with stdout, rejects with the command's stderr (one line where it is one). */
export function dockerCommand(args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    try {
      execFile('docker', args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const timedOut = err.killed && err.signal === 'SIGKILL';
        reject(new Error(`docker ${args[0]}: ${timedOut ? `no answer within ${timeoutMs / 1000} s` : (stderr || err.message).trim()}`));
      });
    } catch (err) {
      reject(err);
    }
  });
}

/** Whether a docker engine answers `docker info` (within 5 s). */
export function dockerAnswers(): Promise<boolean> {
  return dockerCommand(['info', '--format', '{{.ServerVersion}}'], 5000).then(
    (out) => out.trim() !== '',
    () => false,
  );
}

let sequence = 0;

class DockerRabbitNode implements DockerNode {
  readonly url: string;
  readonly nodeName: string;
  /** 'running' from a start until a kill, stop or destroy (or an inspect that says otherwise). */
  private state: 'new' | 'running' | 'exited' | 'removed' = 'new';
  private lastPid = 0;
  private destroyed: Promise<void> | null = null;

  constructor(
    readonly container: string,
    readonly image: string,
    readonly amqpPort: number,
    readonly streamPort: number | null,
    private readonly startTimeoutMs: number,
    private readonly restartTimeoutMs: number,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
    // --hostname is the container's name, and RabbitMQ names the node rabbit@<hostname>.
    this.nodeName = `rabbit@${container}`;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get pid(): number {
    return this.lastPid;
  }

  /** docker run: create and start the container, then wait for AMQP. */
  async create(): Promise<void> {
    // Registered before `docker run`: a run that times out may still have created the container.
    trackForCleanup(this);
    await dockerCommand(dockerRunArgs(this.container, this.image, this.amqpPort, this.streamPort), this.startTimeoutMs);
    this.state = 'running';
    await this.waitReady(this.startTimeoutMs);
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`container ${this.container} was removed`);
    // A no-op on a running container; then the same readiness wait.
    await dockerCommand(['start', this.container], this.restartTimeoutMs);
    this.state = 'running';
    await this.waitReady(this.restartTimeoutMs);
  }

  /** Until AMQP accepts a connection on the published port; fails early if the container exits. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'AMQP port not listening yet';
    for (let attempt = 0; ; attempt++) {
      try {
        await this.amqpAnswers();
        break;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      // Every few attempts: has the container exited (a bad image, a boot failure)?
      if (attempt % 4 === 3 && !(await this.inspectRunning())) {
        this.state = 'exited';
        throw new BrokerError(`container ${this.container} exited during startup\n${this.logTail()}`);
      }
      if (Date.now() > deadline) {
        throw new BrokerError(`container ${this.container} did not accept AMQP on 127.0.0.1:${this.amqpPort} within ${timeoutMs / 1000} s (last: ${lastError})\n${this.logTail()}`);
      }
      await sleep(500);
    }
    const pid = Number((await this.inspect('{{.State.Pid}}').catch(() => '0')).trim());
    if (pid > 0) this.lastPid = pid;
  }

  /** Resolves once an AMQP connection opened (and is closed again); rejects with why not. */
  private async amqpAnswers(): Promise<void> {
    if (!(await portAnswers(this.amqpPort, 500))) throw new Error('AMQP port not listening yet');
    const c = await amqplibAdapter.connect(this.url, { connectionName: 'ackbench docker-node probe', timeoutMs: 2000 });
    await c.close().catch(() => undefined);
  }

  private inspect(format: string): Promise<string> {
    return dockerCommand(['inspect', '--format', format, this.container]);
  }

  /** What the engine says now; a container it does not know (removed) is not running. */
  private async inspectRunning(): Promise<boolean> {
    try {
      return (await this.inspect('{{.State.Running}}')).trim() === 'true';
    } catch (err) {
      if (/no such (container|object)/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** Until the engine reports the container as not running, within DOWN_TIMEOUT_MS. */
  private async waitDown(what: string): Promise<void> {
    const deadline = Date.now() + DOWN_TIMEOUT_MS;
    while (await this.inspectRunning()) {
      if (Date.now() > deadline) throw new Error(`container ${this.container} still running ${DOWN_TIMEOUT_MS / 1000} s after ${what}`);
      await sleep(100);
    }
    this.state = 'exited';
  }

  async kill9(): Promise<void> {
    try {
      await dockerCommand(['kill', '--signal', 'KILL', this.container]);
    } catch (err) {
      // Killing a container that is not running is an error for docker, not for us.
      if (await this.inspectRunning()) throw err;
    }
    await this.waitDown('docker kill --signal KILL');
  }

  async stop(_options: { via?: 'rabbitmqctl' | 'sigterm' } = {}): Promise<void> {
    // Graceful either way: the engine sends the image's stop signal (SIGTERM), SIGKILL after its timeout.
    await dockerCommand(['stop', this.container], STOP_TIMEOUT_MS);
    await this.waitDown('docker stop');
  }

  async ctl(args: string[], timeoutMs = CTL_TIMEOUT_MS): Promise<string> {
    try {
      return await dockerCommand(['exec', this.container, 'rabbitmqctl', ...args], timeoutMs);
    } catch (err) {
      throw new Error(`rabbitmqctl ${args.join(' ')} in container ${this.container}: ${(err as Error).message.replace(/^docker exec: /, '')}`);
    }
  }

  logTail(lines = 30): string {
    try {
      const out = execFileSync('docker', ['logs', '--tail', String(lines), this.container], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
      return out.trimEnd() ? `--- container log, last ${lines} lines ---\n${out.trimEnd()}` : `(container ${this.container} logged nothing)`;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return `(docker logs ${this.container}: ${(e.stderr || e.stdout || e.message).trim()})`;
    }
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      // --volumes: the image's anonymous data volume goes with the container.
      await dockerCommand(['rm', '--force', '--volumes', this.container], 60_000).catch(() => undefined);
      this.forget();
    })();
    return this.destroyed;
  }

  /** The synchronous path for process 'exit' and signals. */
  destroySync(): void {
    this.destroyed ??= Promise.resolve();
    try {
      execFileSync('docker', ['rm', '--force', '--volumes', this.container], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // already gone, or no engine left to ask
    }
    this.forget();
  }

  private forget(): void {
    this.state = 'removed';
    releasePort(this.amqpPort);
    if (this.streamPort !== null) releasePort(this.streamPort);
    untrackForCleanup(this);
  }
}

/**
 * Start a container of options.image (default DOCKER_IMAGE) and wait until it accepts AMQP
 * connections; on failure it is removed and a BrokerError (exit 3) says why, with its log. The caller
 * checks first that an engine answers (dockerAnswers), to say so in its own words.
 */
export async function startDockerNode(options: DockerNodeOptions = {}): Promise<DockerNode> {
  const ports = await freePortsWithStream(options.amqpPort || undefined);
  const node = new DockerRabbitNode(
    `ackbench-${process.pid}-${++sequence}`,
    options.image ?? DOCKER_IMAGE,
    ports.amqp,
    ports.stream,
    options.startTimeoutMs ?? FIRST_START_TIMEOUT_MS,
    options.restartTimeoutMs ?? RESTART_TIMEOUT_MS,
  );
  try {
    await node.create();
  } catch (err) {
    await node.destroy();
    throw new BrokerError(`--broker docker: ${err instanceof Error ? err.message : String(err)}`);
  }
  return node;
}
