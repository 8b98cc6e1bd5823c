import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../core/errors.js';
import type { MapContext } from '../types.js';
import { findingState, isPrivateIp, mapFinding, toEpochMs } from './map.js';
import { SEVERITY_SCORES, UNKNOWN_SEVERITY_SCORE, severityScore } from './severity.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, '../../../test/fixtures/aws-inspector2');
const GOLDEN = join(here, 'fixtures/golden');

const ctx: MapContext = {
  connectorId: 'conn-1',
  connectorName: 'acme-aws-inspector',
  tenantId: 'tenant-1',
  tenantName: 'Acme',
  writeTime: 1_767_225_600_000, // 2026-01-01T00:00:00Z
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * The test's own notion of a timestamp member (independent of map.ts): model names, or a
 * camelCase name ending in At; tags are user data and never touched.
 */
const TS_KEY = /^(?:[a-z][A-Za-z0-9]*[a-z0-9])At$/;
function mapTimestamps(v: Json, f: (key: string, x: number | string) => Json): Json {
  if (Array.isArray(v)) return v.map((x) => mapTimestamps(x, f));
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'tags') out[k] = x;
      else if (TS_KEY.test(k) && (typeof x === 'number' || typeof x === 'string')) out[k] = f(k, x);
      else out[k] = mapTimestamps(x, f);
    }
    return out;
  }
  return v;
}

/** AWS CLI output (ISO strings) -> the restJson1 wire form (epoch seconds, JSON numbers). */
const toWire = (finding: Json): Json =>
  mapTimestamps(finding, (k, x) => {
    const ms = typeof x === 'string' ? Date.parse(x) : NaN;
    if (Number.isNaN(ms)) throw new Error(`fixture timestamp ${k}=${String(x)} does not parse`);
    return ms / 1000;
  });

/** A mapped finding back to the wire form: ms -> seconds. */
const msToSeconds = (finding: Json): Json =>
  mapTimestamps(finding, (_k, x) => (typeof x === 'number' ? x / 1000 : x));

/** Real findings (aws_inspector2_*) and synthetic ones of kinds no public sample shows yet. */
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => /^(aws_inspector2|synthetic)_.*\.json$/.test(f))
  .sort();

function loadFindings(file: string): Json[] {
  const body = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { findings: Json[] };
  return body.findings;
}

