// A private RabbitMQ node started from the installed rabbitmq-server, beside any system node: its own
// node name, AMQP and distribution ports, Erlang cookie, data, log, feature-flags, enabled-plugins
// and plugins-expand paths, all under one temp dir (DESIGN.md section 4). The harness can then
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
// - an enabled-plugins file holding `[].` (the system's may enable management on 15672) and our own
//   plugins-expand dir and feature-flags file.
//
// Every private node is registered for cleanup: destroy() normally, a synchronous SIGKILL + rmSync on
// process exit, and on SIGINT / SIGTERM when nobody else handles them.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { amqplibAdapter } from '../clients/amqplib.js';
import { BrokerError } from '../errors.js';

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
}

export interface LocalNode {
  /** amqp://guest:guest@127.0.0.1:PORT (guest may log in over loopback). */
  readonly url: string;
  readonly nodeName: string;
  readonly amqpPort: number;
  readonly distPort: number;
  /** The node's temp dir: data, logs, config. */
  readonly dir: string;
  /** The node's main log file. */
  readonly logFile: string;
  /** OS pid of the node's Erlang VM (beam.smp), of the latest start; stays set after it dies. */
  readonly pid: number;
  /** Whether the VM of the latest start is still running. */
  readonly running: boolean;
  /** SIGKILL the VM, then wait until it and its wrapper are gone. */
  kill9(): Promise<void>;
  /** Graceful: `rabbitmqctl stop`, then wait until the VM exits (SIGKILL after a bound). */
  stop(): Promise<void>;
  /** Start again on the same data dir (durable queues, persistent messages survive), same ports. */
  start(): Promise<void>;
  /** Kill if running, remove the temp dir. Idempotent. */
  destroy(): Promise<void>;
  /** `rabbitmqctl -n NODE ...args`; resolves with stdout, rejects with stderr. */
  ctl(args: string[], timeoutMs?: number): Promise<string>;
  /** The last lines of the node's log and of its startup output. */
  logTail(lines?: number): string;
}

const DEFAULT_START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const CTL_TIMEOUT_MS = 30_000;
/** Ports a private node must not take: the system node's AMQP, dist and management, epmd, and the CLI tools' dist range. */
const RESERVED_PORTS = new Set([4369, 5672, 5671, 15672, 25672, ...Array.from({ length: 11 }, (_, i) => 35672 + i)]);

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

/** A port nothing listens on at 127.0.0.1 now (bind 0, read, close), avoiding the well-known ones. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    if (!RESERVED_PORTS.has(port) && !takenPorts.has(port)) {
      takenPorts.add(port);
      return port;
    }
  }
  throw new Error('no free port found on 127.0.0.1');
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

/** Whether an OS process exists and is not a zombie (Linux /proc; elsewhere signal 0). */
export function processAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) STATE ...; comm may hold spaces or parentheses, the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
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

/** The command line of a process, or null (Linux only). */
function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
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

// ---- cleanup registry -------------------------------------------------------------------------

const live = new Set<LocalRabbitNode>();
let hooksInstalled = false;

