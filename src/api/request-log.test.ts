/**
 * The request log through the real app and a captured logger: routine GET polling is debug, so
 * the console at the default `info` level shows only writes, 4xx answers and errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../../test/support/api.js';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

interface Line {
  level: number;
  msg: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
}
const DEBUG = 20;
const INFO = 30;

describe('request logging', () => {
  it('GET polling at debug; writes and 4xx at info with method, URL and status', async () => {
    env = await testEnv();
    const token = await env.login(); // POST /api/v1/auth/login
    for (let i = 0; i < 3; i++) {
      const r = await env.app.inject({ method: 'GET', url: '/api/v1/connectors', headers: env.auth(token) });
      expect(r.statusCode).toBe(200);
    }
    const missing = await env.app.inject({
      method: 'GET',
      url: '/api/v1/connectors/nope',
      headers: env.auth(token),
    });
    expect(missing.statusCode).toBe(404);

    const lines = env.logs.map((l) => JSON.parse(l) as Line);
    const requestLines = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    // At the default level (info) only these remain: the login and the 404.
    const visible = requestLines.filter((l) => l.level >= INFO);
    expect(visible.map((l) => [l.level, l.req?.method, l.req?.url, l.res?.statusCode])).toEqual([
      [INFO, 'POST', '/api/v1/auth/login', 200],
      [INFO, 'GET', '/api/v1/connectors/nope', 404],
    ]);
    // The polls are still there for LOG_LEVEL=debug: incoming + completed for each.
    const polls = requestLines.filter((l) => l.level === DEBUG && l.req?.url === '/api/v1/connectors');
    expect(polls.map((l) => [l.msg, l.res?.statusCode])).toEqual(
      Array.from({ length: 3 }, () => [
        ['incoming request', undefined],
        ['request completed', 200],
      ]).flat(),
    );
  });
});
