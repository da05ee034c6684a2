import { loadScenario, runScenario } from 'ackbench';

// Without a scenario file: the default cell, once per publish mode listed.
const scenario = loadScenario(null, { axes: { publish: 'single,async:1000' }, messages: 2000, warmup: 200 });
const { run, problems } = await runScenario(scenario, { outDir: 'results/api-example', report: false, onEvent: (e) => console.log(e.type) });
console.log(run.cells.map((c) => [c.cell.id, c.rates.consumedPerS, c.publishLatency?.p99Us]));
if (problems.length > 0) process.exitCode = 1;
