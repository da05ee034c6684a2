// `ackbench faults`: every cell of a scenario under each of its faults, on a private broker ackbench
// starts (a node, a cluster of three, or a docker container), kills and removes; the run directory is written as `run`
// writes it (run.json with each cell's fault outcome, summary.csv with the fault columns, report).
//
// Exit code (docs/architecture.md#exit-codes): a fault run measures loss, so a loss is a finding, printed and kept
// in the files. Only a broken promise fails it (exit 1): confirmed messages lost by a cell whose modes
// promise none (persistent, confirms or tx, manual ack; run/guarantees.ts), a cell that failed, or
// messages received that nobody sent.

import { UsageError } from '../errors.js';
import { ownedNodesSource } from '../broker/cost-sampler.js';
import { probeEnvironment } from '../broker/environment.js';
import { liveLocalNodes, type LocalNode } from '../broker/local-node.js';
import { ownedBrokerKind, ownedNode, provisionOwnedBroker, type BrokerKind, type OwnedBroker } from '../broker/provision.js';
import { maskCredentials } from '../broker/url.js';
import { faultApplies, faultCell } from '../scenario/faults.js';
import type { Cell, Scenario, ScenarioFault } from '../scenario/types.js';
import { aggregate } from '../stats/aggregate.js';
import { runCellRepetition } from './cell-runner.js';
import { runFaultCell } from './fault-runner.js';
import { faultVerdicts } from './guarantees.js';
import type { Environment, RunFile } from './result.js';
import { finishRunFiles, makeRunId, newRunFile, prepareRunDir, writeRunFiles, writeRunReport } from './run-dir.js';
import type { RunEvent, RunOutcome } from './run-scenario.js';

/** When the scenario names no fault: kill -9 a quarter of the way into each cell. */
export const DEFAULT_FAULTS: ScenarioFault[] = [{ kind: 'kill9' }];

export interface FaultScenarioOptions {
  /** Output directory; default results/<run-id>. */
  outDir?: string;
  /**
   * Where the broker comes from: local (default) starts a private node, or a cluster when the scenario
   * says nodes: 3; docker starts a container (nodes: 1 only; BrokerError, exit 3, without an engine);
   * auto is local when rabbitmq-server is installed (and always for nodes: 3), else docker when an
   * engine answers. url is only accepted for a node this process started (faults kill the broker:
   * ackbench never kills one it did not start).
   */
  broker?: BrokerKind;
  /** With broker url (or alone): the URL of a private node this process started (startLocalNode). */
  url?: string;
  onEvent?: (e: RunEvent) => void;
  /** Aborting ends the current cell early and stops the run; the private broker is removed all the same. */
  signal?: AbortSignal;
  /** Write the HTML report and charts at the end (default true). */
  report?: boolean;
}

export interface FaultOutcomeOfRun extends RunOutcome {
  /** Losses the cells' modes do not promise to avoid: reported, not failures. */
  findings: string[];
}

/** The fault cells of a scenario: each cell (base) under each fault that applies to it, fault by fault. */
export function faultPlan(scenario: Scenario): Array<{ base: Cell; cell: Cell; fault: ScenarioFault }> {
  const faults = scenario.faults?.length ? scenario.faults : DEFAULT_FAULTS;
  return faults.flatMap((fault) => scenario.cells.filter((cell) => faultApplies(fault, cell)).map((base) => ({ base, cell: faultCell(base, fault), fault })));
}

/** Checks the broker options before anything starts (UsageError, exit 2). */
export function checkFaultBroker(options: Pick<FaultScenarioOptions, 'broker' | 'url'>, scenario: Scenario): LocalNode | null {
  const kind = options.broker ?? (options.url ? 'url' : 'local');
  const url = options.url ?? (kind === 'url' ? scenario.url ?? undefined : undefined);
  if (kind === 'docker' && (scenario.nodes ?? 1) > 1) {
    throw new UsageError(
      'faults --broker docker: one container only (nodes: 1); for three nodes use --broker local (a private cluster ackbench kills itself), or docker/compose.cluster.yml (docker/README.md)',
    );
  }
  if (kind === 'url' || url) {
    const own = url ? liveLocalNodes().find((n) => n.url === url) : undefined;
    if (!own) {
      throw new UsageError(
        `faults${url ? ` --url ${maskCredentials(url)}` : ' --broker url'}: faults kill the broker, so they run only on a private node ackbench starts itself (--broker local, the default); leave out --url`,
      );
    }
    if ((scenario.nodes ?? 1) > 1) throw new UsageError('faults --url: a given node cannot be a cluster; leave out --url to let ackbench start one (nodes: 3)');
    return own;
  }
  return null;
}

/** A node given by URL (one this process started), or what provisionOwnedBroker will start. */
type BrokerPlan = { given: LocalNode } | { kind: 'local' | 'docker' };

