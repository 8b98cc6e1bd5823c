/**
 * Saved searches and search history over the API (issue 15): CRUD, validation naming the field,
 * visibility (private / tenant, read-only for others, owner or admin edits), tenant isolation,
 * the per-user history, CSRF for cookie sessions, the OpenAPI document. Real store, real log-ins.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../../test/support/api.js';
import type { Tenant } from '../store/index.js';

let env: TestEnv;
let root: { authorization: string };
let acme: Tenant;
let beta: Tenant;
type H = { authorization: string };
let ann: H; // Acme analyst
let bob: H; // Acme analyst
let ada: H; // Acme tenant admin
let carl: H; // Beta analyst

// One app and one set of log-ins for the file (password hashing is slow by design); each test
// starts with no saved searches and no history.
beforeAll(async () => {
  env = await testEnv();
  root = env.auth(await env.login());
  acme = env.store.tenants.create('Acme');
  beta = env.store.tenants.create('Beta');
  await env.createUser('ann', 'analyst', acme.id);
  await env.createUser('bob', 'analyst', acme.id);
  await env.createUser('ada', 'tenant_admin', acme.id);
  await env.createUser('carl', 'analyst', beta.id);
  ann = env.auth(await env.login('ann', 'ann-password-123'));
  bob = env.auth(await env.login('bob', 'bob-password-123'));
  ada = env.auth(await env.login('ada', 'ada-password-123'));
  carl = env.auth(await env.login('carl', 'carl-password-123'));
});
afterEach(() => {
  for (const u of env.store.users.list()) {
    for (const s of env.store.savedSearches.listVisible(u.id)) env.store.savedSearches.delete(s.id);
    env.store.searchHistory.clear(u.id);
  }
});
afterAll(async () => {
  await env.close();
});

const req = (...a: Parameters<TestEnv['req']>) => env.req(...a);

const body = (name: string, over: object = {}) => ({
  name,
  query: 'aws_inspector.severity:HIGH AND event_status:ACTIVE',
  timeRange: { kind: 'relative', last: '7d' },
  timeField: 'write_time',
  columns: ['timestamp', 'severity', 'event_name'],
  sort: 'severity:desc',
  timeZone: 'utc',
  ...over,
});

const names = async (h: H) =>
  ((await req('GET', '/search/saved', h)).json() as { savedSearches: { name: string }[] }).savedSearches.map(
    (s) => s.name,
  );

describe('saved searches', () => {
  it('saves every field, lists, gets, renames and deletes its own', async () => {
    const c = await req('POST', '/search/saved', ann, body('High and active'));
    expect(c.statusCode).toBe(201);
    const saved = c.json();
    expect(saved).toMatchObject({
      ...body('High and active'),
      visibility: 'private',
      owner: 'ann',
      mine: true,
      editable: true,
    });
    expect(saved).not.toHaveProperty('ownerId');
    expect((await req('GET', `/search/saved/${saved.id}`, ann)).json()).toEqual(saved);
    const abs = { kind: 'absolute', from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) };
    await req('POST', '/search/saved', ann, body('Absolute', { timeRange: abs }));
    expect(await names(ann)).toEqual(['Absolute', 'High and active']);
    const r = await req('PATCH', `/search/saved/${saved.id}`, ann, { name: 'Renamed' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ ...body('Renamed'), id: saved.id });
    expect((await req('DELETE', `/search/saved/${saved.id}`, ann)).statusCode).toBe(204);
    expect((await req('GET', `/search/saved/${saved.id}`, ann)).statusCode).toBe(404);
    expect(await names(ann)).toEqual(['Absolute']);
  });

  it('bad input is a 400 naming the field; a taken name names `name`', async () => {
    const field = async (payload: object, h: H = ann) => {
      const r = await req('POST', '/search/saved', h, payload);
      expect(r.statusCode, r.body).toBe(400);
      return (r.json().error.fields as { field: string; message: string }[]).map((f) => f.field);
    };
    expect(await field(body('x'.repeat(101)))).toEqual(['name']);
    expect(await field(body('q', { query: 'a'.repeat(10_001) }))).toEqual(['query']);
    expect(await field(body('c', { columns: [] }))).toEqual(['columns']);
    expect(await field(body('c', { columns: ['has space'] }))).toEqual(['columns.0']);
    expect(await field(body('s', { sort: 'severity' }))).toEqual(['sort']);
    expect(await field(body('v', { visibility: 'everyone' }))).toEqual(['visibility']);
    expect(await field(body('t', { timeRange: { kind: 'absolute', from: 5, to: 1 } }))).toEqual([
      'timeRange.to',
    ]);
    expect(await field({ ...body('u'), owner: 'bob' })).toEqual(['owner']);
    await req('POST', '/search/saved', ann, body('Daily'));
    const dup = await req('POST', '/search/saved', ann, body('daily'));
    expect(dup.statusCode).toBe(400);
    expect(dup.json().error.fields[0]).toMatchObject({ field: 'name' });
    expect(dup.json().error.fields[0].message).toContain('already have a saved search named "daily"');
    // Unique per owner: bob may use it.
    expect((await req('POST', '/search/saved', bob, body('Daily'))).statusCode).toBe(201);
  });

  it('private: the owner only; tenant: every user of the tenant, read-only; the owner or an admin of the tenant edits', async () => {
    const priv = (await req('POST', '/search/saved', ann, body('Mine'))).json();
    const shared = (await req('POST', '/search/saved', ann, body('Team', { visibility: 'tenant' }))).json();
    expect(await names(bob)).toEqual(['Team']);
    expect((await req('GET', `/search/saved/${priv.id}`, bob)).statusCode).toBe(404);
    expect((await req('PATCH', `/search/saved/${priv.id}`, ada, { name: 'x' })).statusCode).toBe(404);
    const seen = (await req('GET', `/search/saved/${shared.id}`, bob)).json();
    expect(seen).toMatchObject({ name: 'Team', owner: 'ann', mine: false, editable: false });
    const denied = await req('PATCH', `/search/saved/${shared.id}`, bob, { query: 'mine now' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain("ann's");
    expect((await req('DELETE', `/search/saved/${shared.id}`, bob)).statusCode).toBe(403);
    // The tenant admin may change and delete a shared one.
    expect((await req('GET', `/search/saved/${shared.id}`, ada)).json()).toMatchObject({ editable: true });
    expect((await req('PATCH', `/search/saved/${shared.id}`, ada, { query: 'zlib' })).json()).toMatchObject({
      query: 'zlib',
      owner: 'ann',
    });
    // Unsharing hides it from bob again.
    await req('PATCH', `/search/saved/${shared.id}`, ann, { visibility: 'private' });
    expect(await names(bob)).toEqual([]);
    await req('PATCH', `/search/saved/${shared.id}`, ann, { visibility: 'tenant' });
    expect((await req('DELETE', `/search/saved/${shared.id}`, ada)).statusCode).toBe(204);
    expect(await names(ann)).toEqual(['Mine']);
  });

  it("tenant isolation: another tenant's users (root admins included) never see, change or delete a search", async () => {
    const shared = (
      await req('POST', '/search/saved', ann, body('Acme team', { visibility: 'tenant' }))
    ).json();
    const priv = (await req('POST', '/search/saved', ann, body('Acme private'))).json();
    await req('POST', '/search/saved', carl, body('Beta team', { visibility: 'tenant' }));
    await req('POST', '/search/saved', root, body('Root team', { visibility: 'tenant' }));
    expect(await names(carl)).toEqual(['Beta team']);
    expect(await names(root)).toEqual(['Root team']);
    expect(await names(bob)).toEqual(['Acme team']);
    for (const who of [carl, root]) {
      for (const id of [shared.id, priv.id]) {
        expect((await req('GET', `/search/saved/${id}`, who)).statusCode).toBe(404);
        expect((await req('PATCH', `/search/saved/${id}`, who, { name: 'taken over' })).statusCode).toBe(404);
        expect((await req('DELETE', `/search/saved/${id}`, who)).statusCode).toBe(404);
      }
    }
    expect(await names(ann)).toEqual(['Acme private', 'Acme team']);
  });

  it('deleting a user deletes their searches (shared ones too) and history', async () => {
    await req('POST', '/search/saved', bob, body('Bob team', { visibility: 'tenant' }));
    await req('POST', '/search/history', bob, {
      query: 'openssl',
      timeRange: { kind: 'relative', last: '24h' },
    });
    expect(await names(ann)).toEqual(['Bob team']);
    expect((await req('DELETE', '/users/bob', root)).statusCode).toBe(204);
    expect(await names(ann)).toEqual([]);
    expect(env.store.searchHistory.list('bob')).toEqual([]);
  });

  it('needs a session; a cookie session needs the CSRF token to write', async () => {
    expect((await req('GET', '/search/saved', {})).statusCode).toBe(401);
    const login = await env.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'ann', password: 'ann-password-123' },
    });
    const { token, csrfToken } = login.json() as { token: string; csrfToken: string };
    const cookie = { cookie: `ic_session=${token}` };
    const without = await req('POST', '/search/saved', cookie, body('No token'));
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('ERR_CSRF');
    expect((await req('DELETE', '/search/history', cookie)).statusCode).toBe(403);
    expect(
      (await req('POST', '/search/saved', { ...cookie, 'x-csrf-token': csrfToken }, body('With token')))
        .statusCode,
    ).toBe(201);
    expect(await names(ann)).toEqual(['With token']);
  });
});

describe('search history', () => {
  const rel = (last: string) => ({ kind: 'relative', last });
  it('per user, newest first, distinct queries, validated, cleared by the user', async () => {
    const add = (h: H, payload: object) => req('POST', '/search/history', h, payload);
    expect(
      (await add(ann, { query: 'openssl', timeRange: rel('24h'), timeField: 'timestamp' })).statusCode,
    ).toBe(201);
    await add(ann, { query: 'zlib', timeRange: rel('7d') });
    await add(carl, { query: 'beta only', timeRange: rel('1h') });
    await add(ann, { query: 'openssl', timeRange: rel('30d') });
    const list = (h: H) =>
      req('GET', '/search/history', h).then((r) => r.json().history as { query: string }[]);
    const mine = await list(ann);
    expect(mine.map((e) => e.query)).toEqual(['openssl', 'zlib']);
    expect(mine[0]).toMatchObject({ timeRange: rel('30d') });
    expect((await list(carl)).map((e) => e.query)).toEqual(['beta only']);
    const bad = await add(ann, { query: 'x', timeRange: rel('1y') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0].field).toBe('timeRange.last');
    expect((await req('DELETE', '/search/history', ann)).statusCode).toBe(204);
    expect(await list(ann)).toEqual([]);
    expect(await list(carl)).toHaveLength(1);
  });
});

describe('OpenAPI', () => {
  it('documents the routes with their zod schemas', async () => {
    const doc = (await env.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths['/api/v1/search/saved']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/search/saved/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/api/v1/search/history']!).sort()).toEqual(['delete', 'get', 'post']);
    expect(JSON.stringify(doc.paths['/api/v1/search/saved']!.post!.requestBody)).toContain('visibility');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['SavedSearch', 'SavedTimeRange', 'SearchHistoryEntry']),
    );
  });
});
