import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  recordingScheduler,
  testEnv,
  type RecordingScheduler,
  type TestEnv,
} from '../../test/support/api.js';
import { storeFileRows } from '../../test/support/store-file.js';
import { TYPE_CASES, type TypeSource } from '../../test/support/connectors/cases.js';
import { testRegistry } from '../../test/support/connectors/index.js';
import { ndjsonFindings, writeFindings } from '../../test/support/connectors/ndjson/index.js';
import { runConnector } from '../pipeline/runner.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const config = (over: Record<string, unknown> = {}) => ({
  name: 'root-aws-inspector',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: KEY_ID, secretAccessKey: SECRET },
  ...over,
});

let env: TestEnv;
let sched: RecordingScheduler;
let root: { authorization: string };
beforeEach(async () => {
  sched = recordingScheduler();
  env = await testEnv({ scheduler: sched });
  root = env.auth(await env.login());
});
afterEach(async () => {
  await env.close();
});

const req = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  headers: object,
  payload?: unknown,
) =>
  env.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: headers as Record<string, string>,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('connectors: create, read, edit, delete', () => {
  it('creates a connector (201) with the fixed General values and secrets masked, never echoed', async () => {
    const r = await req('POST', '/connectors', root, config({ intervalMinutes: 10 }));
    expect(r.statusCode).toBe(201);
    const c = r.json();
    expect(c).toMatchObject({
      name: 'root-aws-inspector',
      category: 'Vulnerability Scanner',
      // No `type` in the body (a client from before types): aws-inspector.
      type: 'AWS Inspector',
      typeId: 'aws-inspector',
      function: 'Collect',
      runOn: 'Data Processor',
      tenant: 'Root Tenant',
      intervalMinutes: 10,
      region: 'us-east-1',
      active: true,
      profiles: [],
      logFilterIds: [],
      status: { state: 'never_run', running: false },
      counts: { stored: 0, discarded: 0 },
    });
    expect(c.config.auth).toEqual({
      method: 'access_key',
      accessKeyId: '********',
      secretAccessKey: '********',
    });
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain(KEY_ID);
    expect(sched.calls).toContainEqual({ method: 'notifyChanged', id: c.id });

    const list = await req('GET', '/connectors', root);
    expect(list.json().connectors.map((x: { id: string }) => x.id)).toEqual([c.id]);
    const one = await req('GET', `/connectors/${c.id}`, root);
    expect(one.json()).toEqual(list.json().connectors[0]);
    for (const body of [list.body, one.body]) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain(KEY_ID);
    }
    // Secrets are stored encrypted: not in the database file's rows either.
    const rows = JSON.stringify(storeFileRows(env.store.dataDir, 'SELECT * FROM connectors'));
    expect(rows).not.toContain(SECRET);
    expect(
      (env.store.connectors.getDecrypted(c.id)!.config.auth as Record<string, unknown>).secretAccessKey,
    ).toBe(SECRET);
    // ...and not in the logs.
    expect(env.logs.join('')).not.toContain(SECRET);
  });

  it('names every invalid field in a 400 ERR_CONFIG_INVALID', async () => {
    const r = await req('POST', '/connectors', root, {
      name: 'bad-ünïcode',
      region: 'mars-1',
      intervalMinutes: 0,
      auth: { method: 'iam_role', accessKeyId: 'short', secretAccessKey: '', roleArn: 'nope' },
      color: 'blue',
    });
    expect(r.statusCode).toBe(400);
    const e = r.json().error;
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    const fields = e.fields.map((f: { field: string }) => f.field).sort();
    expect(fields).toEqual(
      [
        'auth.accessKeyId',
        'auth.roleArn',
        'auth.secretAccessKey',
        'color',
        'intervalMinutes',
        'name',
        'region',
      ].sort(),
    );
    expect(e.fields.find((f: { field: string }) => f.field === 'name').message).toMatch(/multibyte/);
    expect(
      (await req('POST', '/connectors', root, config({ auth: { method: 'magic' } }))).json().error.fields[0]
        .field,
    ).toBe('auth.method');
    const dupe = await req('POST', '/connectors', root, config());
    expect(dupe.statusCode).toBe(201);
    const again = await req('POST', '/connectors', root, config({ name: 'ROOT-aws-inspector' }));
    expect(again.statusCode).toBe(400);
    expect(again.json().error.fields).toEqual([
      {
        field: 'name',
        message:
          'a connector named "ROOT-aws-inspector" already exists in tenant Root Tenant (names are compared ignoring case)',
      },
    ]);
    const noTenant = await req('POST', '/connectors', root, config({ name: 'x', tenant: 'Nope' }));
    expect(noTenant.statusCode).toBe(400);
    expect(noTenant.json().error.fields[0].field).toBe('tenant');
  });

  it('PATCH: General fields are immutable (400 naming the field); secrets sent blank or masked keep the stored ones', async () => {
    const c = (await req('POST', '/connectors', root, config())).json();
    for (const [field, value] of [
      ['name', 'renamed'],
      ['tenant', 'Other'],
      ['category', 'SIEM'],
      ['type', 'GuardDuty'],
      ['runOn', 'Cloud'],
      ['function', 'Respond'],
    ] as const) {
      const r = await req('PATCH', `/connectors/${c.id}`, root, { [field]: value });
      expect(r.statusCode, field).toBe(400);
      expect(r.json().error.fields).toEqual([
        { field, message: `${field} cannot be changed after the connector is created` },
      ]);
    }
    // Sending the current name back is not a change.
    expect(
      (await req('PATCH', `/connectors/${c.id}`, root, { name: c.name, category: 'Vulnerability Scanner' }))
        .statusCode,
    ).toBe(200);

    const r = await req('PATCH', `/connectors/${c.id}`, root, {
      intervalMinutes: 15,
      region: 'eu-west-1',
      auth: { method: 'access_key', accessKeyId: '', secretAccessKey: '********' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ intervalMinutes: 15, region: 'eu-west-1' });
    const stored = env.store.connectors.getDecrypted(c.id)!.config;
    expect(stored.auth).toEqual({ method: 'access_key', accessKeyId: KEY_ID, secretAccessKey: SECRET });
    // An absent field keeps its value (no defaults re-applied on PATCH).
    expect(stored.intervalMinutes).toBe(15);
    await req('PATCH', `/connectors/${c.id}`, root, { disableSslVerification: true });
    expect(env.store.connectors.getDecrypted(c.id)!.config.intervalMinutes).toBe(15);

    const newSecret = 'n3wS3cretValueXYZ1234567890';
    expect(
      (await req('PATCH', `/connectors/${c.id}`, root, { auth: { secretAccessKey: newSecret } })).statusCode,
    ).toBe(200);
    expect(
      (env.store.connectors.getDecrypted(c.id)!.config.auth as Record<string, unknown>).secretAccessKey,
    ).toBe(newSecret);

    // Switching to IAM role keeps the source keys and needs the role ARN.
    const noArn = await req('PATCH', `/connectors/${c.id}`, root, { auth: { method: 'iam_role' } });
    expect(noArn.statusCode).toBe(400);
    expect(noArn.json().error.fields[0].field).toBe('auth.roleArn');
    const role = await req('PATCH', `/connectors/${c.id}`, root, {
      auth: { method: 'iam_role', roleArn: 'arn:aws:iam::123456789012:role/InspectorReader' },
    });
    expect(role.statusCode).toBe(200);
    expect(role.json().config.auth).toEqual({
      method: 'iam_role',
      accessKeyId: '********',
      secretAccessKey: '********',
      roleArn: 'arn:aws:iam::123456789012:role/InspectorReader',
    });
    const bad = await req('PATCH', `/connectors/${c.id}`, root, { intervalMinutes: -1, bogus: 1 });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.fields.map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['bogus', 'intervalMinutes']);
    // Worded like a POST's 400 (the router's body validation).
    expect(bad.json().error.message).toMatch(/^invalid connector configuration: .*intervalMinutes: /);
  });

  it('activating and deactivating notifies the scheduler; delete stops its runs first and removes it', async () => {
    const c = (await req('POST', '/connectors', root, config({ active: false }))).json();
    expect(c.active).toBe(false);
    sched.calls.length = 0;
    const on = await req('PATCH', `/connectors/${c.id}`, root, { active: true });
    expect(on.json().active).toBe(true);
    expect(sched.calls).toEqual([{ method: 'notifyChanged', id: c.id }]);
    sched.calls.length = 0;
    sched.running.add(c.id);
    const del = await req('DELETE', `/connectors/${c.id}`, root);
    expect(del.statusCode).toBe(204);
    expect(sched.calls.map((x) => x.method)).toEqual(['notifyChanged', 'stopConnector', 'notifyChanged']);
    expect(env.store.connectors.get(c.id)).toBeUndefined();
    expect((await req('GET', `/connectors/${c.id}`, root)).statusCode).toBe(404);
    expect((await req('DELETE', `/connectors/${c.id}`, root)).statusCode).toBe(404);
  });

  it('run now: 202, triggers only when eligible (active and in a profile)', async () => {
    const c = (await req('POST', '/connectors', root, config())).json();
    const r1 = await req('POST', `/connectors/${c.id}/run`, root);
    expect(r1.statusCode).toBe(202);
    expect(r1.json()).toEqual({ triggered: false, reason: 'the connector is in no Data Analyzer profile' });
    expect(sched.calls.filter((x) => x.method === 'trigger')).toEqual([]);
    env.store.profiles.addConnector('default', c.id);
    const r2 = await req('POST', `/connectors/${c.id}/run`, root);
    expect(r2.json()).toEqual({ triggered: true });
    expect(sched.calls.filter((x) => x.method === 'trigger')).toEqual([{ method: 'trigger', id: c.id }]);
  });
});

