#!/usr/bin/env node
// The ackbench command line (docs/architecture.md#contracts). Parsing with commander; all work is done by the
// programmatic API so the CLI and `import { runScenario } from 'ackbench'` give the same figures.

// First: a Ctrl-C while the other modules load already ends with a line that says so (interrupt.ts).
import { interruptedBy, interruptedExitCode, interruptible, setStage } from './interrupt.js';
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { errorLine, EXIT, exitCodeOf, UsageError } from './errors.js';
import { writeErrorDetail } from './last-resort.js';
import { DEFAULT_URL, maskCredentials, resolveBrokerUrl } from './broker/url.js';
import { loadScenario, scenarioOfRun, type ScenarioOverrides } from './scenario/load.js';
import { refuseFaultsInRun } from './scenario/faults.js';
import { publishModesHelp } from './scenario/publish-traits.js';
import { CLIENTS, type Scenario } from './scenario/types.js';
import { runScenario } from './run/run-scenario.js';
import { createConsoleView, type ConsoleView } from './run/console-view.js';
import { prepareOutputDir } from './run/out-path.js';
import { DEFAULT_SWEEP } from './run/sweep.js';
import { DEFAULT_P99_BOUND_MS } from './run/max-rate.js';
import { defaultGroup, parseShard } from './run/shard.js';
import { BROKER_KINDS, provisionBroker, type BrokerKind, type ProvisionedBroker } from './broker/provision.js';
import { streamPortOverride } from './clients/stream-port.js';

const version: string = createRequire(import.meta.url)('../../package.json').version;

function number(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: '${value}' is not a number`);
    return n;
  };
}

interface RunFlags {
  out?: string;
  client?: string;
  durability?: string;
  publish?: string;
  consume?: string;
  queue?: string;
  size?: string;
  producers?: string;
  channels?: string;
  deduplication?: string;
  consumers?: string;
  rate?: string;
  messages?: number;
  duration?: number;
  warmup?: number;
  repetitions?: number;
  url?: string;
  json?: boolean;
  resume?: string;
  sweep?: string | true;
  maxRate?: string | true;
  shard?: string;
  shardGroup?: string;
  report: boolean;
  broker?: string;
  metricsUrl?: string;
}

interface FaultFlags extends Omit<RunFlags, 'resume' | 'sweep' | 'maxRate'> {
  fault?: string;
  nodes?: number;
  baseline?: boolean;
}

function brokerKind(value: string | undefined, fallback: BrokerKind): BrokerKind {
  if (value === undefined) return fallback;
  if (!(BROKER_KINDS as readonly string[]).includes(value)) throw new UsageError(`--broker: '${value}' is not one of ${BROKER_KINDS.join(', ')}`);
  return value as BrokerKind;
}

/**
 * The environment variables `run` and `faults` read, checked with the flags: a bad one is one line
 * naming it (exit 2) before anything is started. ACKBENCH_STREAM_PORT is checked whenever it is set,
 * whatever the matrix: a value that is not a port is a mistake even where no stream cell would read it.
 */
function checkEnvironment(): void {
  try {
    streamPortOverride(process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** What the axis and window flags replace in the scenario file (both run and faults take them). */
function overridesOf(flags: Omit<RunFlags, 'resume' | 'sweep' | 'maxRate'>): ScenarioOverrides {
  return {
    axes: {
      client: flags.client,
      durability: flags.durability,
      publish: flags.publish,
      consume: flags.consume,
      queue: flags.queue,
      size: flags.size,
      producers: flags.producers,
      channels: flags.channels,
      deduplication: flags.deduplication,
      consumers: flags.consumers,
      rate: flags.rate,
    },
    messages: flags.messages,
    duration: flags.duration,
    warmup: flags.warmup,
    repetitions: flags.repetitions,
    url: flags.url,
  };
}

async function faultsCommand(scenarioPath: string | undefined, flags: FaultFlags): Promise<number> {
  const { runFaultScenario } = await import('./run/run-faults.js');
  checkEnvironment();
  const scenario = loadScenario(scenarioPath ?? null, { ...overridesOf(flags), faults: flags.fault });
  prepareOutputDir(flags.out ?? 'results', flags.out ? '--out' : 'output directory');
  if (flags.nodes !== undefined) {
    if (flags.nodes !== 1 && flags.nodes !== 3) throw new UsageError(`--nodes: must be 1 (a private node) or 3 (a private cluster), got ${flags.nodes}`);
    scenario.nodes = flags.nodes;
  }
  if (flags.baseline !== undefined) scenario.baseline = flags.baseline;
  const broker = brokerKind(flags.broker, flags.url ? 'url' : 'local');
  const view = createConsoleView({ json: Boolean(flags.json) });
  const { controller, dispose } = interruptible(view.note, 'stopping the cell, removing the private broker; run.json keeps every finished cell');
  try {
    const outcome = await runFaultScenario(scenario, {
      outDir: flags.out,
      broker,
      url: flags.url,
      onEvent: view.event,
      signal: controller.signal,
      report: flags.report,
    });
    view.finish(outcome.run, outcome.dir, outcome.problems);
    for (const finding of outcome.findings) {
      if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'finding', message: finding })}\n`);
      else process.stdout.write(`finding: ${finding}\n`);
    }
    if (controller.signal.aborted) return interruptedExitCode();
    return outcome.problems.length || !outcome.run.complete ? EXIT.checkFailed : EXIT.ok;
  } finally {
    dispose();
  }
}

