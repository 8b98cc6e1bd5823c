/**
 * Regions, partitions and endpoints as AWS enforces them: the credential scope's region must be
 * the endpoint's, an endpoint AWS does not have is answered as missing, STS has regional
 * endpoints and a global one (us-east-1), and GovCloud / China answer with their own ARNs.
 * Through the AWS SDK v3 (a real client) and raw signed requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startEmulator, type Emulator } from './index.js';
import { endpointHost, parseEndpointHost } from './regions.js';
import { ACCOUNT, READER, SOURCE, errType, signedRequest, type Creds } from './testing.js';

let emu: Emulator;
const END = new Date(Date.now() + 3_600_000);
const window = { updatedAt: [{ startInclusive: new Date(0), endInclusive: END }] };

beforeAll(async () => {
  emu = await startEmulator({
    findings: 90,
    seed: 5,
    regions: ['us-east-1', 'eu-west-1', 'us-gov-west-1', 'cn-north-1'],
    cleanPages: true,
  });
});
afterAll(async () => {
  await emu.close();
});

const inspector = (region: string, endpoint: string, creds: Creds = READER) =>
  new Inspector2Client({ region, endpoint, credentials: creds, maxAttempts: 1 });
const sts = (region: string, endpoint: string, creds: Creds = READER) =>
  new STSClient({ region, endpoint, credentials: creds, maxAttempts: 1 });

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected a failure');
}

async function listAll(client: Inspector2Client): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const r = await client.send(
      new ListFindingsCommand({ filterCriteria: window, ...(nextToken ? { nextToken } : {}) }),
    );
    out.push(...((r.findings ?? []) as unknown as Record<string, unknown>[]));
    nextToken = r.nextToken;
  } while (nextToken);
  return out;
}

describe('endpoint host names', () => {
  it('resolve as AWS names them: partition DNS suffix, the global STS endpoint, nothing else', () => {
    expect(endpointHost('inspector2', 'cn-north-1')).toBe('inspector2.cn-north-1.amazonaws.com.cn');
    expect(endpointHost('sts', 'us-gov-west-1')).toBe('sts.us-gov-west-1.amazonaws.com');
    expect(parseEndpointHost('sts.amazonaws.com')).toMatchObject({ service: 'sts', region: 'us-east-1' });
    expect(parseEndpointHost('inspector2.us-gov-east-1.amazonaws.com')?.partition.name).toBe('aws-us-gov');
    expect(parseEndpointHost('inspector2.cn-north-1.amazonaws.com')).toBeUndefined();
    expect(parseEndpointHost('inspector2.eu-west-1.amazonaws.com.cn')).toBeUndefined();
    expect(parseEndpointHost('inspector2.xx-fake-9.amazonaws.com')).toBeUndefined();
  });
});

describe('the credential scope must name the endpoint region', () => {
  it('Inspector2: InvalidSignatureException 403 with AWS wording; the matching region works', async () => {
    const url = emu.endpoint('inspector2.us-east-1.amazonaws.com');
    const f = await failure(
      inspector('eu-west-1', url).send(new ListFindingsCommand({ filterCriteria: window })),
    );
    expect(f).toEqual({
      name: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
      status: 403,
    });
    const ok = await inspector('us-east-1', url).send(new ListFindingsCommand({ filterCriteria: window }));
    expect(ok.findings!.every((x) => x.findingArn!.startsWith('arn:aws:inspector2:us-east-1:'))).toBe(true);
  });

  it('the Host header names the endpoint too (as when DNS sends AWS names to the emulator)', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      body: '{}',
      creds: READER,
      region: 'us-east-1',
      extraHeaders: { host: 'inspector2.eu-west-1.amazonaws.com' },
    });
    expect([r.status, errType(r)]).toEqual([403, 'InvalidSignatureException']);
    expect(JSON.parse(r.body).message).toBe(
      "Credential should be scoped to a valid region, not 'us-east-1'. ",
    );
  });

  it('STS: the global endpoint takes us-east-1 only; regional endpoints their own region', async () => {
    const global = emu.endpoint('sts.amazonaws.com');
    expect((await sts('us-east-1', global).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    const f = await failure(sts('eu-west-1', global).send(new GetCallerIdentityCommand({})));
    expect(f).toEqual({
      name: 'SignatureDoesNotMatch',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
      status: 403,
    });
    const west = emu.endpoint('sts.eu-west-1.amazonaws.com');
    expect((await sts('eu-west-1', west).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    const g = await failure(sts('us-east-1', west).send(new GetCallerIdentityCommand({})));
    expect([g.name, g.status]).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('an STS request sent to the Inspector2 endpoint: the service is wrong (JSON 403)', async () => {
    const r = await signedRequest({
      url: emu.endpoint('inspector2.eu-west-1.amazonaws.com'),
      path: '/inspector2.eu-west-1.amazonaws.com/',
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      creds: READER,
      service: 'sts',
      region: 'eu-west-1',
    });
    expect([r.status, errType(r)]).toEqual([403, 'InvalidSignatureException']);
    expect(JSON.parse(r.body).message).toBe("Credential should be scoped to correct service: 'inspector2'. ");
  });
});

describe('endpoints AWS does not have', () => {
  it('Inspector2 outside `regions`, an unknown region, a wrong DNS suffix: 404 NoSuchEndpoint', async () => {
    for (const [region, url] of [
      ['ap-southeast-6', emu.endpoint('inspector2.ap-southeast-6.amazonaws.com')],
      ['ap-southeast-6', emu.url],
      ['xx-fake-9', emu.url],
      ['cn-north-1', emu.endpoint('inspector2.cn-north-1.amazonaws.com')],
    ] as const) {
      const f = await failure(
        inspector(region, url).send(new ListFindingsCommand({ filterCriteria: window })),
      );
      expect([f.name, f.status]).toEqual(['NoSuchEndpoint', 404]);
      expect(f.message).toContain('does not resolve');
    }
    // STS exists in every known region, not in an unknown one.
    expect((await sts('ap-southeast-6', emu.url).send(new GetCallerIdentityCommand({}))).Account).toBe(
      ACCOUNT,
    );
    const f = await failure(sts('xx-fake-9', emu.url).send(new GetCallerIdentityCommand({})));
    expect([f.name, f.status]).toEqual(['NoSuchEndpoint', 404]);
    expect(emu.state.summary().regions).toEqual(['us-east-1', 'eu-west-1', 'us-gov-west-1', 'cn-north-1']);
  });
});

describe('partitions', () => {
  it('GovCloud: findings, resources and every ARN in aws-us-gov; findingArn filters match them', async () => {
    const findings = await listAll(
      inspector('us-gov-west-1', emu.endpoint('inspector2.us-gov-west-1.amazonaws.com')),
    );
    expect(findings.length).toBe((emu.state.summary().byRegion as Record<string, number>)['us-gov-west-1']);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.findingArn).toMatch(/^arn:aws-us-gov:inspector2:us-gov-west-1:\d{12}:finding\/[0-9a-f]{32}$/);
      expect((f.resources as { partition: string }[])[0]!.partition).toBe('aws-us-gov');
      expect(JSON.stringify(f)).not.toMatch(/"arn:aws:/);
    }
    const one = await inspector('us-gov-west-1', emu.endpoint('inspector2.us-gov-west-1.amazonaws.com')).send(
      new ListFindingsCommand({
        filterCriteria: { findingArn: [{ comparison: 'EQUALS', value: findings[0]!.findingArn as string }] },
      }),
    );
    expect(one.findings!.map((x) => x.findingArn)).toEqual([findings[0]!.findingArn]);
  });

  it('China: amazonaws.com.cn endpoints, arn:aws-cn findings, STS identity and roles', async () => {
    const findings = await listAll(
      inspector('cn-north-1', emu.endpoint('inspector2.cn-north-1.amazonaws.com.cn')),
    );
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.findingArn).toMatch(/^arn:aws-cn:inspector2:cn-north-1:/);
      expect((f.resources as { partition: string }[])[0]!.partition).toBe('aws-cn');
    }
    const stsUrl = emu.endpoint('sts.cn-north-1.amazonaws.com.cn');
    const me = await sts('cn-north-1', stsUrl).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws-cn:iam::${ACCOUNT}:user/reader`);
    const role = await sts('cn-north-1', stsUrl, SOURCE).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws-cn:iam::${ACCOUNT}:role/InspectorReadOnly`,
        RoleSessionName: 'cn',
      }),
    );
    expect(role.AssumedRoleUser!.Arn).toBe(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/InspectorReadOnly/cn`);
    // The session reads China's findings; an ARN of another partition names no role there.
    const session = {
      accessKeyId: role.Credentials!.AccessKeyId!,
      secretAccessKey: role.Credentials!.SecretAccessKey!,
      sessionToken: role.Credentials!.SessionToken!,
    };
    expect(
      (
        await listAll(
          inspector('cn-north-1', emu.endpoint('inspector2.cn-north-1.amazonaws.com.cn'), session),
        )
      ).length,
    ).toBe(findings.length);
    const f = await failure(
      sts('cn-north-1', stsUrl, SOURCE).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/InspectorReadOnly`,
          RoleSessionName: 'cn',
        }),
      ),
    );
    expect([f.name, f.status]).toEqual(['AccessDenied', 403]);
    expect(f.message).toContain(`User: arn:aws-cn:iam::${ACCOUNT}:user/source is not authorized`);
  });
});