describe('connectors: run counts in words', () => {
  it('the status line (lastRun) and the run history say "received N, new M, already stored K"; stored/duplicates stay', async () => {
    const c = (await req('POST', '/connectors', root, config())).json();
    expect((await req('GET', `/connectors/${c.id}`, root)).json().lastRun).toBeUndefined();
    const first = env.store.runs.start(c.id);
    env.store.runs.addCounts(first, { received: 2303, stored: 2303, pages: 24 });
    env.store.runs.finish(first, { status: 'ok' });
    const second = env.store.runs.start(c.id);
    env.store.runs.addCounts(second, { received: 2303, duplicates: 2300, discarded: 3, pages: 24 });
    env.store.runs.finish(second, { status: 'ok' });

    const got = (await req('GET', `/connectors/${c.id}`, root)).json();
    expect(got.lastRun).toMatchObject({
      id: second,
      status: 'ok',
      received: 2303,
      new: 0,
      alreadyStored: 2300,
      stored: 0,
      duplicates: 2300,
      discarded: 3,
      summary: 'received 2303, new 0, already stored 2300, discarded 3',
    });
    const list = (await req('GET', '/connectors', root)).json().connectors;
    expect(list[0].lastRun.summary).toBe('received 2303, new 0, already stored 2300, discarded 3');

    const runs = await req('GET', `/connectors/${c.id}/runs?limit=5`, root);
    expect(runs.statusCode).toBe(200);
    expect(runs.json().runs.map((r: { id: number; summary: string }) => [r.id, r.summary])).toEqual([
      [second, 'received 2303, new 0, already stored 2300, discarded 3'],
      [first, 'received 2303, new 2303, already stored 0'],
    ]);
    expect((await req('GET', `/connectors/${c.id}/runs?limit=0`, root)).statusCode).toBe(400);
    expect((await req('GET', '/connectors/nope/runs', root)).statusCode).toBe(404);

    // Another tenant's admin does not see the runs (404, as for the connector).
    const acme = env.store.tenants.create('Acme');
    await env.createUser('acme-admin', 'tenant_admin', acme.id);
    const acmeAdmin = env.auth(await env.login('acme-admin', 'acme-admin-password-123'));
    expect((await req('GET', `/connectors/${c.id}/runs`, acmeAdmin)).statusCode).toBe(404);
  });
});

