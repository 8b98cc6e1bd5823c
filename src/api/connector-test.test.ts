/**
 * The Test endpoints and a full pull, against the real AWS emulator over HTTP: the same
 * check.ts, client and scheduler that `serve` runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startEmulator } from '../../emulator/index.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { testConnector } from '../connectors/aws-inspector/check.js';
import type { ConnectorConfig } from '../connectors/aws-inspector/config.js';
import { createInspectorClient } from '../connectors/aws-inspector/client.js';
import { createScheduler, type Scheduler } from '../pipeline/scheduler.js';
import { openStore } from '../store/index.js';
import type { TestResult } from '../connectors/types.js';
import type { TestConnectorFn } from './context.js';
import { testEnv, type TestEnv } from '../../test/support/api.js';
import { productionStoreTypes } from '../connectors/registry.js';
import { awsRegistry } from '../../test/support/connectors/index.js';

const READER = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
/** Allowed to assume roles only: valid credentials without Inspector permission. */
const SOURCE = {
  accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
};

let emulator: { url: string; close(): Promise<void> | void };
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, fixtures: true, findings: 250 });
});
afterAll(async () => {
  await emulator.close();
});
/** The emulator's host:port, the only endpoint these tests allow. */
const allowed = () => [new URL(emulator.url).host];

const realTest: TestConnectorFn = (cfg, connectorId, o) =>
  testConnector(cfg as ConnectorConfig, {
    logger: silentLogger(),
    clock: systemClock,
    ...(connectorId ? { connectorId } : {}),
    ...(o?.signal ? { signal: o.signal } : {}),
  });

