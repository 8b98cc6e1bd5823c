/**
 * Wire shapes checked against botocore's official inspector2 service model on this machine (a
 * model written elsewhere): every ListFindings page and BatchGetAccountStatus answer is walked
 * member by member (required members, types, enums, lengths, patterns). Members and enum values
 * newer than botocore's model are checked against the AWS SDK for JavaScript's model (the
 * schemas and enums @aws-sdk/client-inspector2 exports: member names and types, no lengths or
 * patterns). Deliberate openness (a resource type newer than both models, runtimes and package
 * managers real data carries) is listed explicitly; anything else fails.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as sdk from '@aws-sdk/client-inspector2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOUD_RESOURCE_TYPES,
  DEFAULT_ACCOUNTS,
  Generator,
  RESOURCE_TYPES,
  RUNTIMES,
  packageManagers,
} from './generator.js';
import { startEmulator, type Emulator } from './index.js';
import { FILTER_KEYS, SORT_FIELDS } from './query.js';
import { READER, control, signedRequest, type Json } from './testing.js';

interface Shape {
  type: string;
  members?: Record<string, { shape: string; location?: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}
interface Model {
  shapes: Record<string, Shape>;
}

function loadModel(): Model {
  const dir = execFileSync(
    'python3',
    ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
    { encoding: 'utf8' },
  ).trim();
  const base = path.join(dir, 'data', 'inspector2');
  const version = fs.readdirSync(base).sort().pop()!;
  const file = path.join(base, version, 'service-2.json');
  const text = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString('utf8');
  return JSON.parse(text) as Model;
}

interface Issue {
  path: string;
  kind: 'unknown-member' | 'enum' | 'required' | 'type' | 'length' | 'pattern' | 'range';
  detail: string;
}

/**
 * The SDK's schema of shape `name` (`[3, ns, name, traits, members, memberSchemas, required]` for
 * a structure, `[1, ns, name, traits, member]` a list, `[2, ...]` a map; simple types are numbers:
 * 0 string, 1 number, 2 boolean, 4-7 timestamps, 64|t a list of t, 128|t a map of t).
 */
type SdkSchema = number | (() => unknown) | unknown[];
const sdkExports = sdk as unknown as Record<string, unknown>;
const sdkShape = (name: string): unknown[] | undefined => sdkExports[`${name}$`] as unknown[] | undefined;
/** Enum values of shape `name` in the SDK model (its exported const of that name). */
const sdkEnum = (name: string): string[] | undefined => {
  const e = sdkExports[name];
  return e && typeof e === 'object' && !Array.isArray(e)
    ? Object.values(e as Record<string, string>)
    : undefined;
};
/** Members typed by an enum in the SDK model that botocore's does not have (its schemas say string). */
const SDK_MEMBER_ENUMS: Record<string, string> = {
  'Resource.provider': 'Provider',
  'ServerlessFunction.packageType': 'PackageType',
  'ServerlessFunction.architectures': 'Architecture',
};

