/**
 * Helpers of the reliability suite (and the smoke test in the default suite): the real CLI as a
 * child process (sources through tsx: no build needed), the emulator in a process of its own,
 * the index read back from SQLite, and the profile (short by default, full on request).
 */
import fs from 'node:fs';
import path from 'node:path';
import { cliRunner } from '../support/cli.js';
import { withStoreFile } from '../support/store-file.js';

import { startEmulatorProcess as startProcess, type EmulatorProcess } from '../bench/lib.js';
import { AWS_TIME, SETTLE_MS } from '../support/aws-time.js';

export { ROOT, EMULATOR_KEYS, tempDir, writeConfig } from '../bench/lib.js';
export type { EmulatorProcess } from '../bench/lib.js';
export { AWS_TIME } from '../support/aws-time.js';

/**
 * The emulator in a process of its own, with AWS's time as the suite meets it by default
 * (`AWS_TIME`: indexing lag and clock offset); `extra` may override it.
 */
export function startEmulatorProcess(opts: Parameters<typeof startProcess>[0]): Promise<EmulatorProcess> {
  return startProcess({ ...opts, extra: { ...AWS_TIME, ...opts.extra } });
}

/** Lets AWS's time pass until every version written so far is listed (emulator clock). */
export async function settle(emu: EmulatorProcess, ms = SETTLE_MS): Promise<void> {
  await emu.control('clock', { advanceMs: ms });
}

/** RELIABILITY_PROFILE=short (default, CI) or full (documented in docs/performance.md). */
export const PROFILE = process.env.RELIABILITY_PROFILE === 'full' ? 'full' : 'short';
export const P =
  PROFILE === 'full'
    ? {
        killFindings: 200_000,
        kills: 10,
        faultFindings: 20_000,
        slowStoreFindings: 5_000,
        regionFindings: 80_000,
        regionKills: 5,
      }
    : {
        killFindings: 10_000,
        kills: 3,
        faultFindings: 2_000,
        slowStoreFindings: 1_000,
        regionFindings: 6_000,
        regionKills: 2,
      };

export const TEST_KEY = Buffer.alloc(32, 9).toString('base64');

export type { CliResult } from '../support/cli.js';
// The full profile's throttled run (20,000 findings, half the requests throttled, backoff with
// jitter) takes longer than 5 minutes on a 2-core machine.
export const { spawnCli, runCli } = cliRunner({
  logLevel: 'info',
  key: TEST_KEY,
  timeoutMs: PROFILE === 'full' ? 1_500_000 : 300_000,
});

export interface IndexVersion {
  findingArn: string;
  updatedAt: number;
  id: string;
}

/**
 * Every record's finding ARN and version (timestamp) in the index, read back from SQLite; only
 * tenant `tenantId`'s records when it is given.
 */
export function indexVersions(dataDir: string, tenantId?: string): IndexVersion[] {
  return withStoreFile(
    dataDir,
    (db) =>
      db
        .prepare(
          `SELECT json_extract(doc, '$.aws_inspector.findingArn') AS findingArn, timestamp AS updatedAt, id
             FROM syslog WHERE @tenantId IS NULL OR tenantid = @tenantId ORDER BY rowid`,
        )
        .all({ tenantId: tenantId ?? null }) as IndexVersion[],
  );
}

export function tableCount(dataDir: string, table: string): number {
  try {
    return withStoreFile(
      dataDir,
      (db) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number,
    );
  } catch {
    return 0; // no file or not migrated yet (the process is starting)
  }
}

/** Duplicated versions: more than one record for the same (findingArn, version). */
export function duplicates(versions: IndexVersion[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const v of versions) {
    const k = `${v.findingArn}|${v.updatedAt}`;
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  return dup;
}

/** Every file under dir (recursively) as bytes, for secret scans. */
export function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push({ file: p, bytes: fs.readFileSync(p) });
  }
  return out;
}

/** Where a secret value appears (as UTF-8, base64 or hex), among named texts/buffers. */
export function secretHits(secrets: string[], places: { name: string; bytes: Buffer | string }[]): string[] {
  const hits: string[] = [];
  for (const s of secrets) {
    const forms = [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')];
    for (const p of places) {
      const buf = typeof p.bytes === 'string' ? Buffer.from(p.bytes) : p.bytes;
      for (const f of forms)
        if (buf.includes(f)) hits.push(`${p.name} contains a secret (${f === s ? 'plain' : 'encoded'})`);
    }
  }
  return hits;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic randomness: a failure can be replayed with the same RELIABILITY_SEED. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
