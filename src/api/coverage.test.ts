/**
 * GET /connectors/:id/coverage against the emulator over HTTP (the production connector type and
 * client): rows per account × region, paging and its bound, tenant authorization, coverage
 * records in the index (deduplicated on refresh) and the Prometheus gauges.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { testEnv, type TestEnv } from '../../test/support/api.js';
import { coverageRefreshMinutesFromEnv } from './coverage.js';

const READER = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ findings: 200, seed: 5, regions: ['us-east-1'] });
});
afterAll(async () => {
  await emu.close();
});

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** A connector reading the emulator, created through the API: its id. */
async function createConnector(h: { authorization: string }, name: string): Promise<string> {
  const created = await env!.app.inject({
    method: 'POST',
    url: '/api/v1/connectors',
    headers: h,
    payload: {
      name,
      region: 'us-east-1',
      auth: { method: 'access_key', ...READER },
      endpoints: { inspector2: emu.url, sts: emu.url },
    },
  });
  expect(created.statusCode).toBe(201);
  return (created.json() as { id: string }).id;
}

describe('GET /connectors/:id/coverage', () => {
  it('rows per account × region, paged; records stored once per change; gauges; other tenants get 404', async () => {
    env = await testEnv({ allowedEndpointHosts: [new URL(emu.url).host] });
    const h = env.auth(await env.login());
    const id = await createConnector(h, 'org');
    const url = `/api/v1/connectors/${id}/coverage`;

    const r = await env.app.inject({ method: 'GET', url, headers: h });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.notes).toEqual([]);
    expect(body.regions).toEqual([
      expect.objectContaining({ region: 'us-east-1', status: 'ok', accounts: 4 }),
    ]);
    expect(body.total).toBe(4);
    expect(body.rows.map((x: { accountId: string }) => x.accountId)).toContain('123456789012');
    expect(r.body).not.toContain(READER.secretAccessKey);
    const inIndex = () => env!.store.index.count({ q: 'msg_class:aws_inspector_coverage' });
    expect(inIndex()).toBe(4);

    const page = await env.app.inject({ method: 'GET', url: `${url}?limit=1&offset=3`, headers: h });
    expect(page.json().rows).toHaveLength(1);
    expect(page.json().generatedAt).toBe(body.generatedAt); // the cached snapshot

    // A refresh with nothing changed stores nothing new; one account disabled stores its row.
    await env.app.inject({ method: 'GET', url: `${url}?refresh=true`, headers: h });
    expect(inIndex()).toBe(4);
    await fetch(`${emu.url}/__emulator/accounts/444455556666/disable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ region: 'us-east-1' }),
    });
    const flagged = await env.app.inject({
      method: 'GET',
      url: `${url}?refresh=true&flagged=true`,
      headers: h,
    });
    expect(inIndex()).toBe(5);
    const f = flagged.json();
    const off = f.rows.find((x: { accountId: string }) => x.accountId === '444455556666');
    expect(off.flags.map((x: { code: string }) => x.code)).toContain('INSPECTOR_DISABLED');
    expect(f.rows.every((x: { flags: unknown[] }) => x.flags.length > 0)).toBe(true);
    expect(
      env.store.index.count({
        q: 'msg_class:aws_inspector_coverage AND aws_inspector_coverage.flagCodes:INSPECTOR_DISABLED',
      }),
    ).toBe(1);

    const m = await env.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toContain(
      `inspector_connector_coverage_accounts{connector="${id}",region="us-east-1",state="DISABLED"} 1`,
    );
    expect(m.body).toMatch(
      new RegExp(`inspector_connector_coverage_flagged\\{connector="${id}",code="INSPECTOR_DISABLED"\\} 1`),
    );
    expect(m.body).toMatch(
      new RegExp(
        `inspector_connector_coverage_resources\\{connector="${id}",region="us-east-1",status="covered"\\} \\d+`,
      ),
    );

    const bad = await env.app.inject({ method: 'GET', url: `${url}?limit=5000`, headers: h });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('limit must be at most 1000');

    const acme = env.store.tenants.create('Acme');
    await env.createUser('alice', 'tenant_admin', acme.id);
    const other = await env.app.inject({
      method: 'GET',
      url,
      headers: env.auth(await env.login('alice', 'alice-password-123')),
    });
    expect(other.statusCode).toBe(404);
  });

  it('refreshes active connectors in the background (records and gauges without a request)', async () => {
    env = await testEnv({ allowedEndpointHosts: [new URL(emu.url).host], coverageRefreshMs: 100 });
    const h = env.auth(await env.login());
    const id = await createConnector(h, 'bg');
    env.store.connectors.setActive(id, true);
    let n = 0;
    for (let i = 0; i < 100 && n === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      n = env.store.index.count({ q: 'msg_class:aws_inspector_coverage AND msg_origin.processor.name:bg' });
    }
    expect(n).toBe(4);
    const m = await env.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toContain(`inspector_connector_coverage_flagged{connector="${id}",code="any"}`);
  });

  it('the refresh period from the environment: minutes 0-1440, else a startup error naming the variable', () => {
    expect(coverageRefreshMinutesFromEnv({})).toBe(60);
    expect(coverageRefreshMinutesFromEnv({ INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES: '0' })).toBe(0);
    expect(() =>
      coverageRefreshMinutesFromEnv({ INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES: '2h' }),
    ).toThrow(
      'INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES must be a whole number of minutes from 0 (only on request) to 1440, got "2h"',
    );
  });
});
