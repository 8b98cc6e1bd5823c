/**
 * The HTTP server: REST API under /api/v1 (docs/api.md), /healthz, /metrics, OpenAPI at /docs,
 * and the React UI from dist/web at /. `buildApp` takes every dependency; it opens nothing.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Counter, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import { CodedError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { inProcessSearch, searchTimeoutFromEnv, type SearchService, type Store } from '../store/index.js';

import { sessionsRepo, usersRepo, safeEqual } from '../auth/users.js';
import type { HashGate } from '../auth/password.js';
import { createTestGate, type ApiContext, type SchedulerPort, type TestConnectorFn } from './context.js';
import { errorHandler } from './errors.js';
import { QuietRequestLog } from './request-log.js';
import { ALLOWED_ENDPOINTS_ENV, parseAllowedEndpoints } from '../connectors/endpoints.js';
import { productionRegistry, type ConnectorRegistry } from '../connectors/registry.js';
import { authPlugin, type LoginRateLimit } from './auth.js';
import { usersPlugin } from './users.js';
import { tenantsPlugin } from './tenants.js';
import { connectorsPlugin } from './connectors.js';
import { coveragePlugin, coverageRefreshMinutesFromEnv } from './coverage.js';
import { profilesPlugin } from './profiles.js';
import { logFiltersPlugin } from './log-filters.js';
import { searchPlugin } from './search.js';
import { savedSearchesPlugin } from './saved-searches.js';
import { metaPlugin } from './meta.js';

export const METRICS_TOKEN_ENV = 'INSPECTOR_CONNECTOR_METRICS_TOKEN';
/**
 * Behind a TLS-terminating reverse proxy: which X-Forwarded-For/-Proto entries to trust. "1" (or
 * "true"): one proxy; "N": N proxies in a row; else a comma-separated list of the proxies'
 * addresses/CIDRs. See parseTrustProxy.
 */
export const TRUST_PROXY_ENV = 'INSPECTOR_CONNECTOR_TRUST_PROXY';

/** false: no proxy; a number: that many proxy hops; a list: the proxies' addresses/CIDRs. */
export type TrustProxy = false | number | readonly string[];

/** proxy-addr's names for address ranges (Fastify accepts them in the list). */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [ip, bits, extra] = entry.split('/');
  const family = net.isIP(ip ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Fastify's trustProxy for ours. Fastify 5 answers a bare number by trusting nothing, so hops
 * are a function: the socket peer is hop 0, then X-Forwarded-For from the right (proxy-addr).
 */
function fastifyTrustProxy(t: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (t === false) return false;
  if (typeof t === 'number') return (_address, hop) => hop < t;
  return [...t];
}

/**
 * INSPECTOR_CONNECTOR_TRUST_PROXY -> our TrustProxy. Never `true`: Fastify would take the
 * leftmost X-Forwarded-For entry, which the client writes itself. With N hops the client address
 * is the entry the outermost trusted proxy added (N-th from the right); with a list, the
 * rightmost entry not in it.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false') return false;
  if (v === 'true') return 1;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 16) {
      throw new CodedError('ERR_CONFIG_INVALID', `${TRUST_PROXY_ENV}=${v}: at most 16 proxy hops`);
    }
    return n;
  }
  const list = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = list.filter((x) => !validProxyEntry(x));
  if (bad.length > 0 || list.length === 0) {
    throw new CodedError(
      'ERR_CONFIG_INVALID',
      `${TRUST_PROXY_ENV}: ${bad.map((x) => JSON.stringify(x)).join(', ') || 'empty list'} is not allowed; ` +
        'use the number of reverse proxies in front (1 for one), or a comma-separated list of their ' +
        'addresses or CIDRs (e.g. 10.0.0.5,10.1.0.0/16; also loopback, linklocal, uniquelocal)',
    );
  }
  return list;
}

export interface AppDeps {
  store: Store;
  /**
   * Where searches run. The server passes its pool of search threads (store.searchService()); default:
   * in process on the store's connection, with the budget of INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS
   * enforced by the check functions only (tests).
   */
  search?: SearchService;
  /** Records per page of /search/export (default: EXPORT_PAGE in search.ts). */
  exportPageSize?: number;
  scheduler: SchedulerPort;
  testConnector: TestConnectorFn;
  /** The connector types (default: the production registry). */
  registry?: ConnectorRegistry;
  logger?: Logger;
  clock?: Clock;
  /** The collector's prom-client registry; HTTP metrics are added to it. */
  metrics?: Registry;
  /** `host` / `host:port` entries endpoint overrides may use; default from INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS. */
  allowedEndpointHosts?: readonly string[];
  /** When set, /metrics needs `Authorization: Bearer <token>`; default INSPECTOR_CONNECTOR_METRICS_TOKEN. */
  metricsToken?: string;
  /** The built UI (index.html + assets); default dist/web beside the package. */
  webRoot?: string;
  loginRateLimit?: LoginRateLimit;
  /** Bounds concurrent password hashing; default the process-wide gate (src/auth/password.ts). */
  hashGate?: HashGate;
  sessionTtlMs?: number;
  /** Environment for the defaults above (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Background coverage refresh period, ms (tests); default from INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES. */
  coverageRefreshMs?: number;
  bodyLimit?: number;
  /** The connector Test's time limit (default 30 s); after it the Test reports ERR_TEST_TIMEOUT. */
  testTimeoutMs?: number;
  /**
   * Trust X-Forwarded-* from these proxies (client address for rate limits, https for Secure
   * cookies); default from INSPECTOR_CONNECTOR_TRUST_PROXY. `true` means one proxy hop.
   */
  trustProxy?: TrustProxy | true;
}

