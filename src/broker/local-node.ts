// A private RabbitMQ node started from the installed rabbitmq-server, beside any system node: its own
// node name, AMQP and distribution ports, Erlang cookie, data, log, feature-flags, enabled-plugins
// and plugins-expand paths, all under one temp dir (docs/architecture.md#brokers-ackbench-owns). The harness can then
// kill -9 it, stop and start it on the same data, and remove it.
//
// What it takes to run beside the system node (RabbitMQ 3.10, Debian package):
// - never through /usr/sbin/rabbitmq-server: Debian's wrapper cds to /var/lib/rabbitmq and runs `su
//   rabbitmq`, which resets HOME (and so the cookie). We run the real script it points to
//   (/usr/lib/rabbitmq/bin/rabbitmq-server), as the rabbitmq user when we are root (spawn uid/gid);
// - RABBITMQ_CONF_ENV_FILE of our own: /etc/rabbitmq/rabbitmq-env.conf sets NODENAME=rabbit@localhost;
// - RABBITMQ_DIST_PORT set explicitly: it defaults to the AMQP port + 20000, i.e. 25672 when the AMQP
//   port comes from a config file, and collides with the system node;
// - RABBITMQ_CONFIG_FILE / ADVANCED_CONFIG_FILE / CONFIG_FILES of our own, so /etc/rabbitmq is not read;
// - an enabled-plugins file of our own, `[rabbitmq_amqp1_0,rabbitmq_stream]` (the system's may enable management on 15672),
//   and our own plugins-expand dir and feature-flags file;
// - a stream listener of its own at the AMQP port - 120 (clients/stream-port.ts: how the stream client
//   finds it from the URL), advertised as 127.0.0.1 so the stream client's leader connections stay there.
//
// Every private node is registered for cleanup (cleanup.ts): destroy() normally, a synchronous SIGKILL +
// rmSync on process exit, and on SIGINT / SIGTERM when nobody else handles them.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { amqplibAdapter } from '../clients/amqplib.js';
import { streamPortOf } from '../clients/stream-port.js';
import { BrokerError, UsageError } from '../errors.js';
import { trackForCleanup, trackedForCleanup, untrackForCleanup } from './cleanup.js';
import type { FaultNode } from './fault-node.js';

export interface LocalNodeOptions {
  /** Erlang node name; default `ackbench-<pid>-<n>@localhost`. */
  name?: string;
  /** AMQP port on 127.0.0.1; default a free one. */
  amqpPort?: number;
  /** Erlang distribution port; default a free one. */
  distPort?: number;
  /** Parent of the node's temp dir; default os.tmpdir(). The node's own dir is created inside it and removed by destroy(). */
  baseDir?: string;
  /** Bound on one start (boot until AMQP accepts a connection), in ms; default 90 s. */
  startTimeoutMs?: number;
  /** Erlang cookie; default a random one. Nodes meant to form a cluster share one. */
  cookie?: string;
  /**
   * cluster_name in the node's config; default none (the cluster is then named after its first node).
   * The readiness probe accepts a node answering with this name, so a member of a cluster started
   * under its own name is recognised as ours.
   */
  clusterName?: string;
  /** Enable rabbitmq_prometheus on a free port of 127.0.0.1 (metricsUrl); default off (it slows the boot). */
  prometheus?: boolean;
}

/**
 * A private node: a FaultNode (fault-node.ts) with its own distribution port and temp dir. kill9 also
 * waits for the VM's wrapper and helpers to be gone; stop's via 'sigterm' skips the CLI's start-up lag;
 * destroy removes the temp dir; ctl is `rabbitmqctl -n NODE`; logTail adds the startup output.
 */
export interface LocalNode extends FaultNode {
  readonly distPort: number;
  /** The node's temp dir: data, logs, config. */
  readonly dir: string;
  /** The node's main log file. */
  readonly logFile: string;
  /** http://127.0.0.1:PORT/metrics of its rabbitmq_prometheus (options.prometheus), else null. */
  readonly metricsUrl: string | null;
}

const DEFAULT_START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const CTL_TIMEOUT_MS = 30_000;
/** Ports a private node must not take: the system node's AMQP, dist and management, epmd, and the CLI tools' dist range. */
const RESERVED_PORTS = new Set([4369, 5552, 5551, 5672, 5671, 15672, 15692, 25672, ...Array.from({ length: 11 }, (_, i) => 35672 + i)]);

