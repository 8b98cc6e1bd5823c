/**
 * A stored endpoint override is checked against INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS at every
 * Test and every run of `serve`, not only when the connector was written: a server started
 * without the variable (or allowing the host on another port) sends nothing there.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { startServer, type RunningServer } from './server.js';

/** Counts requests; answers 400 (not retried: any answer will do, the point is whether one arrives). */
let hits = 0;
let target: http.Server;
let port = 0;
beforeAll(async () => {
  target = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  port = (target.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => target.close(() => r()));
});

let server: RunningServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const PASSWORD = 'guard-admin-password-1';

async function start(allowed: string | undefined): Promise<RunningServer> {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'ic-guard-'));
  const env: NodeJS.ProcessEnv = { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: PASSWORD };
  if (allowed !== undefined) env.INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS = allowed;
  server = await startServer({
    dataDir: dir,
    port: 0,
    host: '127.0.0.1',
    env,
    logger: silentLogger(),
    print: () => {},
  });
  return server;
}

/** A connector stored earlier (when the server allowed its endpoint), in no profile. */
function storedConnector(s: RunningServer): string {
  return s.store.connectors.create(
    {
      name: 'stored-override',
      region: 'us-east-1',
      auth: {
        method: 'access_key',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      endpoints: { inspector2: `http://127.0.0.1:${port}`, sts: `http://127.0.0.1:${port}` },
    },
    { active: true },
  ).id;
}

async function apiTest(s: RunningServer, id: string) {
  const login = await s.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: PASSWORD },
  });
  const token = (login.json() as { token: string }).token;
  const r = await s.app.inject({
    method: 'POST',
    url: `/api/v1/connectors/${id}/test`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(r.statusCode).toBe(200);
  return r.json() as { ok: boolean; code: string; summary: string; detail: string };
}

describe('endpoint overrides are checked at every Test and run', () => {
  const cases: [string, () => string | undefined][] = [
    ['without the variable', () => undefined],
    ['with the host allowed on its default port only', () => '127.0.0.1'],
    ['with another port of the host allowed', () => `127.0.0.1:${port + 1}`],
  ];
  for (const [label, allowed] of cases) {
    it(`${label}: the Test and a run fail with ERR_ENDPOINT_NOT_ALLOWED; nothing is sent`, async () => {
      const s = await start(allowed());
      const id = storedConnector(s);
      hits = 0;
      const t = await apiTest(s, id);
      expect(t).toMatchObject({ ok: false, code: 'ERR_ENDPOINT_NOT_ALLOWED' });
      expect(t.summary).toMatch(/endpoints\.inspector2: 127\.0\.0\.1:\d+ is not allowed/);
      expect(t.summary).toContain('INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS');
      const run = await s.scheduler.trigger(id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ code: 'ERR_ENDPOINT_NOT_ALLOWED' });
      expect(run.error!.message).toMatch(/endpoints\.inspector2: .*INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS/);
      expect(s.store.connectors.get(id)!.status).toMatchObject({
        state: 'failed',
        lastError: { code: 'ERR_ENDPOINT_NOT_ALLOWED' },
      });
      expect(hits).toBe(0);
    });
  }

  it('with host:port allowed, the Test and a run do reach the endpoint', async () => {
    const s = await start(`127.0.0.1:${port}`);
    const id = storedConnector(s);
    hits = 0;
    const t = await apiTest(s, id);
    expect(t.code).not.toBe('ERR_ENDPOINT_NOT_ALLOWED');
    const afterTest = hits;
    expect(afterTest).toBeGreaterThan(0);
    const run = await s.scheduler.trigger(id);
    expect(run.error?.code).not.toBe('ERR_ENDPOINT_NOT_ALLOWED');
    expect(hits).toBeGreaterThan(afterTest);
  });
});
