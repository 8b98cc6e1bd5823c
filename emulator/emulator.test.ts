/**
 * Fidelity of the emulator against the AWS SDK for JavaScript v3 (a client written elsewhere) and
 * raw signed requests: SigV4, IAM, STS, ListFindings paging/filters/sorting, errors, faults,
 * control API, TLS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import {
  BatchGetAccountStatusCommand,
  Inspector2Client,
  ListFindingsCommand,
  type ListFindingsCommandInput,
} from '@aws-sdk/client-inspector2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEmulator, type Emulator } from './index.js';
import {
  ACCOUNT,
  READER,
  ROLE,
  ROLE_EXTERNAL_ID,
  ROLE_UNTRUSTED,
  SOURCE,
  control,
  errType,
  listAllRaw,
  rawRequest,
  signedRequest,
  type Creds,
} from './testing.js';

/** Parsed JSON of unknown shape, read field by field in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const N = 700;
let emu: Emulator;
/** A fixed window end: the token is bound to the exact filter, so it must not move per page. */
let END: Date;

function inspector(
  creds: Creds | ReturnType<typeof fromTemporaryCredentials>,
  extra: Record<string, unknown> = {},
) {
  return new Inspector2Client({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: creds,
    maxAttempts: 1,
    ...extra,
  });
}
function sts(creds: Creds, extra: Record<string, unknown> = {}) {
  return new STSClient({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: creds,
    maxAttempts: 1,
    ...extra,
  });
}

async function listAll(client: Inspector2Client, input: ListFindingsCommandInput) {
  const out = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const r = await client.send(new ListFindingsCommand({ ...input, ...(nextToken ? { nextToken } : {}) }));
    out.push(...(r.findings ?? []));
    nextToken = r.nextToken;
    pages++;
  } while (nextToken);
  return { findings: out, pages };
}

async function errorOf(
  p: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string; raw: Json }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message, raw: e };
  }
  throw new Error('expected the call to fail');
}

const window = () => ({ updatedAt: [{ startInclusive: new Date(0), endInclusive: END }] });

beforeAll(async () => {
  emu = await startEmulator({ findings: N, fixtures: true, seed: 7 });
  END = new Date(Date.now() + 60_000);
});
afterAll(async () => {
  await emu.close();
});
afterEach(async () => {
  await control(emu.url, 'faults', 'DELETE');
  // Uneven pages are the default; a test that is about clean-page arithmetic switches them off.
  await control(emu.url, 'paging', 'POST', { paging: 'uneven' });
});

/** Full pages for a test whose subject is the page arithmetic itself (reset after each test). */
const cleanPages = () => control(emu.url, 'paging', 'POST', { paging: 'clean' });

