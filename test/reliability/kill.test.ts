/**
 * kill -9 of the real CLI at random moments during a backfill, then a run to the end: the
 * index holds exactly the emulator's finding versions (0 lost, 0 duplicated), checked against
 * the emulator over HTTP and by `inspector-connector reconcile`.
 *
 * "Random moments": each kill fires when the index has passed a random record count drawn
 * uniformly over what is left, so every kill lands mid-backfill (between or during page
 * commits), never before the first page or after the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  P,
  PROFILE,
  rng,
  runCli,
  sleep,
  spawnCli,
  startEmulatorProcess,
  tableCount,
  tempDir,
  writeConfig,
  type EmulatorProcess,
} from './helpers.js';
import { awsVersions, compare } from './verify.js';

describe(`kill -9 during a backfill (${PROFILE}: ${P.killFindings} findings, ${P.kills} kills)`, () => {
  let emu: EmulatorProcess;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulatorProcess({ findings: P.killFindings, seed: 7 });
    dir = tempDir('kill');
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after every kill; the index equals the emulator: 0 lost, 0 duplicated; reconcile matches', async () => {
    const seed = Number(process.env.RELIABILITY_SEED ?? 20261129);
    const rand = rng(seed);
    const data = path.join(dir, 'data');
    // Every CLOSED finding in scope too, so "what AWS holds" is every finding.
    const cfg = writeConfig(dir, emu.url, { initialLookbackDays: 3650 });
    const total = P.killFindings;
    const kills: { threshold: number; atKill: number; code: number | null; signal: string | null }[] = [];

    // Random points spread over the whole backfill (sorted: each run resumes the previous one).
    const points = Array.from({ length: P.kills }, () => 1 + Math.floor(rand() * (total - 200))).sort(
      (a, b) => a - b,
    );
    for (let k = 0; k < P.kills; k++) {
      const before = tableCount(data, 'syslog');
      // Past this point already (a page is 100 findings): a little further on.
      const threshold = Math.min(total - 100, Math.max(points[k]!, before + 1 + Math.floor(rand() * 100)));
      const child = spawnCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      let done = false;
      void exited.then(() => (done = true));
      const deadline = Date.now() + 300_000;
      let count = before;
      while (!done && Date.now() < deadline) {
        count = tableCount(data, 'syslog');
        if (count >= threshold) {
          child.kill('SIGKILL');
          break;
        }
        await sleep(20);
      }
      if (!done && Date.now() >= deadline) child.kill('SIGKILL');
      const r = await exited;
      kills.push({ threshold, atKill: tableCount(data, 'syslog'), code: r.code, signal: r.signal });
      if (r.signal !== 'SIGKILL') throw new Error(`run ${k} was not killed (exit ${r.code}): ${stderr}`);
    }
    console.log(`kills (seed ${seed}): ${JSON.stringify(kills)}`);
    // Every kill landed mid-backfill.
    for (const k of kills) {
      expect(k.signal).toBe('SIGKILL');
      expect(k.atKill).toBeGreaterThan(0);
      expect(k.atKill).toBeLessThan(total);
    }

    const last = await runCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
    expect(last.code, last.stderr).toBe(0);

    const aws = await awsVersions(emu.url);
    expect(aws.length).toBe(total);
    const c = compare(aws, data);
    expect(c.lost).toEqual([]);
    expect(c.duplicated).toEqual([]);
    expect(c.unknown).toEqual([]);
    expect(c.index).toBe(total);
    const summary = await emu.control<{ findings: number }>('summary');
    expect(summary.findings).toBe(total);

    const rec = await runCli(['reconcile', '--config', cfg, '--data', data]);
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/^MATCH/m);
  });
});