describe('golden files: every finding in test/fixtures/aws-inspector2/{aws_inspector2,synthetic}_*.json', () => {
  it('covers the fixtures', () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(4);
  });

  it.each(fixtureFiles)('%s maps to its committed golden records', async (file) => {
    const records = JSON.parse(JSON.stringify(loadFindings(file).map((f) => mapFinding(toWire(f), ctx))));
    const goldenPath = join(GOLDEN, file.replace(/\.json$/, '.records.json'));
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      const options = (await prettier.resolveConfig(goldenPath)) ?? {};
      const text = await prettier.format(JSON.stringify(records), { ...options, filepath: goldenPath });
      writeFileSync(goldenPath, text);
    }
    expect(existsSync(goldenPath), `${goldenPath} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    const golden = JSON.parse(readFileSync(goldenPath, 'utf8')) as unknown;
    expect(records).toStrictEqual(golden);
  });

  it.each(fixtureFiles)('%s: ISO-8601 input (AWS CLI form) maps exactly like the wire form', (file) => {
    for (const f of loadFindings(file)) {
      expect(mapFinding(f, ctx)).toStrictEqual(mapFinding(toWire(f), ctx));
    }
  });

  it('maps the fixtures to the expected normalized fields (spot checks against the raw JSON)', () => {
    const many = loadFindings('aws_inspector2_many_vul.json').map((f) => mapFinding(toWire(f), ctx));
    const ec2 = many.find((r) => r.resource_type === 'AWS_EC2_INSTANCE')!;
    expect(ec2).toMatchObject({
      resource_id: 'i-0b22a22eec53b9321',
      resource_name: 'my-instance',
      aws_region: 'us-east-1',
      aws_account_id: '012345678901',
      vulnerability_id: 'CVE-2015-8035',
      cve: ['CVE-2015-8035'],
      package_name: ['libxml2', 'libxml2-python'],
      ip: ['8.84.11.16', '10.52.88.71'],
      public_ip: ['8.84.11.16'],
      private_ip: ['10.52.88.71'],
      severity: 1,
      severity_label: 'LOW',
      timestamp: Date.parse('2024-03-19T15:31:08.006+01:00'),
    });
    expect(many.filter((r) => r.event_status === 'CLOSED')).toHaveLength(1);
    expect(many.some((r) => r.severity_label === 'UNTRIAGED' && r.severity === 30)).toBe(true);
    const withExploit = many.find(
      (r) => (r.aws_inspector as { exploitabilityDetails?: unknown }).exploitabilityDetails !== undefined,
    )!;
    const lastKnownExploitAt = (
      withExploit.aws_inspector as { exploitabilityDetails: { lastKnownExploitAt: unknown } }
    ).exploitabilityDetails.lastKnownExploitAt;
    expect(typeof lastKnownExploitAt).toBe('number');

    const lambda = loadFindings('aws_inspector2_package_vuln_metadata.json').map((f) =>
      mapFinding(toWire(f), ctx),
    );
    const code = lambda.find((r) => r.finding_type === 'CODE_VULNERABILITY')!;
    expect(code).toMatchObject({
      cwe: ['CWE-117', 'CWE-93'],
      function_name: 'web-user-manager-api-stage-healthCheck-EXAMPLE1ABCD',
      resource_name: 'web-user-manager-api-stage-healthCheck-EXAMPLE1ABCD',
      event_name: 'CWE-117,93 - Log injection',
      severity: 70,
    });
    // A tag whose value looks like a timestamp stays the user's string.
    const tags = (code.aws_inspector as { resources: { tags: Record<string, unknown> }[] }).resources[0]!
      .tags;
    expect(tags.deployed_at).toBe('2026-02-18T12:38:52Z');

    const ecr = loadFindings('aws_inspector2_one_vul.json').map((f) => mapFinding(toWire(f), ctx))[0]!;
    expect(ecr).toMatchObject({
      image_repository: 'my-awesome-docker-image',
      image_hash: 'sha256:c667ad018b538adadb5bd1db75836c8561b23bc7d31d9cd8941fa74f5df93802',
      image_tags: ['2.3.0'],
      package_fixed_version: ['0:4.19.232-1'],
      inspector_score: 5.5,
      epss_score: 0.00075,
      fix_available: 'YES',
      exploit_available: 'NO',
    });
  });

  it('maps newer resource kinds (other clouds: vm, image, serverlessFunction) to the same flat fields', () => {
    const mapped = loadFindings('synthetic_newer_kinds.json').map((f) => mapFinding(toWire(f), ctx));
    const [vm, image, fn, other] = [mapped[0]!, mapped[1]!, mapped[2]!, mapped[3]!];
    const raw = loadFindings('synthetic_newer_kinds.json') as { resources: { id: string }[] }[];
    expect(vm).toMatchObject({
      resource_type: 'Microsoft.Compute/virtualMachines',
      resource_id: raw[0]!.resources[0]!.id,
      resource_name: 'worker-gateway-50',
      cloud_provider: 'AZURE',
      cloud_provider_account_id: '66d450bf-c214-4dda-aba6-7870a8a59670',
      cloud_provider_org_id: 'ef4b487d-18c8-4274-b7f6-9f8f104b2d8f',
      aws_account_id: '123456789012',
      aws_region: 'us-east-1',
      ip: ['10.89.226.209'],
      private_ip: ['10.89.226.209'],
    });
    expect(image).toMatchObject({
      resource_type: 'Microsoft.ContainerRegistry/registry/containerImage',
      cloud_provider: 'AZURE',
      image_repository: expect.any(String),
      image_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      image_tags: [expect.any(String)],
    });
    expect(image.resource_name).toBe(image.image_repository);
    // Without updatedAt (optional in the model): the version and the event time are lastObservedAt.
    const fnRaw = loadFindings('synthetic_newer_kinds.json')[2] as {
      lastObservedAt: string;
      updatedAt?: unknown;
    };
    expect(fnRaw.updatedAt).toBeUndefined();
    expect(fn).toMatchObject({
      resource_type: 'Microsoft.Web/sites',
      function_name: expect.any(String),
      timestamp: Date.parse(fnRaw.lastObservedAt),
    });
    expect(fn.resource_name).toBe(fn.function_name);
    // A provider and a resource type no model knows: kept whole, mapped like the others.
    expect(other).toMatchObject({
      resource_type: 'Google.Compute/instances',
      cloud_provider: 'GCP',
      cloud_provider_account_id: 'inventory-prod-4711',
      resource_name: 'inventory-worker-3',
      ip: ['10.132.0.7', '34.76.12.9'],
      public_ip: ['34.76.12.9'],
    });
    expect(
      (other.aws_inspector as { resources: { details: { vm: { vmImageReference: string } } }[] })
        .resources[0]!.details.vm.vmImageReference,
    ).toBe('projects/debian-cloud/global/images/debian-12-bookworm-v20260310');
  });
});

/**
 * The asff_* fixtures are Security Hub's view of Inspector findings (ASFF), not what
 * ListFindings returns, so the connector never maps them. They are evidence: AWS's own
 * normalized severity for each label must equal ours.
 */
describe('ASFF fixtures as evidence for the severity table', () => {
  const asff = readdirSync(FIXTURES).filter((f) => /^asff_.*\.json$/.test(f));
  it.each(asff)('%s: Severity.Normalized equals severityScore(Severity.Label)', (file) => {
    const body = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as {
      Findings: { Severity: { Label: string; Normalized: number } }[];
    };
    expect(body.Findings.length).toBeGreaterThan(0);
    for (const f of body.Findings) expect(severityScore(f.Severity.Label)).toBe(f.Severity.Normalized);
  });
});

/** Deterministic PRNG (mulberry32): property tests are reproducible from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const maybe = (p = 0.5): boolean => r() < p;
  const hex = (n: number): string =>
    Array.from({ length: n }, () => pick('0123456789abcdef'.split(''))).join('');
  // Wire timestamps: epoch seconds with millisecond fractions, 2001..2033.
  const ts = (): number => Math.round((1e9 + r() * 9e8) * 1000) / 1000;
  const resource = (): Json => {
    const type = pick([
      'AWS_EC2_INSTANCE',
      'AWS_ECR_CONTAINER_IMAGE',
      'AWS_LAMBDA_FUNCTION',
      'CODE_REPOSITORY',
      'AZURE_VM',
    ]);
    const details: { [k: string]: Json } = {};
    if (type === 'AWS_EC2_INSTANCE')
      details.awsEc2Instance = {
        ipV4Addresses: [`10.0.0.${Math.floor(r() * 250)}`, `54.1.2.${Math.floor(r() * 250)}`],
        ipV6Addresses: maybe() ? ['fd00::1', '2600:1f18::1'] : [],
        launchedAt: ts(),
        platform: pick(['AMAZON_LINUX_2', 'WINDOWS_SERVER_2025', 'NEW_OS']),
      };
    if (type === 'AWS_ECR_CONTAINER_IMAGE')
      details.awsEcrContainerImage = {
        repositoryName: 'repo-' + hex(4),
        imageHash: 'sha256:' + hex(64),
        imageTags: maybe() ? ['latest', 'v' + hex(2)] : [],
        pushedAt: ts(),
        ...(maybe() ? { lastInUseAt: ts(), inUseCount: 3 } : {}),
      };
    if (type === 'AWS_LAMBDA_FUNCTION')
      details.awsLambdaFunction = {
        functionName: 'fn-' + hex(6),
        runtime: pick(['NODEJS_20_X', 'RUST_NEW']),
        lastModifiedAt: ts(),
      };
    if (type === 'CODE_REPOSITORY')
      details.codeRepository = { projectName: 'proj-' + hex(3), providerType: 'GITHUB' };
    if (type === 'AZURE_VM')
      details.azureVm = { vmId: hex(8), bootedAt: ts(), nested: [{ scannedAt: ts() }] };
    return {
      type,
      id: type === 'AWS_EC2_INSTANCE' ? 'i-' + hex(17) : 'arn:aws:x:' + hex(8),
      partition: 'aws',
      region: 'eu-west-1',
      tags: maybe() ? { Name: 'name-' + hex(4), createdAt: '2024-01-01T00:00:00Z', epoch: 5 } : {},
      ...(maybe(0.8) ? { details } : {}),
    };
  };
  return (): { [k: string]: Json } => {
    const type = pick([
      'PACKAGE_VULNERABILITY',
      'NETWORK_REACHABILITY',
      'CODE_VULNERABILITY',
      'SECRET_EXPOSURE',
    ]);
    const f: { [k: string]: Json } = {
      awsAccountId: '123456789012',
      type,
      description: 'd ' + hex(8),
      remediation: { recommendation: { text: 't', Url: 'https://example.com' } },
      severity: pick(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNTRIAGED', 'CATASTROPHIC']),
      firstObservedAt: ts(),
      lastObservedAt: ts(),
      status: pick(['ACTIVE', 'SUPPRESSED', 'CLOSED', 'ARCHIVED']),
      resources: Array.from({ length: 1 + Math.floor(r() * 3) }, resource),
    };
    if (maybe(0.95)) f.findingArn = `arn:aws:inspector2:eu-west-1:123456789012:finding/${hex(32)}`;
    if (maybe(0.8)) f.updatedAt = ts();
    if (maybe()) f.title = 'title ' + hex(4);
    if (maybe()) f.inspectorScore = Math.round(r() * 100) / 10;
    if (maybe()) f.epss = { score: r() };
    if (maybe()) f.fixAvailable = pick(['YES', 'NO', 'PARTIAL', 'SOMETIMES']);
    if (maybe()) f.exploitAvailable = pick(['YES', 'NO']);
    if (maybe()) f.exploitabilityDetails = { lastKnownExploitAt: ts() };
    if (maybe()) f.futureMember = { list: [1, 'two', { reviewedAt: ts() }], flag: true };
    if (type === 'PACKAGE_VULNERABILITY')
      f.packageVulnerabilityDetails = {
        vulnerabilityId: pick(['CVE-2023-1234', 'GHSA-aaaa-bbbb-cccc', 'ALAS-2024-1']),
        source: 'NVD',
        relatedVulnerabilities: maybe() ? ['CVE-2022-0001', 'NOT-A-CVE'] : [],
        vulnerablePackages: maybe(0.9)
          ? [
              {
                name: 'pkg' + hex(2),
                version: '1.0',
                fixedInVersion: maybe() ? '1.1' : 'NotAvailable',
                packageManager: pick(['OS', 'NEWPM']),
              },
            ]
          : [],
        ...(maybe() ? { vendorCreatedAt: ts(), vendorUpdatedAt: ts() } : {}),
      };
    if (type === 'NETWORK_REACHABILITY')
      f.networkReachabilityDetails = {
        openPortRange: maybe() ? { begin: 22, end: 22 } : { begin: 1024, end: 65535 },
        protocol: pick(['TCP', 'UDP', 'QUIC']),
        networkPath: { steps: [{ componentId: 'igw-1', componentType: 'IGW' }] },
      };
    if (type === 'CODE_VULNERABILITY')
      f.codeVulnerabilityDetails = {
        cwes: ['CWE-79'],
        detectorName: maybe() ? 'XSS' : '',
        ruleId: 'rule-1',
        filePath: { fileName: 'a.py', filePath: 'src/a.py', startLine: 1, endLine: 2 },
      };
    return f;
  };
}

const SAMPLES = 2000;
const samples = (seed: number) => {
  const gen = generator(seed);
  return Array.from({ length: SAMPLES }, gen);
};

describe('properties on generated findings (all types, unknown types and enums, missing members)', () => {
  const findings = samples(20260101);

  it('every generated finding maps, nothing throws, fixed fields are right', () => {
    for (const f of findings) {
      const rec = mapFinding(f, ctx);
      expect(rec._id).toMatch(/^[0-9a-f]{32}$/);
      expect(rec.msg_class).toBe('aws_inspector_finding');
      expect(rec.msg_origin).toEqual({
        source: 'aws_inspector',
        vendor: 'aws',
        category: 'security_scan',
        processor: { type: 'log_collector', name: 'acme-aws-inspector', id: 'conn-1' },
      });
      expect(rec.tenantid).toBe('tenant-1');
      expect(rec.tenant_name).toBe('Acme');
      expect(rec.write_time).toBe(ctx.writeTime);
      expect(rec.event_status).toBe(f.status);
      expect(rec.event_name.length).toBeGreaterThan(0);
      if (typeof f.title === 'string') expect(rec.event_name).toBe(f.title);
      expect(rec.severity).toBe(SEVERITY_SCORES.get(f.severity as string) ?? UNKNOWN_SEVERITY_SCORE);
      expect(rec.finding_type).toBe(f.type);
    }
  });

  it('preserves the whole finding: deep-equal to the input after converting timestamps back', () => {
    for (const f of findings) {
      const before = structuredClone(f);
      const rec = mapFinding(f, ctx);
      expect(msToSeconds(rec.aws_inspector as Json)).toStrictEqual(f);
      expect(f).toStrictEqual(before); // pure: the input is not touched
    }
  });

  it('timestamps are epoch ms: the record time and every timestamp member', () => {
    for (const f of findings) {
      const rec = mapFinding(f, ctx);
      const version = (f.updatedAt ?? f.lastObservedAt) as number;
      expect(rec.timestamp).toBe(Math.round(version * 1000));
      mapTimestamps(rec.aws_inspector as Json, (k, x) => {
        expect(typeof x, k).toBe('number');
        expect(Number.isInteger(x), k).toBe(true);
        expect(x as number, k).toBeGreaterThan(9.9e11);
        return x;
      });
    }
  });

  it('_id is stable for the same version and distinct across versions and findings', () => {
    const ids = new Set<string>();
    for (const f of findings) {
      const rec = mapFinding(f, ctx);
      // Same version again, even with members in another order and another ingest context.
      const reordered = Object.fromEntries(Object.entries(structuredClone(f)).reverse());
      expect(mapFinding(reordered, { ...ctx, writeTime: 1, connectorId: 'other' })._id).toBe(rec._id);
      // A new version (updatedAt, or lastObservedAt when there is none) is a new id.
      const next = structuredClone(f);
      if (next.updatedAt !== undefined) next.updatedAt = (next.updatedAt as number) + 1;
      else next.lastObservedAt = (next.lastObservedAt as number) + 1;
      expect(mapFinding(next, ctx)._id).not.toBe(rec._id);
      ids.add(rec._id);
    }
    expect(ids.size).toBe(findings.length);
  });

  it('_id is per tenant: the same version in another tenant is another record, in another connector of the same tenant the same', () => {
    const f = findings[0]!;
    const a = mapFinding(f, ctx);
    expect(mapFinding(f, { ...ctx, connectorId: 'conn-2', connectorName: 'second' })._id).toBe(a._id);
    const b = mapFinding(f, { ...ctx, tenantId: 'tenant-2', tenantName: 'Other' });
    expect(b._id).not.toBe(a._id);
    // The documented identity: SHA-256(tenantId|SHA-256(findingArn|version)[0..32])[0..32].
    const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
    const key = sha(`${String(f.findingArn)}|${a.timestamp}`);
    expect(a._id).toBe(sha(`tenant-1|${key}`));
    expect(b._id).toBe(sha(`tenant-2|${key}`));
  });

  it('severity is strictly increasing INFORMATIONAL < LOW < MEDIUM < HIGH < CRITICAL, all in 0-100', () => {
    const order = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].map(severityScore);
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThan(order[i - 1]!);
    const untriaged = severityScore('UNTRIAGED');
    expect(untriaged).toBeGreaterThan(severityScore('LOW'));
    expect(untriaged).toBeLessThan(severityScore('MEDIUM'));
    for (const f of findings) {
      const s = mapFinding(f, ctx).severity;
      expect(Number.isInteger(s) && s >= 0 && s <= 100).toBe(true);
    }
  });
});

describe('mapFinding: edge cases', () => {
  it('throws ERR_BAD_RESPONSE only for a non-object', () => {
    for (const bad of [null, undefined, 1, 'x', true, [], [{}]]) {
      let err: unknown;
      try {
        mapFinding(bad, ctx);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CodedError);
      expect((err as CodedError).code).toBe('ERR_BAD_RESPONSE');
    }
  });

  it('maps an empty object and a finding without findingArn; the id comes from the content', () => {
    const empty = mapFinding({}, ctx);
    expect(empty).toMatchObject({
      event_name: 'Amazon Inspector finding on an unknown resource',
      event_status: 'UNKNOWN',
      severity: UNKNOWN_SEVERITY_SCORE,
      timestamp: ctx.writeTime,
      aws_inspector: {},
    });
    const a = mapFinding({ description: 'x', severity: 'HIGH', resources: [{ id: 'r' }] }, ctx);
    const b = mapFinding({ resources: [{ id: 'r' }], severity: 'HIGH', description: 'x' }, ctx);
    const c = mapFinding({ description: 'y', severity: 'HIGH', resources: [{ id: 'r' }] }, ctx);
    expect(a._id).toBe(b._id);
    expect(a._id).not.toBe(c._id);
    expect(a._id).not.toBe(empty._id);
  });

  it('version falls back from updatedAt to lastObservedAt; time to firstObservedAt, then write time', () => {
    const arn = 'arn:aws:inspector2:us-east-1:111122223333:finding/abc';
    expect(mapFinding({ findingArn: arn, lastObservedAt: 1700000000.5 }, ctx).timestamp).toBe(1700000000500);
    expect(mapFinding({ findingArn: arn, firstObservedAt: 1600000000 }, ctx).timestamp).toBe(1600000000000);
    const noVersion1 = mapFinding({ findingArn: arn, status: 'ACTIVE' }, ctx);
    const noVersion2 = mapFinding({ findingArn: arn, status: 'CLOSED' }, ctx);
    expect(noVersion1.timestamp).toBe(ctx.writeTime);
    expect(noVersion1._id).not.toBe(noVersion2._id);
    const withUpdated = mapFinding({ findingArn: arn, updatedAt: 1749165997.322, lastObservedAt: 1 }, ctx);
    expect(withUpdated.timestamp).toBe(1749165997322);
    expect(withUpdated.aws_inspector).toMatchObject({ updatedAt: 1749165997322, lastObservedAt: 1000 });
  });

  it('readable event names when there is no title', () => {
    const res = [{ type: 'AWS_EC2_INSTANCE', id: 'i-0abc' }];
    const name = (f: Record<string, unknown>) => mapFinding({ resources: res, ...f }, ctx).event_name;
    expect(
      name({
        type: 'PACKAGE_VULNERABILITY',
        packageVulnerabilityDetails: {
          vulnerabilityId: 'CVE-2023-1234',
          vulnerablePackages: [{ name: 'openssl' }],
        },
      }),
    ).toBe('CVE-2023-1234 in openssl');
    expect(name({ packageVulnerabilityDetails: { vulnerabilityId: 'CVE-2023-1234' } })).toBe(
      'CVE-2023-1234 on i-0abc',
    );
    expect(
      name({
        type: 'NETWORK_REACHABILITY',
        networkReachabilityDetails: { openPortRange: { begin: 22, end: 22 } },
      }),
    ).toBe('Port 22 reachable on i-0abc');
    expect(
      name({ networkReachabilityDetails: { openPortRange: { begin: 80, end: 90 }, protocol: 'TCP' } }),
    ).toBe('Port 80-90/TCP reachable on i-0abc');
    expect(
      name({
        codeVulnerabilityDetails: { detectorName: 'Log injection', filePath: { filePath: 'src/a.py' } },
      }),
    ).toBe('Log injection in src/a.py');
    expect(name({ type: 'SECRET_EXPOSURE' })).toBe('SECRET_EXPOSURE finding on i-0abc');
    expect(name({ title: '', type: 'X' })).toBe('X finding on i-0abc');
  });

  it('timestamp conversion: ISO with and without offset (UTC), ms numbers kept, junk kept as is', () => {
    expect(toEpochMs('2024-02-02T16:30:33.045000+01:00')).toBe(Date.UTC(2024, 1, 2, 15, 30, 33, 45));
    expect(toEpochMs('2026-02-18 13:41:11.095000+01:00')).toBe(Date.UTC(2026, 1, 18, 12, 41, 11, 95));
    expect(toEpochMs('2024-02-02T16:30:33')).toBe(Date.UTC(2024, 1, 2, 16, 30, 33));
    expect(toEpochMs(1749165997.322)).toBe(1749165997322);
    expect(toEpochMs(1749165997322)).toBe(1749165997322);
    expect(toEpochMs('hello 2023')).toBeUndefined();
    expect(toEpochMs(Number.NaN)).toBeUndefined();
    const rec = mapFinding({ updatedAt: 'soon', reviewedAt: 'n/a', format: 'json', lastSeenAt: 1.5 }, ctx);
    expect(rec.aws_inspector).toStrictEqual({
      updatedAt: 'soon',
      reviewedAt: 'n/a',
      format: 'json',
      lastSeenAt: 1500,
    });
  });

  it('keeps a "__proto__" member as data without touching prototypes', () => {
    const raw = JSON.parse(
      '{"findingArn":"a","__proto__":{"polluted":true},"resources":[{"__proto__":{"x":1}}]}',
    ) as unknown;
    const rec = mapFinding(raw, ctx);
    const f = rec.aws_inspector as Record<string, unknown>;
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(Object.keys(f)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((f as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('severity labels: open enum, any case, wrong types', () => {
    expect(severityScore('high')).toBe(70);
    expect(severityScore('CATASTROPHIC')).toBe(UNKNOWN_SEVERITY_SCORE);
    expect(severityScore('constructor')).toBe(UNKNOWN_SEVERITY_SCORE);
    expect(severityScore(9)).toBe(UNKNOWN_SEVERITY_SCORE);
  });

  it('splits private and public addresses', () => {
    for (const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.1.1',
      'fd00::1',
      'fe80::1',
      '::1',
    ])
      expect(isPrivateIp(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.0.1', '100.128.0.1', '2600:1f18::1', '54.1.2.3'])
      expect(isPrivateIp(ip), ip).toBe(false);
  });

  it('drops nothing from odd shapes: members of the wrong type stay under aws_inspector', () => {
    const raw = {
      findingArn: 7,
      resources: 'none',
      severity: ['HIGH'],
      packageVulnerabilityDetails: null,
      epss: { score: 'x' },
    };
    const rec = mapFinding(raw, ctx);
    expect(rec.aws_inspector).toStrictEqual(raw);
    expect(rec.finding_arn).toBeUndefined();
    expect(rec.epss_score).toBeUndefined();
    expect(rec.severity).toBe(UNKNOWN_SEVERITY_SCORE);
  });
});

describe('material fingerprint (recordVersions: material)', () => {
  const base = {
    findingArn: 'arn:aws:inspector2:us-east-1:123456789012:finding/0123456789abcdef0123456789abcdef',
    awsAccountId: '123456789012',
    type: 'PACKAGE_VULNERABILITY',
    status: 'ACTIVE',
    severity: 'HIGH',
    updatedAt: 1_767_225_600,
    lastObservedAt: 1_767_225_600,
    inspectorScore: 7.5,
    inspectorScoreDetails: { adjustedCvss: { score: 7.5, scoringVector: 'CVSS:3.1/AV:N' } },
    epss: { score: 0.12 },
    fixAvailable: 'NO',
    exploitAvailable: 'NO',
    packageVulnerabilityDetails: {
      vulnerabilityId: 'CVE-2024-0001',
      cvss: [{ source: 'NVD', version: '3.1', baseScore: 7.5 }],
      vulnerablePackages: [
        { name: 'openssl', version: '1.1.1', fixedInVersion: 'NotAvailable' },
        { name: 'zlib', version: '1.2', fixedInVersion: '1.3' },
      ],
    },
    resources: [{ type: 'AWS_EC2_INSTANCE', id: 'i-1', tags: { Name: 'web' } }],
  };
  const fp = (f: Record<string, unknown>) => findingState(mapFinding(f, ctx))!.fingerprint!;
  const with_ = (patch: (f: typeof base) => void) => {
    const f = structuredClone(base);
    patch(f);
    return fp(f);
  };

  it('a rescan (updatedAt, lastObservedAt, EPSS drift within its band, tags, package order) keeps it', () => {
    expect(fp(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(
      with_((f) => {
        f.updatedAt += 86_400;
        f.lastObservedAt += 86_400;
        f.epss.score = 0.19;
        f.resources[0]!.tags.Name = 'web-2';
        f.packageVulnerabilityDetails.vulnerablePackages.reverse();
      }),
    ).toBe(fp(base));
  });

  it('each thing a user acts on changes it', () => {
    const changes: Record<string, (f: typeof base) => void> = {
      status: (f) => (f.status = 'CLOSED'),
      severity: (f) => (f.severity = 'CRITICAL'),
      inspectorScore: (f) => (f.inspectorScore = 7.6),
      adjustedCvss: (f) => (f.inspectorScoreDetails.adjustedCvss.score = 8),
      cvss: (f) => (f.packageVulnerabilityDetails.cvss[0]!.baseScore = 9.8),
      epssBand: (f) => (f.epss.score = 0.2),
      fixAvailable: (f) => (f.fixAvailable = 'PARTIAL'),
      exploitAvailable: (f) => (f.exploitAvailable = 'YES'),
      fixedInVersion: (f) => (f.packageVulnerabilityDetails.vulnerablePackages[0]!.fixedInVersion = '1.1.2'),
      packageVersion: (f) => (f.packageVulnerabilityDetails.vulnerablePackages[1]!.version = '1.2.1'),
      packageGone: (f) => void f.packageVulnerabilityDetails.vulnerablePackages.pop(),
      resource: (f) => (f.resources[0]!.id = 'i-2'),
    };
    const seen = new Set([fp(base)]);
    for (const [name, patch] of Object.entries(changes)) {
      const got = with_(patch);
      expect(seen.has(got), name).toBe(false);
      seen.add(got);
    }
  });
});
