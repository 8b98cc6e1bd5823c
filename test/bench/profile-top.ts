/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --profile DIR`): self time per function
 * and per source file, the top entries, so a regression in the collector's hot path shows in text.
 * Usage: npx tsx test/bench/profile-top.ts FILE.cpuprofile [N]
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

const [file, nArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-top.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
const top = Number(nArg ?? 30);
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
const self = new Map<number, number>();
const samples = prof.samples ?? [];
const deltas = prof.timeDeltas ?? [];
for (let i = 0; i < samples.length; i++) {
  const next = deltas[i + 1] ?? 0;
  self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + next);
}
const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'nm/')
    .replace(/^.*\/(src|dist)\//, '$1/');
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${short(f.url)}:${f.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const fk = f.url ? short(f.url).replace(/^(nm\/(@[^/]+\/)?[^/]+).*$/, '$1') : `(${f.functionName})`;
  files.set(fk, (files.get(fk) ?? 0) + us);
}
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (total ${(total / 1e6).toFixed(1)} s sampled)\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}\n`,
    );
  }
};
print('Self time by file / package', files);
print('Self time by function', fn);