async function brokerPlan(options: FaultScenarioOptions, scenario: Scenario): Promise<BrokerPlan> {
  const given = checkFaultBroker(options, scenario);
  return given ? { given } : { kind: await ownedBrokerKind(options.broker ?? 'local', scenario.nodes ?? 1) };
}

/** What one run of the plan shares: its directory, id, broker, cost source and the event sink. */
interface FaultRunContext {
  scenario: Scenario;
  options: FaultScenarioOptions;
  runId: string;
  dir: string;
  broker: OwnedBroker;
  metrics: ReturnType<typeof ownedNodesSource>;
  emit: (e: RunEvent) => void;
}

function faultRunFile(context: FaultRunContext, environment: Environment): RunFile {
  const { scenario, runId, broker, metrics } = context;
  return {
    ...newRunFile(
      runId,
      {
        name: scenario.name,
        axes: scenario.axes,
        window: scenario.window,
        faults: scenario.faults?.length ? scenario.faults : DEFAULT_FAULTS,
        nodes: scenario.nodes ?? 1,
      },
      environment,
    ),
    faultBroker: broker.description,
    metrics: { source: metrics.kind, detail: metrics.detail },
  };
}

/**
 * Runs the baselines (each cell that runs under a fault, once without one: the throughput it costs),
 * then every fault cell, each repetition recorded (run.json rewritten) as it ends. Stops at an abort;
 * an interrupted cell is not a result. Returns how many repetitions were planned.
 */
async function runPlan(context: FaultRunContext, run: RunFile, plan: ReturnType<typeof faultPlan>): Promise<number> {
  const { scenario, options, runId, dir, broker, metrics, emit } = context;
  const repetitions = scenario.window.repetitions;
  const baselineCells = scenario.baseline ? [...new Map(plan.map(({ base }) => [base.id, base])).values()] : [];
  const total = (baselineCells.length + plan.length) * repetitions;
  emit({ type: 'run-start', runId, dir, cells: baselineCells.length + plan.length, repetitions, broker: maskCredentials(broker.node.url) });
  const jobs = [
    ...baselineCells.map((cell) => ({ cell, fault: null })),
    ...plan.map(({ cell, fault }) => ({ cell, fault })),
  ];
  let index = 0;
  for (const { cell, fault } of jobs) {
    for (let repetition = 1; repetition <= repetitions; repetition++) {
      if (options.signal?.aborted) return total;
      index++;
      emit({ type: 'cell-start', index, total, cell: cell.id, repetition });
      const result = fault
        ? await runFaultCell(
            cell,
            { kind: fault.kind, atMessages: fault.atMessages, atSeconds: fault.atSeconds, after: fault.after },
            { node: broker.node, target: broker.target, metricsNodes: broker.members, runId, window: scenario.window, repetition, signal: options.signal, onProgress: (p) => emit({ type: 'progress', cell: cell.id, repetition, ...p }) },
          )
        : await runCellRepetition(cell, repetition, { url: broker.node.url, runId, window: scenario.window, signal: options.signal, metrics, onProgress: (p) => emit({ type: 'progress', cell: cell.id, repetition, ...p }) });
      if (options.signal?.aborted) return total;
      run.cells.push(result);
      run.aggregates = aggregate(run.cells);
      writeRunFiles(dir, run);
      emit({ type: 'cell-result', index, total, result });
    }
  }
  return total;
}

export async function runFaultScenario(scenario: Scenario, options: FaultScenarioOptions = {}): Promise<FaultOutcomeOfRun> {
  const emit = options.onEvent ?? (() => undefined);
  const brokerToStart = await brokerPlan(options, scenario);
  const runId = makeRunId(scenario.name);
  const dir = prepareRunDir(options.outDir, runId);
  const plan = faultPlan(scenario);
  if (plan.length === 0) throw new UsageError(`scenario ${scenario.name}: no cell matches the faults' where: lists`);

  const broker = 'given' in brokerToStart ? ownedNode(brokerToStart.given) : await provisionOwnedBroker(brokerToStart.kind, scenario.nodes ?? 1);
  try {
    const environment = await probeEnvironment(broker.node.url, scenario.cells);
    const context: FaultRunContext = { scenario, options, runId, dir, broker, metrics: ownedNodesSource(broker.members), emit };
    const run = faultRunFile(context, environment);
    const total = await runPlan(context, run, plan);
    finishRunFiles(dir, run, !options.signal?.aborted && run.cells.length === total);
    // The broker goes before the report: rendering takes a while, and the node is no longer needed.
    await broker.release();
    await writeRunReport(dir, run, options.report);
    const { problems, findings } = faultVerdicts(run.cells);
    emit({ type: 'run-end', dir, complete: run.complete, problems });
    return { dir, run, problems, findings };
  } finally {
    await broker.release();
  }
}
