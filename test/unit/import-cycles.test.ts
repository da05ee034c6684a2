// The modules of src/ import one another without a cycle, and the lower layers import nothing from the
// higher ones: a cycle makes the order modules run in depend on which one was imported first (a
// `const` read before its module ran throws), and a layer that reaches up cannot be read, tested or
// reused alone.
//
// The graph: every import and export-from declaration of every .ts file under src/, `import type`
// included (a type-only edge is still a dependency a reader has to follow, and it turns into a real
// one as soon as a value is imported along it). Dynamic import() is left out: it runs when called,
// after every module has loaded, which is what the lazy imports of src/cli.ts and src/run/run-dir.ts
// are for. Only relative specifiers are followed; packages are not part of the graph.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';

// Compiled to dist/test/unit/: the repository is three folders up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Folders of src/ that import nothing from the listed ones (docs/architecture.md#parts-and-their-arrows). */
const LAYERS: ReadonlyArray<{ folder: string; never: readonly string[] }> = [
  { folder: 'measure', never: ['run', 'report', 'broker', 'clients'] },
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The src/ files one file imports or re-exports from, as paths relative to src/ (the graph's node names). */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const targets: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    // NodeNext: a .ts file is imported as .js.
    const target = resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'));
    targets.push(relative(SRC, target).split('\\').join('/'));
  }
  return targets;
}

export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(SRC)) graph.set(relative(SRC, file).split('\\').join('/'), importsOf(file));
  return graph;
}

/**
 * Cycles, each as its modules in import order with the first repeated at the end: one for each edge a
 * depth-first search finds leading back into its own path, so the list is empty exactly when the graph has no cycle.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  // Depth-first, the path so far on a stack: an edge back into the path closes a cycle.
  const visit = (node: string, path: string[], onPath: Set<string>) => {
    path.push(node);
    onPath.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onPath.has(next)) cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!done.has(next) && graph.has(next)) visit(next, path, onPath);
    }
    onPath.delete(node);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!done.has(node)) visit(node, [], new Set());
  return cycles;
}

describe('import graph of src/', () => {
  const graph = importGraph();

  test('reads the graph: every file of src/, and the imports it declares', () => {
    assert.ok(graph.size > 50, `only ${graph.size} files under ${SRC}`);
    assert.ok(graph.get('run/result.ts')?.includes('measure/accounting.ts'), 'run/result.ts imports measure/accounting.ts (import type)');
    for (const [file, targets] of graph) {
      for (const target of targets) assert.ok(graph.has(target), `${file} imports ${target}, which is not a .ts file under src/`);
    }
  });

  test('finds a cycle when there is one, and names it', () => {
    const cyclic = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    assert.deepEqual(importCycles(cyclic), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    assert.deepEqual(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
  });

  test('has no import cycle', () => {
    const cycles = importCycles(graph);
    assert.deepEqual(cycles.map((cycle) => cycle.join(' -> ')), [], `import cycles in src/:\n${cycles.map((cycle) => `  ${cycle.join(' -> ')}`).join('\n')}`);
  });

  for (const { folder, never } of LAYERS) {
    test(`${folder}/ imports nothing from ${never.join('/, ')}/`, () => {
      const wrong = [...graph]
        .filter(([file]) => file.startsWith(`${folder}/`))
        .flatMap(([file, targets]) => targets.filter((target) => never.some((up) => target.startsWith(`${up}/`))).map((target) => `${file} imports ${target}`));
      assert.deepEqual(wrong, []);
    });
  }
});
