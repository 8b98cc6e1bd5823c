/**
 * The server's searches run on search threads (src/store/sqlite/search-pool.ts): while one is slow,
 * /healthz and other requests are served, its budget answers 503 ERR_QUERY_TIMEOUT, and
 * stopping the server does not wait for it. "Slow" is made deterministic by the pool's test
 * hold (every search waits in its thread until released), so nothing here depends on timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { openStore } from '../store/index.js';
import { testRecord, withStates } from '../../test/support/records.js';
import { startServer, type RunningServer } from './server.js';
import { productionStoreTypes } from '../connectors/registry.js';

const PASSWORD = 'search-threads-Test-pass-7f3k9q';
let dir: string | undefined;
let server: RunningServer | undefined;
let release: (() => void) | undefined;
afterEach(async () => {
  release?.();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = server = release = undefined;
});

async function start(searchTimeoutMs: number): Promise<{ url: string; token: string }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-search-threads-'));
  const env = {
    INSPECTOR_CONNECTOR_ADMIN_PASSWORD: PASSWORD,
    INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 3).toString('base64'),
  };
  const seed = openStore({ connectorTypes: productionStoreTypes(), dataDir: dir, env });
  const c = seed.connectors.create({
    name: 'seed',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'seed-secret-1' },
  });
  const records = Array.from({ length: 20 }, (_, i) =>
    testRecord(
      { id: c.id, name: 'seed' },
      { _id: `r${i}`, timestamp: Date.UTC(2026, 0, 1) + i, event_name: 'aaaab' },
    ),
  );
  seed.commitPage(withStates({ connectorId: c.id, records, checkpoint: { n: 1 } }));
  seed.close();
  const hold = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(hold, 0, 1);
  release = () => {
    Atomics.store(hold, 0, 0);
    Atomics.notify(hold, 0);
  };
  server = await startServer({
    dataDir: dir,
    port: 0,
    host: '127.0.0.1',
    env,
    logger: silentLogger(),
    print: () => undefined,
    searchTimeoutMs,
    searchPool: { threads: 1, testHold: hold.buffer as SharedArrayBuffer },
  });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  return { url: server.url, token };
}

const searchUrl = (url: string) => `${url}/api/v1/search?q=${encodeURIComponent('*a*a*a*a*b')}`;

describe('searches on search threads (a real server)', () => {
  it('serves /healthz and other requests while a search is running, and stops without waiting for it', async () => {
    const { url, token } = await start(0);
    const auth = { authorization: `Bearer ${token}` };
    let searchDone = false;
    const slow = fetch(searchUrl(url), { headers: auth }).then(async (r) => {
      searchDone = true;
      return {
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        body: (await r.json()) as { error?: { code: string; message: string } },
      };
    });
    // Served while the search is held in its thread (the main thread is free).
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const connectors = await fetch(`${url}/api/v1/connectors`, { headers: auth });
    expect(connectors.status).toBe(200);
    expect(searchDone).toBe(false);
    // Stopping (what SIGTERM does) fails the running search at once instead of waiting for it.
    await server!.close();
    const r = await slow;
    expect(r.status).toBe(503);
    expect(r.body.error?.code).toBe('ERR_SEARCH_BUSY');
    // Retryable: when to come back, and the pool's own message (not the generic 5xx one).
    expect(r.retryAfter).toBe('2');
    expect(r.body.error?.message).toBe('the server is stopping');
  });

  it('answers 503 ERR_QUERY_TIMEOUT once a search runs past its budget, then serves the next', async () => {
    const { url, token } = await start(300);
    const auth = { authorization: `Bearer ${token}` };
    const r = await fetch(searchUrl(url), { headers: auth });
    expect(r.status).toBe(503);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_QUERY_TIMEOUT');
    expect(body.error.message).toMatch(/narrow the query or the time range/);
    release!();
    await server!.search.ready();
    const ok = await fetch(searchUrl(url), { headers: auth });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { total: number }).total).toBe(20);
  });
});
