/**
 * Names over the API: connector and log-filter names are unique per tenant ignoring case, and a
 * tenant admin learns nothing about other tenants' names; blank names and secrets with control
 * characters are refused; a taken user name is only "not available".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tenant } from '../store/index.js';
import { testEnv, type TestEnv } from '../../test/support/api.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const config = (over: Record<string, unknown> = {}) => ({
  name: 'aws-inspector',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
  ...over,
});
const filter = (name: string, over: Record<string, unknown> = {}) => ({
  name,
  conditions: [{ field: 'severity', operator: 'lt', values: [30] }],
  ...over,
});

let env: TestEnv;
let root: Record<string, string>;
let alice: Record<string, string>;
let acme: Tenant;
beforeEach(async () => {
  env = await testEnv();
  root = env.auth(await env.login());
  acme = env.store.tenants.create('Acme');
  await env.createUser('alice', 'tenant_admin', acme.id);
  alice = env.auth(await env.login('alice', 'alice-password-123'));
});
afterEach(async () => {
  await env.close();
});

const req = (method: 'POST' | 'PATCH', url: string, headers: Record<string, string>, payload: unknown) =>
  env.app.inject({ method, url: `/api/v1${url}`, headers, payload: payload as object });

describe('connector names', () => {
  it('are unique per tenant ignoring case; another tenant may use the same name, and learns nothing', async () => {
    expect((await req('POST', '/connectors', root, config({ name: 'CONN-A' }))).statusCode).toBe(201);
    const lower = await req('POST', '/connectors', root, config({ name: 'conn-a' }));
    expect(lower.statusCode).toBe(400);
    expect(lower.json().error.fields).toEqual([
      {
        field: 'name',
        message:
          'a connector named "conn-a" already exists in tenant Root Tenant (names are compared ignoring case)',
      },
    ]);
    // Acme's admin: the Root Tenant's "CONN-A" neither blocks nor shows.
    const theirs = await req('POST', '/connectors', alice, config({ name: 'conn-a' }));
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json()).toMatchObject({ name: 'conn-a', tenant: 'Acme' });
    const again = await req('POST', '/connectors', alice, config({ name: 'Conn-A' }));
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('in tenant Acme');
    expect(again.body).not.toContain('Root Tenant');
  });

  it('a tenant given in another case is stored with its own spelling', async () => {
    const r = await req('POST', '/connectors', root, config({ tenant: 'ACME' }));
    expect(r.statusCode).toBe(201);
    expect(r.json().tenant).toBe('Acme');
  });

  it('a name of only spaces is refused, naming the field', async () => {
    const r = await req('POST', '/connectors', root, config({ name: '   ' }));
    expect(r.statusCode).toBe(400);
    expect(r.json().error.fields).toEqual([
      { field: 'name', message: 'name must not be blank (only spaces)' },
    ]);
  });

  it('a secret with control characters is refused (create, patch, unsaved Test), never echoed', async () => {
    const bad = 'wJalrXUtnFEMI/K7MDENG\n/bPxRfiCYEXAMPLEKEY';
    const create = await req(
      'POST',
      '/connectors',
      root,
      config({ auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: bad } }),
    );
    expect(create.statusCode).toBe(400);
    expect(create.json().error.fields).toEqual([
      {
        field: 'auth.secretAccessKey',
        message: 'Secret Key must not contain control characters (newline, tab, ...)',
      },
    ]);
    expect(create.body).not.toContain('bPxRfiCY');
    const c = (await req('POST', '/connectors', root, config())).json();
    const patch = await req('PATCH', `/connectors/${c.id}`, root, {
      auth: { secretAccessKey: 'tab\there-and-more' },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.fields[0].field).toBe('auth.secretAccessKey');
    expect(patch.body).not.toContain('here-and-more');
    const unsaved = await req(
      'POST',
      '/connectors/test',
      root,
      config({
        auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'del\u007f!' },
      }),
    );
    expect(unsaved.statusCode).toBe(400);
    expect(unsaved.json().error.fields[0].field).toBe('auth.secretAccessKey');
  });
});

describe('log filter names', () => {
  it('are unique per tenant ignoring case ("all tenants" is its own scope); blank names are refused', async () => {
    expect((await req('POST', '/log-filters', root, filter('Drop-Low'))).statusCode).toBe(201);
    const dupe = await req('POST', '/log-filters', root, filter('drop-low'));
    expect(dupe.statusCode).toBe(400);
    expect(dupe.json().error.fields).toEqual([
      {
        field: 'name',
        message:
          'a log filter named "drop-low" already exists for all tenants (names are compared ignoring case)',
      },
    ]);
    const rootTenant = await req('POST', '/log-filters', root, filter('DROP-LOW', { tenant: 'Root Tenant' }));
    expect(rootTenant.statusCode).toBe(201);
    // Acme's admin: Root Tenant's filter of that name neither blocks nor shows.
    const theirs = await req('POST', '/log-filters', alice, filter('drop-low'));
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().tenant).toBe('Acme');
    const again = await req('POST', '/log-filters', alice, filter('DROP-low'));
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('for tenant Acme');
    // Renaming into a taken name is refused too.
    const other = (await req('POST', '/log-filters', alice, filter('other'))).json();
    const rename = await req('PATCH', `/log-filters/${other.id}`, alice, { name: 'Drop-Low' });
    expect(rename.statusCode).toBe(400);
    expect(rename.json().error.fields[0].field).toBe('name');
    const blank = await req('POST', '/log-filters', root, filter('  '));
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error.fields).toEqual([
      { field: 'name', message: 'name must not be blank (only spaces)' },
    ]);
  });
});

describe('user names', () => {
  it("a name taken in another tenant is only 'not available' (nothing about that tenant or user)", async () => {
    await env.createUser('bob', 'analyst', 'root');
    const r = await req('POST', '/users', alice, {
      username: 'BOB',
      password: 'bob-password-12345',
      role: 'analyst',
    });
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toEqual({
      code: 'ERR_CONFLICT',
      message: 'the user name "BOB" is not available: choose another',
    });
    // Nothing beside that message (no tenant, role or other user's name elsewhere in the body).
    expect(Object.keys(r.json())).toEqual(['error']);
  });
});
