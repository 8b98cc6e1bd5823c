/**
 * Two tenants reading the same AWS findings through the real CLI (`collect --once`), one
 * emulator process: Root has two connectors on the account, Acme one. Each tenant must hold
 * every version AWS holds, once, before and after status changes, with its own current state
 * of each finding; Root's second connector stores nothing and its summary says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  settle,
  P,
  duplicates,
  indexVersions,
  runCli,
  startEmulatorProcess,
  tempDir,
  writeConfig,
  type EmulatorProcess,
  type IndexVersion,
} from './helpers.js';
import { awsVersions } from './verify.js';
import { withStoreFile } from '../support/store-file.js';

const N = P.faultFindings;
let emu: EmulatorProcess;
let dir: string;

beforeAll(async () => {
  emu = await startEmulatorProcess({ findings: N, seed: 23 });
  dir = tempDir('tenants');
});
afterAll(async () => {
  await emu?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Per tenant name: its records' versions, and its findings' current status. */
function tenantView(data: string, tenant: string): { versions: IndexVersion[]; status: Map<string, string> } {
  return withStoreFile(data, (db) => {
    const id = db.prepare('SELECT id FROM tenants WHERE name = ?').pluck().get(tenant) as string;
    const rows = db.prepare('SELECT state_key, status FROM findings WHERE tenantid = ?').raw().all(id) as [
      string,
      string,
    ][];
    return { versions: indexVersions(data, id), status: new Map(rows) };
  });
}

describe(`two tenants, one emulator (${N} findings)`, () => {
  it('every tenant holds every version once, before and after status changes; same-tenant repeats are "already stored"', async () => {
    const data = path.join(dir, 'data');
    const cfg = (name: string, tenant: string) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      return writeConfig(d, emu.url, { name, tenant, initialLookbackDays: 3650 });
    };
    const configs = {
      rootA: cfg('root-a', 'Root Tenant'),
      acme: cfg('acme-a', 'Acme'),
      rootB: cfg('root-b', 'Root Tenant'),
    };
    const collect = async (file: string) => {
      const r = await runCli(['collect', '--config', file, '--data', data, '--once']);
      expect(r.code, r.stderr).toBe(0);
      return r.stderr;
    };
    const check = async (extra: number) => {
      const aws = (await awsVersions(emu.url)).map((v) => `${v.findingArn}|${v.updatedAt}`);
      expect(aws).toHaveLength(N);
      const byTenant = { root: tenantView(data, 'Root Tenant'), acme: tenantView(data, 'Acme') };
      for (const [name, v] of Object.entries(byTenant)) {
        const held = new Set(v.versions.map((x) => `${x.findingArn}|${x.updatedAt}`));
        expect(
          aws.filter((x) => !held.has(x)),
          `${name}: versions lost`,
        ).toEqual([]);
        expect(duplicates(v.versions), `${name}: versions held twice`).toEqual([]);
        expect(v.versions.length, name).toBe(N + extra);
        expect(v.status.size, name).toBe(N);
      }
      return byTenant;
    };

    expect(await collect(configs.rootA)).toMatch(new RegExp(`received ${N}, new ${N}, already stored 0`));
    expect(await collect(configs.acme)).toMatch(new RegExp(`received ${N}, new ${N}, already stored 0`));
    expect(await collect(configs.rootB)).toMatch(new RegExp(`received ${N}, new 0, already stored ${N}`));
    await check(0);

    const changed = await emu.control<{ arns: string[] }>('mutate', {
      count: 50,
      fromStatus: 'ACTIVE',
      status: 'CLOSED',
    });
    expect(changed.arns).toHaveLength(50);
    await settle(emu);
    // Root's first connector collects the change first; Acme must still get it. (An incremental
    // window starts at the last version seen, inclusive: that one comes again, already stored.)
    expect(await collect(configs.rootA)).toMatch(/new 50, already stored \d+/);
    expect(tenantView(data, 'Acme').status.get(changed.arns[0]!)).toBe('ACTIVE');
    expect(await collect(configs.acme)).toMatch(/new 50, already stored \d+/);
    expect(await collect(configs.rootB)).toMatch(/received (\d+), new 0, already stored \1\b/);
    const after = await check(50);
    for (const arn of changed.arns) {
      expect(after.root.status.get(arn)).toBe('CLOSED');
      expect(after.acme.status.get(arn)).toBe('CLOSED');
    }
  });
});
