/**
 * Test support for the API tests: a real store in a temp dir, the app, a recording scheduler
 * stand-in (tests that need real runs pass the real scheduler), and log-in helpers.
 * Not imported by production code (under test/: not in the build).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openStore, type Store } from '../../src/store/index.js';
import { usersRepo, type Role } from '../../src/auth/users.js';
import { ensureAdmin } from '../../src/auth/bootstrap.js';
import { buildApp, type AppDeps } from '../../src/api/app.js';
import type { SchedulerPort, TestConnectorFn } from '../../src/api/context.js';
import { productionRegistry, storeTypes } from '../../src/connectors/registry.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests-1';

export interface RecordingScheduler extends SchedulerPort {
  calls: { method: string; id: string; ok?: boolean }[];
  running: Set<string>;
}

export function recordingScheduler(): RecordingScheduler {
  const calls: RecordingScheduler['calls'] = [];
  const running = new Set<string>();
  return {
    calls,
    running,
    notifyChanged: (id) => void calls.push({ method: 'notifyChanged', id }),
    trigger: (id) => {
      calls.push({ method: 'trigger', id });
      return Promise.resolve();
    },
    isRunning: (id) => running.has(id),
    onTestResult: (id, ok) => void calls.push({ method: 'onTestResult', id, ok }),
    stopConnector: async (id) => {
      calls.push({ method: 'stopConnector', id });
      running.delete(id);
    },
  };
}

export interface TestEnv {
  dir: string;
  store: Store;
  app: FastifyInstance;
  scheduler: SchedulerPort;
  /** Every log line the app wrote (to search for secrets). */
  logs: string[];
  login(username?: string, password?: string): Promise<string>;
  /** Authorization header for a bearer token. */
  auth(token: string): { authorization: string };
  createUser(username: string, role: Role, tenantId: string, password?: string): Promise<void>;
  /** A request to `/api/v1{url}` with these headers (e.g. `auth(token)`) and JSON payload. */
  req(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers: object,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const notCalled: TestConnectorFn = () => {
  throw new Error('testConnector not expected in this test');
};

export async function testEnv(
  overrides: Partial<AppDeps> & { scheduler?: SchedulerPort; testConnector?: TestConnectorFn } = {},
): Promise<TestEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-api-'));
  // The connector types: the production ones unless the test registers its own (API and store alike).
  const registry = overrides.registry ?? productionRegistry();
  const store =
    overrides.store ??
    openStore({ connectorTypes: storeTypes(registry), dataDir: dir, key: randomBytes(32) });
  const logs: string[] = [];
  const logger = pino(
    {
      level: 'debug',
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[REDACTED]' },
    },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  const users = usersRepo(store, { now: () => Date.now() });
  await ensureAdmin(users, { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const scheduler = overrides.scheduler ?? recordingScheduler();
  const app = await buildApp({
    logger,
    env: {},
    // The port the API tests use for overrides that are never called (tests with a server pass theirs).
    allowedEndpointHosts: ['127.0.0.1:9'],
    webRoot: path.join(dir, 'no-web'),
    testConnector: notCalled,
    ...overrides,
    registry,
    store,
    scheduler,
  });
  await app.ready();
  const env: TestEnv = {
    dir,
    store,
    app,
    scheduler,
    logs,
    async login(username = 'admin', password = ADMIN_PASSWORD) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password },
      });
      if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
      return (r.json() as { token: string }).token;
    },
    auth: (token) => ({ authorization: `Bearer ${token}` }),
    async createUser(username, role, tenantId, password = `${username}-password-123`) {
      await users.create({ username, password, role, tenantId });
    },
    req: (method, url, headers, payload) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers: headers as Record<string, string>,
        ...(payload === undefined ? {} : { payload }),
      }),
    async close() {
      await app.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      // A store passed in by the test lives in its own temp dir.
      if (path.basename(store.dataDir).startsWith('ic-') && store.dataDir.startsWith(os.tmpdir())) {
        fs.rmSync(store.dataDir, { recursive: true, force: true });
      }
    },
  };
  return env;
}
