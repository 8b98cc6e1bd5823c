/**
 * Users: root admins manage everyone; tenant admins manage their tenant's users (never root
 * admins). Edit (role, tenant), disable, delete, password reset. The last enabled root admin can
 * be neither deleted, disabled nor demoted: the product would have no one to manage it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError, FieldsError } from '../core/errors.js';
import { PASSWORD_MAX } from '../auth/password.js';
import type { User } from '../auth/users.js';
import { ROOT_TENANT } from '../store/index.js';
import { isRoot, notFound, requireRole, type ApiContext, type AuthContext } from './context.js';
import { errorBody, role, userOut, username } from './schemas.js';

export function usersPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const view = (u: User) => ({
    id: u.id,
    username: u.username,
    role: u.role,
    tenant: ctx.store.tenants.get(u.tenantId)?.name ?? '',
    disabled: u.disabled,
    createdAt: u.createdAt,
  });

  /** The user a caller may manage: a tenant admin, their own tenant's users but root admins. */
  const manageable = (a: AuthContext, name: string, action: string) => {
    const u = ctx.users.getByUsername(name);
    if (!u || (!isRoot(a) && u.tenantId !== a.tenant.id)) throw notFound('user', name);
    if (!isRoot(a) && u.role === 'root_admin')
      throw new CodedError('ERR_FORBIDDEN', `only a root admin can ${action} a root admin`);
    return u;
  };

  /** Refuses to leave the product without an enabled root admin. */
  const keepAnAdmin = (u: User, action: string) => {
    if (u.role !== 'root_admin' || u.disabled) return;
    const others = ctx.users.list().filter((x) => x.role === 'root_admin' && !x.disabled && x.id !== u.id);
    if (others.length === 0)
      throw new CodedError(
        'ERR_CONFLICT',
        `${u.username} is the last enabled root admin and cannot be ${action}: create or enable another root admin first`,
      );
  };

  const tenantByName = (name: string) => {
    const t = ctx.store.tenants.getByName(name);
    if (!t)
      throw new FieldsError('ERR_VALIDATION', [
        { field: 'tenant', message: `tenant "${name}" does not exist` },
      ]);
    return t;
  };

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
      const tenant = tenantByName(req.body.tenant ?? a.tenant.name);
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
      const u = manageable(a, req.params.username, 'delete');
      if (u.id === a.user.id) throw new CodedError('ERR_FORBIDDEN', 'you cannot delete yourself');
      keepAnAdmin(u, 'deleted');
      ctx.users.delete(u.id);
      return reply.status(204).send(null);
    },
  );

  api.patch(
    '/users/:username',
    {
      schema: {
        tags: ['users'],
        summary: "Change a user's role or tenant, or disable / enable them (their sessions end)",
        params: z.object({ username }),
        body: z
          .object({
            role: role.optional(),
            tenant: z.string().min(1).max(64).optional().meta({ description: 'Tenant name' }),
            disabled: z.boolean().optional(),
          })
          .strict(),
        response: { 200: userOut, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const u = manageable(a, req.params.username, 'change');
      const { role: newRole, tenant: tenantName, disabled } = req.body;
      const tenant = tenantName === undefined ? undefined : tenantByName(tenantName);
      const moves = (newRole !== undefined && newRole !== u.role) || (tenant && tenant.id !== u.tenantId);
      if (u.id === a.user.id && (moves || disabled === true))
        throw new CodedError(
          'ERR_FORBIDDEN',
          'you cannot change your own role or tenant, nor disable yourself',
        );
      if (!isRoot(a)) {
        if (tenant && tenant.id !== a.tenant.id)
          throw new CodedError('ERR_FORBIDDEN', 'a tenant admin manages users of their own tenant only');
        if (newRole === 'root_admin')
          throw new CodedError('ERR_FORBIDDEN', 'only a root admin can make a root admin');
      }
      const finalRole = newRole ?? u.role;
      const finalTenant = tenant?.id ?? u.tenantId;
      if (finalRole === 'root_admin' && finalTenant !== ROOT_TENANT.id)
        throw new FieldsError('ERR_VALIDATION', [
          { field: 'tenant', message: 'a root admin belongs to the Root Tenant' },
        ]);
      if (finalRole !== 'root_admin') keepAnAdmin(u, 'demoted');
      if (disabled === true) keepAnAdmin(u, 'disabled');
      let out = u;
      if (moves) out = ctx.users.update(u.id, { role: finalRole, tenantId: finalTenant }) ?? out;
      if (disabled !== undefined && disabled !== u.disabled)
        out = ctx.users.setDisabled(u.id, disabled) ?? out;
      return view(out);
    },
  );

  api.post(
    '/users/:username/password',
    {
      schema: {
        tags: ['users'],
        summary: "Reset a user's password (the password rules apply; their sessions end)",
        params: z.object({ username }),
        body: z.object({ password: z.string().max(PASSWORD_MAX) }).strict(),
        response: { 204: z.null(), 400: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const u = manageable(a, req.params.username, 'reset the password of');
      await ctx.users.setPassword(u, req.body.password, { field: 'password' });
      return reply.status(204).send(null);
    },
  );
}