let sequence = 0;
const takenPorts = new Set<number>();

interface Scripts {
  server: string;
  ctl: string;
}

function onPath(name: string): string | null {
  for (const d of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The real rabbitmq-server and rabbitmqctl scripts, or null if RabbitMQ is not installed.
 * Debian / RPM: /usr/sbin/rabbitmq-server is a wrapper that switches user with `su` (dropping our
 * environment's HOME); the scripts it runs live in /usr/lib/rabbitmq/bin.
 */
export function findRabbitmqScripts(): Scripts | null {
  const fromEnv = process.env.ACKBENCH_RABBITMQ_SBIN;
  const candidates: string[] = [];
  if (fromEnv) candidates.push(join(fromEnv, 'rabbitmq-server'));
  candidates.push('/usr/lib/rabbitmq/bin/rabbitmq-server');
  const inPath = onPath('rabbitmq-server');
  if (inPath) {
    const real = realpathSync(inPath);
    if (real.endsWith('rabbitmq-script-wrapper')) candidates.push(join(dirname(real), 'rabbitmq-server'));
    else candidates.push(inPath);
  }
  for (const server of candidates) {
    if (!existsSync(server)) continue;
    const ctl = join(dirname(server), 'rabbitmqctl');
    if (existsSync(ctl)) return { server, ctl };
  }
  return null;
}

/** uid / gid of the `rabbitmq` user when we are root (Debian's scripts expect it), else null (run as ourselves). */
function rabbitmqUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === 'rabbitmq') return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd file: stay root
  }
  return null;
}

function chownTree(path: string, owner: { uid: number; gid: number }): void {
  chownSync(path, owner.uid, owner.gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), owner);
}

/** Binds 127.0.0.1:port (0: any free port) and closes it again: the port it got; rejects when the bind fails. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

/** A port nothing listens on at 127.0.0.1 now (bind 0, read, close), avoiding the well-known ones. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOn(0);
    if (!RESERVED_PORTS.has(port) && !takenPorts.has(port)) {
      takenPorts.add(port);
      return port;
    }
  }
  throw new Error('no free port found on 127.0.0.1');
}

/** Whether `port` of 127.0.0.1 can be bound now (nothing listens there). */
function bindable(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

/**
 * A free AMQP port whose stream port (the AMQP port - 120, clients/stream-port.ts) is free too, both
 * taken; the stream port null (the node runs without rabbitmq_stream) when `amqpPort` was given and
 * its stream port is not free, or no free pair turned up.
 */
export async function freePortsWithStream(amqpPort: number | undefined): Promise<{ amqp: number; stream: number | null }> {
  const usable = async (stream: number) => stream >= 1024 && !RESERVED_PORTS.has(stream) && !takenPorts.has(stream) && (await bindable(stream));
  if (amqpPort) {
    const stream = streamPortOf(amqpPort);
    if (!(await usable(stream))) return { amqp: amqpPort, stream: null };
    takenPorts.add(stream);
    return { amqp: amqpPort, stream };
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const amqp = await freePort();
    const stream = streamPortOf(amqp);
    if (await usable(stream)) {
      takenPorts.add(stream);
      return { amqp, stream };
    }
    releasePort(amqp);
  }
  return { amqp: await freePort(), stream: null };
}

/** A port from freePort() is no longer held by anything of ours: freePort may hand it out again. */
export function releasePort(port: number): void {
  takenPorts.delete(port);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Whether an OS process still holds resources (Linux /proc; elsewhere signal 0). A zombie counts as
 * gone only once its last thread has exited: the leader of a multi-threaded VM shows Z while the
 * other threads still tear down, and its sockets stay open until the last one is gone.
 */
export function processAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) STATE ...; comm may hold spaces or parentheses, the state follows the last ')'.
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    if (state !== 'Z') return true;
    try {
      return readdirSync(`/proc/${pid}/task`).length > 1;
    } catch {
      return false;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/** Every process below `root` in the process tree (Linux /proc; elsewhere none). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(e));
      else children.set(ppid, [Number(e)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** The working directory of a process, or null where it cannot be read (Linux /proc only). */
function cwdOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A synchronous sleep, for the process 'exit' path where nothing asynchronous runs. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tailOf(path: string, lines: number): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '';
  }
}

