// The programmatic API: the same runs and figures as the CLI.

export { runScenario, type RunEvent, type RunOptions, type RunOutcome } from './run/run-scenario.js';
export { mergeShards, type MergeOptions, type MergeOutcome } from './run/merge.js';
export { loadScenario, type ScenarioOverrides } from './scenario/load.js';
export { expandMatrix, type Axes } from './scenario/matrix.js';
export type * from './run/result.js';
export type * from './scenario/types.js';