/** --shard I/N [--shard-group NAME]: this agent's share of a run split over N agents. */
type ShardPlan = { index: number; count: number; group?: string };

function shardOf(flags: RunFlags): ShardPlan | undefined {
  if (flags.shard === undefined) {
    if (flags.shardGroup !== undefined) throw new UsageError('--shard-group: only with --shard I/N');
    return undefined;
  }
  if (flags.broker === 'local' || flags.broker === 'docker') throw new UsageError(`--shard: the agents must share one broker; --broker ${flags.broker} would start one per agent`);
  return parseShard(flags.shard, flags.shardGroup);
}

function parseSweep(value: string | true | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  if (value === true) return DEFAULT_SWEEP;
  return value.split(',').map((s) => {
    const pct = Number(s.trim().replace(/%$/, ''));
    if (!(pct > 0 && pct <= 100)) throw new UsageError(`--sweep: '${s}' is not a percentage in (0, 100]`);
    return pct / 100;
  });
}

function parseMaxRate(value: string | true | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return DEFAULT_P99_BOUND_MS;
  const ms = Number(value);
  if (!(ms > 0)) throw new UsageError(`--max-rate: '${value}' is not an end-to-end p99 bound in ms (> 0)`);
  return ms;
}

async function runCommand(scenarioPath: string | undefined, flags: RunFlags): Promise<number> {
  const kind = brokerKind(flags.broker, 'url');
  // Every input is checked before a broker is started or contacted: environment, scenario, flags, URL, output directory.
  checkEnvironment();
  const resumeDir = flags.resume;
  if (resumeDir && flags.out) throw new UsageError(`--out: not with --resume, which writes into the run directory it continues (${resumeDir})`);
  // A resumed run continues the scenario stored in its run.json unless a scenario file is given.
  const scenario = resumeDir && !scenarioPath ? scenarioOfRun(resumeDir) : loadScenario(scenarioPath ?? null, overridesOf(flags));
  refuseFaultsInRun(scenario, scenarioPath);
  const plan = { sweep: parseSweep(flags.sweep), shard: shardOf(flags), maxRate: parseMaxRate(flags.maxRate) };
  const url = kind === 'url' || kind === 'auto' ? resolveBrokerUrl(flags.url, scenario.url) : undefined;
  if (!resumeDir) prepareOutputDir(flags.out ?? 'results', flags.out ? '--out' : 'output directory');
  const view = createConsoleView({ json: Boolean(flags.json) });
  if (kind === 'url') return runOnUrl(scenario, { ...flags, url }, view, plan);
  // A broker of our own: started first, removed at the end, on error, and on Ctrl-C (a signal while
  // it starts or stops exits at once, and the private node's exit hook removes it then).
  let broker: ProvisionedBroker | null = null;
  try {
    setStage(kind === 'auto' ? `looking for a broker (--broker auto)` : `starting a broker (--broker ${kind})`);
    broker = await provisionBroker(kind, url);
    view.note(brokerLine(kind, broker, url));
    return await runOnUrl(scenario, { ...flags, url: broker.url }, view, plan);
  } finally {
    setStage('removing the broker ackbench started');
    await broker?.release();
  }
}

