// The import graph of src/ and web/src/: no cycles (type-only imports count: they tie the modules
// together just the same), the web bundle takes nothing from the store, and every module of src/
// is part of the product (reachable from the CLI or a worker thread's entry): test support lives
// under test/, where the build does not look. The storage boundary: only src/store/ reaches the
// SQLite engine (better-sqlite3, src/store/sqlite/), and the query language (src/search/) knows
// no store.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Every .ts/.tsx file under `dir`, its tests only if asked. */
function sourceFiles(dir: string, opts: { tests?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(full, opts));
    } else if (/\.tsx?$/.test(entry.name)) {
      if (opts.tests || !/\.test\.tsx?$/.test(entry.name)) out.push(full);
    }
  }
  return out;
}

/** Relative imports of one file, resolved to files on disk ('./x.js' -> './x.ts' or './x.tsx'). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), ref.fileName).replace(/\.js$/, '');
    const hit = ['.ts', '.tsx', '/index.ts'].map((ext) => base + ext).find((f) => fs.existsSync(f));
    if (hit) out.push(hit);
  }
  return out;
}

/**
 * What a file imports: bare specifiers as written ('better-sqlite3'), relative ones as the
 * path they point at, relative to the repository without extension ('src/store/sqlite/store').
 */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((ref) =>
    ref.fileName.startsWith('.')
      ? path
          .relative(root, path.resolve(path.dirname(file), ref.fileName))
          .split(path.sep)
          .join('/')
          .replace(/\.(js|ts|tsx)$/, '')
      : ref.fileName,
  );
}

/** 'file -> import' for each import of `imports` (file -> specifiers) that `bad` flags, unless `allowed(file)`. */
function violations(
  imports: Map<string, string[]>,
  bad: (spec: string) => boolean,
  allowed: (file: string) => boolean,
): string[] {
  return [...imports].flatMap(([f, specs]) =>
    allowed(f) ? [] : specs.filter(bad).map((s) => `${f} -> ${s}`),
  );
}

function importsUnder(dirs: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const f of sourceFiles(path.join(root, dir), { tests: true })) {
      m.set(path.relative(root, f).split(path.sep).join('/'), specifiersOf(f));
    }
  }
  return m;
}

/** The SQLite engine: the driver and the backend's folder. */
const sqliteEngine = (spec: string) =>
  spec === 'better-sqlite3' || spec.startsWith('better-sqlite3/') || spec.startsWith('src/store/sqlite/');
/**
 * Who may reach it: the store itself; the test helper that inspects the database file as an
 * artefact; the builder of the previous release's data directory (it runs that release's
 * migrations); the engine's benchmarks.
 */
const mayUseEngine = (f: string) =>
  f.startsWith('src/store/') ||
  f === 'test/support/store-file.ts' ||
  f === 'test/support/legacy-store.ts' ||
  f.startsWith('test/bench/');

function graph(dirs: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const dir of dirs) for (const f of sourceFiles(path.join(root, dir))) g.set(f, importsOf(f));
  return g;
}

/** Every cycle found by a depth-first walk, as 'a -> b -> a' with paths relative to the repo. */
function cycles(g: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const dep of g.get(f) ?? []) {
      if (state.get(dep) === 'open') {
        const loop = [...stack.slice(stack.indexOf(dep)), dep];
        found.push(loop.map((p) => path.relative(root, p)).join(' -> '));
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

/** Files reachable from the entries. */
function reachable(g: Map<string, string[]>, entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(g.get(f) ?? []));
  }
  return seen;
}

describe('import graph', () => {
  it('the walk finds a cycle when there is one', () => {
    const g = new Map([
      ['/r/a.ts', ['/r/b.ts']],
      ['/r/b.ts', ['/r/a.ts']],
    ]);
    expect(cycles(g)).toHaveLength(1);
  });

  it('src/ has no import cycles', () => {
    expect(cycles(graph(['src']))).toEqual([]);
  });

  it('web/src/ has no import cycles', () => {
    expect(cycles(graph(['web/src']))).toEqual([]);
  });

  it('the web bundle imports nothing from src/store', () => {
    const g = graph(['web/src']);
    const storeDir = path.join(root, 'src', 'store') + path.sep;
    const bad = [...g].flatMap(([f, deps]) =>
      deps
        .filter((d) => d.startsWith(storeDir))
        .map((d) => `${path.relative(root, f)} -> ${path.relative(root, d)}`),
    );
    expect(bad).toEqual([]);
  });

  it('the boundary rules flag a violation when there is one', () => {
    const imports = new Map([
      ['src/api/app.ts', ['better-sqlite3', 'src/store/index']],
      ['src/cli/x.ts', ['src/store/sqlite/store']],
      ['src/store/sqlite/store.ts', ['better-sqlite3']],
      ['src/search/parser.ts', ['src/store/types']],
    ]);
    expect(violations(imports, sqliteEngine, mayUseEngine)).toEqual([
      'src/api/app.ts -> better-sqlite3',
      'src/cli/x.ts -> src/store/sqlite/store',
    ]);
    expect(
      violations(
        imports,
        (s) => s.startsWith('src/store/'),
        (f) => !f.startsWith('src/search/'),
      ),
    ).toEqual(['src/search/parser.ts -> src/store/types']);
  });

  it('only src/store/ reaches the SQLite engine (better-sqlite3, src/store/sqlite/): tests included', () => {
    const imports = importsUnder(['src', 'web/src', 'test', 'emulator']);
    expect(imports.size).toBeGreaterThan(100);
    expect(violations(imports, sqliteEngine, mayUseEngine)).toEqual([]);
  });

  it('src/search/ (the query language) imports nothing from src/store/', () => {
    const imports = importsUnder(['src/search']);
    expect(imports.size).toBeGreaterThan(0);
    expect(
      violations(
        imports,
        (s) => s.startsWith('src/store/') || s === 'src/store',
        () => false,
      ),
    ).toEqual([]);
  });

  it('every module of src/ is reachable from the CLI or a store worker (nothing test-only ships)', () => {
    const g = graph(['src']);
    // The worker threads are started by file name (spawn-worker.ts), not imported; errors-doc.ts
    // is run as a script (`npx tsx src/core/errors-doc.ts > docs/errors.md`).
    const entries = [
      'src/cli/main.ts',
      'src/store/sqlite/writer-worker.ts',
      'src/store/sqlite/search-worker.ts',
      'src/core/errors-doc.ts',
    ].map((f) => path.join(root, f));
    const seen = reachable(g, entries);
    const unused = [...g.keys()].filter((f) => !seen.has(f)).map((f) => path.relative(root, f));
    expect(unused).toEqual([]);
  });
});
