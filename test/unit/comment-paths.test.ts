// Every file a comment in src/, bench/ or test/ cites exists in the repository, and every section it
// cites (docs/architecture.md#the-life-of-one-cell) is a heading of that file: a reader who follows a
// comment finds what it names, and a document outside the repository cannot be cited.
//
// The rule. Comments: in .ts files, every comment the TypeScript parser sees (not text in strings); in
// .yaml / .yml / .sh files and scripts starting with `#!`, every `#` comment. Consecutive comment
// lines form one block, and a path broken after a `/` at the end of a line goes on on the next one.
// URLs (scheme://...) are left out. A token made of path characters is a cited path when it
//   1. starts with a top-level folder of the repository (src/ bench/ test/ docs/ docker/ .ci/ .github/),
//      not after another path character (dist/test/... is build output): it must exist from the root
//      (a src/, bench/ or test/ .js name may stand for its .ts source);
//   2. or ends in .md (any document, the old design guide's name too): it must exist from the root or
//      from the citing file's folder;
//      the names of files ackbench writes (compare.md) are not citations;
//   3. or ends in .ts: with folders, it must exist from the citing file's folder, from src/ or from the
//      root; a bare name must be the name of a .ts file under src/, bench/ or test/.
// A .md path may end in #anchor: the anchor must be GitHub's anchor of one of that file's headings.
// Tokens with <, >, * or { are patterns (bits/<cell>.r<rep>.json), not paths. Names of other
// packages' files (Connection.js, lib/*.js) and of run outputs (run.json, summary.csv) are not checked.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';

// Compiled to dist/test/unit/: the repository is three folders up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['src', 'bench', 'test'];
const TOP_LEVEL = ['src', 'bench', 'test', 'docs', 'docker', '.ci', '.github'];
/** Files ackbench writes, named in comments as outputs, not as repository files. */
const OUTPUT_NAMES = new Set(['compare.md', 'changes.md']);

interface Comment {
  /** 1-based line of the block's first line. */
  line: number;
  /** The block's text, comment markers removed, lines joined with \n. */
  text: string;
}

/** Comment blocks of a TypeScript file, from the parse tree (so never text inside a string). */
function tsComments(fileName: string, text: string): Comment[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const ranges = new Map<number, ts.CommentRange>();
  const add = (found: ts.CommentRange[] | undefined) => found?.forEach((r) => ranges.set(r.pos, r));
  const visit = (node: ts.Node) => {
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.forEachChild(visit);
  };
  visit(source);
  add(ts.getLeadingCommentRanges(text, source.endOfFileToken.getFullStart()));
  const sorted = [...ranges.values()].sort((a, b) => a.pos - b.pos);
  const blocks: Comment[] = [];
  let lastEnd = -1;
  for (const r of sorted) {
    const raw = text.slice(r.pos, r.end);
    const body =
      r.kind === ts.SyntaxKind.SingleLineCommentTrivia
        ? raw.replace(/^\/\/+/, '')
        : raw
            .replace(/^\/\*+/, '')
            .replace(/\*+\/$/, '')
            .split('\n')
            .map((l) => l.replace(/^\s*\*(?!\/)/, ''))
            .join('\n');
    const line = source.getLineAndCharacterOfPosition(r.pos).line + 1;
    // A line comment right below another one continues its block.
    const previous = blocks.at(-1);
    if (previous && r.kind === ts.SyntaxKind.SingleLineCommentTrivia && lastEnd >= 0 && /^[ \t]*\r?\n[ \t]*$/.test(text.slice(lastEnd, r.pos))) {
      previous.text += `\n${body}`;
    } else {
      blocks.push({ line, text: body });
    }
    lastEnd = r.kind === ts.SyntaxKind.SingleLineCommentTrivia ? r.end : -1;
  }
  return blocks;
}

