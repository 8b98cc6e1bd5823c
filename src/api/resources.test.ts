import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InterflowRecord } from '../core/record.js';
import { ROOT_TENANT, type Tenant } from '../store/index.js';
import {
  recordingScheduler,
  testEnv,
  type RecordingScheduler,
  type TestEnv,
} from '../../test/support/api.js';
import { withStates } from '../../test/support/records.js';

let env: TestEnv;
let sched: RecordingScheduler;
let root: { authorization: string };
let acme: Tenant;
beforeEach(async () => {
  sched = recordingScheduler();
  env = await testEnv({ scheduler: sched });
  root = env.auth(await env.login());
  acme = env.store.tenants.create('Acme');
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

const T0 = Date.UTC(2026, 5, 1);

function record(i: number, tenant: Tenant, severity: string): InterflowRecord {
  return {
    _id: `${tenant.id}-${i}`,
    timestamp: T0 + i * 60_000,
    write_time: T0 + i * 60_000 + 1000,
    tenantid: tenant.id,
    tenant_name: tenant.name,
    msg_class: 'aws_inspector_finding',
    msg_origin: {
      source: 'aws_inspector',
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', name: 'c', id: 'c' },
    },
    event_name: `CVE-2026-${1000 + i} in package openssl`,
    event_status: 'ACTIVE',
    severity: severity === 'HIGH' ? 70 : 30,
    aws_inspector: {
      findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${tenant.id}${i}`,
      severity,
    },
  };
}

function seed(): { rootConnector: string; acmeConnector: string } {
  const cfg = (name: string, tenant: string) => ({
    name,
    tenant,
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-secret' },
  });
  const rc = env.store.connectors.create(cfg('root-c', ROOT_TENANT.name));
  const ac = env.store.connectors.create(cfg('acme-c', 'Acme'));
  // Root: 6 records (2 HIGH), Acme: 4 records (all HIGH).
  env.store.commitPage(
    withStates({
      connectorId: rc.id,
      records: [0, 1, 2, 3, 4, 5].map((i) => record(i, ROOT_TENANT, i < 2 ? 'HIGH' : 'LOW')),
    }),
  );
  env.store.commitPage(
    withStates({ connectorId: ac.id, records: [0, 1, 2, 3].map((i) => record(i, acme, 'HIGH')) }),
  );
  return { rootConnector: rc.id, acmeConnector: ac.id };
}

describe('profiles', () => {
  it('Default exists; only a root admin changes membership; joining notifies the scheduler (first pull)', async () => {
    const { rootConnector, acmeConnector } = seed();
    await env.createUser('alice', 'tenant_admin', acme.id);
    const alice = env.auth(await env.login('alice', 'alice-password-123'));

    const list = await req('GET', '/profiles', root);
    expect(list.json()).toEqual({ profiles: [{ id: 'default', name: 'Default', connectorIds: [] }] });

    const denied = await req('PUT', `/profiles/default/connectors/${acmeConnector}`, alice);
    expect(denied.statusCode).toBe(403);
    expect(env.store.profiles.profilesOf(acmeConnector)).toEqual([]);

    sched.calls.length = 0;
    const put = await req('PUT', `/profiles/default/connectors/${acmeConnector}`, root);
    expect(put.statusCode).toBe(200);
    expect(put.json().connectorIds).toEqual([acmeConnector]);
    expect(sched.calls).toEqual([{ method: 'notifyChanged', id: acmeConnector }]);
    await req('PUT', `/profiles/default/connectors/${rootConnector}`, root);

    // A tenant admin sees only their tenant's members.
    expect((await req('GET', '/profiles', alice)).json().profiles[0].connectorIds).toEqual([acmeConnector]);
    expect((await req('DELETE', `/profiles/default/connectors/${acmeConnector}`, alice)).statusCode).toBe(
      403,
    );

    const del = await req('DELETE', `/profiles/default/connectors/${acmeConnector}`, root);
    expect(del.json().connectorIds).toEqual([rootConnector]);
    expect((await req('PUT', '/profiles/nope/connectors/' + rootConnector, root)).statusCode).toBe(404);
    expect((await req('PUT', '/profiles/default/connectors/nope', root)).statusCode).toBe(404);
    const conn = await req('GET', `/connectors/${rootConnector}`, root);
    expect(conn.json().profiles).toEqual(['default']);
  });
});

describe('log filters', () => {
  const high = {
    name: 'drop-high',
    conditions: [{ field: 'aws_inspector.severity', operator: 'equals', values: ['HIGH'] }],
  };

  it('CRUD with field-level validation, attachment to connectors, and preview over stored records', async () => {
    const { rootConnector } = seed();
    const bad = await req('POST', '/log-filters', root, {
      name: 'bad',
      conditions: [{ field: 'severity', operator: 'gt', values: ['x', 'y'] }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0].field).toMatch(/^conditions\[0\]/);
    const tooMany = await req('POST', '/log-filters', root, {
      name: 'many',
      conditions: Array.from({ length: 11 }, () => ({ field: 'a', operator: 'exists' })),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.fields[0]).toEqual({
      field: 'conditions',
      message: 'a log filter has at most 10 conditions',
    });

    const created = await req('POST', '/log-filters', root, high);
    expect(created.statusCode).toBe(201);
    const f = created.json();
    expect(f).toMatchObject({ ...high, id: expect.any(String) });
    expect(f.tenant).toBeUndefined(); // all tenants

    expect((await req('GET', `/log-filters/${f.id}`, root)).json()).toEqual(f);
    expect((await req('GET', '/log-filters', root)).json().logFilters).toEqual([f]);

    const patched = await req('PATCH', `/log-filters/${f.id}`, root, { logSource: 'aws_inspector' });
    expect(patched.json()).toMatchObject({ name: 'drop-high', logSource: 'aws_inspector' });

    // Attach to a connector; unknown ids are named.
    const att = await req('PATCH', `/connectors/${rootConnector}`, root, { logFilterIds: [f.id] });
    expect(att.statusCode).toBe(200);
    expect(att.json().logFilterIds).toEqual([f.id]);
    expect(env.store.logFilters.forConnector(rootConnector).map((x) => x.name)).toEqual(['drop-high']);
    const unknown = await req('PATCH', `/connectors/${rootConnector}`, root, { logFilterIds: ['nope'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields[0].field).toBe('logFilterIds');

    // Preview: root sees all 10 records, 6 HIGH.
    const pv = await req('POST', '/log-filters/preview', root, { filter: high });
    expect(pv.json()).toMatchObject({ checked: 10, matched: 6, unknownFields: [] });
    expect(pv.json().samples).toHaveLength(5);
    expect((await req('POST', '/log-filters/preview', root, { filter: high, limit: 3 })).json().checked).toBe(
      3,
    );
    const pvBad = await req('POST', '/log-filters/preview', root, { filter: { name: 'x', conditions: [] } });
    expect(pvBad.statusCode).toBe(400);
    expect(pvBad.json().error.fields[0].field).toBe('filter.conditions');

    expect((await req('DELETE', `/log-filters/${f.id}`, root)).statusCode).toBe(204);
    expect((await req('GET', `/log-filters/${f.id}`, root)).statusCode).toBe(404);
    expect(env.store.logFilters.idsForConnector(rootConnector)).toEqual([]);
  });

  it('preview: no name needed, a bounded sample of the matching records, the fields none of the records has', async () => {
    seed();
    const draft = {
      conditions: [
        { field: 'aws_inspector.severity', operator: 'equals', values: ['HIGH'] },
        { field: 'aws_inspector.sevrity', operator: 'not_exists' },
      ],
    };
    const pv = await req('POST', '/log-filters/preview', root, { filter: draft, sample: 2 });
    expect(pv.statusCode).toBe(200);
    const body = pv.json() as {
      checked: number;
      matched: number;
      samples: { _id: string; aws_inspector: { severity: string } }[];
      unknownFields: string[];
    };
    expect(body).toMatchObject({ checked: 10, matched: 6, unknownFields: ['aws_inspector.sevrity'] });
    expect(body.samples).toHaveLength(2);
    expect(body.samples.every((r) => r.aws_inspector.severity === 'HIGH')).toBe(true);
    // Newest first, as the records checked.
    const all = (await req('POST', '/log-filters/preview', root, { filter: draft, sample: 20 })).json();
    expect(all.samples).toHaveLength(6);
    expect(all.samples.slice(0, 2)).toEqual(body.samples);
    for (const sample of [21, -1, 1.5]) {
      const bad = await req('POST', '/log-filters/preview', root, { filter: draft, sample });
      expect(bad.statusCode, String(sample)).toBe(400);
      expect(bad.json().error.fields[0].field).toBe('sample');
    }
    // A name, when given, is still checked.
    const badName = await req('POST', '/log-filters/preview', root, { filter: { ...draft, name: '   ' } });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error.fields[0].field).toBe('filter.name');
  });

  it("tenant isolation: a tenant admin sees their tenant's and all-tenant filters, edits only their tenant's, previews only their records", async () => {
    const { rootConnector, acmeConnector } = seed();
    await env.createUser('alice', 'tenant_admin', acme.id);
    await env.createUser('ann', 'analyst', acme.id);
    const alice = env.auth(await env.login('alice', 'alice-password-123'));
    const ann = env.auth(await env.login('ann', 'ann-password-123'));
    const global = (await req('POST', '/log-filters', root, high)).json();
    const rootOnly = (
      await req('POST', '/log-filters', root, { ...high, name: 'root-only', tenant: 'Root Tenant' })
    ).json();

    const own = await req('POST', '/log-filters', alice, { ...high, name: 'acme-high' });
    expect(own.statusCode).toBe(201);
    expect(own.json().tenant).toBe('Acme');
    expect(
      (await req('POST', '/log-filters', alice, { ...high, name: 'x', tenant: 'Root Tenant' })).statusCode,
    ).toBe(403);

    const seen = (await req('GET', '/log-filters', alice))
      .json()
      .logFilters.map((x: { name: string }) => x.name);
    expect(seen.sort()).toEqual(['acme-high', 'drop-high']);
    expect((await req('GET', `/log-filters/${rootOnly.id}`, alice)).statusCode).toBe(404);
    expect((await req('PATCH', `/log-filters/${rootOnly.id}`, alice, { name: 'y' })).statusCode).toBe(404);
    expect((await req('DELETE', `/log-filters/${rootOnly.id}`, alice)).statusCode).toBe(404);
    // The all-tenants filter is visible but only a root admin changes it.
    expect((await req('PATCH', `/log-filters/${global.id}`, alice, { name: 'y' })).statusCode).toBe(403);
    expect((await req('DELETE', `/log-filters/${global.id}`, alice)).statusCode).toBe(403);
    expect((await req('PATCH', `/log-filters/${own.json().id}`, alice, { tenant: null })).statusCode).toBe(
      403,
    );

    // Attach: own or global filters to own connectors; never another tenant's filter.
    expect(
      (
        await req('PATCH', `/connectors/${acmeConnector}`, alice, {
          logFilterIds: [own.json().id, global.id],
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await req('PATCH', `/connectors/${acmeConnector}`, alice, { logFilterIds: [rootOnly.id] })).statusCode,
    ).toBe(400);
    expect(
      (await req('PATCH', `/connectors/${rootConnector}`, alice, { logFilterIds: [global.id] })).statusCode,
    ).toBe(404);

    // Preview counts only Acme's 4 records.
    expect((await req('POST', '/log-filters/preview', alice, { filter: high })).json()).toMatchObject({
      checked: 4,
      matched: 4,
    });
    // Its sample records are Acme's only.
    const acmeSamples = (
      await req('POST', '/log-filters/preview', alice, { filter: high, sample: 20 })
    ).json().samples as { tenant_name: string }[];
    expect(acmeSamples.map((r) => r.tenant_name)).toEqual(['Acme', 'Acme', 'Acme', 'Acme']);
    // Analysts have no log filter routes.
    expect((await req('GET', '/log-filters', ann)).statusCode).toBe(403);
    expect((await req('POST', '/log-filters/preview', ann, { filter: high })).statusCode).toBe(403);
  });
});

describe('search', () => {
  it('scopes results to the caller tenants; root sees all', async () => {
    seed();
    await env.createUser('ann', 'analyst', acme.id);
    await env.createUser('alice', 'tenant_admin', acme.id);
    const ann = env.auth(await env.login('ann', 'ann-password-123'));
    const alice = env.auth(await env.login('alice', 'alice-password-123'));

    const all = await req('GET', '/search?index=syslog', root);
    expect(all.statusCode).toBe(200);
    expect(all.json().total).toBe(10);
    for (const who of [ann, alice]) {
      const r = await req('GET', '/search', who);
      expect(r.json().total).toBe(4);
      expect(new Set(r.json().records.map((x: InterflowRecord) => x.tenant_name))).toEqual(new Set(['Acme']));
      // A query cannot widen the scope.
      const sneaky = await req(
        'GET',
        `/search?q=${encodeURIComponent(`tenantid:${ROOT_TENANT.id} OR tenant_name:"Root Tenant"`)}`,
        who,
      );
      expect(sneaky.json().total).toBe(0);
    }
    const high = await req(
      'GET',
      `/search?q=${encodeURIComponent('aws_inspector.severity:HIGH')}&limit=2&sort=timestamp:asc`,
      root,
    );
    expect(high.json().total).toBe(6);
    expect(high.json().records).toHaveLength(2);
    expect(high.json().records[0].timestamp).toBeLessThanOrEqual(high.json().records[1].timestamp);
  });

  it('time range on a chosen field, histogram, and no time range = all time', async () => {
    seed();
    const r = await req('GET', `/search?from=${T0 + 2 * 60_000}&to=${T0 + 3 * 60_000}`, root);
    expect(r.json().total).toBe(4); // minutes 2 and 3, both tenants
    const iso = await req(
      'GET',
      `/search?from=${new Date(T0 + 2 * 60_000).toISOString()}&to=${T0 + 3 * 60_000}`,
      root,
    );
    expect(iso.json().total).toBe(4);
    const wt = await req('GET', `/search?timeField=write_time&from=${T0 + 5 * 60_000}`, root);
    expect(wt.json().total).toBe(1); // written at minute 5 + 1 s
    const h = await req('GET', `/search/histogram?buckets=10&from=${T0}&to=${T0 + 10 * 60_000 - 1}`, root);
    expect(h.statusCode).toBe(200);
    const body = h.json() as { interval: number; buckets: { start: number; count: number }[] };
    expect(body.buckets.reduce((s, b) => s + b.count, 0)).toBe(10);
    expect(body.interval).toBe(60_000);
  });

  it('a bad query is a 400 ERR_QUERY_INVALID with the message, never a 500', async () => {
    seed();
    for (const q of ['severity:(', 'a AND', '"unclosed', 'x:[1 TO', ')(']) {
      const r = await req('GET', `/search?q=${encodeURIComponent(q)}`, root);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe('ERR_QUERY_INVALID');
      expect(r.json().error.message.length).toBeGreaterThan(5);
      const hist = await req('GET', `/search/histogram?q=${encodeURIComponent(q)}`, root);
      expect(hist.statusCode, q).toBe(400);
    }
    const badSort = await req('GET', '/search?sort=doc:asc', root);
    expect(badSort.statusCode).toBe(400);
    const badTime = await req('GET', '/search?from=yesterday-ish', root);
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error.fields).toEqual([{ field: 'from', message: expect.any(String) }]);
    const badLimit = await req('GET', '/search?limit=100000', root);
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().error.fields[0].field).toBe('limit');
    const badIndex = await req('GET', '/search?index=other', root);
    expect(badIndex.statusCode).toBe(400);
  });
});
