/**
 * Fidelity against the AWS CLI v1 on this machine (botocore: a client written elsewhere, in
 * another language): it signs, pages (through uneven pages too) and parses the emulator's
 * answers, and reports AWS's error codes for each bad-key / no-permission case.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as sdk from '@aws-sdk/client-inspector2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import {
  ACCOUNT,
  READER,
  ROLE,
  ROLE_EXTERNAL_ID,
  ROLE_UNTRUSTED,
  SOURCE,
  control,
  listAllRaw,
  listCoverageRaw,
  type Creds,
} from './testing.js';

let emu: Emulator;
let home: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function aws(
  args: string[],
  creds: Creds,
  extraEnv: Record<string, string> = {},
  url = emu.url,
  region = 'us-east-1',
): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(
      'aws',
      [...args, '--endpoint-url', url, '--region', region, '--output', 'json'],
      { env, timeout: 150_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** "An error occurred (Code) when calling the Op operation: ..." -> Code */
function errorCode(r: Run): string | undefined {
  return /An error occurred \(([A-Za-z]+)\)/.exec(r.stderr)?.[1];
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-awscli-'));
  fs.writeFileSync(path.join(home, 'config'), '');
  fs.writeFileSync(path.join(home, 'credentials'), '');
  emu = await startEmulator({ findings: 230, fixtures: true, seed: 11 });
});
afterAll(async () => {
  await emu.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('AWS CLI v1', () => {
  it('list-findings pages through all findings under uneven pages (short, empty, a token on the last page)', async () => {
    const end = Math.floor(Date.now() / 1000) + 60;
    const filter = JSON.stringify({ updatedAt: [{ startInclusive: 0, endInclusive: end }] });
    const inRegion = (emu.state.summary().byRegion as Record<string, number>)['us-east-1']!;
    emu.state.clearRequests();
    const shapes = new Set<string>();
    for (const size of ['40', '7']) {
      const r = await aws(
        ['inspector2', 'list-findings', '--page-size', size, '--filter-criteria', filter],
        READER,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { findings: { findingArn: string }[] };
      // botocore's paginator follows every token (a repeated one would be an error): the full set.
      expect(out.findings.length).toBe(inRegion);
      expect(new Set(out.findings.map((f) => f.findingArn)).size).toBe(inRegion);
      const calls = emu.state
        .requests()
        .filter((q) => q.operation === 'ListFindings' && q.caller?.endsWith('user/reader'));
      for (const c of calls) if (c.shape) shapes.add(c.shape);
      expect(calls.length).toBeGreaterThan(Math.ceil(inRegion / Number(size)));
      emu.state.clearRequests();
    }
    // The CLI met every uneven shape, the trailing token included, and still got the full set.
    expect([...shapes].sort()).toEqual(['empty', 'short', 'trailing']);
  }, 180_000);

  it('with clean pages the CLI makes exactly ceil(n / page size) calls', async () => {
    const end = Math.floor(Date.now() / 1000) + 60;
    const filter = JSON.stringify({ updatedAt: [{ startInclusive: 0, endInclusive: end }] });
    emu.state.cleanPages = true;
    emu.state.clearRequests();
    try {
      const r = await aws(
        ['inspector2', 'list-findings', '--page-size', '40', '--filter-criteria', filter],
        READER,
      );
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { findings: { findingArn: string }[] };
      const inRegion = (emu.state.summary().byRegion as Record<string, number>)['us-east-1'];
      expect(out.findings.length).toBe(inRegion);
      // 230 generated + 9 fixtures at 40 per page: the CLI made ceil(239/40) calls.
      const calls = emu.state
        .requests()
        .filter((q) => q.operation === 'ListFindings' && q.caller?.endsWith('user/reader'));
      expect(calls.length).toBe(Math.ceil(inRegion! / 40));
    } finally {
      emu.state.cleanPages = false;
    }
  }, 180_000);

  it('sts get-caller-identity and assume-role (with ExternalId) work; temporary keys list findings', async () => {
    const who = await aws(['sts', 'get-caller-identity'], SOURCE);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toEqual({
      UserId: expect.stringMatching(/^AIDA/),
      Account: ACCOUNT,
      Arn: `arn:aws:iam::${ACCOUNT}:user/source`,
    });
    const role = await aws(
      [
        'sts',
        'assume-role',
        '--role-arn',
        ROLE_EXTERNAL_ID,
        '--role-session-name',
        'cli-test',
        '--external-id',
        'example-external-id',
        '--duration-seconds',
        '900',
      ],
      SOURCE,
    );
    expect(role.stderr).toBe('');
    const c = JSON.parse(role.stdout).Credentials as {
      AccessKeyId: string;
      SecretAccessKey: string;
      SessionToken: string;
      Expiration: string;
    };
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    const temp = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    };
    const list = await aws(['inspector2', 'list-findings', '--page-size', '5', '--max-items', '5'], temp);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).findings).toHaveLength(5);
    const me = await aws(['sts', 'get-caller-identity'], temp);
    expect(JSON.parse(me.stdout).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/InspectorReadOnlyExternalId/cli-test`,
    );
  }, 180_000);

  it('each bad-key and no-permission case gives AWS’s error code', async () => {
    const unknown = { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x'.repeat(40) };
    const wrongSecret = { ...READER, secretAccessKey: 'wrong' + READER.secretAccessKey.slice(5) };
    const cases: [string[], Creds, string][] = [
      [['inspector2', 'list-findings', '--max-items', '1'], unknown, 'UnrecognizedClientException'],
      [['sts', 'get-caller-identity'], unknown, 'InvalidClientTokenId'],
      [['inspector2', 'list-findings', '--max-items', '1'], wrongSecret, 'InvalidSignatureException'],
      [['sts', 'get-caller-identity'], wrongSecret, 'SignatureDoesNotMatch'],
      [['inspector2', 'list-findings', '--max-items', '1'], SOURCE, 'AccessDeniedException'],
      [
        ['sts', 'assume-role', '--role-arn', ROLE_UNTRUSTED, '--role-session-name', 'x1'],
        SOURCE,
        'AccessDenied',
      ],
      [
        ['sts', 'assume-role', '--role-arn', ROLE_EXTERNAL_ID, '--role-session-name', 'x1'],
        SOURCE,
        'AccessDenied',
      ],
      [['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'x1'], READER, 'AccessDenied'],
      [
        ['inspector2', 'list-findings', '--max-items', '1'],
        { ...READER, sessionToken: 'not-a-token' },
        'UnrecognizedClientException',
      ],
    ];
    const results = await Promise.all(cases.map(([args, creds]) => aws(args, creds)));
    const got = results.map((r) => [r.code !== 0, errorCode(r)]);
    expect(got).toEqual(cases.map(([, , code]) => [true, code]));
  }, 180_000);

  it('the 19 newer filter keys: sent by the CLI (its model extended with them) and applied; bad values are ValidationException', async () => {
    // botocore's model predates these keys and its serializer refuses members it does not know:
    // the CLI loads a model from ~/.aws/models first, so a second HOME holds botocore's own model
    // with the SDK model's newer FilterCriteria members added (their list shapes exist already).
    const botocore = await new Promise<string>((resolve, reject) =>
      execFile(
        'python3',
        ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
        (e, out) => (e ? reject(e) : resolve(out.trim())),
      ),
    );
    const dir = path.join(botocore, 'data', 'inspector2', '2020-06-08');
    const file = path.join(dir, 'service-2.json');
    const model = JSON.parse(
      fs.existsSync(file)
        ? fs.readFileSync(file, 'utf8')
        : zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString('utf8'),
    ) as { shapes: Record<string, { members: Record<string, { shape: string }> }> };
    const fc = model.shapes.FilterCriteria!.members;
    const sdkFc = (sdk as unknown as Record<string, unknown[]>).FilterCriteria$!;
    const added: string[] = [];
    (sdkFc[4] as string[]).forEach((k, n) => {
      if (fc[k]) return;
      fc[k] = { shape: (sdkFc[5] as (() => unknown[])[])[n]!()[2] as string };
      added.push(k);
    });
    expect(added).toHaveLength(19);
    const home2 = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-awscli-model-'));
    try {
      const models = path.join(home2, '.aws', 'models', 'inspector2', '2020-06-08');
      fs.mkdirSync(models, { recursive: true });
      fs.writeFileSync(path.join(models, 'service-2.json'), JSON.stringify(model));
      const all = (await listAllRaw(emu.url, READER, { maxResults: 100 })).findings as {
        findingArn: string;
        resources: { provider?: string; details?: { image?: { inUseCount?: number } } }[];
      }[];
      const cases: [Record<string, unknown>, (f: (typeof all)[number]) => boolean][] = [
        [
          { cloudProvider: [{ comparison: 'EQUALS', value: 'AZURE' }] },
          (f) => f.resources[0]!.provider === 'AZURE',
        ],
        [
          {
            cloudImageInUseCount: [{ lowerInclusive: 1 }],
            cloudProvider: [{ comparison: 'EQUALS', value: 'AZURE' }],
          },
          (f) => (f.resources[0]!.details?.image?.inUseCount ?? 0) >= 1,
        ],
      ];
      for (const [filter, pred] of cases) {
        const r = await aws(
          ['inspector2', 'list-findings', '--filter-criteria', JSON.stringify(filter)],
          READER,
          { HOME: home2 },
        );
        expect(r.stderr).toBe('');
        const got = (JSON.parse(r.stdout) as { findings: { findingArn: string }[] }).findings.map(
          (f) => f.findingArn,
        );
        const want = all.filter(pred).map((f) => f.findingArn);
        expect(want.length).toBeGreaterThan(0);
        expect(got.sort()).toEqual(want.sort());
      }
      const bad = await aws(
        [
          'inspector2',
          'list-findings',
          '--filter-criteria',
          JSON.stringify({
            cloudServerlessFunctionLastModifiedAt: [{ startInclusive: '2040-01-01T00:00:00Z' }],
          }),
        ],
        READER,
        { HOME: home2 },
      );
      expect(errorCode(bad)).toBe('ValidationException');
      expect(bad.stderr).toContain('cloudServerlessFunctionLastModifiedAt');
    } finally {
      fs.rmSync(home2, { recursive: true, force: true });
    }
  }, 180_000);

  it('over TLS: trusted with the emulator certificate as AWS_CA_BUNDLE, refused without it', async () => {
    const tls = await startEmulator({ tls: true, findings: 3 });
    try {
      const bundle = path.join(home, 'emulator-ca.pem');
      fs.writeFileSync(bundle, tls.ca!);
      const [ok, refused] = await Promise.all([
        aws(['sts', 'get-caller-identity'], READER, { AWS_CA_BUNDLE: bundle }, tls.url),
        aws(['sts', 'get-caller-identity'], READER, {}, tls.url),
      ]);
      expect(ok.stderr).toBe('');
      expect(JSON.parse(ok.stdout).Account).toBe(ACCOUNT);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/SSL|certificate/i);
    } finally {
      await tls.close();
    }
  }, 180_000);

  it('regions and partitions: scope region checked per endpoint, amazonaws.com.cn and aws-cn / aws-us-gov ARNs', async () => {
    const parts = await startEmulator({ findings: 40, seed: 3, regions: ['cn-north-1', 'us-gov-west-1'] });
    try {
      const [wrong, cn, cnSts, gov, missing] = await Promise.all([
        aws(['sts', 'get-caller-identity'], READER, {}, parts.endpoint('sts.amazonaws.com'), 'eu-west-1'),
        aws(
          ['inspector2', 'list-findings'],
          READER,
          {},
          parts.endpoint('inspector2.cn-north-1.amazonaws.com.cn'),
          'cn-north-1',
        ),
        aws(
          ['sts', 'get-caller-identity'],
          READER,
          {},
          parts.endpoint('sts.cn-north-1.amazonaws.com.cn'),
          'cn-north-1',
        ),
        aws(
          ['inspector2', 'list-findings'],
          READER,
          {},
          parts.endpoint('inspector2.us-gov-west-1.amazonaws.com'),
          'us-gov-west-1',
        ),
        aws(
          ['inspector2', 'list-findings'],
          READER,
          {},
          parts.endpoint('inspector2.eu-west-1.amazonaws.com'),
          'eu-west-1',
        ),
      ]);
      expect([wrong.code !== 0, errorCode(wrong)]).toEqual([true, 'SignatureDoesNotMatch']);
      expect(wrong.stderr).toContain("Credential should be scoped to a valid region, not 'eu-west-1'.");
      const byRegion = parts.state.summary().byRegion as Record<string, number>;
      const cnFindings = (
        JSON.parse(cn.stdout) as { findings: { findingArn: string; resources: { partition: string }[] }[] }
      ).findings;
      expect(cnFindings.length).toBe(byRegion['cn-north-1']);
      expect(
        cnFindings.every(
          (f) =>
            f.findingArn.startsWith('arn:aws-cn:inspector2:cn-north-1:') &&
            f.resources[0]!.partition === 'aws-cn',
        ),
      ).toBe(true);
      expect(JSON.parse(cnSts.stdout).Arn).toBe(`arn:aws-cn:iam::${ACCOUNT}:user/reader`);
      const govFindings = (JSON.parse(gov.stdout) as { findings: { findingArn: string }[] }).findings;
      expect(govFindings.length).toBe(byRegion['us-gov-west-1']);
      expect(
        govFindings.every((f) => f.findingArn.startsWith('arn:aws-us-gov:inspector2:us-gov-west-1:')),
      ).toBe(true);
      expect([missing.code !== 0, errorCode(missing)]).toEqual([true, 'NoSuchEndpoint']);
    } finally {
      await parts.close();
    }
  }, 180_000);

  it('org-wide: list-members, batch-get-account-status, list-coverage and list-coverage-statistics per region; a disabled opt-in region fails as on AWS (CLI and boto3)', async () => {
    const org = await startEmulator({
      findings: 300,
      seed: 8,
      regions: ['us-east-1', 'eu-west-1', 'me-south-1'],
      optInRegions: [],
    });
    try {
      await control(org.url, 'accounts', 'POST', {
        accountId: '210987654321',
        region: 'eu-west-1',
        resourceState: { lambda: 'DISABLED', lambdaCode: 'DISABLED' },
      });
      await control(org.url, 'members', 'POST', {
        members: [{ accountId: '555566667777', relationshipStatus: 'INVITED' }],
      });
      const cli = (args: string[], region: string) =>
        aws(['inspector2', ...args], READER, {}, org.url, region);
      const [members, allMembers, status, statusEu] = await Promise.all([
        cli(['list-members', '--page-size', '1'], 'eu-west-1'),
        cli(['list-members', '--no-only-associated'], 'eu-west-1'),
        cli(
          ['batch-get-account-status', '--account-ids', ACCOUNT, '210987654321', '999999999999'],
          'us-east-1',
        ),
        cli(['batch-get-account-status', '--account-ids', '210987654321'], 'eu-west-1'),
      ]);
      for (const r of [members, allMembers, status, statusEu]) expect([r.code, r.stderr]).toEqual([0, '']);
      const m = JSON.parse(members.stdout) as {
        members: { accountId: string; relationshipStatus: string; updatedAt: number }[];
      };
      expect(m.members.map((x) => `${x.accountId}:${x.relationshipStatus}`)).toEqual([
        '111122223333:ENABLED',
        '210987654321:ENABLED',
        '444455556666:ENABLED',
      ]);
      // Epoch seconds on the wire, which CLI v1 prints as received (cli_timestamp_format none).
      expect(m.members[0]!.updatedAt).toBe(org.state.startedAt / 1000);
      expect((JSON.parse(allMembers.stdout) as { members: unknown[] }).members).toHaveLength(4);
      const st = JSON.parse(status.stdout) as {
        accounts: { accountId: string; resourceState: Record<string, { status: string }> }[];
        failedAccounts: { accountId: string }[];
      };
      expect(st.accounts.map((a) => [a.accountId, a.resourceState.lambda!.status])).toEqual([
        [ACCOUNT, 'ENABLED'],
        ['210987654321', 'ENABLED'],
      ]);
      expect(st.failedAccounts.map((a) => a.accountId)).toEqual(['999999999999']);
      const eu = JSON.parse(statusEu.stdout) as typeof st;
      expect([
        eu.accounts[0]!.resourceState.lambda!.status,
        eu.accounts[0]!.resourceState.lambdaCode!.status,
        eu.accounts[0]!.resourceState.ec2!.status,
      ]).toEqual(['DISABLED', 'DISABLED', 'ENABLED']);

      // Coverage: the CLI pages through it (20 a page) and gets what a raw listing gets.
      const raw = (region: string) => listCoverageRaw(org.url, READER, {}, { region });
      const key = (x: { resourceId: string; scanType: string }) => `${x.resourceId}|${x.scanType}`;
      for (const region of ['us-east-1', 'eu-west-1']) {
        const [cov, stats, want] = await Promise.all([
          cli(['list-coverage', '--page-size', '20'], region),
          cli(['list-coverage-statistics', '--group-by', 'RESOURCE_TYPE'], region),
          raw(region),
        ]);
        expect([cov.code, cov.stderr]).toEqual([0, '']);
        const got = (JSON.parse(cov.stdout) as { coveredResources: typeof want }).coveredResources;
        expect(got.map(key)).toEqual(want.map(key));
        expect(want.length).toBeGreaterThan(40);
        const s = JSON.parse(stats.stdout) as {
          countsByGroup: { groupKey: string; count: number }[];
          totalCounts: number;
        };
        expect(s.totalCounts).toBe(want.length);
        const byType: Record<string, number> = {};
        for (const r of want) byType[r.resourceType] = (byType[r.resourceType] ?? 0) + 1;
        expect(Object.fromEntries(s.countsByGroup.map((g) => [g.groupKey, g.count]))).toEqual(byType);
      }
      // Lambda scanning disabled in eu-west-1 for 210987654321: none of its functions there.
      const lambdas = await cli(
        [
          'list-coverage',
          '--filter-criteria',
          JSON.stringify({
            accountId: [{ comparison: 'EQUALS', value: '210987654321' }],
            resourceType: [{ comparison: 'EQUALS', value: 'AWS_LAMBDA_FUNCTION' }],
          }),
        ],
        'eu-west-1',
      );
      expect(JSON.parse(lambdas.stdout)).toEqual({ coveredResources: [] });
      const bad = await cli(
        [
          'list-coverage',
          '--filter-criteria',
          JSON.stringify({ lastScannedCommitId: [{ comparison: 'EQUALS', value: 'a'.repeat(40) }] }),
        ],
        'us-east-1',
      );
      expect(errorCode(bad)).toBe('ValidationException');

      // me-south-1 is an opt-in region the account has not enabled.
      const [optIn, optInSts] = await Promise.all([
        cli(['list-findings', '--max-items', '1'], 'me-south-1'),
        aws(
          ['sts', 'get-caller-identity'],
          READER,
          {},
          org.endpoint('sts.me-south-1.amazonaws.com'),
          'me-south-1',
        ),
      ]);
      expect([errorCode(optIn), errorCode(optInSts)]).toEqual([
        'UnrecognizedClientException',
        'InvalidClientTokenId',
      ]);
      expect(optIn.stderr).toContain('The security token included in the request is invalid.');
      const boto = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          'python3',
          [
            '-c',
            [
              'import boto3, botocore, json, sys',
              "c = boto3.client('inspector2', region_name='me-south-1', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])",
              'try:',
              '    c.list_coverage()',
              "    print(json.dumps({'ok': True}))",
              'except botocore.exceptions.ClientError as e:',
              "    print(json.dumps({'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}))",
            ].join('\n'),
            org.url,
            READER.accessKeyId,
            READER.secretAccessKey,
          ],
          {
            env: {
              PATH: process.env.PATH ?? '/usr/bin:/bin',
              HOME: home,
              AWS_CONFIG_FILE: path.join(home, 'config'),
              AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
              AWS_EC2_METADATA_DISABLED: 'true',
            },
            timeout: 120_000,
          },
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
        ),
      );
      expect(boto.stderr).toBe('');
      expect(JSON.parse(boto.stdout)).toEqual({ code: 'UnrecognizedClientException', status: 403 });
      await control(org.url, 'regions/opt-in', 'POST', { regions: { 'me-south-1': true } });
      const enabled = await cli(['list-findings', '--max-items', '1'], 'me-south-1');
      expect([enabled.code, enabled.stderr]).toEqual([0, '']);
    } finally {
      await org.close();
    }
  }, 180_000);
});
