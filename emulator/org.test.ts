/**
 * Org-wide emulation: findings and account state per region, opt-in regions that are not
 * enabled, the delegated administrator's members, coverage derived from the findings' resources,
 * and a token bucket per region. Raw SigV4 requests (what a client sends and gets).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import {
  ACCOUNT,
  READER,
  SOURCE,
  control,
  errType,
  listAllRaw,
  listCoverageRaw,
  signedRequest,
  type Json,
} from './testing.js';

const REGIONS = ['us-east-1', 'eu-west-1', 'af-south-1'];
const MEMBER = '210987654321';
let emu: Emulator;
let now = Date.parse('2026-06-01T12:00:00Z');

beforeAll(async () => {
  // A fixed clock (the host's, as far as the emulator knows): token buckets and deletions move
  // only when the test moves it.
  emu = await startEmulator({
    findings: 600,
    seed: 21,
    regions: REGIONS,
    clock: () => now,
    cleanPages: true,
  });
});
afterAll(async () => {
  await emu.close();
});

async function call(
  path: string,
  body: unknown,
  region = 'us-east-1',
): Promise<{ status: number; json: Json; type?: string; headers: Record<string, unknown> }> {
  const r = await signedRequest({
    url: emu.url,
    path,
    region,
    creds: READER,
    body: JSON.stringify(body),
    signingDate: now,
  });
  return {
    status: r.status,
    json: r.body ? JSON.parse(r.body) : undefined,
    type: errType(r),
    headers: r.headers,
  };
}

/** Every coverage row of a region, 37 a page (pages that do not divide the rows evenly). */
const allCoverage = (region: string, filterCriteria?: unknown): Promise<Json[]> =>
  listCoverageRaw(
    emu.url,
    READER,
    { maxResults: 37, ...(filterCriteria ? { filterCriteria } : {}) },
    { region, signingDate: now },
  );

describe('regions', () => {
  it('ListFindings signed for a region returns exactly that region’s findings, each consistent with it', async () => {
    const byRegion = emu.state.summary().byRegion as Record<string, number>;
    expect(Object.keys(byRegion).sort()).toEqual([...REGIONS].sort());
    for (const region of REGIONS) {
      const { findings } = await listAllRaw(
        emu.url,
        READER,
        { maxResults: 100 },
        { region, signingDate: now },
      );
      expect(findings.length).toBe(byRegion[region]);
      for (const f of findings as Json[]) {
        const [, , , arnRegion, arnAccount] = String(f.findingArn).split(':');
        expect([arnRegion, arnAccount]).toEqual([region, f.awsAccountId]);
        const res = f.resources[0];
        if (!String(res.type).startsWith('Microsoft.')) expect(res.region).toBe(region);
        if (String(res.id).startsWith('arn:')) expect(String(res.id).split(':')[3]).toBe(region);
      }
    }
  });

  it('account state is per region, account and scan type; unknown accounts are failedAccounts', async () => {
    await control(emu.url, 'accounts', 'POST', {
      accountId: MEMBER,
      region: 'eu-west-1',
      resourceState: { lambdaCode: 'DISABLED' },
    });
    const body = { accountIds: [ACCOUNT, MEMBER, '999999999999'] };
    const [us, eu] = await Promise.all([
      call('/status/batch/get', body),
      call('/status/batch/get', body, 'eu-west-1'),
    ]);
    const states = (r: Json) =>
      Object.fromEntries(
        r.json.accounts.map((a: Json) => [
          a.accountId,
          [a.state.status, a.resourceState.lambdaCode.status, a.resourceState.ec2.status],
        ]),
      );
    expect(states(us)).toEqual({
      [ACCOUNT]: ['ENABLED', 'ENABLED', 'ENABLED'],
      [MEMBER]: ['ENABLED', 'ENABLED', 'ENABLED'],
    });
    expect(states(eu)).toEqual({
      [ACCOUNT]: ['ENABLED', 'ENABLED', 'ENABLED'],
      [MEMBER]: ['ENABLED', 'DISABLED', 'ENABLED'],
    });
    expect(eu.json.failedAccounts).toEqual([
      expect.objectContaining({ accountId: '999999999999', errorCode: 'ACCESS_DENIED' }),
    ]);
    await control(emu.url, 'accounts', 'POST', {
      accountId: MEMBER,
      region: 'eu-west-1',
      resourceState: { lambdaCode: 'ENABLED' },
    });
  });
});

