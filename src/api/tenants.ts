/**
 * Tenants: the Root Tenant always exists; only root admins create, rename and delete tenants.
 * A rename carries over to the tenant's connectors and log filters; a delete is refused while
 * the tenant has connectors or users (409 naming them); its stored records stay in the index.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf, isRoot, notFound, requireRole, type ApiContext } from './context.js';
import { errorBody, tenantOut } from './schemas.js';

export function tenantsPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const name = z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\x20-\x7E]+$/, { message: 'name must be printable ASCII' });
  const params = z.object({ id: z.string().min(1).max(128) });
  const lookup = (id: string) => {
    const t = ctx.store.tenants.get(id);
    if (!t) throw notFound('tenant', id);
    return t;
  };

  api.get(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List tenants (others than a root admin see their own only)',
        response: { 200: z.object({ tenants: z.array(tenantOut) }) },
      },
    },
    async (req) => {
      const a = authOf(req);
      return { tenants: isRoot(a) ? ctx.store.tenants.list() : [a.tenant] };
    },
  );

  api.post(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant (root admin)',
        body: z.object({ name }).strict(),
        response: { 201: tenantOut, 400: errorBody, 403: errorBody },
      },
    },
    async (req, reply) => {
      requireRole(req, 'root_admin');
      return reply.status(201).send(ctx.store.tenants.create(req.body.name));
    },
  );

  api.patch(
    '/tenants/:id',
    {
      schema: {
        tags: ['tenants'],
        summary:
          'Rename a tenant (root admin): its connectors and log filters follow; stored records keep the name they were written with',
        params,
        body: z.object({ name }).strict(),
        response: { 200: tenantOut, 400: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      requireRole(req, 'root_admin');
      return ctx.store.tenants.rename(lookup(req.params.id).id, req.body.name);
    },
  );

  api.delete(
    '/tenants/:id',
    {
      schema: {
        tags: ['tenants'],
        summary:
          'Delete a tenant (root admin) that has no connectors and no users (409 naming them); its log filters go with it, its records stay in the index',
        params,
        response: { 204: z.null(), 403: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      requireRole(req, 'root_admin');
      ctx.store.tenants.delete(lookup(req.params.id).id);
      return reply.status(204).send(null);
    },
  );
}
