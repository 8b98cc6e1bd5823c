/**
 * Faults, each against a fresh emulator process and the real CLI (`collect --once`):
 * throttling + 500s + resets + slow responses; assumed-role credentials expiring every few
 * seconds; a nextToken rejected mid-window; malformed and truncated pages; unknown finding and
 * resource types; findings changing and arriving during collection. Every check is against the
 * emulator's own state over HTTP: 0 lost, 0 duplicated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  settle,
  P,
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
import { signedListFindings, wireFilter } from '../bench/signed-fetch.js';
import { EMULATOR_KEYS } from '../bench/lib.js';
import { withStoreFile } from '../support/store-file.js';

let emu: EmulatorProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(findings: number, seed: number, cfgOver: Record<string, unknown> = {}) {
  emu = await startEmulatorProcess({ findings, seed });
  dir = tempDir('faults');
  const data = path.join(dir, 'data');
  // Every version as a record (rescans too): the index then shows that none was lost.
  const cfg = writeConfig(dir, emu.url, { initialLookbackDays: 3650, recordVersions: 'all', ...cfgOver });
  return { emu, data, cfg, collect: () => runCli(['collect', '--config', cfg, '--data', data, '--once']) };
}

async function expectComplete(e: EmulatorProcess, data: string, n?: number) {
  const aws = await awsVersions(e.url);
  if (n !== undefined) expect(aws.length).toBe(n);
  const c = compare(aws, data);
  expect(c.lost).toEqual([]);
  expect(c.duplicated).toEqual([]);
  expect(c.unknown).toEqual([]);
  return c;
}

/** Kills the CLI once the index holds at least `atLeast` records; returns the count then. */
async function killAt(cfg: string, data: string, atLeast: number): Promise<number> {
  const child = spawnCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
  const exited = new Promise<string | null>((resolve) => child.on('close', (_c, s) => resolve(s)));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 120_000;
  while (!done && Date.now() < deadline && tableCount(data, 'syslog') < atLeast) await sleep(20);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return tableCount(data, 'syslog');
}

