/**
 * Managing tenants and users over the API (issue 15): edit role/tenant, disable, password reset,
 * delete with the last-admin rule; tenant rename (connectors and log filters follow) and delete
 * (refused while the tenant has connectors or users). Real store, real password hashing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../../test/support/api.js';
import type { Tenant } from '../store/index.js';

let env: TestEnv;
let root: { authorization: string };
let acme: Tenant;
beforeEach(async () => {
  env = await testEnv();
  root = env.auth(await env.login());
  acme = env.store.tenants.create('Acme');
});
afterEach(async () => {
  await env.close();
});

const req = (...a: Parameters<TestEnv['req']>) => env.req(...a);

const PW = 'Acme-user-Passw0rd!';
const canLogIn = async (username: string, password = PW) =>
  (await env.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } }))
    .statusCode === 200;

describe('users: edit, disable, password reset, delete', () => {
  it('changes role and tenant (sessions end), with the role/tenant rules', async () => {
    await env.createUser('ann', 'analyst', acme.id, PW);
    const ann = env.auth(await env.login('ann', PW));
    const r = await req('PATCH', '/users/ann', root, { role: 'tenant_admin' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      username: 'ann',
      role: 'tenant_admin',
      tenant: 'Acme',
      disabled: false,
    });
    // Her rights changed: the old session is gone.
    expect((await req('GET', '/auth/me', ann)).statusCode).toBe(401);
    expect((await req('PATCH', '/users/ann', root, { tenant: 'Root Tenant' })).json().tenant).toBe(
      'Root Tenant',
    );
    // A root admin belongs to the Root Tenant; an unknown tenant is named.
    await req('PATCH', '/users/ann', root, { tenant: 'Acme' });
    const bad = await req('PATCH', '/users/ann', root, { role: 'root_admin' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0]).toMatchObject({ field: 'tenant' });
    expect(
      (await req('PATCH', '/users/ann', root, { tenant: 'Nope' })).json().error.fields[0].message,
    ).toContain('tenant "Nope" does not exist');
    // A tenant admin: their tenant's users only, never root admins, never to another tenant.
    await env.createUser('bob', 'analyst', acme.id, PW);
    const ann2 = env.auth(await env.login('ann', PW));
    expect((await req('PATCH', '/users/bob', ann2, { role: 'tenant_admin' })).statusCode).toBe(200);
    expect((await req('PATCH', '/users/bob', ann2, { tenant: 'Root Tenant' })).statusCode).toBe(403);
    expect((await req('PATCH', '/users/admin', ann2, { disabled: true })).statusCode).toBe(404);
    expect((await req('PATCH', '/users/ann', root, { nope: 1 })).statusCode).toBe(400);
  });

  it('a disabled user cannot log in and loses their sessions; enabled again, the same password works', async () => {
    await env.createUser('ann', 'analyst', acme.id, PW);
    const ann = env.auth(await env.login('ann', PW));
    const off = await req('PATCH', '/users/ann', root, { disabled: true });
    expect(off.json()).toMatchObject({ disabled: true });
    expect((await req('GET', '/auth/me', ann)).statusCode).toBe(401);
    expect(await canLogIn('ann')).toBe(false);
    expect(
      (await req('GET', '/users', root)).json().users.find((u: { username: string }) => u.username === 'ann'),
    ).toMatchObject({ disabled: true });
    // A password reset keeps the user disabled.
    const NEW = 'Another-Acme-Passw0rd!';
    expect((await req('POST', '/users/ann/password', root, { password: NEW })).statusCode).toBe(204);
    expect(await canLogIn('ann', NEW)).toBe(false);
    expect((await req('PATCH', '/users/ann', root, { disabled: false })).json().disabled).toBe(false);
    expect(await canLogIn('ann', NEW)).toBe(true);
    expect(await canLogIn('ann', PW)).toBe(false);
  });

  it('password reset: the password rules apply, naming the field; sessions end', async () => {
    await env.createUser('ann', 'analyst', acme.id, PW);
    const ann = env.auth(await env.login('ann', PW));
    const weak = await req('POST', '/users/ann/password', root, { password: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.fields[0]).toMatchObject({ field: 'password' });
    expect((await req('GET', '/auth/me', ann)).statusCode).toBe(200);
    expect(
      (await req('POST', '/users/ann/password', root, { password: 'Brand-new-Acme-Passw0rd' })).statusCode,
    ).toBe(204);
    expect((await req('GET', '/auth/me', ann)).statusCode).toBe(401);
    expect(
      (await req('POST', '/users/nobody/password', root, { password: 'Brand-new-Acme-Passw0rd' })).statusCode,
    ).toBe(404);
  });

  it('never leaves the product without an enabled root admin', async () => {
    // Nobody disables, demotes or deletes themselves.
    expect((await req('PATCH', '/users/admin', root, { disabled: true })).statusCode).toBe(403);
    expect((await req('PATCH', '/users/admin', root, { role: 'analyst' })).statusCode).toBe(403);
    expect((await req('DELETE', '/users/admin', root)).statusCode).toBe(403);
    // Two root admins disabling each other at once: one of them stays enabled.
    await env.createUser('root2', 'root_admin', 'root', PW);
    const r2 = env.auth(await env.login('root2', PW));
    const [a, b] = await Promise.all([
      req('PATCH', '/users/root2', root, { disabled: true }),
      req('PATCH', '/users/admin', r2, { disabled: true }),
    ]);
    const enabledRoots = env.store.users.list().filter((u) => u.role === 'root_admin' && !u.disabled);
    expect(enabledRoots.length).toBe(1);
    expect([a.statusCode, b.statusCode]).toContain(200);
  });
});

describe('tenants: rename and delete', () => {
  const connector = (name: string, tenant: string) => ({
    name,
    tenant,
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
  });

  it('a rename carries over to the tenant’s connectors and log filters', async () => {
    const c = (await req('POST', '/connectors', root, connector('acme-inspector', 'Acme'))).json();
    const f = (
      await req('POST', '/log-filters', root, {
        name: 'acme-low',
        tenant: 'Acme',
        conditions: [{ field: 'severity', operator: 'equals', values: ['LOW'] }],
      })
    ).json();
    const r = await req('PATCH', `/tenants/${acme.id}`, root, { name: 'Acme Corp' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ id: acme.id, name: 'Acme Corp' });
    expect((await req('GET', `/connectors/${c.id}`, root)).json()).toMatchObject({
      tenant: 'Acme Corp',
      config: { tenant: 'Acme Corp' },
    });
    expect(env.store.connectors.getDecrypted(c.id)!.config.tenant).toBe('Acme Corp');
    expect(env.store.logFilters.get(f.id)).toMatchObject({ tenant: 'Acme Corp' });
    // Names stay unique; the Root Tenant keeps its name.
    const taken = await req('PATCH', `/tenants/${acme.id}`, root, { name: 'root tenant' });
    expect(taken.statusCode).toBe(400);
    expect(taken.json().error.fields[0]).toMatchObject({ field: 'name' });
    expect((await req('PATCH', '/tenants/root', root, { name: 'Main' })).statusCode).toBe(403);
    expect((await req('PATCH', '/tenants/nope', root, { name: 'Main' })).statusCode).toBe(404);
  });

  it('a delete is refused while the tenant has connectors or users (named); then its log filters go with it', async () => {
    const c = (await req('POST', '/connectors', root, connector('acme-inspector', 'Acme'))).json();
    await env.createUser('ann', 'analyst', acme.id, PW);
    const f = (
      await req('POST', '/log-filters', root, {
        name: 'acme-low',
        tenant: 'Acme',
        conditions: [{ field: 'severity', operator: 'equals', values: ['LOW'] }],
      })
    ).json();
    const held = await req('DELETE', `/tenants/${acme.id}`, root);
    expect(held.statusCode).toBe(409);
    expect(held.json().error.message).toBe(
      'tenant Acme still has connectors acme-inspector and users ann: delete or move them first',
    );
    expect((await req('DELETE', `/connectors/${c.id}`, root)).statusCode).toBe(204);
    expect((await req('DELETE', '/users/ann', root)).statusCode).toBe(204);
    expect((await req('DELETE', `/tenants/${acme.id}`, root)).statusCode).toBe(204);
    expect(env.store.tenants.get(acme.id)).toBeUndefined();
    expect(env.store.logFilters.get(f.id)).toBeUndefined();
    expect((await req('DELETE', '/tenants/root', root)).statusCode).toBe(403);
    // Only a root admin manages tenants.
    const other = env.store.tenants.create('Other');
    await env.createUser('ta', 'tenant_admin', other.id, PW);
    const ta = env.auth(await env.login('ta', PW));
    expect((await req('DELETE', `/tenants/${other.id}`, ta)).statusCode).toBe(403);
    expect((await req('PATCH', `/tenants/${other.id}`, ta, { name: 'x' })).statusCode).toBe(403);
  });
});
