#!/usr/bin/env node
// The ackbench command line (DESIGN.md section 7). Parsing with commander; all work is done by the
// programmatic API so the CLI and `import { runScenario } from 'ackbench'` give the same figures.

import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { EXIT, exitCodeOf, UsageError } from './errors.js';
import { maskCredentials } from './broker/url.js';
import { loadScenario, scenarioOfRun, type ScenarioOverrides } from './scenario/load.js';
import { runScenario } from './run/run-scenario.js';
import { createConsoleView } from './run/console-view.js';
import { DEFAULT_SWEEP } from './run/sweep.js';
import { DEFAULT_P99_BOUND_MS } from './run/max-rate.js';
import { parseShard } from './run/shard.js';
import { BROKER_KINDS, provisionBroker, type BrokerKind, type ProvisionedBroker } from './broker/provision.js';

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

/** SIGINT / SIGTERM: the first aborts (the run winds down and cleans up), the second exits at once. */
function interruptible(note: (line: string) => void, what: string): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    // Exiting runs the exit hooks: a private broker is killed and its files removed even then.
    if (signals > 1) process.exit(130);
    note(`${sig}: ${what} (again to exit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    controller,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function faultsCommand(scenarioPath: string | undefined, flags: FaultFlags): Promise<number> {
  const { runFaultScenario } = await import('./run/run-faults.js');
  const scenario = loadScenario(scenarioPath ?? null, { ...overridesOf(flags), faults: flags.fault });
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
    if (controller.signal.aborted) return 130;
    return outcome.problems.length || !outcome.run.complete ? EXIT.checkFailed : EXIT.ok;
  } finally {
    dispose();
  }
}

/** --shard I/N [--shard-group NAME]: this agent's share of a run split over N agents. */
function shardOf(flags: RunFlags): { index: number; count: number; group?: string } | undefined {
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
  if (kind === 'url') return runOnUrl(scenarioPath, flags);
  // A broker of our own: started first, removed at the end, on error, and on Ctrl-C (the second one
  // exits at once, and the private node's exit hook removes it then).
  let broker: ProvisionedBroker | null = null;
  try {
    broker = await provisionBroker(kind, flags.url ?? process.env.AMQP_URL);
    return await runOnUrl(scenarioPath, { ...flags, url: broker.url });
  } finally {
    await broker?.release();
  }
}

async function runOnUrl(scenarioPath: string | undefined, flags: RunFlags): Promise<number> {
  const resumeDir = flags.resume;
  // A resumed run continues the scenario stored in its run.json unless a scenario file is given.
  const scenario = resumeDir && !scenarioPath ? scenarioOfRun(resumeDir) : loadScenario(scenarioPath ?? null, overridesOf(flags));
  const view = createConsoleView({ json: Boolean(flags.json) });
  // Not disposed: the handlers stay for the rest of the process, so a Ctrl-C while runCommand releases
  // a private broker still goes through them (the second exits, and the node's exit hook removes it).
  const { controller } = interruptible(view.note, 'stopping after in-flight confirms; run.json keeps every finished cell');
  const outcome = await runScenario(scenario, {
    outDir: resumeDir ?? flags.out,
    resume: Boolean(resumeDir),
    url: flags.url,
    onEvent: view.event,
    signal: controller.signal,
    report: flags.report,
    sweep: parseSweep(flags.sweep),
    maxRateP99Ms: parseMaxRate(flags.maxRate),
    shard: shardOf(flags),
  });
  view.finish(outcome.run, outcome.dir, outcome.problems);
  if (!outcome.run.complete) return controller.signal.aborted ? 130 : EXIT.checkFailed;
  return outcome.problems.length ? EXIT.checkFailed : EXIT.ok;
}

/**
 * The options `run` and `faults` share: --out, then the axis and window flags (read back by
 * overridesOf). Only the help of --consumers and --repetitions differs between the two commands.
 */
function addScenarioOptions(command: Command, help: { consumers: string; repetitions: string }): Command {
  return command
    .option('--out <dir>', 'output directory (default results/<run-id>)')
    .option('--client <list>', 'client axis: amqplib, rabbitmq-client')
    .option('--durability <list>', 'durability axis: transient, persistent')
    .option('--publish <list>', 'publish axis: none, single, batch:N, async:W, tx:N')
    .option('--consume <list>', 'consume axis: manual[:PREFETCH[:MULTIACK]], auto[:PREFETCH]')
    .option('--queue <list>', 'queue axis: classic, quorum, stream')
    .option('--size <list>', 'message sizes in bytes')
    .option('--producers <list>', 'producer counts')
    .option('--channels <list>', 'producer channels per connection: producers share connections, a channel each (default 1: a connection per producer)')
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
      const { writeReport } = await import('./report/index.js');
      const { html } = await writeReport(dir);
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
      const { mergeShards } = await import('./run/merge.js');
      const outcome = await mergeShards(dirs, { outDir: flags.out, report: flags.report });
      for (const p of outcome.problems) console.error(`ackbench: ${p}`);
      console.log(`merged ${dirs.length} shards: ${outcome.dir}${outcome.run.complete ? '' : ' (incomplete)'}`);
      process.exitCode = !outcome.run.complete || outcome.problems.length ? EXIT.checkFailed : EXIT.ok;
    });

  program
    .command('history')
    .description('write an index of the runs under a results directory, with a trend chart')
    .argument('[dir]', 'results directory', 'results')
    .action(async (dir: string) => {
      const { writeHistory } = await import('./report/history.js');
      await writeHistory(dir);
      console.log(`history: ${dir}/index.html`);
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
    const message = err instanceof Error ? err.message : String(err);
    console.error(`ackbench: ${maskCredentials(message)}`);
    process.exitCode = exitCodeOf(err);
  }
}

await main(process.argv);