describe('SigV4 and credentials', () => {
  it('GetCallerIdentity names the signing user', async () => {
    const r = await sts(READER).send(new GetCallerIdentityCommand({}));
    expect(r.Account).toBe(ACCOUNT);
    expect(r.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/reader`);
    expect(r.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
  });

  it('an unknown key is UnrecognizedClientException (Inspector2) / InvalidClientTokenId (STS)', async () => {
    const bad = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) };
    const e1 = await errorOf(inspector(bad).send(new ListFindingsCommand({ filterCriteria: window() })));
    expect([e1.name, e1.status]).toEqual(['UnrecognizedClientException', 403]);
    const e2 = await errorOf(sts(bad).send(new GetCallerIdentityCommand({})));
    expect([e2.name, e2.status]).toEqual(['InvalidClientTokenId', 403]);
  });

  it('a wrong secret is InvalidSignatureException / SignatureDoesNotMatch', async () => {
    const bad = { ...READER, secretAccessKey: READER.secretAccessKey.replace('K', 'Q') };
    const e1 = await errorOf(inspector(bad).send(new ListFindingsCommand({ filterCriteria: window() })));
    expect([e1.name, e1.status]).toEqual(['InvalidSignatureException', 403]);
    const e2 = await errorOf(sts(bad).send(new GetCallerIdentityCommand({})));
    expect([e2.name, e2.status]).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('a body changed after signing fails the signature', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: '{"maxResults":5}',
      creds: READER,
    });
    expect(r.status).toBe(200);
    const u = new URL(emu.url);
    // Re-send the signed headers with a different body of the same length.
    const { Hash } = await import('@smithy/hash-node');
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const signer = new SignatureV4({
      credentials: READER,
      region: 'us-east-1',
      service: 'inspector2',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        hostname: u.hostname,
        path: '/findings/list',
        headers: { host: u.host, 'content-type': 'application/json' },
        body: '{"maxResults":5}',
      }),
    );
    const tampered = await rawRequest(emu.url, '/findings/list', 'POST', signed.headers, '{"maxResults":9}');
    expect(tampered.status).toBe(403);
    expect(errType(tampered)).toBe('InvalidSignatureException');
  });

  it('no Authorization header is MissingAuthenticationTokenException', async () => {
    const r = await rawRequest(
      emu.url,
      '/findings/list',
      'POST',
      { 'content-type': 'application/json' },
      '{}',
    );
    expect(r.status).toBe(403);
    expect(errType(r)).toBe('MissingAuthenticationTokenException');
    // Front-end errors carry AWS's namespace suffix; clients keep the part before ':'.
    expect(r.headers['x-amzn-errortype']).toMatch(
      /^MissingAuthenticationTokenException:http:\/\/internal\.amazon\.com\/coral\//,
    );
  });

  it('a signature older than 5 minutes is rejected as expired; the SDK corrects its clock from Date', async () => {
    const old = Date.now() - 10 * 60_000;
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: '{}',
      creds: READER,
      signingDate: old,
    });
    expect(r.status).toBe(403);
    expect(errType(r)).toBe('InvalidSignatureException');
    expect(JSON.parse(r.body).message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const s = await signedRequest({
      url: emu.url,
      path: '/',
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      creds: READER,
      service: 'sts',
      signingDate: old,
    });
    expect(s.status).toBe(403);
    expect(s.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(s.body).toContain('Signature expired');
    // The emulator's clock runs 20 minutes ahead: the SDK's skew correction (from the Date
    // header of the error) makes the retry succeed.
    await control(emu.url, 'clock', 'POST', { advanceMs: 20 * 60_000 });
    try {
      const c = new STSClient({
        region: 'us-east-1',
        endpoint: emu.url,
        credentials: READER,
        maxAttempts: 3,
      });
      const out = await c.send(new GetCallerIdentityCommand({}));
      expect(out.Account).toBe(ACCOUNT);
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      await control(emu.url, 'clock', 'POST', { advanceMs: -20 * 60_000 });
    }
  });

  it('a key scoped to another service is rejected', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: '{}',
      creds: READER,
      service: 'sts',
    });
    expect(r.status).toBe(403);
    expect(errType(r)).toBe('InvalidSignatureException');
    expect(JSON.parse(r.body).message).toContain("'inspector2'");
  });
});

describe('IAM and STS AssumeRole', () => {
  it('source has no Inspector permission: AccessDeniedException', async () => {
    const e = await errorOf(inspector(SOURCE).send(new ListFindingsCommand({ filterCriteria: window() })));
    expect([e.name, e.status]).toEqual(['AccessDeniedException', 403]);
    expect(e.message).toContain('inspector2:ListFindings');
  });

  it('source assumes InspectorReadOnly; the temporary credentials list findings', async () => {
    const creds = fromTemporaryCredentials({
      params: { RoleArn: ROLE, RoleSessionName: 'connector-test' },
      masterCredentials: SOURCE,
      clientConfig: { region: 'us-east-1', endpoint: emu.url },
    });
    const resolved = await creds();
    expect(resolved.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(resolved.sessionToken).toBeTruthy();
    // Pages are uneven (possibly empty): follow the tokens until three findings came back.
    const got = [];
    let nextToken: string | undefined;
    do {
      const r = await inspector(creds).send(
        new ListFindingsCommand({ maxResults: 3, filterCriteria: window(), nextToken }),
      );
      got.push(...r.findings!);
      nextToken = r.nextToken;
    } while (got.length < 3 && nextToken);
    expect(got.length).toBeGreaterThanOrEqual(3);
    const who = await sts(resolved as Creds).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/InspectorReadOnly/connector-test`);
    expect(who.UserId).toMatch(/^AROA[A-Z0-9]+:connector-test$/);
  });

  it('expiration follows DurationSeconds', async () => {
    const before = Date.now();
    const r = await sts(SOURCE).send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 900 }),
    );
    const exp = r.Credentials!.Expiration!.getTime();
    expect(exp).toBeGreaterThanOrEqual(before + 899_000);
    expect(exp).toBeLessThanOrEqual(Date.now() + 901_000);
    expect(r.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/InspectorReadOnly/s1`);
  });

  it('ExternalId: required and must match', async () => {
    const s = sts(SOURCE);
    const missing = await errorOf(
      s.send(new AssumeRoleCommand({ RoleArn: ROLE_EXTERNAL_ID, RoleSessionName: 'x1' })),
    );
    expect([missing.name, missing.status]).toEqual(['AccessDenied', 403]);
    const wrong = await errorOf(
      s.send(
        new AssumeRoleCommand({ RoleArn: ROLE_EXTERNAL_ID, RoleSessionName: 'x1', ExternalId: 'nope-nope' }),
      ),
    );
    expect(wrong.name).toBe('AccessDenied');
    const ok = await s.send(
      new AssumeRoleCommand({
        RoleArn: ROLE_EXTERNAL_ID,
        RoleSessionName: 'x1',
        ExternalId: 'example-external-id',
      }),
    );
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('Untrusted role, unknown role, and a caller without sts:AssumeRole: AccessDenied', async () => {
    for (const [creds, arn] of [
      [SOURCE, ROLE_UNTRUSTED],
      [SOURCE, `arn:aws:iam::${ACCOUNT}:role/DoesNotExist`],
      [READER, ROLE],
    ] as const) {
      const e = await errorOf(
        sts(creds).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'x1' })),
      );
      expect([e.name, e.status]).toEqual(['AccessDenied', 403]);
      expect(e.message).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    }
  });

  it('validates RoleSessionName and DurationSeconds (ValidationError)', async () => {
    const s = sts(SOURCE);
    for (const input of [
      { RoleArn: ROLE, RoleSessionName: 'bad name!' },
      { RoleArn: ROLE, RoleSessionName: 'x' },
      { RoleArn: ROLE, RoleSessionName: 'ok', DurationSeconds: 899 },
      { RoleArn: ROLE, RoleSessionName: 'ok', DurationSeconds: 7200 },
    ]) {
      const e = await errorOf(s.send(new AssumeRoleCommand(input)));
      expect([e.name, e.status]).toEqual(['ValidationError', 400]);
    }
  });

  it('temporary keys without their session token, or with another one, are rejected', async () => {
    const r = await sts(SOURCE).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'tok' }));
    const c = r.Credentials!;
    const noToken = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey! };
    const e1 = await errorOf(inspector(noToken).send(new ListFindingsCommand({ filterCriteria: window() })));
    expect([e1.name, e1.status]).toEqual(['UnrecognizedClientException', 403]);
    const e2 = await errorOf(
      sts({ ...noToken, sessionToken: 'IQoJb3JpZ2luX2VjEforged' }).send(new GetCallerIdentityCommand({})),
    );
    expect(e2.name).toBe('InvalidClientTokenId');
  });

  it('expired temporary credentials: ExpiredTokenException / ExpiredToken; the lifetime is settable', async () => {
    await control(emu.url, 'sts', 'POST', { credentialSeconds: 60 });
    await cleanPages(); // a full page of one finding proves the temporary keys listed findings
    try {
      const r = await sts(SOURCE).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'short' }));
      const c = r.Credentials!;
      expect(c.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
      const creds = {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      };
      expect(
        (await inspector(creds).send(new ListFindingsCommand({ maxResults: 1, filterCriteria: window() })))
          .findings,
      ).toHaveLength(1);
      // Move the emulator's clock past the expiry, and sign at that time too (no skew error).
      await control(emu.url, 'clock', 'POST', { advanceMs: 120_000 });
      const at = Date.now() + 120_000;
      const e1 = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: '{}',
        creds,
        signingDate: at,
      });
      expect([e1.status, errType(e1)]).toEqual([403, 'ExpiredTokenException']);
      const e2 = await signedRequest({
        url: emu.url,
        path: '/',
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        creds,
        service: 'sts',
        signingDate: at,
      });
      // 403 as AWS answers (not the 400 of the model's web-identity ExpiredTokenException).
      expect(e2.status).toBe(403);
      expect(e2.body).toContain('<Code>ExpiredToken</Code>');
    } finally {
      await control(emu.url, 'clock', 'POST', { advanceMs: -120_000 });
      await control(emu.url, 'sts', 'POST', { credentialSeconds: null });
    }
  });

  it('awsQuery also takes its parameters from a signed GET query string', async () => {
    const { Hash } = await import('@smithy/hash-node');
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const u = new URL(emu.url);
    const signer = new SignatureV4({
      credentials: READER,
      region: 'us-east-1',
      service: 'sts',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'GET',
        hostname: u.hostname,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: u.host },
      }),
    );
    const r = await rawRequest(
      emu.url,
      '/?Action=GetCallerIdentity&Version=2011-06-15',
      'GET',
      signed.headers,
      '',
    );
    expect(r.status).toBe(200);
    expect(r.body).toContain(`<Arn>arn:aws:iam::${ACCOUNT}:user/reader</Arn>`);
    // The query string is signed: changing it breaks the signature.
    const changed = await rawRequest(
      emu.url,
      '/?Action=GetCallerIdentity&Version=2011-06-15&X=1',
      'GET',
      signed.headers,
      '',
    );
    expect(changed.status).toBe(403);
    expect(changed.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('STS errors are awsQuery XML', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/',
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE_UNTRUSTED)}&RoleSessionName=a1`,
      creds: SOURCE,
      service: 'sts',
    });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toBe('text/xml');
    expect(r.body).toMatch(/^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/);
    expect(r.body).toContain('<Type>Sender</Type>');
    expect(r.body).toContain('<Code>AccessDenied</Code>');
    expect(r.body).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
  });
});