/** --metrics-url: an http(s) URL, or none. */
function metricsUrlOf(value: string | undefined): string | undefined {
  if (value === undefined || value === 'none') return value;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`--metrics-url: not a URL: '${maskCredentials(value)}' (an http(s) URL of rabbitmq_prometheus, or none)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--metrics-url: scheme must be http or https, got '${parsed.protocol.replace(/:$/, '')}'`);
  return value;
}

/** Which broker a run uses, and for auto why: the line printed before the run starts. */
function brokerLine(kind: BrokerKind, broker: ProvisionedBroker, probed: string | undefined): string {
  const at = maskCredentials(broker.url);
  const why = kind === 'auto' && broker.kind !== 'url' ? ` (--broker auto: nothing answered at ${maskCredentials(probed ?? DEFAULT_URL)})` : '';
  if (broker.kind === 'local') return `broker: a private node of the installed rabbitmq-server at ${at}, removed at the end${why}`;
  if (broker.kind === 'docker') return `broker: a docker container at ${at}, removed at the end${why}`;
  return `broker: ${at}${kind === 'auto' ? ' (--broker auto: it answered)' : ''}`;
}

async function runOnUrl(scenario: Scenario, flags: RunFlags, view: ConsoleView, plan: { sweep?: number[]; shard?: ShardPlan; maxRate?: number }): Promise<number> {
  const resumeDir = flags.resume;
  const { controller, dispose } = interruptible(view.note, 'stopping after in-flight confirms; run.json keeps every finished cell');
  // Until every agent is there, nothing else is printed: say what the wait is.
  if (plan.shard) view.note(`shard ${plan.shard.index}/${plan.shard.count}: waiting up to 120 s for the other agents of group '${plan.shard.group ?? defaultGroup(scenario.name, plan.shard.count)}' to join`);
  try {
    const outcome = await runScenario(scenario, {
      outDir: resumeDir ?? flags.out,
      resume: Boolean(resumeDir),
      url: flags.url,
      onEvent: view.event,
      signal: controller.signal,
      report: flags.report,
      sweep: plan.sweep,
      shard: plan.shard,
      metricsUrl: metricsUrlOf(flags.metricsUrl),
      maxRateP99Ms: plan.maxRate,
    });
    view.finish(outcome.run, outcome.dir, outcome.problems);
    if (!outcome.run.complete) return controller.signal.aborted ? interruptedExitCode() : EXIT.checkFailed;
    return outcome.problems.length ? EXIT.checkFailed : EXIT.ok;
  } finally {
    dispose();
  }
}

/**
 * The options `run` and `faults` share: --out, then the axis and window flags (read back by
 * overridesOf). Only the help of --consumers and --repetitions differs between the two commands.
 */
function addScenarioOptions(command: Command, help: { consumers: string; repetitions: string }): Command {
  return command
    .option('--out <dir>', 'output directory (default results/<run-id>)')
    .option('--client <list>', `client axis: ${CLIENTS.join(', ')}`)
    .option('--durability <list>', 'durability axis: transient, persistent')
    .option('--publish <list>', `publish axis: ${publishModesHelp()}`)
    .option('--consume <list>', 'consume axis: manual[:PREFETCH[:MULTIACK]], auto[:PREFETCH]')
    .option('--queue <list>', 'queue axis: classic, quorum, stream')
    .option('--size <list>', 'message sizes in bytes')
    .option('--producers <list>', 'producer counts')
    .option('--channels <list>', 'producer channels per connection: producers share connections, a channel each (default 1: a connection per producer)')
    .option('--deduplication <list>', 'stream publisher deduplication: off, on (named publishers; the stream client only)')
    .option('--consumers <list>', help.consumers)
    .option('--rate <list>', 'target msgs/s per producer, or unlimited')
    .option('--messages <n>', 'measured messages per producer', number('--messages'))
    .option('--duration <seconds>', 'measured seconds per producer (instead of --messages)', number('--duration'))
    .option('--warmup <n>', 'warm-up messages per producer (not measured)', number('--warmup'))
    .option('--repetitions <n>', help.repetitions, number('--repetitions'));
}