// ---- the node ---------------------------------------------------------------------------------

class LocalRabbitNode implements LocalNode {
  readonly url: string;
  readonly metricsUrl: string | null;
  readonly logFile: string;
  private readonly startupLog: string;
  private readonly pidFile: string;
  private readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | null = null;
  private childExit: Promise<void> = Promise.resolve();
  private beamPid = 0;
  private spawnError: Error | null = null;
  private destroyed: Promise<void> | null = null;

  constructor(
    readonly nodeName: string,
    readonly amqpPort: number,
    readonly distPort: number,
    readonly dir: string,
    private readonly scripts: Scripts,
    private readonly owner: { uid: number; gid: number } | null,
    private readonly startTimeoutMs: number,
    private readonly cookie: string,
    private readonly clusterName: string | null,
    private readonly metricsPort: number | null,
    /** Its stream listener (the AMQP port - 120), or null: no rabbitmq_stream. */
    readonly streamPort: number | null,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
    this.metricsUrl = metricsPort === null ? null : `http://127.0.0.1:${metricsPort}/metrics`;
    this.logFile = join(dir, 'log', 'node.log');
    this.startupLog = join(dir, 'log', 'startup.log');
    this.pidFile = join(dir, 'node.pid');
    this.env = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      // Our own HOME holds our own Erlang cookie, shared by the node and our rabbitmqctl calls only.
      HOME: dir,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ...(process.env.ERL_EPMD_PORT ? { ERL_EPMD_PORT: process.env.ERL_EPMD_PORT } : {}),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_CONFIG_FILES: join(dir, 'conf.d'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_MNESIA_DIR: join(dir, 'mnesia', 'node'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: this.logFile,
      RABBITMQ_PID_FILE: this.pidFile,
      RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
  }

  get pid(): number {
    return this.beamPid;
  }

  get running(): boolean {
    return this.child !== null && this.spawnError === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Write the node's files (config, cookie, empty plugin list) and hand the tree to its user. */
  prepare(): void {
    for (const d of ['mnesia', 'log', 'plugins-expand', 'conf.d']) mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '# ackbench private node: settings come from the environment\n');
    writeFileSync(
      join(this.dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${this.amqpPort}`,
        // After the AMQP listener: test/integration/faults-cli.test.ts reads the first listeners line.
        ...(this.streamPort === null ? [] : [`stream.listeners.tcp.1 = 127.0.0.1:${this.streamPort}`, 'stream.advertised_host = 127.0.0.1', `stream.advertised_port = ${this.streamPort}`]),
        'log.file.level = info',
        'log.console = false',
        ...(this.clusterName ? [`cluster_name = ${this.clusterName}`] : []),
        // Node statistics (rabbitmq_prometheus' io and memory figures) every second, not every 5 s.
        'collect_statistics_interval = 1000',
        ...(this.metricsPort === null ? [] : ['prometheus.tcp.ip = 127.0.0.1', `prometheus.tcp.port = ${this.metricsPort}`]),
        '',
      ].join('\n'),
    );
    // rabbitmq_amqp1_0 always: it shares the AMQP listener, so it costs no port, and the rhea client's
    // cells (fault cells too) need it. rabbitmq_stream with the stream port the node was given, for the
    // stream client's cells.
    const plugins = ['rabbitmq_amqp1_0', ...(this.streamPort === null ? [] : ['rabbitmq_stream']), ...(this.metricsPort === null ? [] : ['rabbitmq_prometheus'])];
    writeFileSync(join(this.dir, 'enabled_plugins'), `[${plugins.join(',')}].\n`);
    const cookie = join(this.dir, '.erlang.cookie');
    writeFileSync(cookie, this.cookie, { mode: 0o400 });
    if (this.owner) chownTree(this.dir, this.owner);
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`private node ${this.nodeName} was destroyed`);
    if (this.running) return;
    // Someone else on our ports would answer the readiness probe, or make the VM fail late.
    const ports: Array<[string, number]> = [['AMQP', this.amqpPort], ['distribution', this.distPort]];
    if (this.streamPort !== null) ports.push(['stream', this.streamPort]);
    for (const [what, port] of ports) {
      if (await portAnswers(port, 500)) throw new BrokerError(`private node ${this.nodeName}: ${what} port 127.0.0.1:${port} is already in use`);
    }
    // A new start writes a new pid file; a stale one must not be taken for it.
    rmSync(this.pidFile, { force: true });
    this.beamPid = 0;
    this.spawnError = null;
    const out = openSync(this.startupLog, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.scripts.server, [], {
        cwd: this.dir,
        env: this.env,
        detached: true, // own process group: a terminal's Ctrl-C is ours to handle, and the group can be swept
        stdio: ['ignore', out, out],
        ...(this.owner ?? {}),
      });
    } finally {
      closeSync(out);
    }
    child.unref(); // a forgotten node must not keep the process alive: the exit hook kills it
    this.child = child;
    this.childExit = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      // The script could not be run at all (ENOENT, EACCES): no 'exit' follows.
      child.once('error', (err) => {
        this.spawnError = err;
        resolve();
      });
    });
    trackForCleanup(this);

    const deadline = Date.now() + this.startTimeoutMs;
    let lastError = '';
    while (true) {
      if (!this.running) {
        const spawnError = this.spawnError as Error | null; // set by an event handler: TypeScript's narrowing cannot see it
        const why = spawnError ? `could not run ${this.scripts.server}: ${spawnError.message}` : `exited during startup (code ${child.exitCode ?? child.signalCode})`;
        throw new BrokerError(`private node ${this.nodeName} ${why}\n${this.logTail()}`);
      }
      if (Date.now() > deadline) {
        const tail = this.logTail();
        await this.killHard(10_000);
        throw new BrokerError(`private node ${this.nodeName} did not accept AMQP on 127.0.0.1:${this.amqpPort} within ${this.startTimeoutMs / 1000} s (last: ${lastError})\n${tail}`);
      }
      if (await portAnswers(this.amqpPort, 500)) {
        let cluster: string | null = null;
        try {
          const c = await amqplibAdapter.connect(this.url, { connectionName: 'ackbench local-node probe', timeoutMs: 2000 });
          cluster = c.server.clusterName ?? '';
          await c.close().catch(() => undefined);
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
        if (cluster !== null) {
          // The default cluster name is the node name (host part as the node resolves it): ours, not another
          // broker's; a member of a cluster we started answers with the name we gave that cluster.
          if (cluster.startsWith(`${this.nodeName.split('@')[0]}@`) || (this.clusterName !== null && cluster === this.clusterName)) break;
          const tail = this.logTail();
          await this.killHard(10_000);
          throw new BrokerError(`private node ${this.nodeName}: port ${this.amqpPort} is answered by another broker (cluster name '${cluster}')\n${tail}`);
        }
      } else {
        lastError = 'AMQP port not listening yet';
      }
      await sleep(200);
    }
    this.beamPid = await this.readBeamPid();
  }

  /** The VM's pid from the pid file of this start, if written and it names our node's VM. */
  private pidFromFile(): number | null {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (!(pid > 0)) return null;
      // Our VM runs in our dir: a stale pid reused by another process does not.
      const cwd = cwdOf(pid);
      return cwd === null || cwd === this.dir ? pid : null;
    } catch {
      return null;
    }
  }

  /** The VM's pid from the pid file (written early in boot), else from the node itself. */
  private async readBeamPid(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const pid = this.pidFromFile();
      if (pid) return pid;
      await sleep(100);
    }
    const out = await this.ctl(['eval', 'os:getpid().']);
    const pid = Number(out.trim().replace(/"/g, ''));
    if (!(pid > 0)) throw new Error(`private node ${this.nodeName}: cannot read the VM's pid (got '${out.trim()}')`);
    return pid;
  }

  async kill9(): Promise<void> {
    const pid = this.beamPid;
    await this.killHard(10_000);
    if (pid > 0 && processAlive(pid)) throw new Error(`private node ${this.nodeName}: beam pid ${pid} still alive after SIGKILL`);
    if (await portAnswers(this.amqpPort, 500)) throw new Error(`private node ${this.nodeName}: AMQP port ${this.amqpPort} still answers after SIGKILL`);
  }

  async stop(options: { via?: 'rabbitmqctl' | 'sigterm' } = {}): Promise<void> {
    if (!this.running) return;
    const helpers = descendantsOf(this.child?.pid ?? 0); // they exit with the VM; swept if one does not
    if (options.via === 'sigterm' && this.beamPid > 0) {
      trySignal(this.beamPid, 'SIGTERM');
    } else {
      try {
        await this.ctl(['stop'], STOP_TIMEOUT_MS);
      } catch {
        // fall through to the bounded wait and the kill
      }
    }
    if (await this.waitExit(STOP_TIMEOUT_MS)) this.sweep(helpers);
    else await this.killHard(10_000);
  }

  /**
   * SIGKILL the VM only: its wrapper shell reaps it once every thread is gone (sockets closed) and
   * then exits, which is what we wait for. Then sweep whatever is left of the start: the wrapper's
   * process group, and the VM's helpers (erl_child_setup, inet_gethost, the disk monitor's sh), which
   * run in sessions of their own. Finally wait until the AMQP port refuses connections.
   */
  private async killHard(ms: number): Promise<void> {
    const leftovers = descendantsOf(this.child?.pid ?? 0); // before the VM dies and its helpers are reparented
    if (!this.beamPid) this.beamPid = this.pidFromFile() ?? 0;
    if (this.ours(this.beamPid)) trySignal(this.beamPid, 'SIGKILL');
    else this.sweep([]); // no VM pid (startup failed early): kill the wrapper's group
    await this.waitExit(ms);
    this.sweep(leftovers);
    const until = Date.now() + ms;
    while (Date.now() < until && (await portAnswers(this.amqpPort, 500))) await sleep(50);
  }

  /** Resolves true when the wrapper process (and so the VM it waits on) has exited within ms. */
  private async waitExit(ms: number): Promise<boolean> {
    if (!this.child) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const exited = await Promise.race([this.childExit.then(() => true), timedOut]);
    clearTimeout(timer);
    // The wrapper exits once the VM is reaped; poll the VM itself in case the wrapper was killed first.
    const until = Date.now() + ms;
    while (this.beamPid > 0 && processAlive(this.beamPid) && Date.now() < until) await sleep(20);
    return exited;
  }

  /**
   * SIGKILL the VM, the wrapper's process group while the wrapper runs, and the given pids. A pid is
   * signalled only while its working directory is in our dir, so a pid reused meanwhile is spared.
   */
  private sweep(pids: number[]): void {
    if (this.ours(this.beamPid)) trySignal(this.beamPid, 'SIGKILL');
    const groupLeader = this.child?.pid;
    if (groupLeader && this.running) trySignal(-groupLeader, 'SIGKILL');
    for (const p of pids) if (this.ours(p)) trySignal(p, 'SIGKILL');
  }

  /** Whether pid is a live process working in our dir (the VM and its helpers are). */
  private ours(pid: number): boolean {
    if (!(pid > 0)) return false;
    const cwd = cwdOf(pid);
    return cwd !== null && (cwd === this.dir || cwd.startsWith(`${this.dir}/`));
  }

  ctl(args: string[], timeoutMs = CTL_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.scripts.ctl,
        ['-n', this.nodeName, ...args],
        { cwd: this.dir, env: this.env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, ...(this.owner ?? {}) },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`rabbitmqctl -n ${this.nodeName} ${args.join(' ')}: ${(stderr || stdout || err.message).trim()}`));
          else resolve(stdout);
        },
      );
    });
  }

  logTail(lines = 30): string {
    const parts: string[] = [];
    // The VM's own last word when boot fails, e.g. {duplicate_node_name,...} or eaddrinuse.
    const verdict = tailOf(this.startupLog, 200)
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('Kernel pid terminated') || l.startsWith('BOOT FAILED') || /^ERROR: /.test(l));
    if (verdict) parts.push(verdict);
    const node = tailOf(this.logFile, lines);
    const startup = tailOf(this.startupLog, lines);
    if (node) parts.push(`--- node log, last ${lines} lines ---\n${node}`);
    if (startup) parts.push(`--- startup output, last ${lines} lines ---\n${startup}`);
    return parts.join('\n') || `(no log written under ${join(this.dir, 'log')})`;
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      if (this.running || this.ours(this.beamPid)) await this.killHard(10_000);
      this.removeFiles();
    })();
    return this.destroyed;
  }

  /** The synchronous path for process 'exit' and signals: SIGKILL, wait briefly, remove the dir. */
  destroySync(): void {
    this.destroyed ??= Promise.resolve();
    if (this.running || this.ours(this.beamPid)) {
      const leftovers = descendantsOf(this.child?.pid ?? 0);
      if (!this.beamPid) this.beamPid = this.pidFromFile() ?? 0;
      if (this.ours(this.beamPid)) trySignal(this.beamPid, 'SIGKILL');
      else this.sweep([]);
      // The wrapper shell reaps the VM once all its threads are gone; then sweep the rest.
      const until = Date.now() + 3000;
      while (processAlive(this.beamPid) && Date.now() < until) sleepSync(20);
      this.sweep(leftovers);
    }
    this.removeFiles();
  }

  private removeFiles(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // a file still being written by a dying VM; the dir is in tmp
    }
    releasePort(this.amqpPort);
    releasePort(this.distPort);
    if (this.metricsPort !== null) releasePort(this.metricsPort);
    if (this.streamPort !== null) releasePort(this.streamPort);
    untrackForCleanup(this);
  }
}