describe('ListFindings', () => {
  let all: Record<string, unknown>[];
  beforeAll(async () => {
    all = (
      await listAllRaw(emu.url, READER, {
        maxResults: 100,
        filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
      })
    ).findings;
  });

  it('pages through every finding of the region exactly once, in (updatedAt, index) order', async () => {
    const s = (await control(emu.url, 'summary')).json;
    const { findings, pages } = await listAll(inspector(READER), {
      maxResults: 50,
      filterCriteria: window(),
    });
    expect(findings.length).toBe(s.byRegion['us-east-1']);
    // Uneven pages: at least as many as full pages would take (exact counts: "clean pages" below).
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(findings.length / 50));
    expect(new Set(findings.map((f) => f.findingArn)).size).toBe(findings.length);
    const times = findings.map((f) => f.updatedAt!.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(all.length).toBe(findings.length);
  });

  it('timestamps are epoch seconds (numbers) on the wire; the SDK makes Dates of them', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: JSON.stringify({ maxResults: 5 }),
      creds: READER,
    });
    const raw = JSON.parse(r.body).findings[0];
    for (const k of ['firstObservedAt', 'lastObservedAt', 'updatedAt']) expect(typeof raw[k]).toBe('number');
    expect(r.body).toMatch(/"updatedAt":\d{10}(\.\d{1,3})?[,}]/);
  });

  it('findings are scoped by the signing region (Inspector2 only where it is available)', async () => {
    const west = await listAll(
      new Inspector2Client({ region: 'us-west-2', endpoint: emu.url, credentials: READER }),
      { filterCriteria: window() },
    );
    expect(west.findings.length).toBe(28);
    expect(west.findings.every((f) => f.findingArn!.includes(':us-west-2:'))).toBe(true);
    // Neither in `regions` nor holding findings: no Inspector2 endpoint there.
    await expect(
      listAll(new Inspector2Client({ region: 'eu-west-1', endpoint: emu.url, credentials: READER }), {
        filterCriteria: window(),
      }),
    ).rejects.toMatchObject({ name: 'NoSuchEndpoint', $metadata: { httpStatusCode: 404 } });
  });

  it('the raw body carries members the model does not know (kept for the product to store)', () => {
    const future = all.filter((f) => (f.resources as { type: string }[])[0]!.type === 'AWS_NEW_RESOURCE');
    expect(future.length).toBeGreaterThan(0);
    expect(
      (future[0]!.resources as { details: Record<string, unknown> }[])[0]!.details.awsNewResource,
    ).toBeTruthy();
  });

  it('generated findings are realistic: every type, severity, status; sizes 2-6 KB', () => {
    const gen = all.filter((f) => !String(f.awsAccountId).startsWith('0123'));
    const set = (k: string) => new Set(gen.map((f) => f[k]));
    expect([...set('type')].sort()).toEqual([
      'CODE_VULNERABILITY',
      'NETWORK_REACHABILITY',
      'PACKAGE_VULNERABILITY',
    ]);
    expect([...set('severity')].sort()).toEqual([
      'CRITICAL',
      'HIGH',
      'INFORMATIONAL',
      'LOW',
      'MEDIUM',
      'UNTRIAGED',
    ]);
    expect([...set('status')].sort()).toEqual(['ACTIVE', 'CLOSED', 'SUPPRESSED']);
    expect(set('awsAccountId').size).toBeGreaterThanOrEqual(4);
    const rtypes = new Set(gen.map((f) => (f.resources as { type: string }[])[0]!.type));
    expect([...rtypes].sort()).toEqual([
      'AWS_EC2_INSTANCE',
      'AWS_ECR_CONTAINER_IMAGE',
      'AWS_ECR_REPOSITORY',
      'AWS_LAMBDA_FUNCTION',
      'AWS_NEW_RESOURCE',
      'CODE_REPOSITORY',
      'Microsoft.Compute/virtualMachines',
      'Microsoft.ContainerRegistry/registry/containerImage',
      'Microsoft.Web/sites',
    ]);
    const sizes = gen.map((f) => JSON.stringify(f).length);
    const avg = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(avg).toBeGreaterThan(2000);
    expect(avg).toBeLessThan(6000);
    const inRange = sizes.filter((s) => s >= 1900 && s <= 6144).length / sizes.length;
    expect(inRange).toBeGreaterThan(0.99);
    const ec2 = gen.find((f) => (f.resources as { type: string }[])[0]!.type === 'AWS_EC2_INSTANCE')!;
    const r0 = (
      ec2.resources as {
        tags: Record<string, string>;
        details: { awsEc2Instance: { ipV4Addresses: string[] } };
      }[]
    )[0]!;
    expect(r0.tags.Name).toBeTruthy();
    expect(r0.details.awsEc2Instance.ipV4Addresses[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const now = Date.now() / 1000;
    for (const f of gen) {
      expect(f.updatedAt as number).toBeGreaterThan(now - 91 * 86400);
      expect(f.updatedAt as number).toBeLessThanOrEqual(now);
      expect(f.lastObservedAt as number).toBeLessThanOrEqual(f.updatedAt as number);
      expect(f.firstObservedAt as number).toBeLessThanOrEqual(f.lastObservedAt as number);
    }
  });

  const filterCases: [string, Record<string, unknown>, (f: Json) => boolean][] = [
    [
      'findingStatus EQUALS',
      { findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }] },
      (f) => f.status === 'CLOSED',
    ],
    [
      'findingStatus NOT_EQUALS x2',
      {
        findingStatus: [
          { comparison: 'NOT_EQUALS', value: 'CLOSED' },
          { comparison: 'NOT_EQUALS', value: 'SUPPRESSED' },
        ],
      },
      (f) => f.status === 'ACTIVE',
    ],
    [
      'severity OR-ed',
      {
        severity: [
          { comparison: 'EQUALS', value: 'HIGH' },
          { comparison: 'EQUALS', value: 'CRITICAL' },
        ],
      },
      (f) => ['HIGH', 'CRITICAL'].includes(f.severity),
    ],
    [
      'findingType',
      { findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }] },
      (f) => f.type === 'NETWORK_REACHABILITY',
    ],
    [
      'awsAccountId',
      { awsAccountId: [{ comparison: 'EQUALS', value: '210987654321' }] },
      (f) => f.awsAccountId === '210987654321',
    ],
    [
      'resourceType PREFIX',
      { resourceType: [{ comparison: 'PREFIX', value: 'AWS_ECR' }] },
      (f) => f.resources[0].type.startsWith('AWS_ECR'),
    ],
    [
      'findingArn PREFIX',
      {
        findingArn: [{ comparison: 'PREFIX', value: 'arn:aws:inspector2:us-east-1:123456789012:finding/a' }],
      },
      (f) => f.findingArn.startsWith('arn:aws:inspector2:us-east-1:123456789012:finding/a'),
    ],
    [
      'vulnerabilityId PREFIX',
      { vulnerabilityId: [{ comparison: 'PREFIX', value: 'CVE-2021' }] },
      (f) => String(f.packageVulnerabilityDetails?.vulnerabilityId ?? '').startsWith('CVE-2021'),
    ],
    [
      'inspectorScore range',
      { inspectorScore: [{ lowerInclusive: 7, upperInclusive: 8.9 }] },
      (f) => f.inspectorScore >= 7 && f.inspectorScore <= 8.9,
    ],
    [
      'resourceTags',
      { resourceTags: [{ comparison: 'EQUALS', key: 'Environment', value: 'prod' }] },
      (f) => f.resources[0].tags?.Environment === 'prod',
    ],
    [
      'fixAvailable',
      { fixAvailable: [{ comparison: 'EQUALS', value: 'PARTIAL' }] },
      (f) => f.fixAvailable === 'PARTIAL',
    ],
    [
      'ecrImagePushedAt (deep date)',
      { ecrImagePushedAt: [{ startInclusive: 0, endInclusive: Date.now() / 1000 - 30 * 86400 }] },
      (f) =>
        (f.resources[0].details?.awsEcrContainerImage?.pushedAt ?? Infinity) <=
        Date.now() / 1000 - 30 * 86400,
    ],
    [
      'portRange',
      { portRange: [{ beginInclusive: 20, endInclusive: 443 }] },
      (f) =>
        f.networkReachabilityDetails !== undefined &&
        f.networkReachabilityDetails.openPortRange.begin >= 20 &&
        f.networkReachabilityDetails.openPortRange.end <= 443,
    ],
    [
      'lambdaFunctionRuntime',
      { lambdaFunctionRuntime: [{ comparison: 'PREFIX', value: 'PYTHON' }] },
      (f) => String(f.resources[0].details?.awsLambdaFunction?.runtime ?? '').startsWith('PYTHON'),
    ],
    [
      'codeVulnerabilityDetectorName',
      { codeVulnerabilityDetectorName: [{ comparison: 'EQUALS', value: 'SQL injection' }] },
      (f) => f.codeVulnerabilityDetails?.detectorName === 'SQL injection',
    ],
    [
      'cloudProvider (newer key: Resource.provider)',
      { cloudProvider: [{ comparison: 'EQUALS', value: 'AZURE' }] },
      (f) => f.resources[0].provider === 'AZURE',
    ],
    [
      'cloudProviderAccountId NOT_EQUALS',
      { cloudProviderAccountId: [{ comparison: 'NOT_EQUALS', value: '123456789012' }] },
      (f) => f.resources[0].providerAccountId !== '123456789012',
    ],
    [
      'cloudProviderRegion',
      { cloudProviderRegion: [{ comparison: 'PREFIX', value: 'east' }] },
      (f) => String(f.resources[0].region).startsWith('east'),
    ],
    [
      'cloudVmImageReference PREFIX',
      { cloudVmImageReference: [{ comparison: 'PREFIX', value: 'Canonical:' }] },
      (f) => String(f.resources[0].details?.vm?.vmImageReference ?? '').startsWith('Canonical:'),
    ],
    [
      'cloudImageInUseCount range (newer number key)',
      { cloudImageInUseCount: [{ lowerInclusive: 1, upperInclusive: 20 }] },
      (f) => {
        const n = f.resources[0].details?.image?.inUseCount;
        return typeof n === 'number' && n >= 1 && n <= 20;
      },
    ],
    [
      'cloudImagePushedAt (newer date key)',
      { cloudImagePushedAt: [{ startInclusive: 0, endInclusive: Date.now() / 1000 - 20 * 86400 }] },
      (f) => (f.resources[0].details?.image?.pushedAt ?? Infinity) <= Date.now() / 1000 - 20 * 86400,
    ],
    [
      'cloudServerlessFunctionRuntime',
      { cloudServerlessFunctionRuntime: [{ comparison: 'PREFIX', value: 'NODEJS' }] },
      (f) => String(f.resources[0].details?.serverlessFunction?.runtime ?? '').startsWith('NODEJS'),
    ],
    [
      'vulnerablePackages name',
      { vulnerablePackages: [{ name: { comparison: 'PREFIX', value: 'lib' } }] },
      (f) =>
        (f.packageVulnerabilityDetails?.vulnerablePackages ?? []).some((p: { name: string }) =>
          p.name.startsWith('lib'),
        ),
    ],
  ];
  for (const [name, fc, pred] of filterCases) {
    it(`filter ${name} returns exactly the matching findings`, async () => {
      const want = all
        .filter(pred)
        .map((f) => f.findingArn)
        .sort();
      expect(want.length).toBeGreaterThan(0);
      const got = await listAllRaw(emu.url, READER, {
        maxResults: 100,
        filterCriteria: { ...fc, updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
      });
      expect(got.findings.map((f) => f.findingArn).sort()).toEqual(want);
    });
  }

  it('date filters on lastObservedAt / firstObservedAt / updatedAt are inclusive ranges', async () => {
    const sorted = all.map((f) => f.lastObservedAt as number).sort((a, b) => a - b);
    const lo = sorted[100]!;
    const hi = sorted[300]!;
    const got = await listAllRaw(emu.url, READER, {
      filterCriteria: { lastObservedAt: [{ startInclusive: lo, endInclusive: hi }] },
    });
    expect(got.findings.length).toBe(
      all.filter((f) => (f.lastObservedAt as number) >= lo && (f.lastObservedAt as number) <= hi).length,
    );
    const u = all.map((f) => f.updatedAt as number).sort((a, b) => a - b);
    const two = await listAllRaw(emu.url, READER, {
      filterCriteria: {
        updatedAt: [
          { startInclusive: u[0], endInclusive: u[9] },
          { startInclusive: u[50], endInclusive: u[59] },
        ],
      },
    });
    expect(two.findings.length).toBe(20);
  });

  it('sortCriteria SEVERITY DESC and LAST_OBSERVED_AT ASC page completely and in order', async () => {
    const rank = ['UNTRIAGED', 'INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
    const bySev = await listAllRaw(emu.url, READER, {
      maxResults: 37,
      sortCriteria: { field: 'SEVERITY', sortOrder: 'DESC' },
    });
    expect(bySev.findings.length).toBe(all.length);
    const r = bySev.findings.map((f) => rank.indexOf(f.severity as string));
    expect([...r].sort((a, b) => b - a)).toEqual(r);
    const byLast = await listAll(inspector(READER), {
      maxResults: 64,
      sortCriteria: { field: 'LAST_OBSERVED_AT', sortOrder: 'ASC' },
      filterCriteria: window(),
    });
    const t = byLast.findings.map((f) => f.lastObservedAt!.getTime());
    expect([...t].sort((a, b) => a - b)).toEqual(t);
    expect(new Set(byLast.findings.map((f) => f.findingArn)).size).toBe(all.length);
    const byVuln = await listAllRaw(emu.url, READER, {
      maxResults: 100,
      sortCriteria: { field: 'VULNERABILITY_ID', sortOrder: 'ASC' },
    });
    expect(byVuln.findings.length).toBe(all.length);
  });

  it('a nextToken is bound to the exact query', async () => {
    await cleanPages(); // asserts the size of the second page below
    const c = inspector(READER);
    const first = await c.send(new ListFindingsCommand({ maxResults: 10, filterCriteria: window() }));
    expect(first.nextToken).toBeTruthy();
    const changed = {
      updatedAt: [{ startInclusive: new Date(0), endInclusive: new Date(END.getTime() + 1000) }],
    };
    const e = await errorOf(
      c.send(
        new ListFindingsCommand({ maxResults: 10, filterCriteria: changed, nextToken: first.nextToken }),
      ),
    );
    expect([e.name, e.status]).toEqual(['ValidationException', 400]);
    expect(e.message).toMatch(/Input Query has changed/);
    const e2 = await errorOf(
      c.send(
        new ListFindingsCommand({
          maxResults: 10,
          filterCriteria: window(),
          sortCriteria: { field: 'SEVERITY', sortOrder: 'ASC' },
          nextToken: first.nextToken,
        }),
      ),
    );
    expect(e2.name).toBe('ValidationException');
    const forged = await errorOf(
      c.send(
        new ListFindingsCommand({
          maxResults: 10,
          filterCriteria: window(),
          nextToken: first.nextToken!.slice(0, -2) + 'AA',
        }),
      ),
    );
    expect(forged.name).toBe('ValidationException');
    // maxResults may change between pages.
    const second = await c.send(
      new ListFindingsCommand({ maxResults: 20, filterCriteria: window(), nextToken: first.nextToken }),
    );
    expect(second.findings).toHaveLength(20);
  });

  it('maxResults out of range: ValidationException with reason and fields', async () => {
    for (const m of [0, 101]) {
      const r = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: JSON.stringify({ maxResults: m }),
        creds: READER,
      });
      expect(r.status).toBe(400);
      expect(errType(r)).toBe('ValidationException');
      const b = JSON.parse(r.body);
      expect(b.reason).toBe('FIELD_VALIDATION_FAILED');
      expect(b.fields[0].name).toBe('maxResults');
    }
    const e = await errorOf(inspector(READER).send(new ListFindingsCommand({ maxResults: 0 })));
    expect(e.name).toBe('ValidationException');
    expect(e.raw.reason).toBe('FIELD_VALIDATION_FAILED');
  });

  it('dates outside [1970, 2033) are rejected', async () => {
    for (const d of [-1, Date.UTC(2033, 0, 1) / 1000]) {
      const r = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: JSON.stringify({ filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: d }] } }),
        creds: READER,
      });
      expect(r.status).toBe(400);
      expect(errType(r)).toBe('ValidationException');
      expect(JSON.parse(r.body).fields[0].name).toBe('filterCriteria.updatedAt.1.member.endInclusive');
    }
  });

  it('bad input gets AWS error shapes, never a crash', async () => {
    const cases: [string, string, string][] = [
      ['{"maxResults": 5', 'SerializationException', 'malformed JSON'],
      ['[1,2]', 'SerializationException', 'not an object'],
      ['{"maxResults": "ten"}', 'SerializationException', 'wrong type'],
      ['{"maxResults": 5.5}', 'SerializationException', 'not an integer'],
      ['{"filterCriteria": {"updatedAt": {"startInclusive": 1}}}', 'SerializationException', 'not a list'],
      [
        '{"filterCriteria": {"updatedAt": [{"startInclusive": "2024-01-01"}]}}',
        'SerializationException',
        'date as string',
      ],
      ['{"bogus": 1}', 'ValidationException', 'unknown field'],
      [
        '{"filterCriteria": {"colour": [{"comparison": "EQUALS", "value": "x"}]}}',
        'ValidationException',
        'unknown filter',
      ],
      ['{"filterCriteria": {"severity": []}}', 'ValidationException', 'empty filter list'],
      [
        '{"filterCriteria": {"severity": [{"comparison": "LIKE", "value": "x"}]}}',
        'ValidationException',
        'bad comparison',
      ],
      [
        '{"filterCriteria": {"severity": [{"comparison": "EQUALS"}]}}',
        'ValidationException',
        'missing value',
      ],
      [
        '{"sortCriteria": {"field": "UPDATED_AT", "sortOrder": "ASC"}}',
        'ValidationException',
        'no updatedAt sort',
      ],
      ['{"nextToken": "garbage"}', 'ValidationException', 'bad token'],
      ['\u0000\u0001', 'SerializationException', 'binary'],
    ];
    for (const [body, code, why] of cases) {
      const r = await signedRequest({ url: emu.url, path: '/findings/list', body, creds: READER });
      expect({ why, status: r.status, code: errType(r) }).toEqual({
        why,
        status: 400,
        code,
      });
      const b = JSON.parse(r.body);
      expect(typeof b.message).toBe('string');
      expect(r.body).not.toMatch(/at .*\.ts:\d+/);
    }
    const unknownPath = await signedRequest({
      url: emu.url,
      path: '/findings/nope',
      body: '{}',
      creds: READER,
    });
    expect(unknownPath.status).toBe(404);
    for (const [body, code] of [
      ['{"accountIds": "123456789012"}', 'SerializationException'],
      ['{"accountIds": ["12"]}', 'ValidationException'],
      ['{"other": 1}', 'ValidationException'],
    ]) {
      const r = await signedRequest({ url: emu.url, path: '/status/batch/get', body: body!, creds: READER });
      expect([r.status, errType(r)]).toEqual([400, code]);
    }
    const huge = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: ' '.repeat(9 * 1024 * 1024),
      creds: READER,
    });
    expect([huge.status, errType(huge)]).toEqual([413, 'SerializationException']);
    for (const [body, code] of [
      ['Action=Nope&Version=2011-06-15', 'InvalidAction'],
      ['Action=AssumeRole&Version=2011-06-15&RoleSessionName=x1', 'ValidationError'],
      ['Version=2011-06-15', 'InvalidAction'],
    ]) {
      const r = await signedRequest({ url: emu.url, path: '/', body: body!, creds: SOURCE, service: 'sts' });
      expect(r.status).toBe(400);
      expect(r.body).toContain(`<Code>${code}</Code>`);
    }
  });
});