function cleanupAllSync(): void {
  for (const node of [...live]) node.destroySync();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else (the CLI) handles this signal: let it wind down; 'exit' cleans up what is left.
  if (process.listenerCount(signal) > 1) return;
  cleanupAllSync();
  uninstallHooks();
  process.kill(process.pid, signal); // default action now that no listener is left
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', cleanupAllSync);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

// ---- the node ---------------------------------------------------------------------------------

class LocalRabbitNode implements LocalNode {
  readonly url: string;
  readonly logFile: string;
  private readonly startupLog: string;
  private readonly pidFile: string;
  private readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | null = null;
  private childExit: Promise<void> = Promise.resolve();
  private beamPid = 0;
  private destroyed: Promise<void> | null = null;

  constructor(
    readonly nodeName: string,
    readonly amqpPort: number,
    readonly distPort: number,
    readonly dir: string,
    private readonly scripts: Scripts,
    private readonly owner: { uid: number; gid: number } | null,
    private readonly startTimeoutMs: number,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
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
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Write the node's files (config, cookie, empty plugin list) and hand the tree to its user. */
  prepare(): void {
    for (const d of ['mnesia', 'log', 'plugins-expand', 'conf.d']) mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '# ackbench private node: settings come from the environment\n');
    writeFileSync(
      join(this.dir, 'rabbitmq.conf'),
      [`listeners.tcp.default = 127.0.0.1:${this.amqpPort}`, 'log.file.level = info', 'log.console = false', ''].join('\n'),
    );
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    const cookie = join(this.dir, '.erlang.cookie');
    writeFileSync(cookie, randomBytes(24).toString('hex').toUpperCase(), { mode: 0o400 });
    if (this.owner) chownTree(this.dir, this.owner);
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`private node ${this.nodeName} was destroyed`);
    if (this.running) return;
    // A new start writes a new pid file; a stale one must not be taken for it.
    rmSync(this.pidFile, { force: true });
    this.beamPid = 0;
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
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.once('error', () => undefined); // spawn failure shows as an exit; the log says why
    live.add(this);
    installHooks();

    const deadline = Date.now() + this.startTimeoutMs;
    let lastError = '';
    while (true) {
      if (!this.running) {
        throw new BrokerError(`private node ${this.nodeName} exited during startup (code ${child.exitCode ?? child.signalCode})\n${this.logTail()}`);
      }
      if (Date.now() > deadline) {
        this.sweep();
        throw new BrokerError(`private node ${this.nodeName} did not accept AMQP on 127.0.0.1:${this.amqpPort} within ${this.startTimeoutMs / 1000} s (last: ${lastError})\n${this.logTail()}`);
      }
      if (await portAnswers(this.amqpPort, 500)) {
        try {
          const c = await amqplibAdapter.connect(this.url, { connectionName: 'ackbench local-node probe', timeoutMs: 2000 });
          await c.close().catch(() => undefined);
          break;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
      } else {
        lastError = 'AMQP port not listening yet';
      }
      await sleep(200);
    }
    this.beamPid = await this.readBeamPid();
  }

  /** The VM's pid from the pid file (written early in boot), checked against its command line. */
  private async readBeamPid(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      try {
        const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
        const cmd = cmdline(pid);
        if (pid > 0 && (cmd === null || cmd.includes(this.nodeName.split('@')[0]))) return pid;
      } catch {
        // not written yet
      }
      await sleep(100);
    }
    const out = await this.ctl(['eval', 'os:getpid().']);
    const pid = Number(out.trim().replace(/"/g, ''));
    if (!(pid > 0)) throw new Error(`private node ${this.nodeName}: cannot read the VM's pid (got '${out.trim()}')`);
    return pid;
  }

  async kill9(): Promise<void> {
    const pid = this.beamPid;
    if (pid > 0) trySignal(pid, 'SIGKILL');
    await this.waitExit(10_000);
    this.sweep(); // the wrapper shell and erl_child_setup, if anything of the group is left
    await this.waitExit(5_000);
    if (pid > 0 && processAlive(pid)) throw new Error(`private node ${this.nodeName}: beam pid ${pid} still alive after SIGKILL`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    try {
      await this.ctl(['stop'], STOP_TIMEOUT_MS);
    } catch {
      // fall through to the bounded wait and the kill
    }
    const exited = await this.waitExit(STOP_TIMEOUT_MS);
    if (!exited) await this.kill9();
  }

  /** Resolves true when the wrapper process (and so the VM it waits on) has exited within ms. */
  private async waitExit(ms: number): Promise<boolean> {
    if (!this.child) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const exited = await Promise.race([this.childExit.then(() => true), timedOut]);
    clearTimeout(timer);
    if (exited) {
      // The wrapper exits once the VM is reaped; poll the VM itself in case it was started otherwise.
      const until = Date.now() + ms;
      while (this.beamPid > 0 && processAlive(this.beamPid) && Date.now() < until) await sleep(20);
    }
    return exited;
  }

  /** SIGKILL the VM and the whole process group of the start (wrapper shell, erl_child_setup). */
  private sweep(): void {
    if (this.beamPid > 0) trySignal(this.beamPid, 'SIGKILL');
    const groupLeader = this.child?.pid;
    if (groupLeader) trySignal(-groupLeader, 'SIGKILL');
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
    const node = tailOf(this.logFile, lines);
    const startup = tailOf(this.startupLog, lines);
    if (node) parts.push(`--- ${this.logFile} (last ${lines} lines) ---\n${node}`);
    if (startup) parts.push(`--- ${this.startupLog} (last ${lines} lines) ---\n${startup}`);
    return parts.join('\n') || `(no log written under ${join(this.dir, 'log')})`;
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      if (this.running) {
        this.sweep();
        await this.waitExit(10_000);
      }
      this.removeFiles();
    })();
    return this.destroyed;
  }

  /** The synchronous path for process 'exit' and signals: SIGKILL, wait briefly, remove the dir. */
  destroySync(): void {
    this.destroyed ??= Promise.resolve();
    if (this.running || processAlive(this.beamPid)) {
      this.sweep();
      const until = Date.now() + 3000;
      while (processAlive(this.beamPid) && Date.now() < until) sleepSync(20);
    }
    this.removeFiles();
  }

  private removeFiles(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // a file still being written by a dying VM; the dir is in tmp
    }
    takenPorts.delete(this.amqpPort);
    takenPorts.delete(this.distPort);
    live.delete(this);
    if (live.size === 0) uninstallHooks();
  }
}

/**
 * Start a private node from the installed rabbitmq-server and wait until it accepts AMQP
 * connections. Rejects with the tail of the node's log if it does not come up in time.
 */
export async function startLocalNode(options: LocalNodeOptions = {}): Promise<LocalNode> {
  const scripts = findRabbitmqScripts();
  if (!scripts) {
    throw new BrokerError('rabbitmq-server is not installed: cannot start a private node (Debian/Ubuntu: apt-get install rabbitmq-server; or use docker: npm run broker:up, and --url)');
  }
  const n = ++sequence;
  const nodeName = options.name ?? `ackbench-${process.pid}-${n}@localhost`;
  if (!/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/.test(nodeName)) throw new Error(`invalid node name '${nodeName}'`);
  const amqpPort = options.amqpPort ?? (await freePort());
  const distPort = options.distPort ?? (await freePort());
  const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), `ackbench-node-${nodeName.split('@')[0]}-`));
  const node = new LocalRabbitNode(nodeName, amqpPort, distPort, dir, scripts, rabbitmqUser(), options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
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
  return [...live];
}
