// The import graph of src/ and web/src/: no cycles (type-only imports count: they tie the modules
// together just the same), and the web bundle takes nothing from the store.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full);
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
});
