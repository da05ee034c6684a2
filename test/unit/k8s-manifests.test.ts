// Validates deploy/k8s/*.yaml offline against the Kubernetes API schemas, and checks the properties
// the sharded run needs. Every check also runs on deliberately broken copies, which must be rejected.
//
//   schema:  kubernetes-models (the Kubernetes OpenAPI schemas compiled to ajv validators): types,
//            enums, required fields.
//   fields:  the same package's TypeScript types, with TypeScript's excess-property check on the
//            manifest as an object literal: a misspelt or unknown field anywhere is an error (what
//            kubeconform -strict checks; the OpenAPI schemas alone allow unknown fields).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');
const FILES = ['results-pvc.yaml', 'shards-job.yaml', 'merge-job.yaml'] as const;
const require = createRequire(import.meta.url);

type Obj = Record<string, any>;

/** apiVersion/kind -> the kubernetes-models module and its interface name. */
const MODELS: Record<string, { module: string; type: string }> = {
  'batch/v1/Job': { module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
};

function documents(text: string): Obj[] {
  return parseAllDocuments(text).map((doc) => {
    assert.deepEqual(doc.errors, [], 'YAML errors');
    return doc.toJS() as Obj;
  });
}

function modelOf(doc: Obj) {
  const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(model, `no schema known for ${doc.apiVersion} ${doc.kind}`);
  return model;
}

/** Schema errors of one document ([] when valid). */
function schemaErrors(doc: Obj): string[] {
  const model = modelOf(doc);
  const Model = require(model.module)[doc.kind] as new (data: Obj) => { validate(): void };
  try {
    new Model(doc).validate();
    return [];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

/** Unknown or mistyped fields of the documents, from TypeScript's check of them as typed literals. */
function fieldErrors(docs: Obj[]): string[] {
  const file = join(ROOT, 'test/unit/__k8s-manifest-check.ts');
  const source = [
    ...docs.map((doc, i) => `import type { ${modelOf(doc).type} as T${i} } from '${modelOf(doc).module}';`),
    ...docs.map((doc, i) => `export const doc${i}: T${i} = ${JSON.stringify(doc)};`),
  ].join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const read = (name: string) => readFileSync(join(K8S, name), 'utf8');

function mutate(text: string, from: string | RegExp, to: string): string {
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `mutation target not found: ${String(from)}`);
  return text.replace(from, to);
}

const containerOf = (job: Obj) => job.spec.template.spec.containers[0] as Obj;
const envOf = (job: Obj) => new Map<string, Obj>((containerOf(job).env ?? []).map((e: Obj) => [e.name, e]));
const script = (job: Obj) => [...(containerOf(job).command ?? []), ...(containerOf(job).args ?? [])].join(' ');

/** The properties of the sharded run: index -> shard, all at once, secret URL, shared volume, merge. */
function manifestProblems(pvc: Obj, shards: Obj, merge: Obj): string[] {
  const problems: string[] = [];
  const spec = shards.spec;
  if (spec.completionMode !== 'Indexed') problems.push('the shards Job is not an Indexed Job');
  const env = envOf(shards);
  const count = Number(env.get('SHARDS')?.value);
  if (!(spec.completions === count && spec.parallelism === count)) problems.push(`completions ${spec.completions}, parallelism ${spec.parallelism} and SHARDS ${count} differ: every shard must run at once`);
  const run = script(shards);
  if (!/shard=\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/.test(run) || !/cli\.js run "\$SCENARIO" --shard "\$shard\/\$SHARDS"/.test(run)) problems.push('the completion index is not the shard of --shard I/N');
  if (!/--shard-group "\$GROUP"/.test(run) || env.get('GROUP')?.valueFrom?.fieldRef?.fieldPath !== "metadata.labels['job-name']") problems.push('the shard group is not the Job name');
  for (const [name, job] of [['shards', shards], ['merge', merge]] as const) {
    const volume = job.spec.template.spec.volumes?.find((v: Obj) => v.persistentVolumeClaim?.claimName === pvc.metadata.name);
    const mount = containerOf(job).volumeMounts?.find((m: Obj) => m.name === volume?.name);
    if (!volume || mount?.mountPath !== '/results') problems.push(`${name}: the results volume (${pvc.metadata.name}) is not mounted at /results`);
    if (job.spec.template.spec.restartPolicy !== 'Never') problems.push(`${name}: restartPolicy is not Never (a podFailurePolicy needs it)`);
    if (typeof job.spec.activeDeadlineSeconds !== 'number') problems.push(`${name}: no activeDeadlineSeconds`);
  }
  if (!pvc.spec.accessModes?.includes('ReadWriteMany')) problems.push('the results volume is not ReadWriteMany: the shard pods mount it at once');
  const url = env.get('AMQP_URL');
  if (!url?.valueFrom?.secretKeyRef?.name || url.value !== undefined) problems.push('the broker URL does not come from a Secret');
  if (/amqps?:\/\//.test(JSON.stringify(shards))) problems.push('a broker URL is written in the manifest');
  if (!/--out "\/results\/\$GROUP\/shard-\$shard"/.test(run)) problems.push('a shard does not write /results/$GROUP/shard-I');
  const failJob = (spec.podFailurePolicy?.rules ?? []).find((r: Obj) => r.action === 'FailJob');
  if (!failJob?.onExitCodes?.values?.includes(2)) problems.push('exit 2 (bad usage, refused join) is retried');
  const mergeRun = script(merge);
  if (!/cli\.js merge \/results\/"\$GROUP"\/shard-\*\/ --out "\/results\/\$GROUP\/merged"/.test(mergeRun)) problems.push('the merge Job does not merge /results/$GROUP/shard-*/');
  if (envOf(merge).get('GROUP')?.value !== shards.metadata.name) problems.push('the merge Job reads another group than the shards Job name');
  return problems;
}

function load(texts: Record<(typeof FILES)[number], string> = { 'results-pvc.yaml': read('results-pvc.yaml'), 'shards-job.yaml': read('shards-job.yaml'), 'merge-job.yaml': read('merge-job.yaml') }) {
  const [pvc] = documents(texts['results-pvc.yaml']);
  const [shards] = documents(texts['shards-job.yaml']);
  const [merge] = documents(texts['merge-job.yaml']);
  return { pvc, shards, merge };
}

describe('deploy/k8s', () => {
  test('every manifest matches the Kubernetes schema', () => {
    for (const name of FILES) for (const doc of documents(read(name))) assert.deepEqual(schemaErrors(doc), [], name);
  });

  test('no unknown or mistyped field (TypeScript types of the API)', () => {
    assert.deepEqual(fieldErrors(FILES.flatMap((name) => documents(read(name)))), []);
  });

  test('the schema rejects broken copies', () => {
    const src = read('shards-job.yaml');
    const cases: Array<[string, string | RegExp, string]> = [
      ['other completion mode', 'completionMode: Indexed', 'completionMode: Indexd'],
      ['completions as text', 'completions: 4', 'completions: four'],
      ['restart policy', 'restartPolicy: Never', 'restartPolicy: Sometimes'],
      ['a container without a name', /- name: ackbench\n {10}image:/, '- image:'],
    ];
    for (const [label, from, to] of cases) {
      const [doc] = documents(mutate(src, from, to));
      assert.ok(schemaErrors(doc).length > 0, `schema accepted: ${label}`);
    }
  });

  test('the field check rejects misspelt fields at any depth', () => {
    const cases: Array<[(typeof FILES)[number], string, string, RegExp]> = [
      ['shards-job.yaml', 'parallelism: 4', 'parallelizm: 4', /parallelizm/],
      ['shards-job.yaml', 'secretKeyRef:', 'secretRef:', /secretRef/],
      ['merge-job.yaml', 'mountPath: /results', 'mountpath: /results', /mountpath/],
      ['results-pvc.yaml', 'accessModes:', 'accessMode:', /accessMode/],
    ];
    for (const [name, from, to, expected] of cases) {
      const errors = fieldErrors(documents(mutate(read(name), from, to)));
      assert.match(errors.join('\n'), expected, `field check accepted: ${name} ${to}`);
    }
  });

  test('completion index -> shard, all shards at once, URL from a Secret, one results volume, then merge', () => {
    const { pvc, shards, merge } = load();
    assert.deepEqual(manifestProblems(pvc, shards, merge), []);
  });

  test('the property checks catch what is missing', () => {
    const texts = { 'results-pvc.yaml': read('results-pvc.yaml'), 'shards-job.yaml': read('shards-job.yaml'), 'merge-job.yaml': read('merge-job.yaml') };
    const cases: Array<[(typeof FILES)[number], string | RegExp, string, RegExp]> = [
      ['shards-job.yaml', 'parallelism: 4', 'parallelism: 2', /every shard must run at once/],
      ['shards-job.yaml', 'value: "4"', 'value: "3"', /every shard must run at once/],
      ['shards-job.yaml', 'shard=$((JOB_COMPLETION_INDEX + 1))', 'shard=1', /completion index/],
      ['shards-job.yaml', "fieldPath: metadata.labels['job-name']", 'fieldPath: metadata.name', /shard group/],
      ['shards-job.yaml', /valueFrom:\n {16}secretKeyRef:\n {18}name: ackbench-broker\n {18}key: url/, 'value: amqp://guest:guest@broker:5672', /Secret|broker URL/],
      ['shards-job.yaml', 'values: [2]', 'values: [3]', /exit 2/],
      ['merge-job.yaml', 'value: ackbench-shards', 'value: other-shards', /another group/],
      ['merge-job.yaml', 'claimName: ackbench-results', 'claimName: other-results', /merge: the results volume/],
      ['results-pvc.yaml', '- ReadWriteMany', '- ReadWriteOnce', /ReadWriteMany/],
    ];
    for (const [name, from, to, expected] of cases) {
      const { pvc, shards, merge } = load({ ...texts, [name]: mutate(texts[name], from, to) });
      assert.match(manifestProblems(pvc, shards, merge).join('\n'), expected, `property checks accepted: ${name} ${to}`);
    }
  });
});

