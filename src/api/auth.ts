/**
 * Sessions and the auth hook. A request is authenticated by `Authorization: Bearer <token>` or
 * the `ic_session` cookie; cookie-authenticated requests that change data must carry
 * `X-CSRF-Token` equal to the session's CSRF token (the cookie is sent by the browser on its
 * own; the header proves the page that sent it could read our API's answer).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, FieldsError, RetryLaterError } from '../core/errors.js';
import { safeEqual } from '../auth/users.js';
import { KNOWN_CLIENT_MS, LOGIN_LIMIT_DEFAULTS, knownClients, loginLimiter } from '../auth/limiter.js';
import { PASSWORD_MAX } from '../auth/password.js';
import { ROOT_TENANT } from '../store/index.js';
import { authOf, type ApiContext } from './context.js';
import { errorBody, sessionUser } from './schemas.js';

export const SESSION_COOKIE = 'ic_session';
/** A browser that logged in before (src/auth/limiter.ts, knownClients); not a credential. */
export const DEVICE_COOKIE = 'ic_device';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface LoginRateLimit {
  /** Failed log-ins / password checks per user name, from any address, before delays start (default 5). */
  max?: number;
  /** The first delay after those (default 15 s); it doubles with each further failure. */
  delayMs?: number;
  /** The longest delay (default 5 min). */
  maxDelayMs?: number;
  /** All log-in and password-change requests per client address per window (default 60). */
  perAddressMax?: number;
  /** The window of perAddressMax (default one minute). */
  timeWindowMs?: number;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw new CodedError('ERR_UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: req.protocol === 'https',
    expires: new Date(expiresAt),
  });
}