describe('BatchGetAccountStatus', () => {
  it('reports activation per account and scan type, switchable through the control API', async () => {
    const c = inspector(READER);
    const r = await c.send(new BatchGetAccountStatusCommand({ accountIds: [ACCOUNT, '999999999999'] }));
    expect(r.accounts?.[0]?.state?.status).toBe('ENABLED');
    expect(r.accounts?.[0]?.resourceState?.ec2?.status).toBe('ENABLED');
    expect(r.failedAccounts?.[0]?.accountId).toBe('999999999999');
    expect(
      (await control(emu.url, 'accounts', 'POST', { accountId: ACCOUNT, status: 'DISABLED' })).status,
    ).toBe(200);
    const off = await c.send(new BatchGetAccountStatusCommand({}));
    expect(off.accounts?.[0]?.state?.status).toBe('DISABLED');
    expect(off.accounts?.[0]?.resourceState?.lambda?.status).toBe('DISABLED');
    await control(emu.url, 'accounts', 'POST', {
      accountId: ACCOUNT,
      status: 'ENABLED',
      resourceState: { lambdaCode: 'DISABLED' },
    });
    const partly = await c.send(new BatchGetAccountStatusCommand({}));
    expect(partly.accounts?.[0]?.resourceState?.lambdaCode?.status).toBe('DISABLED');
    expect(partly.accounts?.[0]?.resourceState?.ecr?.status).toBe('ENABLED');
    await control(emu.url, 'accounts', 'POST', { accountId: ACCOUNT, status: 'ENABLED' });
    const bad = await control(emu.url, 'accounts', 'POST', { accountId: '12', status: 'ON' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/accountId/);
    const denied = await errorOf(inspector(SOURCE).send(new BatchGetAccountStatusCommand({})));
    expect(denied.name).toBe('AccessDeniedException');
  });
});

describe('control API: mutate, add, summary', () => {
  it('mutate changes K findings: updatedAt moves to now, lastObservedAt does not; versions count up', async () => {
    const before = (await control(emu.url, 'summary')).json;
    const m = await control(emu.url, 'mutate', 'POST', { count: 5, status: 'CLOSED', fromStatus: 'ACTIVE' });
    expect(m.status).toBe(200);
    expect(m.json.arns).toHaveLength(5);
    const after = (await control(emu.url, 'summary')).json;
    expect(after.versions).toBe(before.versions + 5);
    expect(after.byStatus.CLOSED).toBe(before.byStatus.CLOSED + 5);
    expect(after.byStatus.ACTIVE).toBe(before.byStatus.ACTIVE - 5);
    const got = await listAllRaw(emu.url, READER, {
      filterCriteria: {
        updatedAt: [{ startInclusive: m.json.updatedAt / 1000, endInclusive: m.json.updatedAt / 1000 }],
        findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }],
      },
    });
    const mine = got.findings.filter((f) => m.json.arns.includes(f.findingArn));
    expect(mine).toHaveLength(5);
    for (const f of mine) {
      expect(f.updatedAt).toBe(m.json.updatedAt / 1000);
      expect(f.lastObservedAt as number).toBeLessThan(f.updatedAt as number);
    }
    const again = await control(emu.url, 'mutate', 'POST', { count: 3, observed: true });
    expect(new Set([...again.json.arns, ...m.json.arns]).size).toBe(8);
    const bad = await control(emu.url, 'mutate', 'POST', { count: 0, status: 'GONE' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/count|status/);
  });

  it('findings can be added (documents or generated) and are listed', async () => {
    const before = (await control(emu.url, 'summary')).json.findings;
    const added = await control(emu.url, 'findings', 'POST', { count: 4 });
    expect(added.json.arns).toHaveLength(4);
    const doc = {
      findingArn: `arn:aws:inspector2:us-east-1:${ACCOUNT}:finding/${'ab'.repeat(16)}`,
      awsAccountId: ACCOUNT,
      type: 'PACKAGE_VULNERABILITY',
      severity: 'HIGH',
      status: 'ACTIVE',
      description: 'added',
      remediation: { recommendation: { text: 'x' } },
      firstObservedAt: '2026-01-01T00:00:00Z',
      lastObservedAt: '2026-01-02T00:00:00Z',
      resources: [{ type: 'AWS_EC2_INSTANCE', id: 'i-0123' }],
    };
    expect((await control(emu.url, 'findings', 'POST', { findings: [doc] })).status).toBe(200);
    expect((await control(emu.url, 'summary')).json.findings).toBe(before + 5);
    const got = await listAllRaw(emu.url, READER, {
      filterCriteria: { findingArn: [{ comparison: 'EQUALS', value: doc.findingArn }] },
    });
    expect(got.findings).toHaveLength(1);
    expect(got.findings[0]!.firstObservedAt).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    const bad = await control(emu.url, 'findings', 'POST', { findings: [{ ...doc, findingArn: 'nope' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/findingArn/);
  });

  it('clock and STS lifetime controls validate their input and report their state', async () => {
    const at = Date.UTC(2030, 0, 1);
    const set = await control(emu.url, 'clock', 'POST', { setMs: at });
    try {
      expect(set.json.now).toBeGreaterThanOrEqual(at);
      expect((await control(emu.url, 'clock')).json.now).toBeGreaterThanOrEqual(at);
    } finally {
      await control(emu.url, 'clock', 'POST', { setMs: Date.now() });
    }
    expect(Math.abs((await control(emu.url, 'clock')).json.now - Date.now())).toBeLessThan(60_000);
    const badClock = await control(emu.url, 'clock', 'POST', { advanceMs: 'soon' });
    expect([badClock.status, badClock.json.error]).toEqual([400, 'advanceMs: a number of milliseconds']);
    const unknown = await control(emu.url, 'clock', 'POST', { rewind: 1 });
    expect(unknown.json.error).toMatch(/^rewind: unknown field; allowed: advanceMs, setMs/);
    const badSts = await control(emu.url, 'sts', 'POST', { credentialSeconds: 0 });
    expect([badSts.status, badSts.json.error]).toEqual([
      400,
      expect.stringMatching(/^credentialSeconds: an integer 1-43200/),
    ]);
    expect((await control(emu.url, 'sts')).json).toEqual({ credentialSeconds: null });
    const notJson = await rawRequest(
      emu.url,
      '/__emulator/mutate',
      'POST',
      { 'content-type': 'application/json' },
      '{oops',
    );
    expect([notJson.status, JSON.parse(notJson.body).error]).toEqual([400, 'body: not valid JSON']);
  });

  it('unknown control endpoints and methods are clear errors', async () => {
    expect((await control(emu.url, 'nope')).status).toBe(404);
    expect((await control(emu.url, 'summary', 'POST', {})).status).toBe(405);
    const f = await control(emu.url, 'faults', 'POST', { throttle: { fraction: 2 } });
    expect(f.status).toBe(400);
    expect(f.json.error).toMatch(/throttle\.fraction/);
  });
});

describe('faults', () => {
  it('throttle: 429 ThrottlingException with Retry-After; the SDK retries and succeeds', async () => {
    await control(emu.url, 'faults', 'POST', { throttle: { count: 1, retryAfterSeconds: 0 } });
    const raw = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: '{"maxResults":1}',
      creds: READER,
    });
    expect(raw.status).toBe(429);
    expect(errType(raw)).toBe('ThrottlingException');
    expect(raw.headers['retry-after']).toBe('0');
    await control(emu.url, 'faults', 'POST', { throttle: { count: 2, retryAfterSeconds: 0 } });
    const c = inspector(READER, { maxAttempts: 3 });
    const r = await c.send(new ListFindingsCommand({ maxResults: 1, filterCriteria: window() }));
    expect(r.$metadata.attempts).toBe(3);
    await control(emu.url, 'faults', 'POST', { throttle: { count: 1 } });
    const e = await errorOf(inspector(READER).send(new ListFindingsCommand({ maxResults: 1 })));
    expect([e.name, e.status, e.raw.$retryable?.throttling]).toEqual(['ThrottlingException', 429, true]);
  });

  it('a request-rate limit throttles the excess', async () => {
    // One request per 1000 s: the first passes, the next ones are throttled, however slow the machine.
    await control(emu.url, 'faults', 'POST', { throttle: { ratePerSecond: 0.001 } });
    const statuses = [];
    for (let k = 0; k < 3; k++) {
      const r = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: '{"maxResults":1}',
        creds: READER,
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([200, 429, 429]);
  });

  it('500 InternalServerException, retryable', async () => {
    await control(emu.url, 'faults', 'POST', { error500: { count: 1 } });
    const e = await errorOf(inspector(READER).send(new ListFindingsCommand({ maxResults: 1 })));
    expect([e.name, e.status, e.raw.$fault]).toEqual(['InternalServerException', 500, 'server']);
    await control(emu.url, 'faults', 'POST', { error500: { count: 1 } });
    const ok = await inspector(READER, { maxAttempts: 2 }).send(new ListFindingsCommand({ maxResults: 1 }));
    expect(ok.$metadata.attempts).toBe(2);
  });

  it('connection reset, truncated and malformed JSON reach the client as errors', async () => {
    await control(emu.url, 'faults', 'POST', { reset: { count: 1 } });
    await expect(
      signedRequest({ url: emu.url, path: '/findings/list', body: '{}', creds: READER }),
    ).rejects.toThrow(/socket hang up|ECONNRESET/);
    for (const kind of ['truncate', 'malformed']) {
      await control(emu.url, 'faults', 'POST', { [kind]: { count: 1 } });
      const raw = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: '{"maxResults":3}',
        creds: READER,
      });
      expect(raw.status).toBe(200);
      expect(() => JSON.parse(raw.body)).toThrow();
      await control(emu.url, 'faults', 'POST', { [kind]: { count: 1 } });
      const e = await errorOf(inspector(READER).send(new ListFindingsCommand({ maxResults: 3 })));
      // The SDK cannot parse the 200 body: a SyntaxError carrying the HTTP metadata.
      expect([e.name, e.status]).toEqual(['SyntaxError', 200]);
    }
    const s = (await control(emu.url, 'faults')).json;
    expect(s.injected.reset).toBe(1);
    expect(s.injected.truncate).toBe(2);
    expect(s.injected.malformed).toBe(2);
  });

  it('empty pages that still carry a nextToken: following the token loses nothing', async () => {
    await cleanPages(); // counts the pages the fault added
    const want = (
      await listAllRaw(emu.url, READER, {
        maxResults: 100,
        filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
      })
    ).findings.length;
    await control(emu.url, 'faults', 'POST', { emptyPage: { fraction: 0.4 } });
    const got = await listAll(inspector(READER), { maxResults: 100, filterCriteria: window() });
    expect(got.findings.length).toBe(want);
    expect(new Set(got.findings.map((f) => f.findingArn)).size).toBe(want);
    const injected = (await control(emu.url, 'faults')).json.injected.emptyPage;
    expect(injected).toBeGreaterThan(0);
    expect(got.pages).toBe(Math.ceil(want / 100) + injected);
  });

  it('short pages that still carry a nextToken: following the token loses nothing', async () => {
    await cleanPages(); // counts the pages the fault added
    const want = (
      await listAllRaw(emu.url, READER, {
        maxResults: 100,
        filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
      })
    ).findings.map((f) => f.findingArn);
    await control(emu.url, 'faults', 'POST', { shortPage: { fraction: 0.5 } });
    const got = await listAll(inspector(READER), { maxResults: 100, filterCriteria: window() });
    expect(got.findings.map((f) => f.findingArn)).toEqual(want);
    const injected = (await control(emu.url, 'faults')).json.injected.shortPage;
    expect(injected).toBeGreaterThan(0);
    expect(got.pages).toBeGreaterThan(Math.ceil(want.length / 100));
  });

  it('clean pages: a full last page comes without a nextToken', async () => {
    await cleanPages();
    const total = all();
    async function all() {
      return (
        await listAllRaw(emu.url, READER, {
          maxResults: 100,
          filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
        })
      ).findings.length;
    }
    const n = await total;
    // A window holding exactly 10 findings, asked for 10 per page: one full page, no token.
    const times = (
      await listAllRaw(emu.url, READER, {
        filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
      })
    ).findings
      .map((f) => f.updatedAt as number)
      .sort((a, b) => a - b);
    expect(n).toBe(times.length);
    const lo = times[200]!;
    const hi = times[209]!;
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: JSON.stringify({
        maxResults: 10,
        filterCriteria: { updatedAt: [{ startInclusive: lo, endInclusive: hi }] },
      }),
      creds: READER,
    });
    const page = JSON.parse(r.body);
    expect(page.findings).toHaveLength(10);
    expect(page.nextToken).toBeUndefined();
  });

  it('nextTokens expire after the configured TTL', async () => {
    await control(emu.url, 'faults', 'POST', { tokenTtlSeconds: 30 });
    await cleanPages(); // the token within its TTL answers a full page
    const c = inspector(READER);
    const first = await c.send(new ListFindingsCommand({ maxResults: 10, filterCriteria: window() }));
    const ok = await c.send(
      new ListFindingsCommand({ maxResults: 10, filterCriteria: window(), nextToken: first.nextToken }),
    );
    expect(ok.findings).toHaveLength(10);
    expect(ok.nextToken).toBeTruthy();
    await control(emu.url, 'clock', 'POST', { advanceMs: 60_000 });
    try {
      const r = await signedRequest({
        url: emu.url,
        path: '/findings/list',
        body: JSON.stringify({
          maxResults: 10,
          filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: END.getTime() / 1000 }] },
          nextToken: ok.nextToken,
        }),
        creds: READER,
        signingDate: Date.now() + 60_000,
      });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).message).toMatch(/expired/);
    } finally {
      await control(emu.url, 'clock', 'POST', { advanceMs: -60_000 });
    }
  });

  it('latency delays answers; faults can target STS', async () => {
    await control(emu.url, 'faults', 'POST', {
      latencyMs: 50,
      operations: ['GetCallerIdentity'],
      throttle: { count: 1 },
    });
    const e = await errorOf(sts(READER).send(new GetCallerIdentityCommand({})));
    expect([e.name, e.status]).toEqual(['Throttling', 400]);
    const s = (await control(emu.url, 'faults')).json;
    expect(s.injected.latency).toBeGreaterThan(0);
    // ListFindings is not targeted: no fault.
    await cleanPages();
    const ok = await inspector(READER).send(new ListFindingsCommand({ maxResults: 1 }));
    expect(ok.findings).toHaveLength(1);
  });

  it('the request log records what clients sent', async () => {
    await control(emu.url, 'requests', 'DELETE');
    const page = await inspector(READER).send(
      new ListFindingsCommand({ maxResults: 2, filterCriteria: window() }),
    );
    const log = (await control(emu.url, 'requests')).json.requests;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      operation: 'ListFindings',
      status: 200,
      maxResults: 2,
      returned: page.findings!.length,
      hasNextToken: false,
      caller: `arn:aws:iam::${ACCOUNT}:user/reader`,
    });
    expect(log[0].filterCriteria.updatedAt[0].endInclusive).toBe(END.getTime() / 1000);
  });
});