function validateSdk(schema: SdkSchema, value: unknown, p: string, issues: Issue[], enumName?: string): void {
  const bad = (kind: Issue['kind'], detail: string) => issues.push({ path: p, kind, detail });
  const s = typeof schema === 'function' ? (schema() as unknown[]) : schema;
  if (typeof s === 'number') {
    if (s & 64 || s & 128) {
      const inner = s & ~192;
      if (s & 64 && !Array.isArray(value)) return void bad('type', 'expected list');
      if (s & 128 && (value === null || typeof value !== 'object' || Array.isArray(value)))
        return void bad('type', 'expected map');
      for (const v of Object.values(value as object))
        validateSdk(inner, v, s & 64 ? `${p}[]` : `${p}{}`, issues, enumName);
      return;
    }
    const want =
      s === 0 ? 'string' : s === 1 ? 'number' : s === 2 ? 'boolean' : s >= 4 && s <= 7 ? 'number' : '?';
    if (typeof value !== want) return void bad('type', `expected ${want}, got ${typeof value}`);
    const values = enumName ? sdkEnum(enumName) : undefined;
    if (values && !values.includes(value as string))
      bad('enum', `${enumName}: '${String(value)}' not in the SDK enum`);
    return;
  }
  const [kind, , name, , a, b, required] = s as [number, string, string, unknown, unknown, unknown, number?];
  if (kind === 1) {
    if (!Array.isArray(value)) return void bad('type', `expected list for ${name}`);
    for (const v of value) validateSdk(a as SdkSchema, v, `${p}[]`, issues);
    return;
  }
  if (kind === 2) {
    if (value === null || typeof value !== 'object') return void bad('type', `expected map for ${name}`);
    for (const v of Object.values(value)) validateSdk(b as SdkSchema, v, `${p}{}`, issues);
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return void bad('type', `expected object for ${name}`);
  const names = a as string[];
  const types = b as SdkSchema[];
  const o = value as Record<string, unknown>;
  names.slice(0, required ?? 0).forEach((m) => {
    if (o[m] === undefined)
      issues.push({ path: `${p}.${m}`, kind: 'required', detail: `${name}.${m} missing` });
  });
  for (const [k, v] of Object.entries(o)) {
    const at = names.indexOf(k);
    if (at < 0)
      issues.push({ path: `${p}.${k}`, kind: 'unknown-member', detail: `${name} has no member ${k}` });
    else validateSdk(types[at]!, v, `${p}.${k}`, issues, SDK_MEMBER_ENUMS[`${name}.${k}`]);
  }
}

/** Walk `value` against shape `name`; paths generalise list indices to []. */
function validate(model: Model, name: string, value: unknown, p: string, issues: Issue[]): void {
  const s = model.shapes[name];
  if (!s) throw new Error(`no shape ${name}`);
  const bad = (kind: Issue['kind'], detail: string) => issues.push({ path: p, kind, detail });
  switch (s.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return void bad('type', `expected object for ${name}`);
      const o = value as Record<string, unknown>;
      for (const r of s.required ?? [])
        if (o[r] === undefined)
          issues.push({ path: `${p}.${r}`, kind: 'required', detail: `${name}.${r} missing` });
      for (const [k, v] of Object.entries(o)) {
        const m = s.members?.[k];
        const newer = m ? undefined : sdkShape(name);
        const at = newer ? (newer[4] as string[]).indexOf(k) : -1;
        if (newer && at >= 0)
          validateSdk(
            (newer[5] as SdkSchema[])[at]!,
            v,
            `${p}.${k}`,
            issues,
            SDK_MEMBER_ENUMS[`${name}.${k}`],
          );
        else if (!m)
          issues.push({ path: `${p}.${k}`, kind: 'unknown-member', detail: `${name} has no member ${k}` });
        else if (m.location === 'header')
          issues.push({ path: `${p}.${k}`, kind: 'type', detail: `${k} belongs in a header, not the body` });
        else validate(model, m.shape, v, `${p}.${k}`, issues);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return void bad('type', `expected list for ${name}`);
      // Only the lower bound: output list maxima are not enforced by clients, and the model's
      // FindingList max (25) is below ListFindings' own maxResults limit (100).
      if (s.min !== undefined && value.length < s.min)
        bad('length', `${name}: ${value.length} < min ${s.min}`);
      for (const v of value) validate(model, s.member!.shape, v, `${p}[]`, issues);
      return;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return void bad('type', `expected map for ${name}`);
      for (const [k, v] of Object.entries(value)) {
        validate(model, s.key!.shape, k, `${p}{key}`, issues);
        validate(model, s.value!.shape, v, `${p}{}`, issues);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string')
        return void bad('type', `expected string for ${name}, got ${typeof value}`);
      if (s.enum && !s.enum.includes(value) && !sdkEnum(name)?.includes(value))
        bad('enum', `${name}: '${value}' not in model enum`);
      if ((s.min !== undefined && value.length < s.min) || (s.max !== undefined && value.length > s.max))
        bad('length', `${name}: length ${value.length} outside [${s.min ?? 0}, ${s.max ?? '∞'}]`);
      if (s.pattern && !new RegExp(s.pattern).test(value))
        bad('pattern', `${name}: '${value}' !~ ${s.pattern}`);
      return;
    }
    case 'timestamp':
      if (typeof value !== 'number')
        bad('type', `${name}: timestamps are epoch-second numbers on the wire, got ${typeof value}`);
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) bad('type', `${name}: expected integer`);
      else if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max))
        bad('range', `${name}: ${value} outside range`);
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number') bad('type', `${name}: expected number`);
      else if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max))
        bad('range', `${name}: ${value} outside range`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') bad('type', `${name}: expected boolean`);
      return;
    default:
      throw new Error(`unhandled shape type ${s.type}`);
  }
}

