/**
 * Coverage: the flagging rules (pure), and the whole read over HTTP with the AWS SDK against the
 * emulator's organisation (members, account state per region, ListCoverage / statistics, a user
 * without the coverage actions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { DEFAULT_IAM } from '../../../emulator/iam.js';
import { ACCOUNT, READER, control } from '../../../emulator/testing.js';
import { fixedClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { createInspectorClient } from './client.js';
import { connectorConfigSchema } from './config.js';
import { coverageRecords, findingKeyPrefix, flagRow, readCoverage } from './coverage.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('flagRow', () => {
  const base = { accountId: '111122223333', region: 'eu-west-1', relationship: 'ENABLED' };
  const o = { now: NOW, staleDays: 7, scanTimes: 'read' as const };
  const scans = { ec2: 'ENABLED', ecr: 'ENABLED', lambda: 'ENABLED', lambdaCode: 'ENABLED' };

  it('an enabled account that reported recently is not flagged', () => {
    expect(flagRow({ ...base, state: 'ENABLED', scans, lastFindingAt: NOW - 2 * DAY }, o)).toEqual([]);
    expect(flagRow({ ...base, state: 'ENABLED', scans, lastScannedAt: NOW - 6 * DAY }, o)).toEqual([]);
  });

  it('disabled Inspector, a disabled scan type, a member not associated, an unknown state: each with its reason', () => {
    const d = flagRow({ ...base, state: 'DISABLED', scans }, o);
    expect(d.map((f) => [f.code, f.level])).toEqual([['INSPECTOR_DISABLED', 'high']]);
    expect(d[0]!.reason).toContain('DISABLED for 111122223333 in eu-west-1');
    const s = flagRow(
      { ...base, state: 'ENABLED', scans: { ...scans, lambdaCode: 'DISABLED' }, lastFindingAt: NOW },
      o,
    );
    expect(s.map((f) => [f.code, f.level])).toEqual([['SCAN_TYPE_DISABLED', 'low']]);
    expect(s[0]!.reason).toContain('lambdaCode DISABLED');
    const r = flagRow({ ...base, relationship: 'REGION_DISABLED', state: 'ENABLED', lastFindingAt: NOW }, o);
    expect(r.map((f) => f.code)).toEqual(['NOT_ASSOCIATED']);
    expect(flagRow({ ...base }, o).map((f) => f.code)).toEqual(['STATUS_UNKNOWN']);
  });

  it('stopped reporting: newest of finding and scan older than staleDays, or neither known', () => {
    const old = flagRow(
      { ...base, state: 'ENABLED', lastFindingAt: NOW - 9 * DAY, lastScannedAt: NOW - 8 * DAY },
      o,
    );
    expect(old.map((f) => f.code)).toEqual(['STOPPED_REPORTING']);
    expect(old[0]!.reason).toContain('more than 7 days (last 2026-05-24)');
    expect(
      flagRow({ ...base, state: 'ENABLED', lastFindingAt: NOW - 9 * DAY }, { ...o, staleDays: 10 }),
    ).toEqual([]);
    const never = flagRow({ ...base, state: 'ENABLED' }, { ...o, scanTimes: 'unread' });
    expect(never[0]!.reason).toBe(
      'no finding and no coverage scan known for 111122223333 in eu-west-1 (coverage scan times could not be read)',
    );
    expect(flagRow({ ...base, state: 'ENABLED' }, { ...o, scanTimes: 'partial' })[0]!.reason).toContain(
      'the resource listing was cut at its bound',
    );
    // Disabled is the reason; staleness is not added on top.
    expect(flagRow({ ...base, state: 'DISABLED' }, o).map((f) => f.code)).toEqual(['INSPECTOR_DISABLED']);
  });

  it('findingKeyPrefix is the finding ARN prefix of an account x region', () => {
    expect(findingKeyPrefix('us-gov-west-1', ACCOUNT)).toBe(
      `arn:aws-us-gov:inspector2:us-gov-west-1:${ACCOUNT}:`,
    );
  });
});

describe('readCoverage against the emulator (AWS SDK over HTTP)', () => {
  const REGIONS = ['us-east-1', 'eu-west-1'];
  const LIMITED = {
    accessKeyId: 'AKIAFINDINGSONLY0001',
    secretAccessKey: 'findingsOnlySecretKeyForTheCoverageTest00',
  };
  const MEMBER = '210987654321';
  let emu: Emulator;
  // The host's clock (the SDK signs with it; the emulator checks the signature time against its own).
  const now = Date.now();
  beforeAll(async () => {
    emu = await startEmulator({
      findings: 600,
      seed: 13,
      regions: [...REGIONS, 'af-south-1'],
      iam: {
        ...DEFAULT_IAM,
        users: [
          ...(DEFAULT_IAM.users ?? []),
          {
            name: 'findings-only',
            ...LIMITED,
            actions: ['inspector2:ListFindings', 'inspector2:BatchGetAccountStatus'],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  const cfgFor = (creds: { accessKeyId: string; secretAccessKey: string }) =>
    connectorConfigSchema.parse({
      name: 'cov',
      tenant: 'Root Tenant',
      regions: ['us-east-1'],
      auth: { method: 'access_key', ...creds },
      endpoints: { inspector2: emu.url, sts: emu.url },
    });
  const read = (
    creds: { accessKeyId: string; secretAccessKey: string },
    extra: { maxCoveragePages?: number; newest?: (p: string) => number | undefined; regions?: string[] } = {},
  ) => {
    const cfg = cfgFor(creds);
    const logger = silentLogger();
    return readCoverage({
      connectorId: 'c1',
      regions: extra.regions ?? REGIONS,
      clientFor: (region) =>
        createInspectorClient(cfg, { logger, connectorId: 'c1', maxAttempts: 1, region }),
      newestFindingAt: extra.newest ?? (() => undefined),
      clock: fixedClock(now),
      ...(extra.maxCoveragePages ? { maxCoveragePages: extra.maxCoveragePages } : {}),
    });
  };

  it('a row per account × region with state, scans, covered / not covered (= ListCoverage) and flags', async () => {
    await control(emu.url, `accounts/${MEMBER}/disable`, 'POST', { region: 'eu-west-1' });
    await control(emu.url, 'accounts', 'POST', {
      accountId: ACCOUNT,
      region: 'us-east-1',
      resourceState: { lambdaCode: 'DISABLED' },
    });
    const snap = await read(READER, {
      newest: (p) => (p === findingKeyPrefix('us-east-1', ACCOUNT) ? now - DAY : undefined),
    });
    expect(snap.notes).toEqual([]);
    expect(snap.regions.map((r) => [r.region, r.status])).toEqual([
      ['us-east-1', 'ok'],
      ['eu-west-1', 'ok'],
    ]);
    // The emulator's default organisation: the administrator and its three members.
    const accounts = [...new Set(snap.rows.map((r) => r.accountId))].sort();
    expect(accounts).toEqual([ACCOUNT, '111122223333', MEMBER, '444455556666'].sort());
    expect(snap.rows.length).toBe(accounts.length * 2);
    const row = (a: string, r: string) => snap.rows.find((x) => x.accountId === a && x.region === r)!;
    const admin = row(ACCOUNT, 'us-east-1');
    expect(admin.relationship).toBe('ADMINISTRATOR');
    expect(admin.scans).toMatchObject({ ec2: 'ENABLED', lambdaCode: 'DISABLED' });
    expect(admin.lastFindingAt).toBe(now - DAY);
    expect(admin.flags.map((f) => f.code)).toEqual(['SCAN_TYPE_DISABLED']);
    const off = row(MEMBER, 'eu-west-1');
    expect(off.state).toBe('DISABLED');
    expect(off.flags.map((f) => f.code)).toContain('INSPECTOR_DISABLED');
    expect(row(MEMBER, 'us-east-1').state).toBe('ENABLED');
    // The per-region totals are the rows' and the rows' are ListCoverage's, per status.
    for (const r of snap.regions) {
      const rows = snap.rows.filter((x) => x.region === r.region);
      expect(r.covered).toBe(rows.reduce((n, x) => n + (x.covered ?? 0), 0));
      expect(r.notCovered).toBe(rows.reduce((n, x) => n + (x.notCovered ?? 0), 0));
      expect(r.covered + r.notCovered).toBeGreaterThan(0);
    }
    const reasons = snap.rows.flatMap((x) => Object.keys(x.notCoveredReasons ?? {}));
    expect(reasons.length).toBeGreaterThan(0);
    await control(emu.url, 'accounts', 'POST', {
      accountId: MEMBER,
      region: 'eu-west-1',
      status: 'ENABLED',
      resourceState: { ec2: 'ENABLED', ecr: 'ENABLED', lambda: 'ENABLED', lambdaCode: 'ENABLED' },
    });
    await control(emu.url, 'accounts', 'POST', {
      accountId: ACCOUNT,
      region: 'us-east-1',
      resourceState: { lambdaCode: 'ENABLED' },
    });
  });

  it('a listing cut at its page bound takes exact per-account totals from ListCoverageStatistics', async () => {
    const full = await read(READER);
    const cut = await read(READER, { maxCoveragePages: 1 });
    expect(cut.notes).toEqual([]);
    expect(cut.regions.some((r) => r.truncated)).toBe(true);
    const key = (r: { accountId: string; region: string; covered?: number; notCovered?: number }) =>
      `${r.accountId}/${r.region}:${r.covered}/${r.notCovered}`;
    expect(cut.rows.map(key).sort()).toEqual(full.rows.map(key).sort());
  });

  it('without the coverage actions: findings-only credentials give notes (AccessDenied), never a throw', async () => {
    const snap = await read(LIMITED);
    const ops = [...new Set(snap.notes.map((n) => `${n.operation}:${n.code}`))].sort();
    expect(ops).toEqual([
      'ListCoverage:ERR_PERMISSION',
      'ListCoverageStatistics:ERR_PERMISSION',
      'ListMembers:ERR_PERMISSION',
    ]);
    expect(snap.regions.every((r) => r.status === 'partial')).toBe(true);
    // Only the caller's own account is known, with its state, and no resource counts.
    expect(snap.rows.map((r) => r.accountId)).toEqual([ACCOUNT, ACCOUNT]);
    expect(snap.rows[0]!.state).toBe('ENABLED');
    expect(snap.rows[0]!.covered).toBeUndefined();
    expect(snap.rows[0]!.flags[0]!.reason).toContain('coverage scan times could not be read');
  });

  it('records: one per row, msg_class aws_inspector_coverage, the same _id while nothing material changed', async () => {
    const ctx = {
      connectorId: 'c1',
      connectorName: 'cov',
      tenantId: 'root',
      tenantName: 'Root Tenant',
      writeTime: now,
    };
    const a = coverageRecords(await read(READER), ctx);
    const b = coverageRecords(await read(READER), { ...ctx, writeTime: now + 1 });
    expect(a.length).toBeGreaterThan(0);
    expect(a.every((r) => r.msg_class === 'aws_inspector_coverage')).toBe(true);
    expect(b.map((r) => r._id)).toEqual(a.map((r) => r._id));
    await control(emu.url, `accounts/${MEMBER}/disable`, 'POST', { region: 'us-east-1' });
    const c = coverageRecords(await read(READER), ctx);
    const changed = c.filter((r) => !a.some((x) => x._id === r._id));
    expect(changed.map((r) => [r.aws_account_id, r.aws_region, r.event_status])).toEqual([
      [MEMBER, 'us-east-1', 'FLAGGED'],
    ]);
  });

  it('an opt-in region not enabled answers nothing: one REGION_UNREACHABLE row, the other regions as usual', async () => {
    await control(emu.url, 'regions/opt-in', 'POST', { regions: { 'af-south-1': false } });
    try {
      const snap = await read(READER, { regions: ['us-east-1', 'af-south-1'] });
      expect(snap.regions.map((r) => [r.region, r.status])).toEqual([
        ['us-east-1', 'ok'],
        ['af-south-1', 'failed'],
      ]);
      const af = snap.rows.filter((r) => r.region === 'af-south-1');
      expect(af.map((r) => [r.accountId, r.flags.map((f) => f.code)])).toEqual([
        ['*', ['REGION_UNREACHABLE']],
      ]);
      expect(af[0]!.flags[0]!.reason).toMatch(
        /^no coverage could be read in af-south-1 \(BatchGetAccountStatus: ERR_/,
      );
      expect(snap.notes.filter((n) => n.region === 'af-south-1').map((n) => n.operation)).toContain(
        'ListMembers',
      );
    } finally {
      await control(emu.url, 'regions/opt-in', 'POST', { regions: { 'af-south-1': true } });
    }
  });
});
