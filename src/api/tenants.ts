/** Tenants: the Root Tenant always exists; only root admins create tenants. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf, isRoot, requireRole, type ApiContext } from './context.js';
import { errorBody, tenantOut } from './schemas.js';

export function tenantsPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

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
        body: z
          .object({
            name: z
              .string()
              .trim()
              .min(1)
              .max(64)
              .regex(/^[\x20-\x7E]+$/, { message: 'name must be printable ASCII' }),
          })
          .strict(),
        response: { 201: tenantOut, 400: errorBody, 403: errorBody },
      },
    },
    async (req, reply) => {
      requireRole(req, 'root_admin');
      return reply.status(201).send(ctx.store.tenants.create(req.body.name));
    },
  );
}
