/**
 * Wire shapes checked against botocore's official inspector2 service model on this machine (a
 * model written elsewhere): every ListFindings page and BatchGetAccountStatus answer is walked
 * member by member (required members, types, enums, lengths, patterns). Deliberate openness
 * (a resource type newer than the model, runtimes and package managers real data carries) is
 * listed explicitly; anything else fails.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { FILTER_KEYS, SORT_FIELDS } from './query.js';
import { READER, control, signedRequest } from './testing.js';

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
        if (!m)
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
      if (s.enum && !s.enum.includes(value)) bad('enum', `${name}: '${value}' not in model enum`);
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
    why: 'AWS_NEW_RESOURCE: a resource type newer than every model',
  },
  {
    path: '.findings[].resources[].details.awsNewResource',
    kind: 'unknown-member',
    why: "that resource type's details",
  },
  {
    path: '.findings[].resources[].details.awsLambdaFunction.runtime',
    kind: 'enum',
    why: 'runtimes newer than the model (PYTHON_3_12, NODEJS_22_X; fixtures: PYTHON_3_13...)',
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
  it('the emulator knows exactly the model’s filter keys and sort fields', () => {
    const fc = model.shapes.FilterCriteria!.members!;
    expect(Object.keys(FILTER_KEYS).sort()).toEqual(Object.keys(fc).sort());
    const kindOf: Record<string, string> = {
      StringFilterList: 'string',
      DateFilterList: 'date',
      NumberFilterList: 'number',
      MapFilterList: 'map',
      PortRangeFilterList: 'port',
      PackageFilterList: 'package',
    };
    for (const [k, m] of Object.entries(fc)) expect([k, FILTER_KEYS[k]]).toEqual([k, kindOf[m.shape]]);
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