describe('faults', () => {
  it(`50% throttled, 5% 500s, 5% resets, 30 ms latency: completes with 0 lost (${P.faultFindings} findings)`, async () => {
    const s = await setup(P.faultFindings, 21);
    await s.emu.control('faults', {
      throttle: { fraction: 0.5, retryAfterSeconds: 0 },
      error500: { fraction: 0.05 },
      reset: { fraction: 0.05 },
      latencyMs: 30,
    });
    const r = await s.collect();
    expect(r.code, r.stderr).toBe(0);
    const { injected } = await s.emu.control<{ injected: Record<string, number> }>('faults');
    console.log(`injected: ${JSON.stringify(injected)}; ${r.stderr.trim().split('\n').pop()}`);
    expect(injected.throttle).toBeGreaterThan(0);
    expect((injected.error500 ?? 0) + (injected.reset ?? 0)).toBeGreaterThan(0);
    await fetch(`${s.emu.url}/__emulator/faults`, { method: 'DELETE' });
    const c = await expectComplete(s.emu, s.data, P.faultFindings);
    expect(c.index).toBe(P.faultFindings);
  });

  it('assumed-role credentials that expire every 3 s are refreshed: no failure, 0 lost', async () => {
    const s = await setup(P.faultFindings, 22, {
      auth: {
        method: 'iam_role',
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
        secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
        roleArn: 'arn:aws:iam::123456789012:role/InspectorReadOnly',
      },
    });
    await s.emu.control('sts', { credentialSeconds: 3 });
    // Slow pages so the run outlives several credential lifetimes.
    await s.emu.control('faults', { latencyMs: Math.max(50, Math.round(12_000 / (P.faultFindings / 100))) });
    const t0 = Date.now();
    const r = await s.collect();
    expect(r.code, r.stderr).toBe(0);
    const runMs = Date.now() - t0;
    const { requests } = await s.emu.control<{
      requests: { operation: string; status: number; errorCode?: string }[];
    }>('requests');
    const assumed = requests.filter((q) => q.operation === 'AssumeRole' && q.status === 200).length;
    const expired = requests.filter((q) => q.errorCode === 'ExpiredTokenException').length;
    console.log(`run ${runMs} ms, AssumeRole calls ${assumed}, requests refused as expired ${expired}`);
    expect(assumed).toBeGreaterThan(1);
    await s.emu.control('faults', { latencyMs: 0 });
    await expectComplete(s.emu, s.data, P.faultFindings);
  });

  it('a nextToken rejected mid-window (resume after a crash with an expired token): the window restarts, 0 duplicated', async () => {
    const s = await setup(P.faultFindings, 23);
    const at = await killAt(s.cfg, s.data, Math.floor(P.faultFindings / 3));
    expect(at).toBeLessThan(P.faultFindings);
    // The stored token is now older than its lifetime: AWS rejects it.
    await s.emu.control('faults', { tokenTtlSeconds: 1 });
    await sleep(1500);
    const r = await s.collect();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/token restarts [1-9]/);
    const c = await expectComplete(s.emu, s.data, P.faultFindings);
    expect(c.index).toBe(P.faultFindings);
  });

  it('malformed and truncated pages are retried; the run completes with 0 lost', async () => {
    const s = await setup(P.faultFindings, 24);
    await s.emu.control('faults', { malformed: { fraction: 0.1 }, truncate: { fraction: 0.1 } });
    // Each attempt fails with p = 0.2 and a page gets 4 (1 + 3 collector retries): on a long
    // run some page may exhaust them (p ~ 27% at 20,000 findings). By design that run then
    // fails cleanly with ERR_BAD_RESPONSE and the next one resumes from the checkpoint.
    let r = await s.collect();
    for (let run = 1; r.code !== 0 && run < 5; run++) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/ERR_BAD_RESPONSE/);
      r = await s.collect();
    }
    expect(r.code, r.stderr).toBe(0);
    const { injected } = await s.emu.control<{ injected: Record<string, number> }>('faults');
    expect((injected.malformed ?? 0) + (injected.truncate ?? 0)).toBeGreaterThan(0);
    await fetch(`${s.emu.url}/__emulator/faults`, { method: 'DELETE' });
    await expectComplete(s.emu, s.data, P.faultFindings);
  });

  it('a page that stays malformed fails the window cleanly (coded error), nothing half-written; the next run completes', async () => {
    const s = await setup(P.faultFindings, 25);
    // Let a few pages through, then every ListFindings answer is malformed.
    const ok = await killAt(s.cfg, s.data, 300);
    await s.emu.control('faults', { malformed: { count: 1000 } });
    const r = await s.collect();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_BAD_RESPONSE/);
    // Nothing half-written: the index holds exactly the first pages of the stored query, in order.
    const { cp, arns } = withStoreFile(s.data, (db) => ({
      cp: JSON.parse(db.prepare('SELECT data FROM checkpoints').pluck().get() as string) as {
        queue: { filterCriteria: Record<string, unknown[]> }[];
      },
      arns: db
        .prepare(`SELECT json_extract(doc, '$.aws_inspector.findingArn') FROM syslog ORDER BY rowid`)
        .pluck()
        .all() as string[],
    }));
    expect(arns.length).toBe(ok);
    await fetch(`${s.emu.url}/__emulator/faults`, { method: 'DELETE' });
    const list = signedListFindings(s.emu.url, EMULATOR_KEYS);
    const listed: string[] = [];
    // Page boundaries of the same query: uneven pages are drawn from the seed and the position,
    // so listing it again from the start pages exactly as the collector did.
    const boundaries: number[] = [];
    let token: string | undefined;
    do {
      const p = await list(wireFilter(cp.queue[0]!.filterCriteria), token);
      listed.push(...(p.findings as { findingArn: string }[]).map((f) => f.findingArn));
      boundaries.push(listed.length);
      token = p.nextToken;
    } while (token && listed.length < arns.length);
    expect(arns).toEqual(listed.slice(0, arns.length));
    // Whole pages only.
    expect(boundaries).toContain(arns.length);
    const again = await s.collect();
    expect(again.code, again.stderr).toBe(0);
    await expectComplete(s.emu, s.data, P.faultFindings);
  });

  it('unknown finding types, resource types and members are stored whole', async () => {
    const s = await setup(200, 26);
    const arn = 'arn:aws:inspector2:us-east-1:123456789012:finding/' + 'ab'.repeat(16);
    await s.emu.control('findings', {
      findings: [
        {
          findingArn: arn,
          awsAccountId: '123456789012',
          type: 'QUANTUM_VULNERABILITY',
          severity: 'EXTREME',
          status: 'ACTIVE',
          description: 'a type no model knows',
          remediation: { recommendation: { text: 'wait' } },
          resources: [
            { type: 'AWS_QUANTUM_COMPUTER', id: 'qc-1', region: 'us-east-1', details: { qubits: 1024 } },
          ],
          futureMember: { nested: ['kept'] },
        },
      ],
    });
    await settle(s.emu);
    const r = await s.collect();
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(
      withStoreFile(
        s.data,
        (db) =>
          db
            .prepare(`SELECT doc FROM syslog WHERE json_extract(doc, '$.aws_inspector.findingArn') = ?`)
            .pluck()
            .get(arn) as string,
      ),
    ) as { aws_inspector: Record<string, unknown> };
    expect(doc.aws_inspector.type).toBe('QUANTUM_VULNERABILITY');
    expect(doc.aws_inspector.futureMember).toEqual({ nested: ['kept'] });
    expect((doc.aws_inspector.resources as { details: unknown }[])[0]!.details).toEqual({ qubits: 1024 });
    await expectComplete(s.emu, s.data, 201);
  });

  it('findings changing status and new ones arriving during collection: the following run captures every version', async () => {
    const s = await setup(P.faultFindings, 27);
    await s.emu.control('faults', { latencyMs: 40 });
    const child = spawnCli(['collect', '--config', s.cfg, '--data', s.data, '--once'], { LOG_LEVEL: 'warn' });
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    let done = false;
    void exited.then(() => (done = true));
    const changed: string[] = [];
    for (let k = 0; k < 20 && !done; k++) {
      const m = await s.emu.control<{ arns: string[] }>('mutate', {
        count: 5,
        status: k % 2 ? 'CLOSED' : 'SUPPRESSED',
      });
      const o = await s.emu.control<{ arns: string[] }>('mutate', { count: 5, observed: true });
      const a = await s.emu.control<{ arns: string[] }>('findings', { count: 3 });
      changed.push(...m.arns, ...o.arns, ...a.arns);
      await sleep(100);
    }
    expect(await exited).toBe(0);
    expect(changed.length).toBeGreaterThan(0);
    await s.emu.control('faults', { latencyMs: 0 });
    await settle(s.emu);
    const next = await s.collect();
    expect(next.code, next.stderr).toBe(0);
    const c = await expectComplete(s.emu, s.data);
    console.log(
      `changed or added during the run: ${changed.length}; records ${c.index}, findings ${c.aws}, older versions kept ${c.history}`,
    );
    const rec = await runCli(['reconcile', '--config', s.cfg, '--data', s.data]);
    expect(rec.code, rec.stdout).toBe(0);
  });
});