const cfg = (keys: typeof READER, over: Record<string, unknown> = {}) => ({
  name: 'emu-inspector',
  region: 'us-east-1',
  auth: { method: 'access_key', ...keys },
  endpoints: { inspector2: emulator.url, sts: emulator.url },
  ...over,
});

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('connector Test against the emulator', () => {
  it('unsaved config: success with the identity; 403 for keys without Inspector permission', async () => {
    env = await testEnv({ testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    const ok = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER),
    });
    expect(ok.statusCode).toBe(200);
    const r = ok.json() as TestResult;
    expect(r).toMatchObject({ ok: true, httpStatus: 200, code: 'OK' });
    expect(r.summary).toMatch(/^Success/);
    expect(r.identity).toMatchObject({ account: '123456789012' });

    const denied = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(SOURCE),
    });
    expect(denied.statusCode).toBe(200); // the result is the payload
    const d = denied.json() as TestResult;
    expect(d).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_PERMISSION' });
    expect(d.explanation).toMatch(/permission or scope/);
    expect(d.detail.length).toBeGreaterThan(0);
    for (const body of [ok.body, denied.body]) {
      expect(body).not.toContain(READER.secretAccessKey);
      expect(body).not.toContain(SOURCE.secretAccessKey);
    }
    expect(env.logs.join('')).not.toContain(SOURCE.secretAccessKey);
  });

  it('regions: an older region is read as regions everywhere (create, PATCH, GET); the Test answers a row per region', async () => {
    env = await testEnv({ testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    const created = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: cfg(READER),
    });
    expect(created.statusCode).toBe(201);
    const c = created.json();
    expect(c).toMatchObject({ regions: 'us-east-1', region: 'us-east-1' });
    expect(c.config.regions).toEqual(['us-east-1']);
    expect(c.config).not.toHaveProperty('region');
    const patch = (payload: Record<string, unknown>) =>
      env!.app.inject({ method: 'PATCH', url: `/api/v1/connectors/${c.id}`, headers: h, payload });
    const two = await patch({ regions: ['eu-west-1', 'us-east-1'] });
    expect(two.json()).toMatchObject({
      regions: 'eu-west-1, us-east-1',
      config: { regions: ['eu-west-1', 'us-east-1'] },
    });
    // An older client's PATCH of region replaces the list.
    const back = await patch({ region: 'us-east-1' });
    expect(back.statusCode).toBe(200);
    expect(back.json().config.regions).toEqual(['us-east-1']);
    const both = await patch({ region: 'us-east-1', regions: ['us-east-1'] });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.fields).toEqual([
      { field: 'region', message: expect.stringMatching(/not both/) },
    ]);
    const mixed = await patch({ regions: ['us-east-1', 'cn-north-1'] });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.fields[0].field).toBe('regions');

    // The emulator runs Inspector2 in us-east-1 only: eu-west-1 has no such endpoint there.
    const t = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER, { region: undefined, regions: ['us-east-1', 'eu-west-1'] }),
    });
    expect(t.statusCode).toBe(200);
    const r = t.json() as TestResult;
    expect(r.ok).toBe(false);
    expect(r.parts?.map((p) => [p.part, p.ok, p.status])).toEqual([
      ['us-east-1', true, 'ok'],
      ['eu-west-1', false, 'failed'],
    ]);
    expect(r.parts![1]!.httpStatus).toBe(r.httpStatus);
    expect(t.body).not.toContain(READER.secretAccessKey);
  });

  it('saved connector: a successful test clears a failed status; a failing one reports 401 for unknown keys', async () => {
    const store = openStore({
      connectorTypes: productionStoreTypes(),
      dataDir: mkdtempSync(join(tmpdir(), 'ic-test-')),
      key: randomBytes(32),
    });
    // The real scheduler (not started): its onTestResult is what clears the status.
    const scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(createInspectorClient),
    });
    env = await testEnv({ store, scheduler, testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    const c = (
      await env.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: h, payload: cfg(READER) })
    ).json();
    env.store.connectors.setStatus(c.id, {
      state: 'failed',
      lastError: { code: 'ERR_NETWORK', message: 'down', at: 1 },
    });
    expect(
      (await env.app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}`, headers: h })).json().status
        .state,
    ).toBe('failed');
    const r = await env.app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/test`, headers: h });
    expect(r.statusCode).toBe(200);
    expect(r.json().ok).toBe(true);
    const after = (
      await env.app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}`, headers: h })
    ).json();
    expect(after.status.state).toBe('ok');
    expect(after.status.lastError).toBeUndefined();

    const bad = await env.app.inject({
      method: 'PATCH',
      url: `/api/v1/connectors/${c.id}`,
      headers: h,
      payload: { auth: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'nope-nope-nope' } },
    });
    expect(bad.statusCode).toBe(200);
    const t = await env.app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/test`, headers: h });
    expect(t.json()).toMatchObject({ ok: false, httpStatus: 401, code: 'ERR_AUTH_INVALID' });
    expect(t.body).not.toContain('nope-nope-nope');
    expect(t.body).not.toContain('AKIAUNKNOWNKEY000000');
  });

  it("Edit's Test: a body tests the edited configuration with the stored secrets, saves nothing, leaves the status", async () => {
    env = await testEnv({ testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    const c = (
      await env.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: h, payload: cfg(READER) })
    ).json();
    const test = (payload: object) =>
      env!.app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/test`, headers: h, payload });
    // Another key ID with the secret left blank: the stored secret goes with the new ID -> 401.
    const edited = await test({
      auth: { method: 'access_key', accessKeyId: SOURCE.accessKeyId, secretAccessKey: '' },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ ok: false, httpStatus: 401, code: 'ERR_AUTH_INVALID' });
    expect(edited.body).not.toContain(READER.secretAccessKey);
    // Both keys of the source user: authenticated, but no Inspector permission -> 403.
    expect((await test({ auth: { method: 'access_key', ...SOURCE } })).json()).toMatchObject({
      ok: false,
      httpStatus: 403,
    });
    // The secret kept as "********" with the stored ID: the saved keys, which work.
    expect((await test({ auth: { secretAccessKey: '********' }, intervalMinutes: 10 })).json().ok).toBe(true);
    // Nothing was saved and the status was not touched by the failures.
    const after = env.store.connectors.getDecrypted(c.id)!;
    expect(after.config.auth).toMatchObject(READER);
    expect(after.config.intervalMinutes).toBe(5);
    expect(after.status.state).toBe('never_run');
    // An edit the server refuses is a 400 naming the field; a General field cannot change.
    const bad = await test({ endpoints: { inspector2: 'https://inspector2.attacker.example' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0]).toMatchObject({ field: 'endpoints.inspector2' });
    const renamed = await test({ name: 'other-name' });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error.fields[0]).toMatchObject({ field: 'name' });
    expect((await test({ intervalMinutes: 0 })).statusCode).toBe(400);
  });

  it('validate: a disallowed endpoint host in a partial configuration is named on its field, an allowed one passes', async () => {
    env = await testEnv({ testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    const validate = (payload: object) =>
      env!.app.inject({ method: 'POST', url: '/api/v1/connectors/validate', headers: h, payload });
    const bad = await validate({ endpoints: { sts: emulator.url, inspector2: 'https://evil.example:8443' } });
    expect(bad.statusCode).toBe(200);
    expect(bad.json().fields).toEqual([
      { field: 'endpoints.inspector2', message: expect.stringContaining('evil.example:8443 is not allowed') },
    ]);
    expect((await validate({ endpoints: { inspector2: emulator.url } })).json()).toEqual({ fields: [] });
    expect((await validate({ type: 'ndjson' })).statusCode).toBe(400);
    // ${ENV:NAME} is for config files only.
    expect(
      (await validate({ auth: { method: 'access_key', secretAccessKey: '${ENV:HOME}' } })).json().fields[0],
    ).toMatchObject({ field: 'auth.secretAccessKey' });
    // Analysts cannot configure connectors.
    await env.createUser('ann', 'analyst', 'root', 'ann-Analyst-Passw0rd!');
    const ann = env.auth(await env.login('ann', 'ann-Analyst-Passw0rd!'));
    expect(
      (
        await env.app.inject({
          method: 'POST',
          url: '/api/v1/connectors/validate',
          headers: ann,
          payload: {},
        })
      ).statusCode,
    ).toBe(403);
  });

  it('one test at a time per connector: two connectors (of two tenants) test at once; a second test of one gets 409', async () => {
    const gates = new Map<string, () => void>();
    const entered: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let arrived: () => void = () => {};
    // Each Test is held at its start until the test releases it by its key.
    const held: TestConnectorFn = async (c, id) => {
      const key = id ?? `unsaved:${c.name}`;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      entered.push(key);
      arrived();
      await new Promise<void>((r) => gates.set(key, r));
      inFlight--;
      return {
        ok: true,
        httpStatus: 200,
        code: 'OK',
        summary: key,
        explanation: '',
        recommendation: '',
        detail: '',
        warnings: [],
      };
    };
    const until = async (n: number) => {
      for (let i = 0; i < 100 && entered.length < n; i++) await new Promise<void>((r) => (arrived = r));
      expect(entered.length).toBe(n);
    };
    env = await testEnv({ testConnector: held, allowedEndpointHosts: allowed() });
    const rootH = env.auth(await env.login());
    const acme = env.store.tenants.create('acme');
    await env.createUser('acme-admin', 'tenant_admin', acme.id);
    const acmeH = env.auth(await env.login('acme-admin', 'acme-admin-password-123'));
    const a = env.store.connectors.create(cfg(READER, { name: 'root-conn' }));
    const b = env.store.connectors.create(cfg(READER, { name: 'acme-conn', tenant: 'acme' }));
    const test = (id: string, h: object) =>
      env!.app.inject({
        method: 'POST',
        url: `/api/v1/connectors/${id}/test`,
        headers: h as Record<string, string>,
      });

    const firstA = test(a.id, rootH);
    await until(1);
    const firstB = test(b.id, acmeH); // another tenant's Test is not blocked by A's
    await until(2);
    expect(maxInFlight).toBe(2);
    const secondA = await test(a.id, rootH);
    expect(secondA.statusCode).toBe(409);
    expect(secondA.json().error.code).toBe('ERR_TEST_RUNNING');
    expect(secondA.json().error.message).toMatch(/test of this connector is already running/);
    gates.get(a.id)!();
    gates.get(b.id)!();
    expect((await firstA).json()).toMatchObject({ ok: true, summary: a.id });
    expect((await firstB).json()).toMatchObject({ ok: true, summary: b.id });
    // A's slot is free again.
    const thirdA = test(a.id, rootH);
    await until(3);
    gates.get(a.id)!();
    expect((await thirdA).statusCode).toBe(200);

    // Unsaved configurations: one at a time per user.
    const unsaved = (h: object, name: string) =>
      env!.app.inject({
        method: 'POST',
        url: '/api/v1/connectors/test',
        headers: h as Record<string, string>,
        payload: cfg(READER, { name, ...(h === acmeH ? { tenant: 'acme' } : {}) }),
      });
    const u1 = unsaved(rootH, 'u1');
    await until(4);
    const u2 = await unsaved(rootH, 'u2');
    expect(u2.statusCode).toBe(409);
    expect(u2.json().error.message).toMatch(/previous test of an unsaved configuration is still running/);
    const u3 = unsaved(acmeH, 'u3'); // another user
    await until(5);
    expect(maxInFlight).toBe(2);
    gates.get('unsaved:u1')!();
    gates.get('unsaved:u3')!();
    expect((await u1).statusCode).toBe(200);
    expect((await u3).statusCode).toBe(200);
  });

  it('a saved connector is tested as stored: the API never resolves ${ENV:NAME} from the server environment', async () => {
    env = await testEnv({ testConnector: realTest, allowedEndpointHosts: allowed() });
    const h = env.auth(await env.login());
    // Not storable through the API (refused there); written to the store directly.
    const c = env.store.connectors.create(
      cfg({ accessKeyId: READER.accessKeyId, secretAccessKey: '${ENV:IC_REVIEW_SERVER_SECRET}' }),
    );
    process.env.IC_REVIEW_SERVER_SECRET = READER.secretAccessKey;
    try {
      const r = await env.app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/test`, headers: h });
      expect(r.statusCode).toBe(200);
      // The literal text is the key: the emulator refuses it (with the variable's value it would pass).
      expect(r.json()).toMatchObject({ ok: false });
      expect(r.json().code).not.toBe('ERR_CONFIG_INVALID');
    } finally {
      delete process.env.IC_REVIEW_SERVER_SECRET;
    }
  });

  it('a Test against a tarpit (accepts, never answers) reports ERR_TEST_TIMEOUT at its time limit and frees the slot', async () => {
    const sockets = new Set<Socket>();
    const tarpit = createServer((sock) => {
      sockets.add(sock);
      sock.resume(); // reads (and so sees the client close), never answers
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(tarpit.address() as AddressInfo).port}`;
    try {
      env = await testEnv({
        testConnector: realTest,
        testTimeoutMs: 300,
        allowedEndpointHosts: [new URL(url).host],
      });
      const h = env.auth(await env.login());
      const c = env.store.connectors.create(cfg(READER, { endpoints: { inspector2: url, sts: url } }));
      for (let i = 0; i < 2; i++) {
        // The second Test of the same connector is not 409: the timed-out one freed the slot.
        const r = await env.app.inject({
          method: 'POST',
          url: `/api/v1/connectors/${c.id}/test`,
          headers: h,
        });
        expect(r.statusCode).toBe(200);
        const t = r.json() as TestResult;
        expect(t).toMatchObject({ ok: false, httpStatus: 504, code: 'ERR_TEST_TIMEOUT' });
        expect(t.summary).toBe('504 Gateway Timeout: the test did not finish within 300 ms and was stopped');
        expect(t.detail).toMatch(
          /^the test did not finish within 300 ms and was stopped\nThe connector test was stopped/,
        );
        expect(t.recommendation.length).toBeGreaterThan(0);
      }
      // The stopped Test closed its connections (the abort reaches the sockets).
      for (let i = 0; i < 200 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(sockets.size).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tarpit.close(() => r()));
    }
  });

  it('secrets unreadable after serve --reset-secrets: Test answers ERR_SECRET_UNREADABLE; PATCH with new secrets repairs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-test-'));
    const before = openStore({ connectorTypes: productionStoreTypes(), dataDir: dir, env: {} });
    const id = before.connectors.create(cfg(READER)).id;
    before.close();
    rmSync(join(dir, 'secret.key')); // the key is lost
    const store = openStore({
      connectorTypes: productionStoreTypes(),
      dataDir: dir,
      env: {},
      verifyKey: true,
      resetSecrets: true,
    });
    const scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(createInspectorClient),
    });
    env = await testEnv({ store, scheduler, testConnector: realTest });
    const h = env.auth(await env.login());
    const shown = (
      await env.app.inject({ method: 'GET', url: `/api/v1/connectors/${id}`, headers: h })
    ).json();
    expect(shown.status).toMatchObject({ state: 'failed', lastError: { code: 'ERR_SECRET_UNREADABLE' } });

    const test = await env.app.inject({ method: 'POST', url: `/api/v1/connectors/${id}/test`, headers: h });
    expect(test.statusCode).toBe(200);
    expect(test.json()).toMatchObject({ ok: false, code: 'ERR_SECRET_UNREADABLE', httpStatus: 400 });
    expect((test.json() as TestResult).summary).toMatch(/re-enter the secret/);

    const partial = await env.app.inject({
      method: 'PATCH',
      url: `/api/v1/connectors/${id}`,
      headers: h,
      payload: { intervalMinutes: 30 },
    });
    expect(partial.statusCode).toBe(400);
    expect(partial.json().error).toMatchObject({
      code: 'ERR_SECRET_UNREADABLE',
      fields: [{ field: 'auth.accessKeyId' }, { field: 'auth.secretAccessKey' }],
    });

    const repaired = await env.app.inject({
      method: 'PATCH',
      url: `/api/v1/connectors/${id}`,
      headers: h,
      payload: { auth: { method: 'access_key', ...READER } },
    });
    expect(repaired.statusCode).toBe(200);
    expect(repaired.body).not.toContain(READER.secretAccessKey);
    const ok = await env.app.inject({ method: 'POST', url: `/api/v1/connectors/${id}/test`, headers: h });
    expect(ok.json()).toMatchObject({ ok: true, code: 'OK' });
    // The successful Test of the failed connector clears its status (scheduler.onTestResult).
    expect(store.connectors.get(id)!.status.state).toBe('ok');
  });
});

describe('full pull through the API with the real scheduler', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  it('joining Default triggers the first pull; the records are searchable; Test is OK; delete stops it', async () => {
    const store = openStore({
      connectorTypes: productionStoreTypes(),
      dataDir: mkdtempSync(join(tmpdir(), 'ic-pull-')),
      key: randomBytes(32),
    });
    const metrics = createMetrics(new Registry());
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(createInspectorClient),
      metrics,
    });
    scheduler.start();
    env = await testEnv({
      store,
      scheduler,
      testConnector: realTest,
      metrics: metrics.registry,
      allowedEndpointHosts: allowed(),
    });
    const h = env.auth(await env.login());
    const c = (
      await env.app.inject({
        method: 'POST',
        url: '/api/v1/connectors',
        headers: h,
        payload: cfg(READER, { initialLookbackDays: 3650 }),
      })
    ).json();
    expect(scheduler.isRunning(c.id)).toBe(false); // not in a profile yet
    const put = await env.app.inject({
      method: 'PUT',
      url: `/api/v1/profiles/default/connectors/${c.id}`,
      headers: h,
    });
    expect(put.statusCode).toBe(200);
    expect(scheduler.isRunning(c.id)).toBe(true); // pulled at once
    const outcome = await scheduler.trigger(c.id); // the run in progress
    expect(outcome.status).toBe('ok');
    expect(outcome.stored).toBeGreaterThan(0);

    const s = await env.app.inject({
      method: 'GET',
      url: `/api/v1/search?q=${encodeURIComponent('msg_class:aws_inspector_finding')}&limit=5`,
      headers: h,
    });
    expect(s.statusCode).toBe(200);
    expect(s.json().total).toBe(outcome.stored);
    const got = await env.app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}`, headers: h });
    expect(got.json().status.state).toBe('ok');
    expect(got.json().counts.stored).toBe(outcome.stored);
    const m = await env.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toMatch(
      new RegExp(`inspector_connector_records_stored_total\\{connector="${c.id}"\\} ${outcome.stored}`),
    );

    expect(
      (await env.app.inject({ method: 'DELETE', url: `/api/v1/connectors/${c.id}`, headers: h })).statusCode,
    ).toBe(204);
    expect(scheduler.isRunning(c.id)).toBe(false);
    expect(scheduler.nextRunAt(c.id)).toBeUndefined();
  });
});