/** `#` comment blocks of a YAML file or a shell script. */
function hashComments(text: string): Comment[] {
  const blocks: Comment[] = [];
  let open: Comment | null = null;
  text.split('\n').forEach((lineText, i) => {
    const at = lineText.search(/(^|\s)#/);
    if (at < 0) {
      open = null;
      return;
    }
    const body = lineText.slice(lineText.indexOf('#', at) + 1).replace(/^!.*/, '');
    if (open) open.text += `\n${body}`;
    else blocks.push((open = { line: i + 1, text: body }));
  });
  return blocks;
}

/** The comment blocks of a file, or none for a file that is neither TypeScript nor YAML / shell. */
function commentsOf(fileName: string, text: string): Comment[] {
  if (fileName.endsWith('.ts')) return tsComments(fileName, text);
  if (/\.(ya?ml|sh)$/.test(fileName) || text.startsWith('#!')) return hashComments(text);
  return [];
}

interface Citation {
  line: number;
  path: string;
  anchor: string | null;
}

const PATH_CHARS = /[A-Za-z0-9_.\-/#<>*{}]/;

/** The cited paths of one comment block (rules 1 to 3 above decide what is a citation). */
function citationsIn(comment: Comment): Citation[] {
  // A path broken after a '/' goes on at the start of the next line.
  const text = comment.text.replace(/([A-Za-z0-9_.-]\/)[ \t]*\r?\n[ \t]*(?=[A-Za-z0-9_.])/g, '$1\u0000').replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ');
  const out: Citation[] = [];
  const token = /[A-Za-z0-9_.\-/#<>*{}\u0000]+/g;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const before = m.index > 0 ? text[m.index - 1] : '';
    if (before && PATH_CHARS.test(before)) continue;
    let raw = m[0];
    if (/[<>*{}]/.test(raw)) continue;
    // Lines before the token, a joined line break included.
    const line = comment.line + (text.slice(0, m.index).match(/[\n\u0000]/g)?.length ?? 0);
    raw = raw.replace(/\u0000/g, '').replace(/[.,#-]+$/, '');
    const hash = raw.indexOf('#');
    const path = hash >= 0 ? raw.slice(0, hash) : raw;
    const anchor = hash >= 0 && path.endsWith('.md') ? raw.slice(hash + 1) : null;
    const topLevel = TOP_LEVEL.some((d) => path.startsWith(`${d}/`));
    if (topLevel || (/[A-Za-z0-9_-]\.md$/.test(path) && !OUTPUT_NAMES.has(path)) || /[A-Za-z0-9]\.ts$/.test(path)) out.push({ line, path, anchor });
  }
  return out;
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (a repeated heading gets -1, -2 ...), code blocks skipped. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = headingAnchor(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const tsNames = new Set(SCANNED.flatMap((d) => walk(join(ROOT, d))).filter((f) => f.endsWith('.ts')).map((f) => basename(f)));

/** Why a citation in `citingFile` (repository-relative) does not hold, or null if it does. */
function brokenCitation(citation: Citation, citingFile: string): string | null {
  const { path } = citation;
  const here = dirname(citingFile);
  const exists = (p: string) => existsSync(join(ROOT, p));
  let found: string | undefined;
  if (TOP_LEVEL.some((d) => path.startsWith(`${d}/`))) {
    const ts = /^(src|bench|test)\/.*\.js$/.test(path) ? path.replace(/\.js$/, '.ts') : null;
    found = [path, ts].find((p): p is string => p !== null && exists(p));
  } else if (path.endsWith('.md')) {
    found = [path, join(here, path)].find(exists);
  } else if (!path.includes('/')) {
    found = tsNames.has(path) ? path : undefined;
  } else {
    found = [join(here, path), join('src', path), path].find(exists);
  }
  if (found === undefined) return `${path}: no such file in the repository`;
  if (citation.anchor !== null) {
    const file = join(ROOT, found);
    if (statSync(file).isDirectory()) return `${path}#${citation.anchor}: a folder has no sections`;
    if (!anchorsOf(readFileSync(file, 'utf8')).has(citation.anchor)) return `${path}#${citation.anchor}: no such section (heading) in ${found}`;
  }
  return null;
}

/** The citations of a file's comments, and the broken ones as `file:line: why`. */
function checkFile(citingFile: string, text: string): { cited: number; problems: string[] } {
  const citations = commentsOf(citingFile, text).flatMap(citationsIn);
  const problems = citations.flatMap((c) => {
    const why = brokenCitation(c, citingFile);
    return why ? [`${citingFile}:${c.line}: ${why}`] : [];
  });
  return { cited: citations.length, problems };
}

const problemsOf = (citingFile: string, text: string) => checkFile(citingFile, text).problems;

/** The old design guide, which lives outside the repository: spelled in parts, so that `git grep` for its name finds only real citations. */
const OUTSIDE_GUIDE = ['DESIGN', 'md'].join('.');

describe('paths cited in comments', () => {
  test('every file and section cited by a comment in src/, bench/ and test/ exists', () => {
    const checked = SCANNED.flatMap((d) => walk(join(ROOT, d))).map((file) => checkFile(relative(ROOT, file), readFileSync(file, 'utf8')));
    const problems = checked.flatMap((c) => c.problems);
    // The scan must have seen citations at all, or an extraction bug would pass silently.
    const cited = checked.reduce((n, c) => n + c.cited, 0);
    assert.ok(cited > 20, `only ${cited} citations found: the comment scan is broken`);
    assert.deepEqual(problems, []);
  });

  test('a missing file, a file outside the repository and a missing section are reported', () => {
    const source = [
      `// see src/run/no-such-file.ts and ${OUTSIDE_GUIDE} section 2`,
      "const s = 'src/run/also-missing.ts in a string is no comment';",
      '/**',
      ' * docs/architecture.md#no-such-section, test/integration/',
      ' * gone.test.ts (wrapped)',
      ' */',
      'export const x = s; // trailing: bench/nope.yaml',
    ].join('\n');
    assert.deepEqual(problemsOf('src/run/example.ts', source), [
      'src/run/example.ts:1: src/run/no-such-file.ts: no such file in the repository',
      `src/run/example.ts:1: ${OUTSIDE_GUIDE}: no such file in the repository`,
      'src/run/example.ts:4: docs/architecture.md#no-such-section: no such section (heading) in docs/architecture.md',
      'src/run/example.ts:4: test/integration/gone.test.ts: no such file in the repository',
      'src/run/example.ts:7: bench/nope.yaml: no such file in the repository',
    ]);
    assert.deepEqual(problemsOf('bench/example.yaml', `a: 1 # as in ${OUTSIDE_GUIDE}\n# and bench/quick.yaml\n`), [`bench/example.yaml:1: ${OUTSIDE_GUIDE}: no such file in the repository`]);
  });

  test('paths that exist, patterns, URLs, outputs and other packages\' files are not reported', () => {
    const source = [
      '// src/run/worker.ts, run/publish-modes.ts, cell-runner.ts, docker/README.md, README.md,',
      '// docs/architecture.md#the-life-of-one-cell; test/',
      '// unit/bitset.test.ts (wrapped); bits/<cell>.r<rep>.json; lib/*.js, Connection.js 291-309;',
      '// https://github.com/example/repo/blob/main/docs/missing.md; dist/test/helpers/x.js; compare.md',
      '// src/run/worker.js (built name), erlang/otp#3975',
    ].join('\n');
    assert.deepEqual(problemsOf('src/run/example.ts', source), []);
  });

  test('heading anchors follow GitHub: lower case, punctuation dropped, repeats numbered', () => {
    assert.equal(headingAnchor('Figures, clocks and windows'), 'figures-clocks-and-windows');
    assert.equal(headingAnchor('`summary.csv` columns'), 'summarycsv-columns');
    assert.deepEqual([...anchorsOf('# A\n## B c\n```\n# not a heading\n```\n## B c\n')], ['a', 'b-c', 'b-c-1']);
  });
});