/** Where the emulator deliberately sends what the model does not know (real data does too). */
const OPEN: { path: string; kind: Issue['kind']; why: string }[] = [
  {
    path: '.findings[].resources[].type',
    kind: 'enum',
    why: 'AWS_NEW_RESOURCE: a resource type newer than both models',
  },
  {
    path: '.findings[].resources[].details.awsNewResource',
    kind: 'unknown-member',
    why: "that resource type's details",
  },
  {
    path: '.findings[].resources[].details.awsLambdaFunction.runtime',
    kind: 'enum',
    why: 'runtimes newer than both models (PYTHON_3_12, PYTHON_3_13)',
  },
  {
    path: '.findings[].packageVulnerabilityDetails.vulnerablePackages[].packageManager',
    kind: 'enum',
    why: 'fixtures carry GENERIC, PYTHON, GO',
  },
  {
    path: '.findings[].codeVulnerabilityDetails.referenceUrls',
    kind: 'length',
    why: 'a real (fixture) code finding has referenceUrls: [] below the model minimum of 1',
  },
];

/** Coverage answers: where AWS (or the emulator, on purpose) sends what the model does not say. */
const COVERAGE_OPEN: { path: string; kind: Issue['kind']; why: string }[] = [
  {
    path: '.countsByGroup[].groupKey',
    kind: 'enum',
    why: 'the model types it GroupKey, but AWS sends the group\'s value (the AWS CLI reference\'s list-coverage-statistics example: "groupKey": "AWS_LAMBDA_FUNCTION")',
  },
  {
    path: '.coveredResources[].resourceMetadata.lambdaFunction.runtime',
    kind: 'enum',
    why: 'runtimes newer than both models (PYTHON_3_12, PYTHON_3_13), as findings carry them',
  },
];

function unexpected(issues: Issue[]): Issue[] {
  return issues.filter((i) => !OPEN.some((o) => o.path === i.path && o.kind === i.kind));
}

let model: Model;
let emu: Emulator;
beforeAll(async () => {
  model = loadModel();
  emu = await startEmulator({ findings: 1500, fixtures: true, seed: 3, regions: ['us-east-1', 'us-west-2'] });
});
afterAll(async () => {
  await emu.close();
});

