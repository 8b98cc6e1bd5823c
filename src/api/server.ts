/**
 * The Data Processor server: store + scheduler + API/UI, listening on host:port. Used by
 * `serve` and `demo`. `close()` stops accepting requests, stops the scheduler (the page being
 * stored commits first), then closes the store.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { ALLOWED_ENDPOINTS_ENV, parseAllowedEndpoints } from '../connectors/endpoints.js';
import { bindRateLimitMetrics, sharedRateLimits } from '../connectors/aws-inspector/rate-limit.js';
import {
  DEFAULT_TYPE,
  productionRegistry,
  secretFieldsOf,
  storeTypes,
  type ConnectorRegistry,
} from '../connectors/registry.js';
import { createScheduler, type Scheduler } from '../pipeline/scheduler.js';
import {
  lockDataDir,
  openStore,
  searchTimeoutFromEnv,
  type SearchService,
  type SearchServiceOptions,
  type Store,
} from '../store/index.js';
import { ensureAdmin } from '../auth/bootstrap.js';
import { usersRepo } from '../auth/users.js';
import { buildApp, type AppDeps } from './app.js';

export interface ServerOptions {
  dataDir: string;
  port: number;
  host: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
  /** The connector types (default: the production registry; tests add theirs or fake clients). */
  registry?: ConnectorRegistry;
  /** Where to print the generated admin password (once). Default: stdout. */
  print?: (line: string) => void;
  app?: Partial<AppDeps>;
  /** `serve --reset-secrets`: accept the current key although it does not match the store's (keys.ts). */
  resetSecrets?: boolean;
  /** Recorded with the data directory's lock (owner.json). Default `serve`. */
  command?: string;
  /** Time budget per search, ms (0 = none). Default: INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS, else 5000. */
  searchTimeoutMs?: number;
  /** Search threads (default 2), searches allowed to wait for one (default 16), test hooks. */
  searchPool?: Pick<SearchServiceOptions, 'threads' | 'queue' | 'testHold'>;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  /** The search threads (every API search runs there). */
  search: SearchService;
  /** Set only on the first start when no password was given in the environment. */
  generatedAdminPassword?: string;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const registry = opts.registry ?? productionRegistry();
  const logger = opts.logger ?? createLogger({ secretFields: secretFieldsOf(registry) });
  const clock = opts.clock ?? systemClock;
  // Every Test and every run gets the allow-list: a stored endpoint override that the current
  // INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS no longer allows fails before any request.
  const allowedEndpointHosts =
    opts.app?.allowedEndpointHosts ?? parseAllowedEndpoints(env[ALLOWED_ENDPOINTS_ENV]);
  // The process-wide AWS rate limit, from the process environment (INSPECTOR_CONNECTOR_AWS_*,
  // rate-limit.ts): a bad value refuses to start, naming the variable.
  const rateLimits = sharedRateLimits();
  const print = opts.print ?? ((line: string) => process.stdout.write(line + '\n'));
  // One owner per data directory (lock.ts): a second server would run the same connectors.
  const lock = lockDataDir(opts.dataDir, opts.command ?? 'serve');
  let store: Store;
  try {
    // Collection commits on a writer thread: the API stays responsive while a backfill runs.
    // The key is checked now: a wrong or missing key refuses to start (keys.ts).
    store = openStore({
      connectorTypes: storeTypes(registry),
      dataDir: opts.dataDir,
      logger,
      clock,
      env,
      writerThread: true,
      verifyKey: true,
      resetSecrets: opts.resetSecrets === true,
    });
  } catch (e) {
    lock.release();
    throw e;
  }
  const searchTimeoutMs = opts.searchTimeoutMs ?? searchTimeoutFromEnv(env);
  // Searches run on threads of their own, with a time budget: a slow query never holds the
  // thread that serves /healthz, other users and the scheduler (store/sqlite/search-pool.ts).
  const search = store.searchService({
    timeoutMs: searchTimeoutMs,
    logger,
    ...opts.searchPool,
  });
  try {
    await search.ready();
  } catch (e) {
    await search.close().catch(() => undefined);
    store.close();
    lock.release();
    throw e;
  }
  const metrics = createMetrics(new Registry());
  const unbindRateLimits = bindRateLimitMetrics(metrics, rateLimits);
  const scheduler = createScheduler({ store, clock, logger, registry, allowedEndpointHosts, metrics });
  let app: FastifyInstance | undefined;
  try {
    const admin = await ensureAdmin(usersRepo(store, clock), env);
    if (admin.generatedPassword) {
      print(
        `Created user "admin" (root admin) with the generated password: ${admin.generatedPassword}\n` +
          'It is shown only this once. Set INSPECTOR_CONNECTOR_ADMIN_PASSWORD before the first start to choose it.',
      );
    }
    app = await buildApp({
      store,
      search,
      scheduler,
      logger,
      clock,
      env,
      metrics: metrics.registry,
      allowedEndpointHosts,
      registry,
      testConnector: (cfg, connectorId, o) =>
        registry.get(o?.type ?? DEFAULT_TYPE).test(cfg, {
          logger,
          clock,
          allowedEndpointHosts,
          connectorId: connectorId ?? 'test',
          ...(o?.signal ? { signal: o.signal } : {}),
        }),
      ...opts.app,
    });
    await app.listen({ port: opts.port, host: opts.host });
    scheduler.start();
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    logger.info({ url }, 'server listening');
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      url,
      app: running,
      store,
      scheduler,
      search,
      ...(admin.generatedPassword ? { generatedAdminPassword: admin.generatedPassword } : {}),
      close() {
        closing ??= (async () => {
          // Searches first: one running fails at once (503) instead of holding the close.
          await search.close();
          await running.close();
          await scheduler.stop();
          store.close();
          unbindRateLimits();
          lock.release();
          logger.info('server stopped');
        })();
        return closing;
      },
    };
  } catch (e) {
    await search.close();
    await app?.close().catch(() => undefined);
    await scheduler.stop().catch(() => undefined);
    store.close();
    unbindRateLimits();
    lock.release();
    throw e;
  }
}