describe('connectors: security', () => {
  it('accepts endpoint overrides only for allow-listed host:port (400 naming the field)', async () => {
    const bad = await req(
      'POST',
      '/connectors',
      root,
      config({ endpoints: { inspector2: 'https://evil.example.com', sts: 'http://127.0.0.1:9' } }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ERR_CONFIG_INVALID');
    expect(bad.json().error.fields).toEqual([
      {
        field: 'endpoints.inspector2',
        message: expect.stringMatching(/^evil\.example\.com:443 is not allowed/),
      },
    ]);
    // The allowed host on another port (testEnv allows 127.0.0.1:9 only).
    const otherPort = await req(
      'POST',
      '/connectors',
      root,
      config({ endpoints: { inspector2: 'http://127.0.0.1:10' } }),
    );
    expect(otherPort.statusCode).toBe(400);
    expect(otherPort.json().error.fields).toEqual([
      {
        field: 'endpoints.inspector2',
        message: expect.stringMatching(
          /^127\.0\.0\.1:10 is not allowed .*INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS/,
        ),
      },
    ]);
    const ok = await req(
      'POST',
      '/connectors',
      root,
      config({ endpoints: { inspector2: 'http://127.0.0.1:9', sts: 'http://127.0.0.1:9' } }),
    );
    expect(ok.statusCode).toBe(201);
    const patch = await req('PATCH', `/connectors/${ok.json().id}`, root, {
      endpoints: { sts: 'https://sts.attacker.test' },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.fields[0].field).toBe('endpoints.sts');
    const unsaved = await req(
      'POST',
      '/connectors/test',
      root,
      config({ name: 'u', endpoints: { inspector2: 'https://1.2.3.4' } }),
    );
    expect(unsaved.statusCode).toBe(400);
    expect(unsaved.json().error.fields[0].field).toBe('endpoints.inspector2');
  });

  it('with no allow-list, every endpoint override is refused', async () => {
    const strict = await testEnv({ allowedEndpointHosts: [] });
    try {
      const h = strict.auth(await strict.login());
      const r = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/connectors',
        headers: h,
        payload: config({ endpoints: { inspector2: 'http://127.0.0.1:9' } }),
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.fields[0].message).toMatch(/endpoint overrides are disabled/);
    } finally {
      await strict.close();
    }
  });

  it('refuses ${ENV:NAME} secrets over the API (they would read the server environment)', async () => {
    const r = await req(
      'POST',
      '/connectors',
      root,
      config({ auth: { method: 'access_key', accessKeyId: '${ENV:HOME}', secretAccessKey: '${ENV:PATH}' } }),
    );
    expect(r.statusCode).toBe(400);
    expect(r.json().error.fields.map((f: { field: string }) => f.field)).toEqual([
      'auth.accessKeyId',
      'auth.secretAccessKey',
    ]);
  });

  it('rejects bodies over the size limit with 413 and malformed JSON with 400', async () => {
    const big = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: { ...root, 'content-type': 'application/json' },
      payload: JSON.stringify(config({ name: 'x'.repeat(300 * 1024) })),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    const bad = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: { ...root, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ERR_VALIDATION');
  });
});

describe('connectors: roles and tenant isolation', () => {
  it('a tenant admin manages only their tenant; an analyst manages none', async () => {
    const acme = env.store.tenants.create('Acme');
    env.store.tenants.create('Beta');
    await env.createUser('alice', 'tenant_admin', acme.id);
    await env.createUser('ann', 'analyst', acme.id);
    const alice = env.auth(await env.login('alice', 'alice-password-123'));
    const ann = env.auth(await env.login('ann', 'ann-password-123'));

    const rootOwned = (await req('POST', '/connectors', root, config())).json();
    const betaOwned = (
      await req('POST', '/connectors', root, config({ name: 'beta-aws-inspector', tenant: 'Beta' }))
    ).json();

    // Create: defaults to the caller's tenant; another tenant is forbidden.
    const mine = await req('POST', '/connectors', alice, config({ name: 'acme-aws-inspector' }));
    expect(mine.statusCode).toBe(201);
    expect(mine.json().tenant).toBe('Acme');
    const elsewhere = await req('POST', '/connectors', alice, config({ name: 'x', tenant: 'Beta' }));
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe('ERR_FORBIDDEN');

    // List shows only Acme's.
    const list = await req('GET', '/connectors', alice);
    expect(list.json().connectors.map((c: { name: string }) => c.name)).toEqual(['acme-aws-inspector']);

    // Every per-connector route: another tenant's connector does not exist for alice.
    for (const other of [rootOwned.id, betaOwned.id]) {
      const calls: [Parameters<typeof req>[0], string, unknown?][] = [
        ['GET', `/connectors/${other}`],
        ['PATCH', `/connectors/${other}`, { intervalMinutes: 7 }],
        ['DELETE', `/connectors/${other}`],
        ['POST', `/connectors/${other}/test`],
        ['POST', `/connectors/${other}/run`],
      ];
      for (const [m, url, body] of calls) {
        const r = await req(m, url, alice, body);
        expect(r.statusCode, `${m} ${url}`).toBe(404);
        expect(r.json().error.code).toBe('ERR_NOT_FOUND_RESOURCE');
      }
    }
    expect(env.store.connectors.get(betaOwned.id)!.config.intervalMinutes).toBe(5);
    // Unsaved test for another tenant is forbidden too.
    expect(
      (await req('POST', '/connectors/test', alice, config({ name: 'x', tenant: 'Beta' }))).statusCode,
    ).toBe(403);

    // Own connector: full control.
    expect(
      (await req('PATCH', `/connectors/${mine.json().id}`, alice, { intervalMinutes: 9 })).statusCode,
    ).toBe(200);

    // Analyst: no connector routes at all.
    for (const [m, url] of [
      ['GET', '/connectors'],
      ['GET', `/connectors/${mine.json().id}`],
      ['POST', '/connectors'],
      ['PATCH', `/connectors/${mine.json().id}`],
      ['DELETE', `/connectors/${mine.json().id}`],
      ['POST', `/connectors/${mine.json().id}/test`],
    ] as const) {
      const r = await req(m, url, ann, m === 'POST' || m === 'PATCH' ? config({ name: 'z' }) : undefined);
      expect(r.statusCode, `${m} ${url}`).toBe(403);
    }
    expect(env.store.connectors.get(mine.json().id)).toBeDefined();
  });
});

describe.each(TYPE_CASES)('connectors API with any connector type: $type', (tc) => {
  let e: TestEnv;
  let src: TypeSource;
  let h: { authorization: string };
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    e.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: h,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  beforeEach(async () => {
    src = tc.source(3, Date.now());
    const registry = src.registry;
    e = await testEnv({
      registry,
      testConnector: (cfg, connectorId, o) =>
        registry.get(o?.type ?? 'aws-inspector').test(cfg, {
          logger: silentLogger(),
          clock: systemClock,
          connectorId: connectorId ?? 'test',
        }),
    });
    h = e.auth(await e.login());
  });
  afterEach(async () => {
    await e.close();
    src.cleanup();
  });

  it('create (type in the body), get, list, patch and test; /meta describes the type', async () => {
    const label = src.registry.get(tc.type).label;
    const created = await call('POST', '/connectors', { type: tc.type, ...src.config, intervalMinutes: 7 });
    expect(created.statusCode).toBe(201);
    const c = created.json();
    expect(c).toMatchObject({ type: label, typeId: tc.type, intervalMinutes: 7, tenant: 'Root Tenant' });
    expect(e.store.connectors.get(c.id)!.type).toBe(tc.type);
    expect((await call('GET', `/connectors/${c.id}`)).json()).toMatchObject({ id: c.id, typeId: tc.type });
    expect((await call('GET', '/connectors')).json().connectors.map((x: { id: string }) => x.id)).toEqual([
      c.id,
    ]);

    // PATCH: the type's fields; General fields fixed (its own type accepted, another refused).
    const p = await call('PATCH', `/connectors/${c.id}`, { intervalMinutes: 9, type: label });
    expect(p.statusCode).toBe(200);
    expect(p.json().intervalMinutes).toBe(9);
    const other = src.registry.types.find((t) => t.id !== tc.type)!;
    const bad = await call('PATCH', `/connectors/${c.id}`, { type: other.id, nope: 1 });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.fields.map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['nope']);
    const fixed = await call('PATCH', `/connectors/${c.id}`, { type: other.id });
    expect(fixed.json().error).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      fields: [{ field: 'type', message: 'type cannot be changed after the connector is created' }],
    });

    // The Test of the saved connector and of an unsaved config of this type.
    const t = await call('POST', `/connectors/${c.id}/test`);
    expect(t.json()).toMatchObject({ ok: true, code: 'OK' });
    const unsaved = await call('POST', '/connectors/test', { type: tc.type, ...src.config, name: 'unsaved' });
    expect(unsaved.json()).toMatchObject({ ok: true });

    const meta = (await call('GET', '/meta')).json();
    expect(meta.connectorTypes.map((x: { id: string }) => x.id)).toEqual(['aws-inspector', 'ndjson']);
    const mine = meta.connectorTypes.find((x: { id: string }) => x.id === tc.type);
    expect(mine).toMatchObject({ label, category: src.registry.get(tc.type).category });
    expect(Object.keys(mine.schema.properties)).toEqual(expect.arrayContaining(['name', 'intervalMinutes']));
    expect(mine.secretFields).toEqual([...src.registry.get(tc.type).secretFields]);
  });

  it("validates with the type's schema: every invalid field named; an unknown type names `type`", async () => {
    const r = await call('POST', '/connectors', { type: tc.type, name: '' });
    expect(r.statusCode).toBe(400);
    const fields = r.json().error.fields.map((f: { field: string }) => f.field);
    expect(fields).toContain('name');
    const unknown = await call('POST', '/connectors', { ...src.config, type: 'guardduty' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields).toEqual([
      { field: 'type', message: 'type must be one of: aws-inspector, ndjson' },
    ]);
  });

  it('a failing source: the Test reports its coded error with the HTTP status and explanation', async () => {
    const c = (await call('POST', '/connectors', { type: tc.type, ...src.config })).json();
    const code = src.break();
    const t = (await call('POST', `/connectors/${c.id}/test`)).json();
    expect(t).toMatchObject({ ok: false, code });
    expect(t.httpStatus).toBeGreaterThanOrEqual(400);
    expect(t.explanation).not.toBe('');
  });
});

describe('connectors API: parts (a type whose runs split into parts, as AWS Inspector regions)', () => {
  it("GET /connectors and /connectors/:id show each part's status, the run history each run's parts; partial is documented", async () => {
    const registry = testRegistry();
    const e = await testEnv({ registry });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-parts-'));
    try {
      const h = e.auth(await e.login());
      const call = (url: string) => e.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: h });
      fs.mkdirSync(path.join(dir, 'east'));
      writeFindings(path.join(dir, 'east'), '0001.ndjson', ndjsonFindings(4, Date.now(), 'east'));
      const created = await e.app.inject({
        method: 'POST',
        url: '/api/v1/connectors',
        headers: h,
        payload: { type: 'ndjson', name: 'parts', directory: dir, parts: 'east,west' },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      expect(created.json().status.parts).toBeUndefined();
      const out = await runConnector(
        { store: e.store, clock: systemClock, logger: silentLogger(), registry },
        id,
      );
      expect(out.status).toBe('failed');

      const got = (await call(`/connectors/${id}`)).json();
      expect(got.status).toMatchObject({
        state: 'partial',
        running: false,
        lastError: { code: 'ERR_NOT_FOUND', message: expect.stringContaining('1 of 2 parts failed; west:') },
        parts: [
          { part: 'east', state: 'ok', lastSuccessAt: expect.any(Number), lastRunAt: expect.any(Number) },
          {
            part: 'west',
            state: 'failed',
            lastError: {
              code: 'ERR_NOT_FOUND',
              message: expect.stringContaining('west'),
              at: expect.any(Number),
            },
            lastRunAt: expect.any(Number),
          },
        ],
      });
      expect(got.lastRun).toMatchObject({ status: 'failed', stored: 4, parts: out.parts });
      const listed = (await call('/connectors')).json().connectors[0];
      expect(listed.status.parts).toEqual(got.status.parts);
      const runs = (await call(`/connectors/${id}/runs`)).json().runs;
      expect(runs[0].parts).toEqual([
        expect.objectContaining({ part: 'east', status: 'ok', received: 4, stored: 4 }),
        expect.objectContaining({
          part: 'west',
          status: 'failed',
          error: expect.objectContaining({ code: 'ERR_NOT_FOUND' }),
        }),
      ]);

      const doc = (await e.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      };
      expect(JSON.stringify(doc.components.schemas.Connector)).toContain('"partial"');
      expect(doc.components.schemas.PartStatus).toBeDefined();
      expect(doc.components.schemas.RunPart).toBeDefined();
    } finally {
      await e.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
