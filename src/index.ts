// The programmatic API: the same runs and figures as the CLI.

export { runScenario, type RunEvent, type RunOptions, type RunOutcome } from './run/run-scenario.js';
export { mergeShards, type MergeOptions, type MergeOutcome } from './run/merge.js';
export { runFaultScenario, type FaultScenarioOptions, type FaultOutcomeOfRun } from './run/run-faults.js';
export { startLocalNode, type LocalNode, type LocalNodeOptions } from './broker/local-node.js';
export { startDockerNode, type DockerNode, type DockerNodeOptions } from './broker/docker-node.js';
export type { FaultNode } from './broker/fault-node.js';
export { startLocalCluster, type LocalCluster, type LocalClusterOptions } from './broker/local-cluster.js';
export { loadScenario, type ScenarioOverrides } from './scenario/load.js';
export { expandMatrix, type Axes } from './scenario/matrix.js';
export type * from './run/result.js';
export type * from './scenario/types.js';
