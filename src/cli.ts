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
  report: boolean;
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

async function runCommand(scenarioPath: string | undefined, flags: RunFlags): Promise<number> {
  const overrides: ScenarioOverrides = {
    axes: {
      client: flags.client,
      durability: flags.durability,
      publish: flags.publish,
      consume: flags.consume,
      queue: flags.queue,
      size: flags.size,
      producers: flags.producers,
      consumers: flags.consumers,
      rate: flags.rate,
    },
    messages: flags.messages,
    duration: flags.duration,
    warmup: flags.warmup,
    repetitions: flags.repetitions,
    url: flags.url,
  };
  const resumeDir = flags.resume;
  // A resumed run continues the scenario stored in its run.json unless a scenario file is given.
  const scenario = resumeDir && !scenarioPath ? scenarioOfRun(resumeDir) : loadScenario(scenarioPath ?? null, overrides);
  const view = createConsoleView({ json: Boolean(flags.json) });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    view.note(`${sig}: stopping after in-flight confirms; run.json keeps every finished cell (again to exit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const outcome = await runScenario(scenario, {
    outDir: resumeDir ?? flags.out,
    resume: Boolean(resumeDir),
    url: flags.url,
    onEvent: view.event,
    signal: controller.signal,
    report: flags.report,
    sweep: parseSweep(flags.sweep),
  });
  view.finish(outcome.run, outcome.dir, outcome.problems);
  if (!outcome.run.complete) return controller.signal.aborted ? 130 : EXIT.checkFailed;
  return outcome.problems.length ? EXIT.checkFailed : EXIT.ok;
}

export function buildProgram(): Command {
  const program = new Command('ackbench')
    .description('Measures what RabbitMQ delivery guarantees cost, and whether they hold')
    .version(version)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('run')
    .description('run a scenario matrix against a broker and write results, charts and a report')
    .argument('[scenario]', 'scenario file (YAML); without one, a single default cell')
    .option('--out <dir>', 'output directory (default results/<run-id>)')
    .option('--client <list>', 'client axis: amqplib, rabbitmq-client')
    .option('--durability <list>', 'durability axis: transient, persistent')
    .option('--publish <list>', 'publish axis: none, single, batch:N, async:W, tx:N')
    .option('--consume <list>', 'consume axis: manual[:PREFETCH[:MULTIACK]], auto[:PREFETCH]')
    .option('--queue <list>', 'queue axis: classic, quorum, stream')
    .option('--size <list>', 'message sizes in bytes')
    .option('--producers <list>', 'producer counts')
    .option('--consumers <list>', 'consumer counts (0: publish only; the queue is counted, then purged)')
    .option('--rate <list>', 'target msgs/s per producer, or unlimited')
    .option('--messages <n>', 'measured messages per producer', number('--messages'))
    .option('--duration <seconds>', 'measured seconds per producer (instead of --messages)', number('--duration'))
    .option('--warmup <n>', 'warm-up messages per producer (not measured)', number('--warmup'))
    .option('--repetitions <n>', 'repetitions of each cell', number('--repetitions'))
    .option('--url <url>', 'broker URL (default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672)')
    .option('--json', 'NDJSON events on stdout instead of progress bars')
    .option('--sweep [percents]', 'after each unlimited cell, rerun it paced at these % of its throughput (default 10,25,50,75,90,100)')
    .option('--resume <dir>', 'continue an interrupted run in DIR: only missing repetitions run')
    .addOption(new Option('--no-report', 'skip the HTML report and charts'))
    .action(async (scenarioPath: string | undefined, flags: RunFlags) => {
      process.exitCode = await runCommand(scenarioPath, flags);
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
