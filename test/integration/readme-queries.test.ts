/**
 * Every example query of the README's search section finds records in demo data: the demo's
 * emulator (the shipped real findings and generated ones, as `npm run demo` starts it) collected
 * by the real connector into a real store, then each query through the store's search. The
 * queries are read from README.md itself (the CLI examples, the syntax table's first column,
 * the curl example), so an example that stops matching, or a new one that never did, fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { addConnector, configFor, run, tempStore, type TempStore } from './collect-helpers.js';

const README = path.resolve(import.meta.dirname, '../../README.md');

/** The example queries of the README's "Search (Threat Hunting) and query syntax" section. */
function readmeQueries(text: string): string[] {
  const start = text.indexOf('## Search (Threat Hunting) and query syntax');
  const end = text.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README: no "Search (Threat Hunting) and query syntax" section');
  const section = text.slice(start, end < 0 ? undefined : end);
  const out: string[] = [];
  // The CLI examples: the last single-quoted argument of each `search` line.
  for (const line of section.split('\n')) {
    if (!/inspector-connector search /.test(line)) continue;
    const m = /'([^']*)'[^']*$/.exec(line);
    if (m) out.push(m[1]!);
  }
  // The syntax table: every code span of the first column (`|` escaped as `\|`).
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.slice(1).split(/(?<!\\)\|/)[0]!;
    for (const m of first.matchAll(/`([^`]+)`/g)) out.push(m[1]!.replace(/\\\|/g, '|'));
  }
  // The API example (`q=` of the curl line, in the API section).
  const curl = /search\?q=([^&']+)/.exec(text);
  if (curl) out.push(decodeURIComponent(curl[1]!));
  return out;
}

let emu: Emulator;
let ts: TempStore;

beforeAll(async () => {
  // As the demo starts it (src/cli/commands/demo.ts), with fewer generated findings.
  emu = await startEmulator({ port: 0, fixtures: true, findings: 1000, seed: 15 });
  ts = tempStore();
  const id = addConnector(ts.store, configFor(emu));
  const out = await run(ts.store, id);
  expect(out.status).toBe('ok');
});
afterAll(async () => {
  ts?.close();
  await emu?.close();
});

describe("README's example queries in demo data", () => {
  const queries = readmeQueries(fs.readFileSync(README, 'utf8'));

  it('the README has examples to check (the CLI lines, the table, the API call)', () => {
    expect(queries.length).toBeGreaterThan(15);
    expect(queries).toContain('aws_inspector.status:CLOSED AND severity:>=70');
    expect(queries).toContain('severity:>=70');
  });

  it('each finds records', () => {
    expect(ts.store.index.size()).toBeGreaterThan(500);
    const bad: string[] = [];
    for (const q of queries) {
      try {
        if (ts.store.index.search({ q, limit: 1 }).total === 0) bad.push(`${q}: no hits`);
      } catch (e) {
        bad.push(`${q}: ${(e as Error).message}`);
      }
    }
    expect(bad, `README queries that find nothing:\n${bad.join('\n')}`).toEqual([]);
  });
});
