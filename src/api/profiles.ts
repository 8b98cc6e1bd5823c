/** Data Analyzer profiles: "Default" always exists; only root admins change membership. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, requireRole, seesTenant, type ApiContext } from './context.js';
import { errorBody, profileOut } from './schemas.js';

export function profilesPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, scheduler } = ctx;
  const params = z.object({ profile: z.string().min(1).max(128), id: z.string().min(1).max(128) });

  api.get(
    '/profiles',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Data Analyzer profiles and their connectors (the ones you can see)',
        response: { 200: z.object({ profiles: z.array(profileOut) }) },
      },
    },
    async (req) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const visible = new Set(
        store.connectors
          .list()
          .filter((c) => seesTenant(a, c.tenant))
          .map((c) => c.id),
      );
      return {
        profiles: store.profiles
          .list()
          .map((p) => ({ ...p, connectorIds: p.connectorIds.filter((id) => visible.has(id)) })),
      };
    },
  );

  const lookup = (profile: string, id: string) => {
    const p = store.profiles.get(profile);
    if (!p) throw notFound('profile', profile);
    if (!store.connectors.get(id)) throw notFound('connector', id);
    return p;
  };

  api.put(
    '/profiles/:profile/connectors/:id',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Add a connector to a profile (root admin); the first time, it pulls at once',
        params,
        response: { 200: profileOut, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      requireRole(req, 'root_admin');
      lookup(req.params.profile, req.params.id);
      store.profiles.addConnector(req.params.profile, req.params.id);
      // The scheduler launches the first pull when the connector becomes eligible.
      scheduler.notifyChanged(req.params.id);
      return store.profiles.get(req.params.profile)!;
    },
  );

  api.delete(
    '/profiles/:profile/connectors/:id',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Remove a connector from a profile (root admin)',
        params,
        response: { 200: profileOut, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      requireRole(req, 'root_admin');
      lookup(req.params.profile, req.params.id);
      store.profiles.removeConnector(req.params.profile, req.params.id);
      scheduler.notifyChanged(req.params.id);
      return store.profiles.get(req.params.profile)!;
    },
  );
}
