/**
 * The Test's steps and texts with a fake of the narrow client (the real client against the
 * emulator: test/integration/collect*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { CodedError, ERRORS } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { AccountStatus, ClientFactory, InspectorClient, ListFindingsRequest } from './client.js';
import { connectorConfigSchema } from './config.js';
import { testConnector } from './check.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const cfg = connectorConfigSchema.parse({
  name: 'root-aws-inspector',
  region: 'eu-west-1',
  auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
});
const NOW = Date.UTC(2026, 0, 1);

function fake(over: Partial<InspectorClient> = {}): {
  factory: ClientFactory;
  seen: ListFindingsRequest[];
  destroyed: () => boolean;
} {
  const seen: ListFindingsRequest[] = [];
  let destroyed = false;
  const client: InspectorClient = {
    getCallerIdentity: async () => ({
      account: '123456789012',
      arn: 'arn:aws:iam::123456789012:user/reader',
      userId: 'AID',
    }),
    listFindingsPage: async (req) => {
      seen.push(req);
      return { findings: [] };
    },
    batchGetAccountStatus: async () => ({
      accounts: [{ accountId: '123456789012', state: 'ENABLED', resources: { ec2: { status: 'ENABLED' } } }],
      failed: [],
    }),
    destroy: () => {
      destroyed = true;
    },
    ...over,
  };
  return { factory: () => client, seen, destroyed: () => destroyed };
}

const opts = (factory: ClientFactory) => ({
  logger: silentLogger(),
  clock: fixedClock(NOW),
  clientFactory: factory,
});

describe('testConnector', () => {
  it('succeeds with the identity, asks ListFindings for one finding with a filter, and closes the client', async () => {
    const f = fake();
    const r = await testConnector(cfg, opts(f.factory));
    expect(r).toMatchObject({ ok: true, httpStatus: 200, code: 'OK', warnings: [] });
    expect(r.identity).toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/reader' });
    expect(r.summary).toMatch(/^Success/);
    expect(f.seen).toEqual([
      {
        filterCriteria: { updatedAt: [{ startInclusive: NOW - 86_400_000, endInclusive: NOW }] },
        maxResults: 1,
      },
    ]);
    expect(f.destroyed()).toBe(true);
  });

  it('names the partition and the endpoints it used: GovCloud, China (amazonaws.com.cn), overrides', async () => {
    const at = (region: string, endpoints = {}) =>
      testConnector(connectorConfigSchema.parse({ ...cfg, region, endpoints }), opts(fake().factory));
    expect((await at('cn-north-1')).detail).toContain(
      'Region: cn-north-1 (partition aws-cn)\nEndpoints: Amazon Inspector https://inspector2.cn-north-1.amazonaws.com.cn, STS https://sts.cn-north-1.amazonaws.com.cn',
    );
    expect((await at('us-gov-west-1')).detail).toContain(
      'Region: us-gov-west-1 (partition aws-us-gov)\nEndpoints: Amazon Inspector https://inspector2.us-gov-west-1.amazonaws.com, STS https://sts.us-gov-west-1.amazonaws.com',
    );
    expect(
      (await at('eu-west-1', { sts: 'https://vpce-1.sts.eu-west-1.vpce.amazonaws.com' })).detail,
    ).toContain(
      'Endpoints: Amazon Inspector https://inspector2.eu-west-1.amazonaws.com, STS endpoints.sts override vpce-1.sts.eu-west-1.vpce.amazonaws.com:443',
    );
  });

  it('warns, naming each scan type, when Inspector is not activated; an unreadable status is a warning too', async () => {
    const accounts: AccountStatus[] = [
      {
        accountId: '123456789012',
        state: 'DISABLED',
        resources: {
          ec2: { status: 'DISABLED' },
          ecr: { status: 'DISABLED' },
          lambda: { status: 'ENABLED' },
        },
      },
    ];
    const r = await testConnector(
      cfg,
      opts(fake({ batchGetAccountStatus: async () => ({ accounts, failed: ['210987654321'] }) }).factory),
    );
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      'Amazon Inspector is not activated for account 123456789012 in eu-west-1 (EC2: DISABLED, ECR: DISABLED, Lambda: ENABLED)',
      'Amazon Inspector could not report the activation status of account 210987654321',
    ]);
    const denied = await testConnector(
      cfg,
      opts(
        fake({
          batchGetAccountStatus: () => Promise.reject(new CodedError('ERR_PERMISSION', `denied ${SECRET}`)),
        }).factory,
      ),
    );
    expect(denied.ok).toBe(true);
    expect(denied.warnings[0]).toMatch(
      /^Could not read the Amazon Inspector activation status: ERR_PERMISSION/,
    );
    expect(denied.warnings[0]).not.toContain(SECRET);
  });

  it('reports the failing step with the registry texts, without secrets', async () => {
    const r = await testConnector(
      cfg,
      opts(
        fake({
          listFindingsPage: () =>
            Promise.reject(new CodedError('ERR_PERMISSION', `AccessDeniedException ${SECRET}`)),
        }).factory,
      ),
    );
    expect(r).toMatchObject({
      ok: false,
      httpStatus: 403,
      code: 'ERR_PERMISSION',
      explanation: ERRORS.ERR_PERMISSION.explanation,
      recommendation: ERRORS.ERR_PERMISSION.recommendation,
    });
    expect(r.summary).toMatch(/^403 Forbidden: /);
    expect(r.detail).toMatch(/^Step 2\/3, Inspector ListFindings/);
    expect(JSON.stringify(r)).not.toContain(SECRET);

    const sts = await testConnector(
      cfg,
      opts(
        fake({
          getCallerIdentity: () => Promise.reject(new CodedError('ERR_AUTH_INVALID', 'InvalidClientTokenId')),
        }).factory,
      ),
    );
    expect(sts).toMatchObject({ ok: false, httpStatus: 401, code: 'ERR_AUTH_INVALID' });
    expect(sts.detail).toMatch(/^Step 1\/3, STS GetCallerIdentity/);
  });

  it('for an IAM role, a refused AssumeRole is its own step, not GetCallerIdentity', async () => {
    const role = connectorConfigSchema.parse({
      ...cfg,
      auth: {
        method: 'iam_role',
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
        secretAccessKey: SECRET,
        roleArn: 'arn:aws:iam::123456789012:role/Untrusted',
      },
    });
    let identityAsked = false;
    const refused = await testConnector(
      role,
      opts(
        fake({
          resolveCredentials: () =>
            Promise.reject(
              new CodedError('ERR_PERMISSION', 'AssumeRole: not authorized (AccessDenied, HTTP 403)'),
            ),
          getCallerIdentity: () => {
            identityAsked = true;
            return Promise.reject(new Error('not reached'));
          },
        }).factory,
      ),
    );
    expect(refused).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_PERMISSION' });
    expect(refused.detail).toMatch(
      /^Step 1\/4, STS AssumeRole \(source keys, role trust and external ID\) failed: /,
    );
    expect(identityAsked).toBe(false);

    // Once the role is assumed, the later steps are numbered out of 4.
    const later = await testConnector(
      role,
      opts(
        fake({
          resolveCredentials: async () => undefined,
          listFindingsPage: () => Promise.reject(new CodedError('ERR_PERMISSION', 'AccessDeniedException')),
        }).factory,
      ),
    );
    expect(later.detail).toMatch(/^Step 3\/4, Inspector ListFindings/);
    // Access keys have no AssumeRole step, even when the client could resolve credentials.
    const keys = await testConnector(
      cfg,
      opts(
        fake({
          resolveCredentials: () => Promise.reject(new Error('must not be called for access keys')),
          getCallerIdentity: () => Promise.reject(new CodedError('ERR_AUTH_INVALID', 'InvalidClientTokenId')),
        }).factory,
      ),
    );
    expect(keys.detail).toMatch(/^Step 1\/3, STS GetCallerIdentity/);
  });

  it('an unexpected error is ERR_INTERNAL (500), still without secrets', async () => {
    const r = await testConnector(
      cfg,
      opts(fake({ getCallerIdentity: () => Promise.reject(new Error(`boom ${SECRET}`)) }).factory),
    );
    expect(r).toMatchObject({ ok: false, httpStatus: 500, code: 'ERR_INTERNAL' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });
});

describe('testConnector with several regions', () => {
  const SUB = 'arn:aws:iam::123456789012:user/reader';
  /** A client per region: `fail` regions throw their coded error at GetCallerIdentity. */
  function perRegion(
    fail: Record<string, CodedError>,
    disabled: readonly string[] = [],
  ): { factory: ClientFactory; regions: string[]; inFlight: () => number; maxInFlight: () => number } {
    const regions: string[] = [];
    let inFlight = 0;
    let max = 0;
    const factory: ClientFactory = (_cfg, o) => {
      const region = o.region!;
      regions.push(region);
      return {
        getCallerIdentity: async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          await new Promise((r) => setImmediate(r));
          inFlight--;
          if (fail[region]) throw fail[region];
          return { account: '123456789012', arn: SUB, userId: 'AID' };
        },
        listFindingsPage: async () => ({ findings: [] }),
        batchGetAccountStatus: async () => ({
          accounts: [
            {
              accountId: '123456789012',
              state: disabled.includes(region) ? 'DISABLED' : 'ENABLED',
              resources: { ec2: { status: disabled.includes(region) ? 'DISABLED' : 'ENABLED' } },
            },
          ],
          failed: [],
        }),
        destroy: () => {},
      };
    };
    return { factory, regions, inFlight: () => inFlight, maxInFlight: () => max };
  }
  const notEnabled = new CodedError('ERR_REGION_NOT_ENABLED', 'af-south-1 is an opt-in region ...');

  it("an explicit list: every region must pass; rows in the regions' order, not activated is a row (ok), access denied fails", async () => {
    const multi = connectorConfigSchema.parse({
      ...{ name: 'm', auth: cfg.auth },
      regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
      regionConcurrency: 2,
    });
    const f = perRegion(
      { 'eu-central-1': new CodedError('ERR_PERMISSION', `GetCallerIdentity: denied ${SECRET}`) },
      ['us-east-1'],
    );
    const r = await testConnector(multi, opts(f.factory));
    expect(f.regions.sort()).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1']);
    expect(f.maxInFlight()).toBe(2);
    expect(r.parts?.map((p) => [p.part, p.ok, p.status, p.httpStatus, p.code])).toEqual([
      ['eu-west-1', true, 'ok', 200, 'OK'],
      ['us-east-1', true, 'not_activated', 200, 'ERR_NOT_ACTIVATED'],
      ['eu-central-1', false, 'access_denied', 403, 'ERR_PERMISSION'],
    ]);
    expect(r.parts![1]!.summary).toMatch(
      /not activated for account 123456789012 in us-east-1 \(EC2: DISABLED\)/,
    );
    expect(r).toMatchObject({
      ok: false,
      httpStatus: 403,
      code: 'ERR_PERMISSION',
      explanation: ERRORS.ERR_PERMISSION.explanation,
    });
    expect(r.summary).toMatch(/^1 of 3 regions failed: eu-central-1 \(403 ERR_PERMISSION\)/);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('"all": regions not enabled are rows and warnings, not failures; any other failure fails', async () => {
    const all = connectorConfigSchema.parse({
      name: 'm',
      auth: cfg.auth,
      regions: 'all',
      regionConcurrency: 8,
    });
    const ok = await testConnector(all, opts(perRegion({ 'af-south-1': notEnabled }).factory));
    expect(ok.ok).toBe(true);
    expect(ok.parts!.length).toBeGreaterThan(20);
    expect(ok.parts!.find((p) => p.part === 'af-south-1')).toMatchObject({
      ok: false,
      status: 'not_enabled',
      code: 'ERR_REGION_NOT_ENABLED',
      httpStatus: 403,
    });
    expect(ok.warnings).toContain(
      'af-south-1: not enabled for the account (opt-in region): skipped by "all"',
    );
    expect(ok.summary).toMatch(/reachable in \d+ of \d+ regions/);

    const bad = await testConnector(
      all,
      opts(
        perRegion({ 'af-south-1': notEnabled, 'eu-west-1': new CodedError('ERR_THROTTLED', 'slow down') })
          .factory,
      ),
    );
    expect(bad).toMatchObject({ ok: false, code: 'ERR_THROTTLED' });
    expect(bad.summary).toMatch(/^1 of \d+ regions failed: eu-west-1 \(429 ERR_THROTTLED\)/);
  });

  it('one region: the single result, with its one row', async () => {
    const r = await testConnector(cfg, opts(perRegion({}).factory));
    expect(r.ok).toBe(true);
    expect(r.parts).toEqual([expect.objectContaining({ part: 'eu-west-1', ok: true, status: 'ok' })]);
  });
});
