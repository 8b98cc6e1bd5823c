/**
 * Connectors: list / create / get / patch / delete, activate, run now, and the Test (saved or
 * unsaved config; one at a time per connector, or per user for unsaved ones; time-limited). General fields are fixed after create; secrets are
 * write-only; endpoint overrides must point at an allow-listed host[:port].
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, FieldsError, type FieldError } from '../core/errors.js';
import { redactSecrets } from '../core/logger.js';
import { configIssues } from '../core/schema.js';
import { secretRefIssues, secretValues } from '../connectors/schema.js';
import { mergePatch } from '../store/connector-config.js';
import { failedTest } from '../connectors/test-result.js';
import { DEFAULT_TYPE } from '../connectors/registry.js';
import type { AnyConnectorType, BaseConnectorConfig, TestResult } from '../connectors/types.js';
import { SecretUnreadableError, runCountsText, type Run, type StoredConnector } from '../store/index.js';
import {
  requireRole,
  seesFilter,
  seesTenant,
  visibleConnector,
  type ApiContext,
  type AuthContext,
} from './context.js';
import { invalidMessage } from './errors.js';
import {
  FIXED,
  connectorCreateBody,
  connectorOut,
  connectorPatchAny,
  connectorPatchBody,
  connectorTestBody,
  errorBody,
  idParams,
  runOut,
  runsQuery,
  testResultOut,
} from './schemas.js';

type Obj = Record<string, unknown>;

export function connectorsPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, scheduler, registry } = ctx;
  const createBody = connectorCreateBody(registry);
  const testBody = connectorTestBody(registry);
  const patchBodies = new Map(registry.types.map((t) => [t.id, connectorPatchBody(t)]));
  /** A request's `type` (id or label; absent = aws-inspector) as a registered type. */
  const typeOf = (given: unknown): AnyConnectorType =>
    registry.find(typeof given === 'string' ? given : DEFAULT_TYPE) ?? registry.get(String(given));

  /** A run with its counts in words: "received N, new M, already stored K". */
  const runView = (r: Run) => ({
    id: r.id,
    status: r.status,
    startedAt: r.startedAt,
    ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
    received: r.received,
    new: r.stored,
    alreadyStored: r.duplicates,
    stored: r.stored,
    duplicates: r.duplicates,
    unchanged: r.unchanged,
    discarded: r.discarded,
    discardedByFilter: r.discardedByFilter,
    pages: r.pages,
    vanished: r.vanished,
    ...(r.error ? { error: r.error } : {}),
    ...(r.parts ? { parts: r.parts } : {}),
    summary: runCountsText(r),
  });

  const view = (c: StoredConnector) => {
    const totals = store.runs.totals(c.id);
    const last = store.runs.list(c.id, { limit: 1 })[0];
    const t = registry.find(c.type);
    return {
      id: c.id,
      name: c.name,
      // A type this server does not register (written by a newer release): its id stands in.
      category: t?.category ?? '',
      type: t?.label ?? c.type,
      typeId: c.type,
      ...FIXED,
      tenant: c.tenant,
      intervalMinutes: c.config.intervalMinutes,
      ...(t?.summary ? t.summary(c.config) : {}),
      active: c.active,
      profiles: store.profiles.profilesOf(c.id),
      logFilterIds: store.logFilters.idsForConnector(c.id),
      config: c.config as unknown as Obj,
      status: { ...c.status, running: scheduler.isRunning(c.id) },
      counts: { stored: totals.stored, discarded: totals.discarded },
      ...(last ? { lastRun: runView(last) } : {}),
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  };

  const admin = (req: FastifyRequest) => requireRole(req, 'root_admin', 'tenant_admin');

  /** Tenant for a new connector: the caller's unless given; a tenant admin only their own. */
  function tenantFor(a: AuthContext, given: string | undefined): string {
    const name = given ?? a.tenant.name;
    const t = store.tenants.getByName(name);
    if (!t) {
      throw new FieldsError('ERR_CONFIG_INVALID', [
        { field: 'tenant', message: `tenant "${name}" does not exist` },
      ]);
    }
    // The tenant's own spelling: tenant names match ignoring case, access checks compare exactly.
    if (!seesTenant(a, t.name))
      throw new CodedError('ERR_FORBIDDEN', 'a tenant admin manages connectors of their own tenant only');
    return t.name;
  }

  function checkFilters(a: AuthContext, tenant: string, ids: readonly string[] | undefined): FieldError[] {
    if (!ids) return [];
    const bad = ids.filter((id) => {
      const f = store.logFilters.get(id);
      return !f || !seesFilter(a, f) || (f.tenant !== undefined && f.tenant !== tenant);
    });
    return bad.length
      ? [
          {
            field: 'logFilterIds',
            message: `unknown log filter id(s) for tenant ${tenant}: ${bad.join(', ')}`,
          },
        ]
      : [];
  }

  /** What the API adds to the type's schema: no ${ENV:NAME} over the network, the type's own checks. */
  function checkConfig(t: AnyConnectorType, cfg: Obj, extra: FieldError[] = []) {
    const issues = [
      ...secretRefIssues(cfg, t.secretFields),
      ...(t.apiIssues?.(cfg, { allowedEndpointHosts: ctx.allowedEndpointHosts }) ?? []),
      ...extra,
    ];
    if (issues.length) throw new FieldsError('ERR_CONFIG_INVALID', issues);
  }

  /**
   * A PATCH body of connector `c` (its type's patch schema): General fields may be sent only
   * unchanged; `cfgPatch` is the rest of the configuration, to merge into the stored one.
   */
  function parsePatch(t: AnyConnectorType, c: StoredConnector, body: unknown) {
    const parsed = patchBodies.get(t.id)!.safeParse(body);
    if (!parsed.success) {
      const fields = configIssues(parsed.error);
      // Worded like the router's own body validation (errors.ts), which this stands in for.
      throw new FieldsError(
        'ERR_CONFIG_INVALID',
        fields,
        invalidMessage('ERR_CONFIG_INVALID', 'body', fields),
      );
    }
    const {
      active,
      logFilterIds,
      category,
      type,
      function: fn,
      runOn,
      ...cfgPatch
    } = parsed.data as Obj & {
      active?: boolean;
      logFilterIds?: string[];
      category?: string;
      type?: string;
      function?: string;
      runOn?: string;
    };
    const fixed: Record<string, readonly string[]> = {
      category: [t.category],
      type: [t.label, t.id],
      function: [FIXED.function],
      runOn: [FIXED.runOn],
    };
    const fixedIssues: FieldError[] = Object.entries({ category, type, function: fn, runOn })
      .filter(([k, v]) => v !== undefined && !fixed[k]!.includes(v))
      .map(([k]) => ({ field: k, message: `${k} cannot be changed after the connector is created` }));
    for (const f of ['name', 'tenant'] as const) {
      if (f in cfgPatch && cfgPatch[f] !== c[f]) {
        fixedIssues.push({ field: f, message: `${f} cannot be changed after the connector is created` });
      }
    }
    if (fixedIssues.length) throw new FieldsError('ERR_CONFIG_INVALID', fixedIssues);
    return { active, logFilterIds, cfgPatch };
  }

  /** The answer when the Test's time limit is reached (a tarpit endpoint, a hung proxy). */
  function timeoutResult(limitMs: number): TestResult {
    const secs = limitMs >= 1000 ? `${Math.round(limitMs / 1000)} s` : `${limitMs} ms`;
    const err = new CodedError('ERR_TEST_TIMEOUT', `the test did not finish within ${secs} and was stopped`, {
      detail: `The connector test was stopped after its time limit of ${secs}: an endpoint accepted the connection but did not answer in time.`,
    });
    return failedTest(err, []);
  }

  /**
   * One Test at a time per saved connector, and per user for unsaved configurations: a slow
   * Test of one tenant never blocks another's.
   */
  async function runTest(
    a: AuthContext,
    t: AnyConnectorType,
    cfg: BaseConnectorConfig,
    connectorId?: string,
  ): Promise<TestResult> {
    const key = connectorId ? `connector:${connectorId}` : `user:${a.user.id}`;
    const busy = connectorId
      ? 'A test of this connector is already running: one test at a time per connector. Try again when it has finished.'
      : 'Your previous test of an unsaved configuration is still running: one at a time per user. Try again when it has finished.';
    return ctx.testGate.run(
      key,
      busy,
      async (signal) => {
        // No ${ENV:NAME} to resolve: the API refuses them (checkConfig) and the CLI stores resolved
        // values, so a stored config is tested as it is, like a run uses it.
        const secrets = secretValues(cfg, t.secretFields);
        let r: TestResult;
        try {
          r = await ctx.testConnector(cfg, connectorId, { signal, type: t.id });
        } catch (e) {
          // check.ts reports failures as results; a throw is a bug. Its text may quote the config.
          throw new CodedError(
            'ERR_INTERNAL',
            redactSecrets(`connector test crashed: ${(e as Error).message}`, secrets),
          );
        }
        // Belt and braces: a third-party message must never echo a key back to the browser.
        const clean = (s: string) => redactSecrets(s, secrets);
        return {
          ...r,
          summary: clean(r.summary),
          explanation: clean(r.explanation),
          recommendation: clean(r.recommendation),
          detail: clean(r.detail),
          warnings: r.warnings.map(clean),
          ...(r.parts
            ? {
                parts: r.parts.map((p) => ({
                  ...p,
                  summary: clean(p.summary),
                  explanation: clean(p.explanation),
                  recommendation: clean(p.recommendation),
                })),
              }
            : {}),
        };
      },
      timeoutResult,
    );
  }

  api.get(
    '/connectors',
    {
      schema: {
        tags: ['connectors'],
        summary: "List connectors (a tenant admin sees their tenant's)",
        response: { 200: z.object({ connectors: z.array(connectorOut) }) },
      },
    },
    async (req) => {
      const a = admin(req);
      return {
        connectors: store.connectors
          .list()
          .filter((c) => seesTenant(a, c.tenant))
          .map(view),
      };
    },
  );

  api.post(
    '/connectors',
    {
      config: { validationCode: 'ERR_CONFIG_INVALID' },
      schema: {
        tags: ['connectors'],
        summary:
          'Create a connector (body = `type` (default aws-inspector) and the CLI config file keys, plus active and logFilterIds)',
        body: createBody,
        response: { 201: connectorOut, 400: errorBody, 403: errorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const { active, logFilterIds, type, ...cfg } = req.body as Obj & {
        active?: boolean;
        logFilterIds?: string[];
        type?: string;
        tenant?: string;
      };
      const t = typeOf(type);
      const tenant = tenantFor(a, cfg.tenant);
      checkConfig(t, cfg, checkFilters(a, tenant, logFilterIds));
      const created = store.transaction(() => {
        const c = store.connectors.create({ ...cfg, tenant }, { active: active ?? true, type: t.id });
        if (logFilterIds) store.logFilters.setForConnector(c.id, logFilterIds);
        return c;
      });
      scheduler.notifyChanged(created.id);
      return reply.status(201).send(view(created));
    },
  );

  api.post(
    '/connectors/test',
    {
      config: { validationCode: 'ERR_CONFIG_INVALID' },
      schema: {
        tags: ['connectors'],
        summary: 'Test an unsaved configuration (authentication and connectivity only)',
        body: testBody,
        response: { 200: testResultOut, 400: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const { type, ...cfg } = req.body as Obj & { type?: string; tenant?: string };
      const t = typeOf(type);
      const tenant = tenantFor(a, cfg.tenant);
      checkConfig(t, cfg);
      return runTest(a, t, { ...(cfg as BaseConnectorConfig), tenant });
    },
  );

  api.post(
    '/connectors/validate',
    {
      schema: {
        tags: ['connectors'],
        summary:
          "Check a configuration being entered against the server's own rules, which the schema in /meta " +
          'cannot carry (the endpoint allow-list, no ${ENV:NAME} over the network): the wizard calls it as a field is left',
        body: connectorPatchAny,
        response: {
          200: z.object({ fields: z.array(z.object({ field: z.string(), message: z.string() })) }),
          400: errorBody,
        },
      },
    },
    async (req) => {
      admin(req);
      const { type, ...cfg } = req.body as Obj & { type?: string };
      const t = typeOf(type);
      // Only the checks that hold on a partial configuration: the schema's are the UI's own.
      return {
        fields: [
          ...secretRefIssues(cfg, t.secretFields),
          ...(t.apiIssues?.(cfg, { allowedEndpointHosts: ctx.allowedEndpointHosts }) ?? []),
        ],
      };
    },
  );

  api.get(
    '/connectors/:id',
    {
      schema: {
        tags: ['connectors'],
        summary: 'One connector (secrets masked)',
        params: idParams,
        response: { 200: connectorOut, 404: errorBody },
      },
    },
    async (req) => view(visibleConnector(ctx, admin(req), req.params.id)),
  );

  api.get(
    '/connectors/:id/runs',
    {
      schema: {
        tags: ['connectors'],
        summary: 'Run history, newest first: each run\'s counts ("received N, new M, already stored K")',
        params: idParams,
        querystring: runsQuery,
        response: { 200: z.object({ runs: z.array(runOut) }), 404: errorBody },
      },
    },
    async (req) => {
      const c = visibleConnector(ctx, admin(req), req.params.id);
      return { runs: store.runs.list(c.id, { limit: req.query.limit }).map(runView) };
    },
  );

  api.patch(
    '/connectors/:id',
    {
      config: { validationCode: 'ERR_CONFIG_INVALID' },
      schema: {
        tags: ['connectors'],
        summary:
          'Edit Configuration fields, active, logFilterIds. General fields cannot change; a secret sent blank or "********" keeps the stored one.',
        params: idParams,
        body: connectorPatchAny,
        response: { 200: connectorOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const c = visibleConnector(ctx, a, req.params.id);
      const t = registry.get(c.type);
      const { active, logFilterIds, cfgPatch } = parsePatch(t, c, req.body);
      checkConfig(t, cfgPatch, checkFilters(a, c.tenant, logFilterIds));
      const updated = store.transaction(() => {
        let u = c;
        if (Object.keys(cfgPatch).length) u = store.connectors.update(c.id, cfgPatch);
        if (active !== undefined && active !== u.active) u = store.connectors.setActive(c.id, active);
        if (logFilterIds) store.logFilters.setForConnector(c.id, logFilterIds);
        return u;
      });
      scheduler.notifyChanged(c.id);
      return view(updated);
    },
  );

  api.delete(
    '/connectors/:id',
    {
      schema: {
        tags: ['connectors'],
        summary: 'Delete a connector (its runs stop first; its stored records stay in the index)',
        params: idParams,
        response: { 204: z.null(), 404: errorBody },
      },
    },
    async (req, reply) => {
      const c = visibleConnector(ctx, admin(req), req.params.id);
      // Stop its runs first: deactivate (no new run), then let the current page commit.
      store.connectors.setActive(c.id, false);
      scheduler.notifyChanged(c.id);
      await scheduler.stopConnector(c.id);
      store.connectors.delete(c.id);
      scheduler.notifyChanged(c.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/connectors/:id/test',
    {
      schema: {
        tags: ['connectors'],
        summary:
          'Test a saved connector: authentication and connectivity (200 with the result, also on failure). ' +
          'A body with Configuration fields (as PATCH) tests the edited configuration without saving it: ' +
          'a secret sent blank or "********" is the stored one.',
        params: idParams,
        body: connectorPatchAny.nullish(),
        response: { 200: testResultOut, 400: errorBody, 404: errorBody, 409: errorBody },
      },
      config: { validationCode: 'ERR_CONFIG_INVALID' },
    },
    async (req) => {
      const a = admin(req);
      const c = visibleConnector(ctx, a, req.params.id);
      const t = registry.get(c.type);
      // Edits to test: parsed and checked before any secret is decrypted.
      const edits = parsePatch(t, c, req.body ?? {}).cfgPatch;
      const edited = Object.keys(edits).length > 0;
      if (edited) checkConfig(t, edits);
      let full: StoredConnector | undefined;
      try {
        full = store.connectors.getDecrypted(c.id);
      } catch (e) {
        // The key was reset: the Test names the fields to re-enter (no secret is involved).
        if (e instanceof SecretUnreadableError) return failedTest(e, []);
        throw e;
      }
      if (!full) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${c.id} not found`);
      if (!edited) {
        const result = await runTest(a, t, full.config, c.id);
        scheduler.onTestResult(c.id, result.ok);
        return result;
      }
      // The stored secrets fill in what the edit leaves blank; they never leave the server.
      const merged = mergePatch(full.config as unknown as Obj, edits, t.secretFields, t.switchFields);
      const cfg = registry.parse(t.id, merged);
      checkConfig(t, cfg as unknown as Obj);
      // The saved configuration was not tested: the connector's status is left alone.
      return runTest(a, t, cfg, c.id);
    },
  );

  api.post(
    '/connectors/:id/run',
    {
      schema: {
        tags: ['connectors'],
        summary: 'Pull now (only when active and in a profile)',
        params: idParams,
        response: {
          202: z.object({ triggered: z.boolean(), reason: z.string().optional() }),
          404: errorBody,
        },
      },
    },
    async (req, reply) => {
      const c = visibleConnector(ctx, admin(req), req.params.id);
      if (!store.profiles.isEligible(c.id)) {
        return reply.status(202).send({
          triggered: false,
          reason: c.active ? 'the connector is in no Data Analyzer profile' : 'the connector is inactive',
        });
      }
      // Fire and forget: the run's outcome shows in the connector's status.
      Promise.resolve(scheduler.trigger(c.id)).catch((e: unknown) =>
        ctx.logger.warn({ connectorId: c.id, err: (e as Error).message }, 'triggered run failed'),
      );
      return reply.status(202).send({ triggered: true });
    },
  );
}
