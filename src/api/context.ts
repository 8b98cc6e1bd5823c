/**
 * What every route plugin receives: the store, the scheduler, the Test function, the
 * per-process Test gate, and access-control helpers. Built once per app by buildApp (no globals).
 */
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { CodedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { BaseConnectorConfig, TestResult } from '../connectors/types.js';
import type { SearchService, Store, StoredConnector, StoredLogFilter, Tenant } from '../store/index.js';
import type { Role, SessionsRepo, User, UsersRepo } from '../auth/users.js';

/** The part of the scheduler (src/pipeline/scheduler.ts) the API drives. */
export interface SchedulerPort {
  /** A connector's config, activity or profile membership changed: (re)plan it; first pull at once when it becomes eligible. */
  notifyChanged(connectorId: string): void;
  /** Pull now, if eligible. */
  trigger(connectorId: string): unknown;
  isRunning(connectorId: string): boolean;
  /** A Test finished: a successful one clears a failed status. */
  onTestResult(connectorId: string, ok: boolean): void;
  /** Stop a connector's run (if any) and wait for its current page to commit; used before delete. */
  stopConnector(connectorId: string): Promise<void>;
}

/**
 * `connectorId` is absent for an unsaved configuration; `type` is the config's connector type
 * (absent: aws-inspector). `signal` aborts when the Test's time limit is reached (the result is
 * then the API's timeout result, whatever this returns).
 */
export type TestConnectorFn = (
  cfg: BaseConnectorConfig,
  connectorId?: string,
  opts?: { signal?: AbortSignal; type?: string },
) => Promise<TestResult>;

export interface AuthContext {
  user: User;
  tenant: Tenant;
  /** The raw session token (to log out). */
  token: string;
  csrfToken: string;
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
  interface FastifyContextConfig {
    /** Route needs no session (login). */
    public?: boolean;
    /** Error code for a request that fails schema validation (default ERR_VALIDATION). */
    validationCode?: 'ERR_VALIDATION' | 'ERR_CONFIG_INVALID';
  }
}

export interface ApiContext {
  store: Store;
  /** Searches of the Syslog index (the server's: worker threads with a time budget, search-pool.ts). */
  search: SearchService;
  /** Records per page of /search/export (default EXPORT_PAGE; tests make it small). */
  exportPageSize?: number;
  scheduler: SchedulerPort;
  /** The connector types: bodies, /meta, the Test. */
  registry: ConnectorRegistry;
  testConnector: TestConnectorFn;
  users: UsersRepo;
  sessions: SessionsRepo;
  logger: Logger;
  clock: Clock;
  metrics: Registry;
  /** Hosts an endpoint override may point at (INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS). */
  allowedEndpointHosts: readonly string[];
  /** One Test at a time per connector (per user for unsaved configs), each with a time limit. */
  testGate: TestGate;
}

export interface TestGate {
  /**
   * Runs `fn` unless a Test with the same key is running (409 ERR_TEST_RUNNING, `busyMessage`).
   * After the time limit, `fn`'s signal aborts and the answer is `onTimeout(limitMs)`; the key
   * is free again from then on (the aborted Test only winds down).
   */
  run<T>(
    key: string,
    busyMessage: string,
    fn: (signal: AbortSignal) => Promise<T>,
    onTimeout: (limitMs: number) => T,
  ): Promise<T>;
}

/** The Test's time limit unless AppDeps.testTimeoutMs says otherwise. */
const DEFAULT_TEST_TIMEOUT_MS = 30_000;

export function createTestGate(timeoutMs = DEFAULT_TEST_TIMEOUT_MS): TestGate {
  /** Keys of the Tests running now. */
  const running = new Set<string>();
  return {
    async run<T>(
      key: string,
      busyMessage: string,
      fn: (signal: AbortSignal) => Promise<T>,
      onTimeout: (limitMs: number) => T,
    ): Promise<T> {
      if (running.has(key)) throw new CodedError('ERR_TEST_RUNNING', busyMessage);
      running.add(key);
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<T>((resolve) => {
        timer = setTimeout(() => {
          ac.abort(new CodedError('ERR_TEST_TIMEOUT', `the test did not finish within ${timeoutMs} ms`));
          resolve(onTimeout(timeoutMs));
        }, timeoutMs);
      });
      const work = fn(ac.signal);
      // A result (or crash) after the time limit is dropped: the caller has had its answer.
      work.catch(() => undefined);
      try {
        return await Promise.race([work, timedOut]);
      } finally {
        clearTimeout(timer);
        running.delete(key);
      }
    },
  };
}

// ---------------------------------------------------------------- access control

export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new CodedError('ERR_UNAUTHENTICATED', 'not logged in');
  return req.auth;
}

export function requireRole(req: FastifyRequest, ...roles: Role[]): AuthContext {
  const a = authOf(req);
  if (!roles.includes(a.user.role)) {
    throw new CodedError(
      'ERR_FORBIDDEN',
      `this action needs the role ${roles.join(' or ')} (you are ${a.user.role})`,
    );
  }
  return a;
}

export const isRoot = (a: AuthContext): boolean => a.user.role === 'root_admin';

/** Tenants whose records the caller may search: undefined = all (root admin). */
export function searchScope(a: AuthContext): string[] | undefined {
  return isRoot(a) ? undefined : [a.tenant.id];
}

/** May the caller see resources of the tenant with this name? */
export function seesTenant(a: AuthContext, tenantName: string): boolean {
  return isRoot(a) || tenantName === a.tenant.name;
}

export function notFound(what: string, id: string): CodedError {
  return new CodedError('ERR_NOT_FOUND_RESOURCE', `${what} ${id} not found`);
}

/** A connector the caller may manage (admins of its tenant); invisible ones are "not found". */
export function visibleConnector(ctx: ApiContext, a: AuthContext, id: string): StoredConnector {
  const c = ctx.store.connectors.get(id);
  if (!c || !seesTenant(a, c.tenant)) throw notFound('connector', id);
  return c;
}

/** Filters for all tenants are visible to every admin; tenant filters to their tenant's admins. */
export function seesFilter(a: AuthContext, f: StoredLogFilter): boolean {
  return f.tenant === undefined || seesTenant(a, f.tenant);
}

/** Only root admins change filters that apply to all tenants. */
export function mayEditFilter(a: AuthContext, f: StoredLogFilter): boolean {
  return isRoot(a) || (f.tenant !== undefined && f.tenant === a.tenant.name);
}