describe('opt-in regions', () => {
  it('a region not enabled answers Inspector2 and STS as AWS does; enabling it through the control API lets requests in', async () => {
    expect(
      (await control(emu.url, 'regions/opt-in', 'POST', { regions: { 'af-south-1': false } })).status,
    ).toBe(200);
    try {
      const li = await call('/findings/list', { maxResults: 1 }, 'af-south-1');
      expect([li.status, li.type, li.json.message]).toEqual([
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ]);
      const byHost = await signedRequest({
        url: emu.endpoint('inspector2.af-south-1.amazonaws.com'),
        path: '/inspector2.af-south-1.amazonaws.com/status/batch/get',
        region: 'af-south-1',
        creds: READER,
        body: '{}',
        signingDate: now,
      });
      expect([byHost.status, errType(byHost)]).toEqual([403, 'UnrecognizedClientException']);
      const sts = await signedRequest({
        url: emu.url,
        path: '/sts.af-south-1.amazonaws.com/',
        region: 'af-south-1',
        service: 'sts',
        creds: READER,
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        signingDate: now,
      });
      expect(sts.status).toBe(403);
      expect(sts.body).toContain('<Code>InvalidClientTokenId</Code>');
      expect(sts.body).toContain('The security token included in the request is invalid.');
      // Other regions are unaffected; the global STS endpoint (us-east-1) too.
      expect((await call('/findings/list', { maxResults: 1 }, 'eu-west-1')).status).toBe(200);
      // A region that is not opt-in cannot be switched.
      const bad = await control(emu.url, 'regions/opt-in', 'POST', { regions: { 'eu-west-1': false } });
      expect([bad.status, bad.json.error]).toEqual([
        400,
        expect.stringContaining('regions.eu-west-1: not an opt-in region'),
      ]);
    } finally {
      await control(emu.url, 'regions/opt-in', 'POST', { regions: { 'af-south-1': true } });
    }
    expect((await call('/findings/list', { maxResults: 1 }, 'af-south-1')).status).toBe(200);
  });
});

describe('members', () => {
  it('ListMembers pages (1-50), only associated ones by default, all with onlyAssociated: false', async () => {
    await control(emu.url, 'members', 'POST', {
      members: [{ accountId: '555566667777', relationshipStatus: 'REMOVED' }],
    });
    try {
      const ids: string[] = [];
      let nextToken: string | undefined;
      do {
        const r = await call('/members/list', { maxResults: 1, ...(nextToken ? { nextToken } : {}) });
        expect(r.status).toBe(200);
        expect(r.json.members.length).toBeLessThanOrEqual(1);
        for (const m of r.json.members) {
          expect(m).toEqual({
            accountId: m.accountId,
            relationshipStatus: 'ENABLED',
            delegatedAdminAccountId: ACCOUNT,
            updatedAt: now / 1000,
          });
          ids.push(m.accountId);
        }
        nextToken = r.json.nextToken;
      } while (nextToken);
      expect(ids).toEqual(['111122223333', '210987654321', '444455556666']);
      const all = await call('/members/list', { onlyAssociated: false });
      expect(all.json.members.map((m: Json) => `${m.accountId}:${m.relationshipStatus}`)).toEqual([
        '111122223333:ENABLED',
        '210987654321:ENABLED',
        '444455556666:ENABLED',
        '555566667777:REMOVED',
      ]);
      const bad = await call('/members/list', { maxResults: 51 });
      expect([bad.status, bad.type]).toEqual([400, 'ValidationException']);
      const forged = await call('/members/list', { nextToken: 'abc.def' });
      expect([forged.status, forged.type]).toEqual([400, 'ValidationException']);
    } finally {
      await control(emu.url, 'members', 'POST', { remove: ['555566667777'] });
    }
    // Without the read-only actions (a user allowed sts:AssumeRole only): AccessDeniedException.
    const denied = await Promise.all(
      ['/members/list', '/coverage/list', '/coverage/statistics/list', '/delegatedadminaccounts/get'].map(
        (path) =>
          signedRequest({
            url: emu.url,
            path,
            region: 'eu-west-1',
            creds: SOURCE,
            body: '{}',
            signingDate: now,
          }),
      ),
    );
    expect(denied.map((r) => [r.status, errType(r)])).toEqual(Array(4).fill([403, 'AccessDeniedException']));
    expect(denied[1]!.body).toContain('is not authorized to perform: inspector2:ListCoverage');
    const admin = await call('/delegatedadminaccounts/get', {});
    expect(admin.json).toEqual({ delegatedAdmin: { accountId: ACCOUNT, relationshipStatus: 'ENABLED' } });
  });
});

