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
