/** Users: root admins manage everyone; tenant admins manage their tenant's users (never root admins). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, FieldsError } from '../core/errors.js';
import { PASSWORD_MAX } from '../auth/password.js';
import type { User } from '../auth/users.js';
import { ROOT_TENANT } from '../store/index.js';
import { isRoot, notFound, requireRole, type ApiContext } from './context.js';
import { errorBody, role, userOut, username } from './schemas.js';

export function usersPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const view = (u: User) => ({
    id: u.id,
    username: u.username,
    role: u.role,
    tenant: ctx.store.tenants.get(u.tenantId)?.name ?? '',
    createdAt: u.createdAt,
  });

  api.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: "List users (a tenant admin sees their tenant's users)",
        response: { 200: z.object({ users: z.array(userOut) }) },
      },
    },
    async (req) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      return { users: ctx.users.list(isRoot(a) ? undefined : a.tenant.id).map(view) };
    },
  );

  api.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: z
          .object({
            username,
            password: z.string().max(PASSWORD_MAX),
            role,
            tenant: z
              .string()
              .min(1)
              .max(64)
              .optional()
              .meta({ description: "Tenant name; default: the caller's" }),
          })
          .strict(),
        response: { 201: userOut, 400: errorBody, 403: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const tenantName = req.body.tenant ?? a.tenant.name;
      const tenant = ctx.store.tenants.getByName(tenantName);
      if (!tenant)
        throw new FieldsError('ERR_VALIDATION', [
          { field: 'tenant', message: `tenant "${tenantName}" does not exist` },
        ]);
      if (!isRoot(a)) {
        if (tenant.id !== a.tenant.id)
          throw new CodedError('ERR_FORBIDDEN', 'a tenant admin creates users of their own tenant only');
        if (req.body.role === 'root_admin')
          throw new CodedError('ERR_FORBIDDEN', 'only a root admin can create a root admin');
      }
      if (req.body.role === 'root_admin' && tenant.id !== ROOT_TENANT.id) {
        throw new FieldsError('ERR_VALIDATION', [
          { field: 'tenant', message: 'a root admin belongs to the Root Tenant' },
        ]);
      }
      const u = await ctx.users.create(
        {
          username: req.body.username,
          password: req.body.password,
          role: req.body.role,
          tenantId: tenant.id,
        },
        { field: 'password' },
      );
      return reply.status(201).send(view(u));
    },
  );

  api.delete(
    '/users/:username',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (and their sessions)',
        params: z.object({ username }),
        response: { 204: z.null(), 403: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const u = ctx.users.getByUsername(req.params.username);
      if (!u || (!isRoot(a) && u.tenantId !== a.tenant.id)) throw notFound('user', req.params.username);
      if (u.id === a.user.id) throw new CodedError('ERR_FORBIDDEN', 'you cannot delete yourself');
      if (!isRoot(a) && u.role === 'root_admin')
        throw new CodedError('ERR_FORBIDDEN', 'only a root admin can delete a root admin');
      ctx.users.delete(u.id);
      return reply.status(204).send(null);
    },
  );
}
