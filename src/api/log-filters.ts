/**
 * Log filters (exclude filters): CRUD with tenant scoping, and a preview of how many of the
 * last N stored records (of the caller's tenants) a filter would have discarded, with a few of
 * them (at most 20: MAX_PREVIEW_SAMPLE) and the condition fields none of them has.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, FieldsError } from '../core/errors.js';
import type { LogFilter } from '../core/log-filter.js';
import { compileFilters, logFilterIssues } from '../pipeline/filter.js';
import type { StoredLogFilter } from '../store/index.js';
import {
  isRoot,
  mayEditFilter,
  notFound,
  requireRole,
  searchScope,
  seesFilter,
  type ApiContext,
  type AuthContext,
} from './context.js';
import {
  errorBody,
  idParams,
  logFilterBody,
  logFilterOut,
  logFilterPatchBody,
  logFilterPreviewBody,
} from './schemas.js';

/** The collector's semantic checks (operator/value), with paths relative to the filter. */
function semanticIssues(def: unknown) {
  return logFilterIssues([def]).map((i) => ({
    field: i.field.replace(/^logFilters\[0\]\.?/, ''),
    message: i.message,
  }));
}

export function logFiltersPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;
  const admin = (req: Parameters<typeof requireRole>[0]) => requireRole(req, 'root_admin', 'tenant_admin');

  const visible = (a: AuthContext, id: string): StoredLogFilter => {
    const f = store.logFilters.get(id);
    if (!f || !seesFilter(a, f)) throw notFound('log filter', id);
    return f;
  };

  const checkTenant = (a: AuthContext, tenant: string | undefined) => {
    if (tenant !== undefined && !store.tenants.getByName(tenant)) {
      throw new FieldsError('ERR_VALIDATION', [
        { field: 'tenant', message: `tenant "${tenant}" does not exist` },
      ]);
    }
    if (!isRoot(a) && tenant !== a.tenant.name) {
      throw new CodedError('ERR_FORBIDDEN', 'a tenant admin manages log filters of their own tenant only');
    }
  };

  const validate = (def: unknown) => {
    const issues = semanticIssues(def);
    if (issues.length) throw new FieldsError('ERR_VALIDATION', issues);
  };

  api.get(
    '/log-filters',
    {
      schema: {
        tags: ['log filters'],
        summary: "List log filters (a tenant admin sees their tenant's and the all-tenants ones)",
        response: { 200: z.object({ logFilters: z.array(logFilterOut) }) },
      },
    },
    async (req) => {
      const a = admin(req);
      return { logFilters: store.logFilters.list().filter((f) => seesFilter(a, f)) };
    },
  );

  api.post(
    '/log-filters',
    {
      schema: {
        tags: ['log filters'],
        summary:
          "Create a log filter (tenant absent = all tenants; a tenant admin's default to their tenant)",
        body: logFilterBody,
        response: { 201: logFilterOut, 400: errorBody, 403: errorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const def: LogFilter = {
        ...req.body,
        ...(isRoot(a) ? {} : { tenant: req.body.tenant ?? a.tenant.name }),
      };
      checkTenant(a, def.tenant);
      validate(def);
      return reply.status(201).send(store.logFilters.create(def));
    },
  );

  api.get(
    '/log-filters/:id',
    {
      schema: {
        tags: ['log filters'],
        summary: 'One log filter',
        params: idParams,
        response: { 200: logFilterOut, 404: errorBody },
      },
    },
    async (req) => visible(admin(req), req.params.id),
  );

  api.patch(
    '/log-filters/:id',
    {
      schema: {
        tags: ['log filters'],
        summary: 'Edit a log filter (tenant: null makes it apply to all tenants; root admin only)',
        params: idParams,
        body: logFilterPatchBody,
        response: { 200: logFilterOut, 400: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const a = admin(req);
      const cur = visible(a, req.params.id);
      if (!mayEditFilter(a, cur))
        throw new CodedError(
          'ERR_FORBIDDEN',
          'only a root admin changes a filter that applies to all tenants',
        );
      const { tenant, ...rest } = req.body;
      const patch: Record<string, unknown> = { ...rest };
      if (tenant !== undefined) patch.tenant = tenant ?? undefined;
      const { id: _id, ...curDef } = cur;
      const next = { ...curDef, ...patch };
      if (next.tenant === undefined) delete next.tenant;
      checkTenant(a, next.tenant as string | undefined);
      validate(next);
      return store.logFilters.update(cur.id, patch);
    },
  );

  api.delete(
    '/log-filters/:id',
    {
      schema: {
        tags: ['log filters'],
        summary: 'Delete a log filter (detaches it from connectors)',
        params: idParams,
        response: { 204: z.null(), 403: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const cur = visible(a, req.params.id);
      if (!mayEditFilter(a, cur))
        throw new CodedError(
          'ERR_FORBIDDEN',
          'only a root admin deletes a filter that applies to all tenants',
        );
      store.logFilters.delete(cur.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/log-filters/preview',
    {
      schema: {
        tags: ['log filters'],
        summary:
          'How many of the last `limit` stored records (of your tenants) the filter would discard, a few of them, and the fields none of them has',
        body: logFilterPreviewBody,
        response: {
          200: z.object({
            checked: z.number(),
            matched: z.number(),
            samples: z.array(z.record(z.string(), z.unknown())),
            unknownFields: z.array(z.string()),
          }),
          400: errorBody,
        },
      },
    },
    async (req) => {
      const a = admin(req);
      // A draft need not have its name yet: the preview does not store it.
      const filter: LogFilter = { ...req.body.filter, name: req.body.filter.name ?? 'preview' };
      const issues = semanticIssues(filter).map((i) => ({ ...i, field: `filter.${i.field}` }));
      if (issues.length) throw new FieldsError('ERR_VALIDATION', issues);
      const scope = searchScope(a);
      const records =
        scope === undefined
          ? store.index.recent(req.body.limit)
          : (await ctx.search.search({ tenantIds: scope, limit: req.body.limit, sort: 'write_time:desc' }))
              .records;
      const match = compileFilters([filter]);
      const matched = records.filter((r) => match(r) !== undefined);
      // A condition's field that none of the records checked has (a typo, most likely), by the
      // filter's own path rules: an `exists` condition on it matches none of them.
      const fields = [...new Set(filter.conditions.map((c) => c.field))];
      const unknownFields = fields.filter((field) => {
        const has = compileFilters([
          { name: 'has', conditions: [{ field, operator: 'exists', values: [] }] },
        ]);
        return !records.some((r) => has(r) !== undefined);
      });
      return {
        checked: records.length,
        matched: matched.length,
        samples: matched.slice(0, req.body.sample),
        unknownFields,
      };
    },
  );
}