describe('coverage', () => {
  it('lists every resource of the region’s findings plus resources without findings, paged, in one order', async () => {
    const rows = await allCoverage('eu-west-1');
    const { findings } = await listAllRaw(
      emu.url,
      READER,
      { maxResults: 100 },
      { region: 'eu-west-1', signingDate: now },
    );
    const ids = new Set(rows.map((r) => r.resourceId));
    const covered = (findings as Json[]).filter((f) =>
      ['AWS_EC2_INSTANCE', 'AWS_ECR_CONTAINER_IMAGE', 'AWS_ECR_REPOSITORY', 'AWS_LAMBDA_FUNCTION'].includes(
        f.resources[0].type,
      ),
    );
    expect(covered.length).toBeGreaterThan(20);
    for (const f of covered) expect(ids.has(f.resources[0].id)).toBe(true);
    // Never another region's resources; no row twice.
    for (const r of rows)
      if (r.resourceId.startsWith('arn:')) expect(r.resourceId.split(':')[3]).toBe('eu-west-1');
    const keys = rows.map((r) => `${r.accountId}|${r.resourceType}|${r.resourceId}|${r.scanType}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual([...keys].sort((a, b) => a.localeCompare(b)));
    const reasons = new Set(rows.map((r) => `${r.scanStatus.statusCode}:${r.scanStatus.reason}`));
    for (const want of [
      'ACTIVE:SUCCESSFUL',
      'INACTIVE:UNMANAGED_EC2_INSTANCE',
      'INACTIVE:NO_RESOURCES_FOUND',
      'INACTIVE:EXCLUDED_BY_TAG',
      'INACTIVE:SCAN_ELIGIBILITY_EXPIRED',
    ])
      expect(reasons).toContain(want);
    expect(new Set(rows.map((r) => r.accountId))).toEqual(
      new Set([ACCOUNT, '210987654321', '111122223333', '444455556666']),
    );
  });

  it('filters as documented (EQUALS OR-ed, NOT_EQUALS AND-ed, keys AND-ed); an unsupported key is a ValidationException', async () => {
    const rows = await allCoverage('us-east-1');
    const got = await allCoverage('us-east-1', {
      accountId: [{ comparison: 'EQUALS', value: MEMBER }],
      resourceType: [
        { comparison: 'EQUALS', value: 'AWS_EC2_INSTANCE' },
        { comparison: 'EQUALS', value: 'AWS_LAMBDA_FUNCTION' },
      ],
      scanStatusReason: [{ comparison: 'NOT_EQUALS', value: 'SUCCESSFUL' }],
    });
    const want = rows.filter(
      (r) =>
        r.accountId === MEMBER &&
        ['AWS_EC2_INSTANCE', 'AWS_LAMBDA_FUNCTION'].includes(r.resourceType) &&
        r.scanStatus.reason !== 'SUCCESSFUL',
    );
    expect(want.length).toBeGreaterThan(2);
    expect(got).toEqual(want);
    // Map keys match the key (and the value when given); date ranges are inclusive, rows without the date never match.
    const tagged = await allCoverage('us-east-1', {
      ec2InstanceTags: [{ comparison: 'EQUALS', key: 'Name' }],
    });
    expect(tagged).toEqual(
      rows.filter((r) => r.resourceType === 'AWS_EC2_INSTANCE' && 'Name' in r.resourceMetadata.ec2.tags),
    );
    expect(tagged.length).toBeGreaterThan(0);
    const mid = [...rows.map((r) => r.lastScannedAt).filter((t) => t !== undefined)].sort((a, b) => a - b)[
      Math.floor(rows.length / 2)
    ];
    const early = await allCoverage('us-east-1', { lastScannedAt: [{ endInclusive: mid }] });
    expect(early).toEqual(rows.filter((r) => r.lastScannedAt !== undefined && r.lastScannedAt <= mid));
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(rows.length);
    const bad = await call('/coverage/list', {
      filterCriteria: { lastScannedCommitId: [{ comparison: 'EQUALS', value: 'a'.repeat(40) }] },
    });
    expect([bad.status, bad.type]).toEqual([400, 'ValidationException']);
    expect(bad.json.message).toContain('lastScannedCommitId');
    const prefix = await call('/coverage/list', {
      filterCriteria: { accountId: [{ comparison: 'PREFIX', value: '2' }] },
    });
    expect([prefix.status, prefix.type]).toEqual([400, 'ValidationException']);
    const region = await call('/coverage/list', {
      filterCriteria: { region: [{ comparison: 'EQUALS', value: 'us-east-1' }] },
    });
    expect([region.status, region.type]).toEqual([400, 'ValidationException']);
  });

  it('statistics: totalCounts is the ListCoverage count, countsByGroup sums to it (5 groups a page)', async () => {
    const rows = await allCoverage('us-east-1');
    for (const groupBy of [
      'SCAN_STATUS_CODE',
      'SCAN_STATUS_REASON',
      'ACCOUNT_ID',
      'RESOURCE_TYPE',
      'ECR_REPOSITORY_NAME',
    ]) {
      const groups: Json[] = [];
      let nextToken: string | undefined;
      do {
        const r = await call('/coverage/statistics/list', { groupBy, ...(nextToken ? { nextToken } : {}) });
        expect(r.status).toBe(200);
        expect(r.json.totalCounts).toBe(rows.length);
        expect(r.json.countsByGroup.length).toBeLessThanOrEqual(5);
        groups.push(...r.json.countsByGroup);
        nextToken = r.json.nextToken;
      } while (nextToken);
      const want = new Map<string, number>();
      for (const r of rows) {
        const v =
          groupBy === 'SCAN_STATUS_CODE'
            ? r.scanStatus.statusCode
            : groupBy === 'SCAN_STATUS_REASON'
              ? r.scanStatus.reason
              : groupBy === 'ACCOUNT_ID'
                ? r.accountId
                : groupBy === 'RESOURCE_TYPE'
                  ? r.resourceType
                  : r.resourceMetadata?.ecrRepository?.name;
        if (v) want.set(v, (want.get(v) ?? 0) + 1);
      }
      expect(Object.fromEntries(groups.map((g) => [g.groupKey, g.count]))).toEqual(Object.fromEntries(want));
    }
    const filtered = await call('/coverage/statistics/list', {
      filterCriteria: { scanStatusCode: [{ comparison: 'EQUALS', value: 'INACTIVE' }] },
    });
    expect(filtered.json).toEqual({
      totalCounts: rows.filter((r) => r.scanStatus.statusCode === 'INACTIVE').length,
    });
  });

  it('a terminated resource leaves coverage at once (its findings close now, go 3 days later)', async () => {
    const { findings } = await listAllRaw(
      emu.url,
      READER,
      {
        maxResults: 100,
        filterCriteria: { resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }] },
      },
      { region: 'us-east-1', signingDate: now },
    );
    const id = (findings[0] as Json).resources[0].id as string;
    const byId = { resourceId: [{ comparison: 'EQUALS', value: id }] };
    expect((await allCoverage('us-east-1', byId)).map((r) => r.resourceId)).toEqual([id]);
    expect((await control(emu.url, 'resources/terminate', 'POST', { resourceIds: [id] })).status).toBe(200);
    expect(await allCoverage('us-east-1', byId)).toEqual([]);
  });

  it('a scan type disabled in one region leaves its rows there and deletes those findings 24 h later; a silent account keeps its last scan time', async () => {
    const acct = '111122223333';
    const ec2 = {
      accountId: [{ comparison: 'EQUALS', value: acct }],
      resourceType: [{ comparison: 'EQUALS', value: 'AWS_EC2_INSTANCE' }],
    };
    expect((await allCoverage('us-east-1', ec2)).length).toBeGreaterThan(0);
    const before = (await allCoverage('eu-west-1', ec2)).length;
    expect(before).toBeGreaterThan(0);
    const d = await control(emu.url, `accounts/${acct}/disable`, 'POST', {
      region: 'us-east-1',
      resourceTypes: ['ec2'],
    });
    expect(d.status).toBe(200);
    expect(d.json.findings).toBeGreaterThan(0);
    expect(await allCoverage('us-east-1', ec2)).toEqual([]);
    expect((await allCoverage('eu-west-1', ec2)).length).toBe(before);
    const ec2Findings = async (region: string) =>
      (
        await listAllRaw(
          emu.url,
          READER,
          {
            maxResults: 100,
            filterCriteria: {
              awsAccountId: [{ comparison: 'EQUALS', value: acct }],
              resourceType: [{ comparison: 'EQUALS', value: 'AWS_EC2_INSTANCE' }],
            },
          },
          { region, signingDate: now },
        )
      ).findings.length;
    const euBefore = await ec2Findings('eu-west-1');
    now += 24 * 3_600_000 + 1000;
    expect(await ec2Findings('us-east-1')).toBe(0);
    expect(await ec2Findings('eu-west-1')).toBe(euBefore);
    const st = await call('/status/batch/get', { accountIds: [acct] });
    expect([
      st.json.accounts[0].state.status,
      st.json.accounts[0].resourceState.ec2.status,
      st.json.accounts[0].resourceState.ecr.status,
    ]).toEqual(['ENABLED', 'DISABLED', 'ENABLED']);

    // Stopped reporting: still ENABLED, no new versions, coverage's lastScannedAt frozen.
    const silent = await control(emu.url, `accounts/${MEMBER}/reporting`, 'POST', {
      region: 'eu-west-1',
      reporting: false,
    });
    expect(silent.json).toEqual({ accountId: MEMBER, region: 'eu-west-1', reporting: false, since: now });
    const m = await control(emu.url, 'mutate', 'POST', { count: 50, region: 'eu-west-1', account: MEMBER });
    expect(m.json.arns).toEqual([]);
    const rows = await allCoverage('eu-west-1', { accountId: [{ comparison: 'EQUALS', value: MEMBER }] });
    for (const r of rows)
      if (r.lastScannedAt !== undefined) expect(r.lastScannedAt).toBeLessThanOrEqual(now / 1000);
    expect(
      (await control(emu.url, 'mutate', 'POST', { count: 5, region: 'us-east-1', account: MEMBER })).json
        .arns,
    ).toHaveLength(5);
    await control(emu.url, `accounts/${MEMBER}/reporting`, 'POST', { reporting: true });
  });
});

describe('throttling per region', () => {
  it('each region has its own token bucket: one region answers 429 ThrottlingException while another still serves', async () => {
    const set = await control(emu.url, 'throttling', 'POST', {
      regions: { 'us-east-1': { ratePerSecond: 1, burst: 2 } },
    });
    expect(set.json.regions['us-east-1']).toEqual({ ratePerSecond: 1, burst: 2 });
    try {
      const us = [];
      for (let k = 0; k < 3; k++) us.push(await call('/members/list', {}));
      expect(us.map((r) => r.status)).toEqual([200, 200, 429]);
      expect([us[2]!.type, us[2]!.json.message, us[2]!.headers['retry-after']]).toEqual([
        'ThrottlingException',
        'Rate exceeded',
        '1',
      ]);
      const eu = [];
      for (let k = 0; k < 3; k++) eu.push((await call('/members/list', {}, 'eu-west-1')).status);
      expect(eu).toEqual([200, 200, 200]);
      // A second of the emulator's clock refills one token.
      now += 1000;
      expect((await call('/findings/list', { maxResults: 1 })).status).toBe(200);
      expect((await call('/findings/list', { maxResults: 1 })).status).toBe(429);
      expect((emu.state.summary().throttling as Json).throttled['us-east-1']).toBe(2);
    } finally {
      await control(emu.url, 'throttling', 'POST', { regions: { 'us-east-1': null } });
    }
    expect((await call('/findings/list', { maxResults: 1 })).status).toBe(200);
  });

  it('faults can be limited to regions and name the org-wide operations', async () => {
    await control(emu.url, 'faults', 'POST', { error500: { fraction: 1 }, regions: ['eu-west-1'] });
    try {
      expect((await call('/findings/list', { maxResults: 1 }, 'eu-west-1')).status).toBe(500);
      expect((await call('/findings/list', { maxResults: 1 }, 'us-east-1')).status).toBe(200);
      // The org-wide operations are hit only when named (existing fault counts stay as they were).
      expect((await call('/coverage/list', {}, 'eu-west-1')).status).toBe(200);
      await control(emu.url, 'faults', 'POST', { operations: ['ListCoverage'] });
      expect((await call('/coverage/list', {}, 'eu-west-1')).status).toBe(500);
      expect((await call('/findings/list', { maxResults: 1 }, 'eu-west-1')).status).toBe(200);
    } finally {
      await control(emu.url, 'faults', 'DELETE');
    }
  });
});
