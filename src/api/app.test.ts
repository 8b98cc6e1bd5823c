import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { testEnv, type TestEnv } from '../../test/support/api.js';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('outside /api/v1', () => {
  it('GET /healthz needs no auth', async () => {
    env = await testEnv();
    const r = await env.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('GET /metrics serves the collector registry plus HTTP metrics; with a token configured it needs it', async () => {
    const registry = new Registry();
    new Counter({ name: 'inspector_connector_records_stored_total', help: 'x', registers: [registry] }).inc(
      3,
    );
    env = await testEnv({ metrics: registry });
    await env.app.inject({ method: 'GET', url: '/healthz' });
    const r = await env.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    expect(r.body).toContain('inspector_connector_records_stored_total 3');
    expect(r.body).toMatch(
      /inspector_connector_http_requests_total\{method="GET",route="\/healthz",status_code="200"\} 1/,
    );
    await env.close();

    env = await testEnv({ metricsToken: 'scrape-token-123' });
    expect((await env.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const wrong = await env.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await env.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-token-123' },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('serves the OpenAPI document generated from the zod schemas, and the docs UI', async () => {
    env = await testEnv();
    const r = await env.app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/v1/auth/login',
      '/api/v1/connectors',
      '/api/v1/connectors/{id}',
      '/api/v1/connectors/{id}/test',
      '/api/v1/profiles/{profile}/connectors/{id}',
      '/api/v1/log-filters/preview',
      '/api/v1/search',
    ]) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    // The connector body schema is the config schema: its fields and secret marks are there.
    const body = JSON.stringify(doc.paths['/api/v1/connectors']!.post!.requestBody);
    expect(body).toContain('intervalMinutes');
    expect(body).toContain('disableSslVerification');
    expect(body).toContain('roleArn');
    // Every $ref resolves to a component.
    const refs = [...r.body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toContain('Connector');
    const components = (r.json() as { components: { schemas: Record<string, unknown> } }).components.schemas;
    for (const ref of refs) expect(Object.keys(components), ref).toContain(ref);
    const ui = await env.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('sets security headers with a CSP that allows no inline script', async () => {
    env = await testEnv();
    const r = await env.app.inject({ method: 'GET', url: '/healthz' });
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the UI with SPA fallback for client routes; unknown API routes stay JSON 404s', async () => {
    env = await testEnv();
    const web = path.join(env.dir, 'web');
    fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
    fs.writeFileSync(
      path.join(web, 'index.html'),
      '<!doctype html><div id="root"></div><script type="module" src="/assets/app.js"></script>',
    );
    fs.writeFileSync(path.join(web, 'assets', 'app.js'), 'console.log(1)');
    await env.app.close();
    const withUi = await testEnv({ store: env.store, webRoot: web });
    try {
      const index = await withUi.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      expect(index.statusCode).toBe(200);
      expect(index.body).toContain('<div id="root">');
      const asset = await withUi.app.inject({ method: 'GET', url: '/assets/app.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      const deep = await withUi.app.inject({
        method: 'GET',
        url: '/connectors/abc',
        headers: { accept: 'text/html,*/*' },
      });
      expect(deep.statusCode).toBe(200);
      expect(deep.body).toContain('<div id="root">');
      const token = await withUi.login();
      const api404 = await withUi.app.inject({
        method: 'GET',
        url: '/api/v1/nothing',
        headers: { accept: 'text/html', ...withUi.auth(token) },
      });
      expect(api404.statusCode).toBe(404);
      expect(api404.json().error.code).toBe('ERR_NOT_FOUND_RESOURCE');
      const missingAsset = await withUi.app.inject({
        method: 'GET',
        url: '/assets/nope.js',
        headers: { accept: '*/*' },
      });
      expect(missingAsset.statusCode).toBe(404);
    } finally {
      await withUi.app.close();
    }
  });
});

describe('errors', () => {
  it('a 500 carries no stack, no internal message and no secret; the log has the detail without the secret', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    env = await testEnv({
      testConnector: async (cfg) => {
        throw new Error(`boom at /internal/path with ${(cfg.auth as { accessKeyId: string }).accessKeyId}`);
      },
    });
    const token = await env.login();
    const r = await env.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/test',
      headers: env.auth(token),
      payload: {
        name: 'x',
        region: 'us-east-1',
        auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret },
      },
    });
    expect(r.statusCode).toBe(500);
    expect(r.json()).toEqual({
      error: {
        code: 'ERR_INTERNAL',
        message: 'An unexpected error occurred inside inspector-connector. (see the server log)',
      },
    });
    expect(r.body).not.toContain('boom');
    expect(r.body).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const logs = env.logs.join('');
    expect(logs).toContain('connector test crashed: boom');
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});
