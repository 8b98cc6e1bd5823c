/**
 * Version churn end to end: the emulator rescans 80% of the ACTIVE findings in a day (nothing
 * material changes: updatedAt, lastObservedAt, EPSS drift) while a few findings really change
 * (closed, new severity, a fix published). Two connectors read the same account into two real
 * SQLite stores over HTTP: `recordVersions: all` stores every version; `material` stores only
 * the real changes, yet both hold the same current state (status, severity, updatedAt) and
 * answer searches over it alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import type { Clock } from '../../src/core/clock.js';
import {
  addConnector,
  configFor,
  control,
  emulatorVersions,
  indexVersions,
  run,
  sorted,
  tempStore,
  type TempStore,
} from './collect-helpers.js';

const DAY = 86_400_000;
const N = 400;
let emu: Emulator;
const stores: TempStore[] = [];

beforeAll(async () => {
  emu = await startEmulator({ port: 0, findings: N, seed: 11 });
});
afterAll(async () => {
  for (const s of stores) s.close();
  await emu.close();
});

type Finding = {
  findingArn: string;
  status: string;
  severity: string;
  updatedAt: number;
  fixAvailable?: string;
  epss?: { score: number };
  packageVulnerabilityDetails?: { vulnerablePackages: { fixedInVersion?: string }[] };
};
const current = (): Map<string, Finding> => {
  const s = emu.state.store;
  const out = new Map<string, Finding>();
  for (let i = 0; i < s.n; i++) {
    const f = s.build(i) as Finding;
    out.set(f.findingArn, f);
  }
  return out;
};
/** The test's own reading of "material" for what this emulator changes (no product code). */
const material = (f: Finding) =>
  JSON.stringify([
    f.status,
    f.severity,
    f.fixAvailable,
    f.packageVulnerabilityDetails?.vulnerablePackages.map((p) => p.fixedInVersion),
    f.epss === undefined ? null : Math.floor(f.epss.score * 10),
  ]);