describe('determinism', () => {
  it('the same seed and clock give the same findings; another seed does not', async () => {
    const clock = () => Date.UTC(2026, 10, 1);
    const end = Date.UTC(2026, 10, 1) / 1000;
    const req = {
      maxResults: 100,
      filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: end }] },
    };
    const bodies = [];
    for (const seed of [42, 42, 43]) {
      const e = await startEmulator({ findings: 150, seed, clock });
      try {
        // Sign at the emulator's fixed time so the signature is current for it.
        const r = await signedRequest({
          url: e.url,
          path: '/findings/list',
          body: JSON.stringify(req),
          creds: READER,
          signingDate: clock(),
        });
        expect(r.status).toBe(200);
        bodies.push(JSON.parse(r.body).findings);
      } finally {
        await e.close();
      }
    }
    expect(bodies[0]).toEqual(bodies[1]);
    expect(bodies[0]).not.toEqual(bodies[2]);
  });
});

describe('TLS', () => {
  it('serves HTTPS with a self-signed certificate: trusted with its CA, refused without', async () => {
    // Clean pages: a full page shows the findings came through TLS.
    const e = await startEmulator({ tls: true, findings: 20, cleanPages: true });
    try {
      expect(e.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(e.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const trusted = new Inspector2Client({
        region: 'us-east-1',
        endpoint: e.url,
        credentials: READER,
        requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: e.ca }) }),
      });
      expect((await trusted.send(new ListFindingsCommand({ maxResults: 5 }))).findings).toHaveLength(5);
      const insecure = new Inspector2Client({
        region: 'us-east-1',
        endpoint: e.url,
        credentials: READER,
        requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ rejectUnauthorized: false }) }),
      });
      expect((await insecure.send(new ListFindingsCommand({ maxResults: 5 }))).findings).toHaveLength(5);
      const strict = new Inspector2Client({
        region: 'us-east-1',
        endpoint: e.url,
        credentials: READER,
        maxAttempts: 1,
      });
      const err = await errorOf(strict.send(new ListFindingsCommand({ maxResults: 5 })));
      expect(err.message).toMatch(/self[- ]signed|certificate/i);
    } finally {
      await e.close();
    }
  });
});

