/**
 * The Test endpoints and a full pull, against the real AWS emulator over HTTP: the same
 * check.ts, client and scheduler that `serve` runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startEmulator } from '../../emulator/index.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { testConnector } from '../connectors/aws-inspector/check.js';
import { createInspectorClient } from '../connectors/aws-inspector/client.js';
import { createScheduler, type Scheduler } from '../pipeline/scheduler.js';
import { openStore } from '../store/index.js';
import type { TestConnectorFn, TestResultPayload } from './context.js';
import { testEnv, type TestEnv } from './testing.js';

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

const realTest: TestConnectorFn = (cfg, connectorId) =>
  testConnector(cfg, { logger: silentLogger(), clock: systemClock, ...(connectorId ? { connectorId } : {}) });

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
    env = await testEnv({ testConnector: realTest });
    const h = env.auth(await env.login());
    const ok = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER),
    });
    expect(ok.statusCode).toBe(200);
    const r = ok.json() as TestResultPayload;
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
    const d = denied.json() as TestResultPayload;
    expect(d).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_PERMISSION' });
    expect(d.explanation).toMatch(/permission or scope/);
    expect(d.detail.length).toBeGreaterThan(0);
    for (const body of [ok.body, denied.body]) {
      expect(body).not.toContain(READER.secretAccessKey);
      expect(body).not.toContain(SOURCE.secretAccessKey);
    }
    expect(env.logs.join('')).not.toContain(SOURCE.secretAccessKey);
  });

  it('saved connector: a successful test clears a failed status; a failing one reports 401 for unknown keys', async () => {
    const store = openStore({ dataDir: mkdtempSync(join(tmpdir(), 'ic-test-')), key: randomBytes(32) });
    // The real scheduler (not started): its onTestResult is what clears the status.
    const scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      clientFactory: createInspectorClient,
    });
    env = await testEnv({ store, scheduler, testConnector: realTest });
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

  it('one test at a time: a concurrent test gets 409 ERR_TEST_RUNNING with a clear message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    // The real Test, held at its start until the second request has been answered.
    const held: TestConnectorFn = async (c, id) => {
      entered();
      await gate;
      return realTest(c, id);
    };
    env = await testEnv({ testConnector: held });
    const h = env.auth(await env.login());
    const first = env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER),
    });
    await started;
    const second = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER),
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('ERR_TEST_RUNNING');
    expect(second.json().error.message).toMatch(/only one test can run at a time/);
    release();
    expect((await first).json().ok).toBe(true);
    // The gate is free again.
    const third = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: h,
      payload: cfg(READER),
    });
    expect(third.statusCode).toBe(200);
  });

  it('secrets unreadable after serve --reset-secrets: Test answers ERR_SECRET_UNREADABLE; PATCH with new secrets repairs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-test-'));
    const before = openStore({ dataDir: dir, env: {} });
    const id = before.connectors.create(cfg(READER)).id;
    before.close();
    rmSync(join(dir, 'secret.key')); // the key is lost
    const store = openStore({ dataDir: dir, env: {}, verifyKey: true, resetSecrets: true });
    const scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      clientFactory: createInspectorClient,
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
    expect((test.json() as TestResultPayload).summary).toMatch(/re-enter the secret/);

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
    const store = openStore({ dataDir: mkdtempSync(join(tmpdir(), 'ic-pull-')), key: randomBytes(32) });
    const metrics = createMetrics(new Registry());
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      clientFactory: createInspectorClient,
      metrics,
    });
    scheduler.start();
    env = await testEnv({ store, scheduler, testConnector: realTest, metrics: metrics.registry });
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