describe('botocore inspector2 model', () => {
  it('the emulator knows exactly the models’ filter keys (botocore’s and the SDK’s newer ones) and sort fields', () => {
    const fc = model.shapes.FilterCriteria!.members!;
    const kindOf: Record<string, string> = {
      StringFilterList: 'string',
      DateFilterList: 'date',
      NumberFilterList: 'number',
      MapFilterList: 'map',
      PortRangeFilterList: 'port',
      PackageFilterList: 'package',
    };
    for (const [k, m] of Object.entries(fc)) expect([k, FILTER_KEYS[k]]).toEqual([k, kindOf[m.shape]]);
    const sdkFc = sdkShape('FilterCriteria')!;
    const sdkKeys = sdkFc[4] as string[];
    expect(Object.keys(FILTER_KEYS).sort()).toEqual([...sdkKeys].sort());
    sdkKeys.forEach((k, n) => {
      const list = (sdkFc[5] as (() => unknown[])[])[n]!()[2] as string;
      expect([k, FILTER_KEYS[k]]).toEqual([k, kindOf[list]]);
    });
    // The 19 newer keys (cloudProvider, cloudVm*, cloudImage*, cloudServerlessFunction*).
    expect(sdkKeys.filter((k) => !(k in fc))).toHaveLength(19);
    expect([...SORT_FIELDS].sort()).toEqual([...model.shapes.SortField!.enum!].sort());
  });

  it('the validator catches what it must (a broken finding fails)', () => {
    const issues: Issue[] = [];
    validate(
      model,
      'ListFindingsResponse',
      {
        findings: [
          {
            findingArn: 'nope',
            type: 'PACKAGE_VULNERABILITY',
            updatedAt: '2024-01-01T00:00:00Z',
            resources: [],
            severity: 'BAD',
            epss: { score: 2 },
          },
        ],
      },
      '',
      issues,
    );
    const kinds = new Set(issues.map((i) => i.kind));
    for (const k of ['required', 'pattern', 'type', 'length', 'enum', 'range'] as const)
      expect(kinds).toContain(k);
    // Members only the SDK's model has are checked too.
    const newer: Issue[] = [];
    validate(
      model,
      'Resource',
      {
        type: 'Microsoft.Compute/virtualMachines',
        id: 'x',
        provider: 'GCP',
        details: { vm: { ipV4Addresses: 'x', vmNmae: 'typo' }, serverlessFunction: { packageType: 'JAR' } },
      },
      '',
      newer,
    );
    expect(newer.map((i) => `${i.kind} ${i.path}`).sort()).toEqual([
      'enum .details.serverlessFunction.packageType',
      'enum .provider',
      'type .details.vm.ipV4Addresses',
      'unknown-member .details.vm.vmNmae',
    ]);
  });

  it('the generator covers every runtime, package manager and resource type of both models', () => {
    const both = (shape: string) => [...new Set([...model.shapes[shape]!.enum!, ...sdkEnum(shape)!])];
    const gen = new Generator({
      seed: 5,
      accounts: DEFAULT_ACCOUNTS,
      regions: ['us-east-1'],
      epoch: Date.now(),
    });
    const seen = { runtime: new Set<string>(), manager: new Set<string>(), type: new Set<string>() };
    const cloud = { provider: new Set<string>(), details: new Set<string>(), packageType: new Set<string>() };
    for (let i = 0; i < 20_000; i++) {
      const m = gen.meta(i);
      const f = gen.build(i, m, { ...m }) as {
        resources: { type: string; provider?: string; details?: Record<string, Record<string, unknown>> }[];
        packageVulnerabilityDetails?: { vulnerablePackages: { packageManager: string }[] };
      };
      const r = f.resources[0]!;
      seen.type.add(r.type);
      if (r.provider) cloud.provider.add(r.provider);
      for (const [k, d] of Object.entries(r.details ?? {})) {
        cloud.details.add(k);
        if (typeof d.runtime === 'string' && k === 'awsLambdaFunction') seen.runtime.add(d.runtime);
        if (typeof d.packageType === 'string') cloud.packageType.add(d.packageType);
      }
      for (const p of f.packageVulnerabilityDetails?.vulnerablePackages ?? [])
        seen.manager.add(p.packageManager);
    }
    for (const [shape, list, got] of [
      ['Runtime', RUNTIMES, seen.runtime],
      ['PackageManager', packageManagers(), seen.manager],
      ['ResourceType', [...RESOURCE_TYPES, ...CLOUD_RESOURCE_TYPES], seen.type],
    ] as const) {
      const want = both(shape);
      expect(
        want.filter((v) => !(list as readonly string[]).includes(v)),
        `${shape} values the generator lacks`,
      ).toEqual([]);
      expect(
        want.filter((v) => !got.has(v)),
        `${shape} values never generated`,
      ).toEqual([]);
    }
    expect([...cloud.provider].sort()).toEqual(sdkEnum('Provider')!.sort());
    expect([...cloud.packageType].sort()).toEqual(sdkEnum('PackageType')!.sort());
    expect([...cloud.details].sort()).toEqual(
      (sdkShape('ResourceDetails')![4] as string[]).concat('awsNewResource').sort(),
    );
  });

  it('every ListFindings page (generated + fixtures, both regions) matches the model', async () => {
    let checked = 0;
    const seen = new Set<string>();
    for (const region of ['us-east-1', 'us-west-2']) {
      let token: string | undefined;
      do {
        const r = await signedRequest({
          url: emu.url,
          path: '/findings/list',
          region,
          creds: READER,
          body: JSON.stringify({ maxResults: 100, ...(token ? { nextToken: token } : {}) }),
        });
        expect(r.status).toBe(200);
        const page = JSON.parse(r.body) as { findings: unknown[]; nextToken?: string };
        const issues: Issue[] = [];
        validate(model, 'ListFindingsResponse', page, '', issues);
        for (const i of issues) seen.add(`${i.kind} ${i.path}`);
        expect(unexpected(issues).slice(0, 10)).toEqual([]);
        checked += page.findings.length;
        token = page.nextToken;
      } while (token);
    }
    expect(checked).toBe(1500 + 37);
    // The allowances are not dead letters: each one is exercised.
    for (const o of OPEN) expect(seen).toContain(`${o.kind} ${o.path}`);
  });

  it('BatchGetAccountStatus answers match the model', async () => {
    await control(emu.url, 'accounts', 'POST', { accountId: '210987654321', status: 'DISABLED' });
    const r = await signedRequest({
      url: emu.url,
      path: '/status/batch/get',
      creds: READER,
      body: JSON.stringify({ accountIds: ['123456789012', '210987654321', '999999999999'] }),
    });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    const issues: Issue[] = [];
    validate(model, 'BatchGetAccountStatusResponse', body, '', issues);
    expect(issues).toEqual([]);
    expect(body.accounts).toHaveLength(2);
    expect(body.failedAccounts).toHaveLength(1);
  });

  it('ListMembers, GetDelegatedAdminAccount, ListCoverage and ListCoverageStatistics answers match the model', async () => {
    const post = async (path: string, body: unknown, region = 'us-east-1') => {
      const r = await signedRequest({
        url: emu.url,
        path,
        region,
        creds: READER,
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(200);
      return JSON.parse(r.body) as Json;
    };
    const check = (shape: string, body: unknown, allowed: typeof COVERAGE_OPEN = []) => {
      const issues: Issue[] = [];
      validate(model, shape, body, '', issues);
      for (const i of issues) seenCoverage.add(`${i.kind} ${i.path}`);
      expect(issues.filter((i) => !allowed.some((o) => o.path === i.path && o.kind === i.kind))).toEqual([]);
    };
    const seenCoverage = new Set<string>();
    await control(emu.url, 'members', 'POST', {
      members: [{ accountId: '555566667777', relationshipStatus: 'INVITED' }],
    });
    for (const onlyAssociated of [true, false]) {
      const m = await post('/members/list', { onlyAssociated, maxResults: 2 });
      check('ListMembersResponse', m);
      expect(m.members).toHaveLength(2);
    }
    check('GetDelegatedAdminAccountResponse', await post('/delegatedadminaccounts/get', {}));
    // Every scan status the emulator produces, fixtures' resources included, both regions.
    await control(emu.url, 'accounts', 'POST', {
      accountId: '111122223333',
      region: 'us-west-2',
      resourceState: { ecr: 'DISABLING', lambda: 'ENABLING' },
    });
    const reasons = new Set<string>();
    let rows = 0;
    for (const region of ['us-east-1', 'us-west-2']) {
      let nextToken: string | undefined;
      do {
        const page = await post(
          '/coverage/list',
          { maxResults: 200, ...(nextToken ? { nextToken } : {}) },
          region,
        );
        check('ListCoverageResponse', page, COVERAGE_OPEN);
        for (const r of page.coveredResources) reasons.add(r.scanStatus.reason);
        rows += page.coveredResources.length;
        nextToken = page.nextToken;
      } while (nextToken);
      for (const groupBy of [undefined, ...model.shapes.GroupKey!.enum!]) {
        const st = await post('/coverage/statistics/list', groupBy ? { groupBy } : {}, region);
        check('ListCoverageStatisticsResponse', st, COVERAGE_OPEN);
      }
    }
    expect(rows).toBeGreaterThan(1000);
    for (const r of reasons) expect(model.shapes.ScanStatusReason!.enum).toContain(r);
    expect([...reasons].sort()).toEqual([
      'EC2_INSTANCE_STOPPED',
      'EXCLUDED_BY_TAG',
      'NO_RESOURCES_FOUND',
      'PENDING_DISABLE',
      'PENDING_INITIAL_SCAN',
      'SCAN_ELIGIBILITY_EXPIRED',
      'SUCCESSFUL',
      'UNMANAGED_EC2_INSTANCE',
      'UNSUPPORTED_RUNTIME',
    ]);
    for (const o of COVERAGE_OPEN) expect(seenCoverage).toContain(`${o.kind} ${o.path}`);
  });

  it('error bodies match their exception shapes', async () => {
    const r = await signedRequest({
      url: emu.url,
      path: '/findings/list',
      creds: READER,
      body: '{"maxResults":1000}',
    });
    const issues: Issue[] = [];
    validate(model, 'ValidationException', JSON.parse(r.body), '', issues);
    expect(issues).toEqual([]);
    await control(emu.url, 'faults', 'POST', { throttle: { count: 1, retryAfterSeconds: 2 } });
    const t = await signedRequest({ url: emu.url, path: '/findings/list', creds: READER, body: '{}' });
    expect(t.status).toBe(429);
    const ti: Issue[] = [];
    validate(model, 'ThrottlingException', JSON.parse(t.body), '', ti);
    expect(ti).toEqual([]);
    expect(t.headers['retry-after']).toBe('2');
  });
});