/**
 * Start a private node from the installed rabbitmq-server and wait until it accepts AMQP
 * connections. Rejects with the tail of the node's log if it does not come up in time.
 */
export async function startLocalNode(options: LocalNodeOptions = {}): Promise<LocalNode> {
  // Passed on to the node: a bad one would only show as a crash deep in its boot log.
  const epmd = process.env.ERL_EPMD_PORT;
  if (epmd && !(/^\d+$/.test(epmd) && Number(epmd) >= 1 && Number(epmd) <= 65535)) throw new UsageError(`ERL_EPMD_PORT: '${epmd}' is not a port (1 to 65535)`);
  const sbin = process.env.ACKBENCH_RABBITMQ_SBIN;
  if (sbin && !existsSync(join(sbin, 'rabbitmq-server'))) throw new UsageError(`ACKBENCH_RABBITMQ_SBIN: no rabbitmq-server in ${sbin}`);
  const scripts = findRabbitmqScripts();
  if (!scripts) {
    throw new BrokerError('rabbitmq-server is not installed: cannot start a private node (Debian/Ubuntu: apt-get install rabbitmq-server; or use docker: npm run broker:up, and --url)');
  }
  const n = ++sequence;
  const nodeName = options.name ?? `ackbench-${process.pid}-${n}@localhost`;
  if (!/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/.test(nodeName)) throw new Error(`invalid node name '${nodeName}'`);
  const { amqp: amqpPort, stream: streamPort } = await freePortsWithStream(options.amqpPort);
  const distPort = options.distPort || (await freePort());
  const dir = realpathSync(mkdtempSync(join(options.baseDir ?? tmpdir(), `ackbench-node-${nodeName.split('@')[0]}-`)));
  const cookie = options.cookie ?? randomBytes(24).toString('hex').toUpperCase();
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(cookie)) throw new Error('an Erlang cookie of letters, digits, - and _ is expected');
  if (options.clusterName !== undefined && !/^[A-Za-z0-9_.@-]{1,255}$/.test(options.clusterName)) throw new Error(`invalid cluster name '${options.clusterName}'`);
  const node = new LocalRabbitNode(
    nodeName,
    amqpPort,
    distPort,
    dir,
    scripts,
    rabbitmqUser(),
    options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    cookie,
    options.clusterName ?? null,
    options.prometheus ? await freePort() : null,
    streamPort,
  );
  try {
    node.prepare();
    await node.start();
  } catch (err) {
    const tail = node.logTail();
    await node.destroy();
    if (err instanceof BrokerError) throw err;
    throw new BrokerError(`private node ${nodeName} failed to start: ${err instanceof Error ? err.message : String(err)}\n${tail}`);
  }
  return node;
}

/** Nodes started by this process and not yet destroyed (for tests and diagnostics). */
export function liveLocalNodes(): LocalNode[] {
  return trackedForCleanup().filter((n): n is LocalRabbitNode => n instanceof LocalRabbitNode);
}
