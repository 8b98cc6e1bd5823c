/**
 * Bad configuration and API input: a table of cases, each through the CLI (`collect --once`
 * with the config file) and through the REST API (POST /api/v1/connectors). Each must give a
 * clear error naming the field, store nothing, and never echo a secret value.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../support/api.js';
import { EMULATOR_KEYS, runCli, tableCount, tempDir } from './helpers.js';

const SECRET = 'Zq7-very-secret-value-for-input-tests-0123456789';
const good = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'input-test',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: EMULATOR_KEYS.accessKeyId, secretAccessKey: SECRET },
  ...over,
});
const role = (over: Record<string, unknown>) => ({
  method: 'iam_role',
  accessKeyId: EMULATOR_KEYS.accessKeyId,
  secretAccessKey: SECRET,
  roleArn: 'arn:aws:iam::123456789012:role/InspectorReader',
  ...over,
});

interface Case {
  name: string;
  config: Record<string, unknown>;
  /** Fields the error must name. */
  fields: string[];
  /** Only through the CLI (the API refuses ${ENV:...} for its own reasons). */
  cliOnly?: boolean;
}

const CASES: Case[] = [
  { name: 'multibyte name', config: good({ name: 'prod-インスペクター' }), fields: ['name'] },
  { name: 'emoji name', config: good({ name: 'inspector-🔥' }), fields: ['name'] },
  { name: 'empty name', config: good({ name: '' }), fields: ['name'] },
  { name: 'huge name (100,000 chars)', config: good({ name: 'a'.repeat(100_000) }), fields: ['name'] },
  { name: 'missing region', config: (({ region: _r, ...rest }) => rest)(good()), fields: ['regions'] },
  { name: 'unknown region', config: good({ region: 'us-nowhere-1' }), fields: ['region'] },
  { name: 'region of the wrong type', config: good({ region: 42 }), fields: ['region'] },
  { name: 'negative interval', config: good({ intervalMinutes: -5 }), fields: ['intervalMinutes'] },
  { name: 'zero interval', config: good({ intervalMinutes: 0 }), fields: ['intervalMinutes'] },
  { name: 'fractional interval', config: good({ intervalMinutes: 2.5 }), fields: ['intervalMinutes'] },
  { name: 'interval as a string', config: good({ intervalMinutes: '5' }), fields: ['intervalMinutes'] },
  {
    name: 'ssl flag as a string',
    config: good({ disableSslVerification: 'yes' }),
    fields: ['disableSslVerification'],
  },
  {
    name: 'bad role ARN',
    config: good({ auth: role({ roleArn: 'arn:aws:iam::12:role/x' }) }),
    fields: ['auth.roleArn'],
  },
  {
    name: 'role ARN of another service',
    config: good({ auth: role({ roleArn: 'arn:aws:s3:::bucket' }) }),
    fields: ['auth.roleArn'],
  },
  { name: 'unknown auth method', config: good({ auth: { method: 'magic' } }), fields: ['auth.method'] },
  {
    name: 'lower-case access key',
    config: good({ auth: { method: 'access_key', accessKeyId: 'akiaexample', secretAccessKey: SECRET } }),
    fields: ['auth.accessKeyId'],
  },
  {
    name: 'huge secret (10,000 chars)',
    config: good({
      auth: {
        method: 'access_key',
        accessKeyId: EMULATOR_KEYS.accessKeyId,
        secretAccessKey: SECRET.repeat(250),
      },
    }),
    fields: ['auth.secretAccessKey'],
  },
  { name: 'extra top-level field', config: good({ colour: 'blue' }), fields: ['colour'] },
  {
    name: 'extra auth field',
    config: good({
      auth: {
        method: 'access_key',
        accessKeyId: EMULATOR_KEYS.accessKeyId,
        secretAccessKey: SECRET,
        sessionToken: 'x',
      },
    }),
    fields: ['auth.sessionToken'],
  },
  {
    name: 'endpoint not http(s)',
    config: good({ endpoints: { inspector2: 'ftp://127.0.0.1/' } }),
    fields: ['endpoints.inspector2'],
  },
  {
    name: 'eleven log filter conditions',
    config: good({
      logFilters: [
        {
          name: 'too-many',
          conditions: Array.from({ length: 11 }, () => ({ field: 'severity', operator: 'gt', values: [1] })),
        },
      ],
    }),
    fields: ['logFilters.0.conditions'],
  },
  {
    name: 'several bad fields at once',
    config: good({ name: 'bad-ü', region: 'mars-1', intervalMinutes: -1, extra: true }),
    fields: ['name', 'region', 'intervalMinutes', 'extra'],
  },
  {
    name: 'secret from an unset environment variable',
    config: good({
      auth: {
        method: 'access_key',
        accessKeyId: EMULATOR_KEYS.accessKeyId,
        secretAccessKey: '${ENV:IC_UNSET_VAR_FOR_TEST}',
      },
    }),
    fields: ['auth.secretAccessKey'],
    cliOnly: true,
  },
];

describe('bad configuration through the CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('input');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('$name: exit 2, names $fields, stores nothing', async (c) => {
    const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(c.config));
    const data = path.join(dir, `data-${c.name.replace(/\W+/g, '-')}`);
    const r = await runCli(['collect', '--config', file, '--data', data, '--once']);
    expect(r.code).toBe(2);
    for (const f of c.fields) expect(r.stderr).toMatch(new RegExp(`^\\s*${f.replace(/\./g, '\\.')}: `, 'm'));
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(tableCount(data, 'connectors')).toBe(0);
    expect(tableCount(data, 'syslog')).toBe(0);
  });

  it('a file that is neither YAML nor JSON names the file', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'name: [unclosed\n  region: : :');
    const r = await runCli(['collect', '--config', file, '--data', path.join(dir, 'd-broken'), '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(file\): /);
  });
});

describe('bad API input', () => {
  let env: TestEnv;
  let auth: { authorization: string };
  beforeAll(async () => {
    env = await testEnv();
    auth = env.auth(await env.login());
  });
  afterAll(async () => {
    await env.close();
  });

  it.each(CASES.filter((c) => !c.cliOnly))('$name: 400 naming $fields, stores nothing', async (c) => {
    const r = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: auth,
      payload: c.config,
    });
    expect(r.statusCode).toBe(400);
    const e = r.json().error as { code: string; fields: { field: string }[] };
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    for (const f of c.fields) expect(e.fields.map((x) => x.field)).toContain(f);
    expect(r.body).not.toContain(SECRET);
    expect(env.store.connectors.list().length).toBe(0);
    expect(env.logs.join('')).not.toContain(SECRET);
  });
});
