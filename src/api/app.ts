/**
 * The HTTP server: REST API under /api/v1 (docs/api.md), /healthz, /metrics, OpenAPI at /docs,
 * and the React UI from dist/web at /. `buildApp` takes every dependency; it opens nothing.
 */
import fs from 'node:fs';
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
import { silentLogger, type Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import { inProcessSearch, searchTimeoutFromEnv, type SearchService } from '../store/search-pool.js';
import { sessionsRepo, usersRepo, safeEqual } from '../auth/users.js';
import { createTestGate, type ApiContext, type SchedulerPort, type TestConnectorFn } from './context.js';
import { errorHandler } from './errors.js';
import { authPlugin, type LoginRateLimit } from './auth.js';
import { usersPlugin } from './users.js';
import { tenantsPlugin } from './tenants.js';
import { connectorsPlugin } from './connectors.js';
import { profilesPlugin } from './profiles.js';
import { logFiltersPlugin } from './log-filters.js';
import { searchPlugin } from './search.js';
import { metaPlugin } from './meta.js';

export const ALLOWED_ENDPOINTS_ENV = 'INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS';
export const METRICS_TOKEN_ENV = 'INSPECTOR_CONNECTOR_METRICS_TOKEN';
/** "1"/"true": behind a TLS-terminating reverse proxy (X-Forwarded-Proto/-For are trusted). */
export const TRUST_PROXY_ENV = 'INSPECTOR_CONNECTOR_TRUST_PROXY';

export interface AppDeps {
  store: Store;
  /**
   * Where searches run. The server passes its pool of search threads (search-pool.ts); default:
   * in process on the store's connection, with the budget of INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS
   * enforced by the check functions only (tests).
   */
  search?: SearchService;
  scheduler: SchedulerPort;
  testConnector: TestConnectorFn;
  logger?: Logger;
  clock?: Clock;
  /** The collector's prom-client registry; HTTP metrics are added to it. */
  metrics?: Registry;
  /** Hosts endpoint overrides may use; default from INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS. */
  allowedEndpointHosts?: readonly string[];
  /** When set, /metrics needs `Authorization: Bearer <token>`; default INSPECTOR_CONNECTOR_METRICS_TOKEN. */
  metricsToken?: string;
  /** The built UI (index.html + assets); default dist/web beside the package. */
  webRoot?: string;
  loginRateLimit?: LoginRateLimit;
  sessionTtlMs?: number;
  /** Environment for the defaults above (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  bodyLimit?: number;
  /** Trust X-Forwarded-* (client address for rate limits, https for Secure cookies); default from INSPECTOR_CONNECTOR_TRUST_PROXY. */
  trustProxy?: boolean;
}

export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
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
  const metricsToken = deps.metricsToken ?? env[METRICS_TOKEN_ENV] ?? undefined;
  const ctx: ApiContext = {
    store: deps.store,
    search: deps.search ?? inProcessSearch(deps.store.index, searchTimeoutFromEnv(env)),
    scheduler: deps.scheduler,
    testConnector: deps.testConnector,
    users: usersRepo(deps.store.db, clock),
    sessions: sessionsRepo(deps.store.db, clock, deps.sessionTtlMs),
    logger,
    clock,
    metrics,
    allowedEndpointHosts: deps.allowedEndpointHosts ?? parseAllowedHosts(env[ALLOWED_ENDPOINTS_ENV]),
    testGate: createTestGate(),
  };

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    trustProxy: deps.trustProxy ?? ['1', 'true'].includes((env[TRUST_PROXY_ENV] ?? '').toLowerCase()),
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
    deps.store.db.prepare('SELECT 1').get();
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
      profilesPlugin(api, ctx);
      logFiltersPlugin(api, ctx);
      searchPlugin(api, ctx);
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