describe('unexpected errors', () => {
  it('are a generic 500 InternalServerException without details, reported to onError', async () => {
    const seen: unknown[] = [];
    const e = await startEmulator({ findings: 5, onError: (err) => seen.push(err) });
    try {
      e.state.listFindings = () => {
        throw new Error('boom in /some/file.ts:12');
      };
      const r = await signedRequest({ url: e.url, path: '/findings/list', body: '{}', creds: READER });
      expect([r.status, errType(r)]).toEqual([500, 'InternalServerException']);
      expect(r.body).toBe('{"message":"Internal server error"}');
      expect(seen).toHaveLength(1);
      // The emulator keeps serving.
      const ok = await signedRequest({ url: e.url, path: '/status/batch/get', body: '{}', creds: READER });
      expect(ok.status).toBe(200);
    } finally {
      await e.close();
    }
  });
});

describe('control API: rescans', () => {
  it('startEmulator({rescanRate}) and POST /__emulator/rescans drive rescans with the clock; input is checked', async () => {
    const own = await startEmulator({ findings: 500, seed: 3, rescanRate: 0.5 });
    try {
      expect((await control(own.url, 'rescans')).json).toEqual({ rate: 0.5, applied: 0 });
      await control(own.url, 'clock', 'POST', { advanceMs: 86_400_000 });
      const day1 = (await control(own.url, 'rescans')).json as { applied: number };
      const active = (await control(own.url, 'summary')).json.byStatus.ACTIVE as number;
      expect(day1.applied).toBeGreaterThan(active * 0.4);
      expect(day1.applied).toBeLessThan(active * 0.6);
      expect((await control(own.url, 'rescans', 'POST', { rate: 0 })).json).toEqual({
        rate: 0,
        applied: day1.applied,
      });
      await control(own.url, 'clock', 'POST', { advanceMs: 86_400_000 });
      expect((await control(own.url, 'summary')).json.rescans).toEqual({ rate: 0, applied: day1.applied });
      const bad = await control(own.url, 'rescans', 'POST', { rate: 2 });
      expect([bad.status, bad.json.error]).toEqual([
        400,
        'rate: a fraction from 0 to 1 (of ACTIVE findings rescanned per emulator day)',
      ]);
      const extra = await control(own.url, 'rescans', 'POST', { rate: 0.1, daily: true });
      expect(extra.json.error).toBe('daily: unknown field; allowed: rate');
    } finally {
      await own.close();
    }
  });
});