export function buildProgram(): Command {
  const program = new Command('ackbench')
    .description('Measures what RabbitMQ delivery guarantees cost, and whether they hold')
    .version(version)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  const run = program
    .command('run')
    .description('run a scenario matrix against a broker and write results, charts and a report')
    .argument('[scenario]', 'scenario file (YAML); without one, a single default cell');
  addScenarioOptions(run, { consumers: 'consumer counts (0: publish only; the queue is counted, then purged)', repetitions: 'repetitions of each cell' })
    .option('--url <url>', 'broker URL (default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672)')
    .option('--json', 'NDJSON events on stdout instead of progress bars')
    .option('--sweep [percents]', 'after each unlimited cell, rerun it paced at these % of its throughput (default 10,25,50,75,90,100)')
    .option('--max-rate [p99ms]', `after each unlimited cell with consumers, search the highest paced rate they keep up with: backlog bounded, e2e p99 under P99MS (default ${DEFAULT_P99_BOUND_MS})`)
    .option('--resume <dir>', 'continue an interrupted run in DIR: only missing repetitions run')
    .option('--shard <i/n>', "run the I-th of N shares of every cell's producers and consumers, in step with the other N-1 agents (see ackbench merge)")
    .option('--shard-group <name>', 'names the shared queues and control exchange of a sharded run (default: scenario name and N)')
    .option('--broker <kind>', 'url (default: --url, else $AMQP_URL, else 127.0.0.1:5672), local (a private node, removed at the end), docker (a container, removed at the end), auto (the URL if it answers, else a private node, else a container)')
    .option('--metrics-url <url>', "broker cost figures from this rabbitmq_prometheus endpoint (default: the broker's own counters when it runs on this host, else http://<broker host>:15692/metrics); none: no broker figures")
    .addOption(new Option('--no-report', 'skip the HTML report and charts'))
    .action(async (scenarioPath: string | undefined, flags: RunFlags) => {
      process.exitCode = await runCommand(scenarioPath, flags);
    });

  const faults = program
    .command('faults')
    .description("run a scenario's cells under faults (kill9, restart, close-connections, kill-consumer) on a private broker, and count what was lost, duplicated or never answered")
    .argument('[scenario]', "scenario file (YAML) with a faults: list; without one, a single default cell under kill9");
  addScenarioOptions(faults, { consumers: 'consumer counts (0: publish only; the queue is drained after the fault)', repetitions: 'repetitions of each fault cell' })
    .option('--fault <list>', "faults replacing the file's: kill9, restart, close-connections, kill-consumer, each optionally @N (messages sent) or @Ss (seconds), then :continue for clients that reconnect with backoff and go on (default :stop, they end at the fault), e.g. kill9@2500,kill9@2500:continue,kill-consumer@1000")
    .option('--nodes <n>', '1: a private node (default); 3: a private cluster, clients on node 1, kill9 / restart hit node 2, where each queue (and a quorum queue\'s leader) starts', number('--nodes'))
    .option('--baseline', 'run each cell once without a fault first: the throughput each mode costs')
    .option(
      '--broker <kind>',
      'local (default): a private node (or cluster, --nodes 3) from the installed rabbitmq-server; docker: a container ackbench starts, kills, restarts and removes (one node; needs a docker engine); auto: local if rabbitmq-server is installed, else docker. url is refused: ackbench kills only a broker it started',
    )
    .option('--url <url>', 'refused unless it is a private node this process started (programmatic API)')
    .option('--json', 'NDJSON events on stdout instead of progress bars')
    .addOption(new Option('--no-report', 'skip the HTML report and charts'))
    .action(async (scenarioPath: string | undefined, flags: FaultFlags) => {
      process.exitCode = await faultsCommand(scenarioPath, flags);
    });

  program
    .command('report')
    .description('write the charts and index.html of a run directory')
    .argument('<dir>', 'a run directory holding run.json')
    .action(async (dir: string) => {
      setStage(`writing the report of ${dir}`);
      const { writeReport } = await import('./report/index.js');
      const { html } = await writeReport(dir).catch((err: unknown) => {
        throw err instanceof UsageError && !err.message.startsWith('report ') ? new UsageError(`report: ${err.message}`) : err;
      });
      console.log(`report: ${html}`);
    });

  program
    .command('compare')
    .description('compare two runs cell by cell; exit 1 on a regression beyond the threshold')
    .argument('<baseline>', 'baseline run directory')
    .argument('<candidate>', 'candidate run directory')
    .option('--threshold <pct>', 'regression threshold in percent', number('--threshold'), 10)
    .option('--out <dir>', 'also write the comparison chart and Markdown here')
    .action(async (baseline: string, candidate: string, flags: { threshold: number; out?: string }) => {
      setStage(`comparing ${candidate} with ${baseline}`);
      const { writeComparison } = await import('./report/compare.js');
      const result = await writeComparison(baseline, candidate, { thresholdPct: flags.threshold, outDir: flags.out });
      process.stdout.write(result.markdown);
      process.exitCode = result.exitCode;
    });

  program
    .command('merge')
    .description('combine the directories of a sharded run (run --shard I/N) exactly into one run')
    .argument('<dirs...>', 'the shard run directories, one per shard')
    .requiredOption('--out <dir>', 'directory of the merged run')
    .addOption(new Option('--no-report', 'skip the HTML report and charts'))
    .action(async (dirs: string[], flags: { out: string; report: boolean }) => {
      setStage(`merging into ${flags.out}`);
      const { mergeShards } = await import('./run/merge.js');
      const outcome = await mergeShards(dirs, { outDir: flags.out, report: flags.report });
      const { tableWithNotes } = await import('./run/console-view.js');
      process.stdout.write(tableWithNotes(outcome.run));
      for (const p of outcome.problems) console.error(`ackbench: ${p}`);
      console.log(`merged ${dirs.length} shards: ${outcome.dir}${outcome.run.complete ? '' : ' (incomplete)'}`);
      process.exitCode = !outcome.run.complete || outcome.problems.length ? EXIT.checkFailed : EXIT.ok;
    });

  program
    .command('history')
    .description('write an index of the runs under a results directory, with a trend chart and change points (changes.json)')
    .argument('[dir]', 'results directory', 'results')
    .option('--recent <runs>', 'a regression is new while its first run is among this many newest runs', number('--recent'), 5)
    .option('--fail-on-regression', 'exit 1 when the newest runs started a significant regression')
    .action(async (dir: string, flags: { recent: number; failOnRegression?: boolean }) => {
      setStage(`writing the history of ${dir}`);
      const { writeHistory } = await import('./report/history.js');
      if (!Number.isInteger(flags.recent) || flags.recent < 1) throw new UsageError('--recent: must be a whole number of runs, 1 or more');
      const out = await writeHistory(dir, { recent: flags.recent });
      console.log(`history: ${dir}/index.html`);
      console.log(`changes: ${out.changesFile} (${out.changes.length} change points, ${out.fresh.length} new regressions)`);
      if (flags.failOnRegression && out.fresh.length) process.exitCode = EXIT.checkFailed;
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      console.error(`ackbench: ${err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')}`);
      process.exitCode = EXIT.usage;
      return;
    }
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    // A wait cut short by Ctrl-C ends as an interrupt, whatever error the wait gave up with.
    const signal = interruptedBy();
    if (signal && !(err instanceof UsageError)) {
      console.error(`ackbench: ${signal}: stopped (${maskCredentials(message)})`);
      process.exitCode = interruptedExitCode();
      return;
    }
    process.exitCode = exitCodeOf(err);
    // One line; an error of no known kind is a bug, said so, with exit 4 (errors.ts).
    console.error(`ackbench: ${maskCredentials(errorLine(err, writeErrorDetail))}`);
  }
}

await main(process.argv);