export async function authPlugin(
  app: FastifyInstance,
  ctx: ApiContext,
  limit?: LoginRateLimit,
): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // One limiter for log-in and for the current password of POST /auth/password: guesses at a
  // user's password add up whichever route they come through, from whatever address.
  const failures = loginLimiter({
    clock: ctx.clock,
    free: limit?.max ?? LOGIN_LIMIT_DEFAULTS.free,
    delayMs: limit?.delayMs ?? LOGIN_LIMIT_DEFAULTS.delayMs,
    maxDelayMs: limit?.maxDelayMs ?? LOGIN_LIMIT_DEFAULTS.maxDelayMs,
  });
  const clients = knownClients({ clock: ctx.clock });
  /**
   * Checks a password of `username` under the limiter; a refusal is a 429 with Retry-After. A
   * client that logged in as this user before (device cookie or address) has a key of its own,
   * so failures elsewhere cannot keep the user out; unknown clients share the user name's key.
   */
  const limitedCheck = async <T>(
    req: FastifyRequest,
    username: string,
    check: () => Promise<T | undefined>,
  ) => {
    const user = username.toLowerCase();
    const client = clients.lookup(user, req.cookies[DEVICE_COOKIE], req.ip);
    const key = client === undefined ? user : `${user}\u0000${client}`;
    const wait = failures.attempt(key);
    if (wait > 0) {
      throw new RetryLaterError(
        'ERR_RATE_LIMITED',
        `too many failed password attempts for this user name: try again in ${Math.ceil(wait / 1000)} seconds`,
        wait,
      );
    }
    let result: T | undefined;
    try {
      result = await check();
    } catch (e) {
      failures.release(key); // not judged (e.g. ERR_BUSY): does not count
      throw e;
    }
    if (result) failures.succeed(key);
    else failures.fail(key);
    return result;
  };
  /** After a successful log-in: this browser and address are known clients of the user from now on. */
  const rememberClient = (req: FastifyRequest, reply: FastifyReply, username: string) => {
    const token = clients.remember(username.toLowerCase(), req.cookies[DEVICE_COOKIE], req.ip);
    reply.setCookie(DEVICE_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/api/v1/auth',
      secure: req.protocol === 'https',
      maxAge: KNOWN_CLIENT_MS / 1000,
    });
  };
  const perAddress = (what: string) => ({
    max: limit?.perAddressMax ?? 60,
    timeWindow: limit?.timeWindowMs ?? 60_000,
    errorResponseBuilder: (_req: FastifyRequest, c: { after: string }) => ({
      statusCode: 429,
      message: `too many ${what} requests from this address: try again in ${c.after}`,
    }),
  });
  const tenantName = (id: string) => ctx.store.tenants.get(id)?.name ?? ROOT_TENANT.name;

  api.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    const fromHeader = bearer(req);
    const token = fromHeader ?? req.cookies[SESSION_COOKIE];
    if (!token)
      throw new CodedError('ERR_UNAUTHENTICATED', 'not logged in: log in at POST /api/v1/auth/login');
    const session = ctx.sessions.lookup(token);
    const user = session && ctx.users.get(session.userId);
    if (!session || !user)
      throw new CodedError('ERR_UNAUTHENTICATED', 'the session is invalid or has expired: log in again');
    const via = fromHeader ? 'bearer' : 'cookie';
    if (via === 'cookie' && MUTATING.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken)) {
        throw new CodedError(
          'ERR_CSRF',
          'missing or wrong X-CSRF-Token header (send the csrfToken from /auth/me)',
        );
      }
    }
    const tenant = ctx.store.tenants.get(user.tenantId) ?? ROOT_TENANT;
    req.auth = { user, tenant, token, csrfToken: session.csrfToken, via };
  });

  const userView = (u: {
    username: string;
    role: 'root_admin' | 'tenant_admin' | 'analyst';
    tenantId: string;
  }) => ({
    username: u.username,
    role: u.role,
    tenant: tenantName(u.tenantId),
  });

  api.post(
    '/auth/login',
    {
      config: {
        public: true,
        // A coarse cap per client address (each attempt costs a 32 MiB scrypt); failures per
        // user name are limited more tightly below.
        rateLimit: perAddress('log-in'),
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns a bearer token and sets the ic_session cookie',
        security: [],
        body: z
          .object({ username: z.string().min(1).max(128), password: z.string().min(1).max(PASSWORD_MAX) })
          .strict(),
        response: {
          200: z.object({
            token: z.string(),
            user: sessionUser,
            csrfToken: z.string(),
            expiresAt: z.number(),
          }),
          401: errorBody,
          429: errorBody,
          503: errorBody,
        },
      },
    },
    async (req, reply) => {
      // The token is in the body: no cache may keep it.
      reply.header('cache-control', 'no-store');
      const user = await limitedCheck(req, req.body.username, () =>
        ctx.users.authenticate(req.body.username, req.body.password),
      );
      if (!user) {
        ctx.logger.warn({ username: req.body.username, ip: req.ip }, 'failed log-in');
        throw new CodedError('ERR_UNAUTHENTICATED', 'wrong username or password');
      }
      rememberClient(req, reply, req.body.username);
      ctx.sessions.purgeExpired();
      const s = ctx.sessions.create(user.id);
      setSessionCookie(req, reply, s.token, s.expiresAt);
      return { token: s.token, user: userView(user), csrfToken: s.csrfToken, expiresAt: s.expiresAt };
    },
  );

  api.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The logged-in user and the CSRF token for cookie sessions',
        response: { 200: z.object({ user: sessionUser, csrfToken: z.string() }) },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      reply.header('cache-control', 'no-store'); // carries the CSRF token
      return { user: userView(a.user), csrfToken: a.csrfToken };
    },
  );

  api.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null() } } },
    async (req, reply) => {
      const a = authOf(req);
      ctx.sessions.delete(a.token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/auth/password',
    {
      config: { rateLimit: perAddress('password change') },
      schema: {
        tags: ['auth'],
        summary: "Change the logged-in user's password (ends all their sessions)",
        body: z
          .object({
            currentPassword: z.string().min(1).max(PASSWORD_MAX),
            newPassword: z.string().max(PASSWORD_MAX),
          })
          .strict(),
        response: { 204: z.null(), 400: errorBody, 401: errorBody, 429: errorBody, 503: errorBody },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      const { currentPassword, newPassword } = req.body;
      if (newPassword.normalize('NFKC') === currentPassword.normalize('NFKC')) {
        throw new FieldsError('ERR_VALIDATION', [
          { field: 'newPassword', message: 'newPassword must differ from the current password' },
        ]);
      }
      // Limited like log-in (same budget per user name), so a session cannot be used to guess.
      const ok = await limitedCheck(req, a.user.username, () =>
        ctx.users.authenticate(a.user.username, currentPassword),
      );
      if (!ok) throw new CodedError('ERR_UNAUTHENTICATED', 'the current password is wrong');
      // The rules (strength estimate: CPU) run in setPassword: only for a caller who knows the current password.
      await ctx.users.setPassword(a.user, newPassword, { field: 'newPassword' });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );
}