export function defaultWebRoot(): string {
  // src/api/app.ts and dist/src/api/app.js both sit three levels below the package root... or two.
  for (const rel of ['../../dist/web', '../../../dist/web']) {
    const p = path.resolve(path.dirname(new URL(import.meta.url).pathname), rel);
    if (fs.existsSync(path.join(p, 'index.html'))) return p;
  }
  return path.resolve('dist/web');
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const env = deps.env ?? process.env;
  const logger = deps.logger ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? new Registry();
  const coverageRefreshMinutes = coverageRefreshMinutesFromEnv(env);
  const metricsToken = deps.metricsToken ?? env[METRICS_TOKEN_ENV] ?? undefined;
  const trustProxy =
    deps.trustProxy === true ? 1 : (deps.trustProxy ?? parseTrustProxy(env[TRUST_PROXY_ENV]));
  const ctx: ApiContext = {
    store: deps.store,
    search: deps.search ?? inProcessSearch(deps.store.index, searchTimeoutFromEnv(env)),
    ...(deps.exportPageSize !== undefined ? { exportPageSize: deps.exportPageSize } : {}),
    scheduler: deps.scheduler,
    testConnector: deps.testConnector,
    registry: deps.registry ?? productionRegistry(),
    users: usersRepo(deps.store, clock, deps.hashGate ? { hashGate: deps.hashGate } : {}),
    sessions: sessionsRepo(deps.store, clock, deps.sessionTtlMs),
    logger,
    clock,
    metrics,
    allowedEndpointHosts: deps.allowedEndpointHosts ?? parseAllowedEndpoints(env[ALLOWED_ENDPOINTS_ENV]),
    testGate: createTestGate(deps.testTimeoutMs),
  };

  const app = Fastify({
    loggerInstance: logger,
    // Routine GET polling at debug; writes, 4xx and errors still at info/error (request-log.ts).
    logController: new QuietRequestLog(),
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    trustProxy: fastifyTrustProxy(trustProxy),
    routerOptions: { maxParamLength: 256 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(logger));

  // ---- HTTP metrics (on the collector's registry, so /metrics shows both)
  const httpDuration = new Histogram({
    name: 'inspector_connector_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  const httpTotal = new Counter({
    name: 'inspector_connector_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [metrics],
  });
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    httpTotal.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        // The React bundle is external module scripts only; no inline script, no eval.
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'upgrade-insecure-requests': null,
      },
    },
    // Served over plain HTTP on 127.0.0.1 by default: HSTS would break that for the browser.
    strictTransportSecurity: false,
  });
  await app.register(fastifyRateLimit, { global: false });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'inspector-connector API',
        description: 'REST API of the inspector-connector Data Processor (see docs/api.md).',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'ic_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
    // Turns the schemas registered with an id (.meta({id})) into components the $refs point at.
    transformObject: jsonSchemaTransformObject,
  });
  // No staticCSP: the docs page lives under the same helmet CSP as everything else.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });

  app.get('/healthz', { schema: { hide: true } }, async () => {
    deps.store.ping();
    return { status: 'ok' };
  });

  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (metricsToken) {
      const h = req.headers.authorization ?? '';
      if (!safeEqual(h, `Bearer ${metricsToken}`)) {
        return reply.status(401).send({
          error: {
            code: 'ERR_UNAUTHENTICATED',
            message: `/metrics needs Authorization: Bearer <${METRICS_TOKEN_ENV}>`,
          },
        });
      }
    }
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });

  await app.register(
    async (api) => {
      await authPlugin(api, ctx, deps.loginRateLimit);
      usersPlugin(api, ctx);
      tenantsPlugin(api, ctx);
      connectorsPlugin(api, ctx);
      coveragePlugin(api, ctx, { refreshMs: deps.coverageRefreshMs ?? coverageRefreshMinutes * 60_000 });
      profilesPlugin(api, ctx);
      logFiltersPlugin(api, ctx);
      searchPlugin(api, ctx);
      savedSearchesPlugin(api, ctx);
      metaPlugin(api, ctx);
      api.setNotFoundHandler((req, reply) =>
        reply.status(404).send({
          error: {
            code: 'ERR_NOT_FOUND_RESOURCE',
            message: `no API route ${req.method} ${req.url.split('?')[0]}`,
          },
        }),
      );
    },
    { prefix: '/api/v1' },
  );

  // ---- the UI: static files, and index.html for client-side routes (SPA fallback)
  const webRoot = deps.webRoot ?? defaultWebRoot();
  const hasUi = fs.existsSync(path.join(webRoot, 'index.html'));
  if (hasUi) {
    await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((req, reply) => {
    const accept = req.headers.accept ?? '';
    if (hasUi && (req.method === 'GET' || req.method === 'HEAD') && accept.includes('text/html')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply.status(404).send({
      error: {
        code: 'ERR_NOT_FOUND_RESOURCE',
        message: hasUi
          ? `not found: ${req.url.split('?')[0]}`
          : 'not found (the UI is not built: run npm run build)',
      },
    });
  });

  return app as unknown as FastifyInstance;
}