describe('recordVersions over HTTP, with 80% of ACTIVE findings rescanned per day', () => {
  it('material stores only real changes while the state follows every version; all stores every version', async () => {
    // A finding without a fix yet, as a document the control API can publish a fix for.
    const base = emu.state.store.build(0) as Record<string, unknown>;
    const doc = {
      ...base,
      findingArn: 'arn:aws:inspector2:us-east-1:123456789012:finding/' + 'f1'.repeat(16),
      type: 'PACKAGE_VULNERABILITY',
      status: 'ACTIVE',
      fixAvailable: 'NO',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2026-0001',
        vulnerablePackages: [{ name: 'openssl', version: '3.0.1', fixedInVersion: 'NotAvailable' }],
      },
      epss: { score: 0.05 },
    };
    await control(emu, 'findings', 'POST', { findings: [doc] });

    // The collectors' clock follows the emulator's when it jumps a day (windows end at "now").
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    const open = (recordVersions: 'all' | 'material') => {
      const ts = tempStore();
      stores.push(ts);
      return { ts, id: addConnector(ts.store, configFor(emu, undefined, { recordVersions })) };
    };
    const all = open('all');
    const mat = open('material');
    for (const c of [all, mat]) {
      expect(await run(c.ts.store, c.id, { clock })).toMatchObject({ status: 'ok', stored: N + 1 });
    }
    const before = current();

    // A day of rescans, then real changes: two closed, two more severe, one fix published.
    await control(emu, 'rescans', 'POST', { rate: 0.8 });
    await control(emu, 'clock', 'POST', { advanceMs: DAY });
    offset += DAY;
    // The day's rescans are applied; none more while the test looks (the clock keeps running).
    await control(emu, 'rescans', 'POST', { rate: 0 });
    const active = [...before.values()].filter(
      (f) => f.status === 'ACTIVE' && f.findingArn !== doc.findingArn,
    );
    const closed = active.slice(0, 2).map((f) => f.findingArn);
    const severer = active
      .slice(2)
      .filter((f) => f.severity !== 'CRITICAL')
      .slice(0, 2)
      .map((f) => f.findingArn);
    await control(emu, 'mutate', 'POST', { arns: closed, status: 'CLOSED' });
    await control(emu, 'mutate', 'POST', { arns: severer, severity: 'CRITICAL' });
    await control(emu, 'findings', 'POST', {
      findings: [
        {
          ...doc,
          fixAvailable: 'YES',
          packageVulnerabilityDetails: {
            ...doc.packageVulnerabilityDetails,
            vulnerablePackages: [{ name: 'openssl', version: '3.0.1', fixedInVersion: '3.0.2' }],
          },
          updatedAt: undefined,
          lastObservedAt: undefined,
        },
      ],
    });
    const after = current();
    const changed = [...after.values()].filter((f) => f.updatedAt !== before.get(f.findingArn)!.updatedAt);
    const materially = changed.filter((f) => material(f) !== material(before.get(f.findingArn)!));
    const rescans = (await control(emu, 'rescans')) as { applied: number };
    expect(rescans.applied).toBeGreaterThan(0.75 * active.length);
    for (const arn of [...closed, ...severer, doc.findingArn])
      expect(materially.map((f) => f.findingArn)).toContain(arn);

    const day2 = {
      all: await run(all.ts.store, all.id, { clock }),
      mat: await run(mat.ts.store, mat.id, { clock }),
    };
    // all: every version is a record.
    expect(day2.all).toMatchObject({
      status: 'ok',
      received: changed.length,
      stored: changed.length,
      unchanged: 0,
    });
    expect(sorted(indexVersions(all.ts.store))).toEqual(
      sorted([
        ...new Set([
          ...emulatorVersions(emu),
          ...[...before.values()].map((f) => `${f.findingArn}|${Math.round(f.updatedAt * 1000)}`),
        ]),
      ]),
    );
    // material: only the versions that changed something; the rest counted as unchanged.
    expect(day2.mat).toMatchObject({
      status: 'ok',
      received: changed.length,
      stored: materially.length,
      unchanged: changed.length - materially.length,
    });
    expect(materially.length).toBeLessThan(changed.length / 10);
    expect(mat.ts.store.index.size()).toBe(N + 1 + materially.length);
    expect(mat.ts.store.runs.get(day2.mat.runId)).toMatchObject({
      unchanged: changed.length - materially.length,
    });
    expect(mat.ts.store.runs.get(day2.mat.runId)!.stored).toBe(materially.length);

    // The current state follows every version in both stores: status, severity and updatedAt.
    for (const { ts } of [all, mat]) {
      for (const f of after.values()) {
        expect(ts.store.findings.get('root', f.findingArn)).toMatchObject({
          status: f.status,
          severity: f.severity,
          updatedAt: Math.round(f.updatedAt * 1000),
        });
      }
    }
    expect(mat.ts.store.findings.countByStatus()).toEqual(all.ts.store.findings.countByStatus());
    // Search: the newest record of each finding tells its current status and severity alike.
    const newest = (ts: TempStore, arn: string) =>
      ts.store.index.search({ q: `finding_arn:"${arn}"`, sort: 'timestamp:desc', limit: 1 }).records[0]!;
    for (const f of after.values()) {
      const a = newest(all.ts, f.findingArn);
      const m = newest(mat.ts, f.findingArn);
      expect([m.event_status, m.severity_label, m.fix_available]).toEqual([
        a.event_status,
        a.severity_label,
        a.fix_available,
      ]);
    }
    const fixed = newest(mat.ts, doc.findingArn);
    expect([fixed.fix_available, fixed.package_fixed_version]).toEqual(['YES', ['3.0.2']]);
    // A rescanned-only finding keeps its one record; its state names it and moved on.
    const rescannedOnly = changed.find((f) => !materially.includes(f))!;
    const recs = mat.ts.store.index.search({ q: `finding_arn:"${rescannedOnly.findingArn}"` }).records;
    expect(recs.map((r) => r.timestamp)).toEqual([
      Math.round(before.get(rescannedOnly.findingArn)!.updatedAt * 1000),
    ]);
    expect(mat.ts.store.findings.get('root', rescannedOnly.findingArn)).toMatchObject({
      recordId: recs[0]!._id,
      updatedAt: Math.round(rescannedOnly.updatedAt * 1000),
    });

    // Nothing new: the overlap's repeats are duplicates; material stores none of them.
    const size = mat.ts.store.index.size();
    const again = await run(mat.ts.store, mat.id, { clock });
    expect(again).toMatchObject({ status: 'ok', stored: 0, unchanged: 0 });
    expect(mat.ts.store.index.size()).toBe(size);
  });
});
