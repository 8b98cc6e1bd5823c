/**
 * Threat Hunting's saved searches (/search/saved) and the caller's search history
 * (/search/history). A saved search is its owner's; `tenant` visibility shares it read-only with
 * the users of the owner's tenant. Only the owner, or an admin (tenant or root admin) of that
 * tenant, changes or deletes a shared one; a search the caller cannot see is "not found" (ids of
 * other users and tenants are not confirmed).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError } from '../core/errors.js';
import {
  HISTORY_MAX,
  historyInput,
  savedSearchInput,
  savedSearchPatch,
  savedTimeRange,
  timeFieldName,
} from '../core/saved-search.js';
import type { SavedSearch } from '../store/index.js';
import { authOf, notFound, type ApiContext, type AuthContext } from './context.js';
import { errorBody, idParams } from './schemas.js';

const savedSearchOut = z
  .object({
    id: z.string(),
    name: z.string(),
    query: z.string(),
    timeRange: savedTimeRange,
    timeField: timeFieldName.optional(),
    columns: z.array(z.string()),
    sort: z.string().optional(),
    timeZone: z.enum(['utc', 'local']).optional(),
    visibility: z.enum(['private', 'tenant']),
    owner: z.string().meta({ description: "The owner's user name" }),
    mine: z.boolean().meta({ description: 'The caller owns it' }),
    editable: z
      .boolean()
      .meta({ description: 'The caller may change and delete it (the owner, or an admin of its tenant)' }),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .meta({ id: 'SavedSearch' });

const historyOut = z
  .object({
    query: z.string(),
    timeRange: savedTimeRange,
    timeField: timeFieldName.optional(),
    ranAt: z.number(),
  })
  .meta({ id: 'SearchHistoryEntry' });

/** Sees it: the owner, or a user of its tenant when it is shared. */
const sees = (a: AuthContext, s: SavedSearch) =>
  s.ownerId === a.user.id || (s.visibility === 'tenant' && s.tenantId === a.tenant.id);

/** Changes it: the owner, or an admin of its tenant (a shared one: another's private one is never seen). */
const mayEdit = (a: AuthContext, s: SavedSearch) =>
  s.ownerId === a.user.id || (sees(a, s) && (a.user.role === 'tenant_admin' || a.user.role === 'root_admin'));

function view(a: AuthContext, s: SavedSearch): z.infer<typeof savedSearchOut> {
  const { ownerId, tenantId: _t, ...rest } = s;
  return { ...rest, mine: ownerId === a.user.id, editable: mayEdit(a, s) };
}

export function savedSearchesPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;

  const visible = (a: AuthContext, id: string): SavedSearch => {
    const s = store.savedSearches.get(id);
    if (!s || !sees(a, s)) throw notFound('saved search', id);
    return s;
  };
  const editable = (a: AuthContext, id: string): SavedSearch => {
    const s = visible(a, id);
    if (!mayEdit(a, s)) {
      throw new CodedError(
        'ERR_FORBIDDEN',
        `the saved search "${s.name}" is ${s.owner}'s: only its owner or an admin of the tenant may change or delete it (save a copy under your own name)`,
      );
    }
    return s;
  };

  api.get(
    '/search/saved',
    {
      schema: {
        tags: ['search'],
        summary: "Saved searches the caller sees: their own and their tenant's shared ones, by name",
        response: { 200: z.object({ savedSearches: z.array(savedSearchOut) }) },
      },
    },
    async (req) => {
      const a = authOf(req);
      return { savedSearches: store.savedSearches.listVisible(a.user.id).map((s) => view(a, s)) };
    },
  );

  api.post(
    '/search/saved',
    {
      schema: {
        tags: ['search'],
        summary:
          'Save a search (name unique per user ignoring case, at most 200 per user); visibility private (default) or tenant',
        body: savedSearchInput,
        response: { 201: savedSearchOut, 400: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      return reply.status(201).send(view(a, store.savedSearches.create(a.user.id, req.body)));
    },
  );

  api.get(
    '/search/saved/:id',
    {
      schema: {
        tags: ['search'],
        summary: 'One saved search (404 when the caller does not see it)',
        params: idParams,
        response: { 200: savedSearchOut, 404: errorBody },
      },
    },
    async (req) => {
      const a = authOf(req);
      return view(a, visible(a, req.params.id));
    },
  );

  api.patch(
    '/search/saved/:id',
    {
      schema: {
        tags: ['search'],
        summary: 'Change a saved search (its owner, or an admin of its tenant): rename, share, new query...',
        params: idParams,
        body: savedSearchPatch,
        response: { 200: savedSearchOut, 400: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const a = authOf(req);
      const s = editable(a, req.params.id);
      return view(a, store.savedSearches.update(s.id, req.body));
    },
  );

  api.delete(
    '/search/saved/:id',
    {
      schema: {
        tags: ['search'],
        summary: 'Delete a saved search (its owner, or an admin of its tenant)',
        params: idParams,
        response: { 204: z.null(), 403: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      store.savedSearches.delete(editable(a, req.params.id).id);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/search/history',
    {
      schema: {
        tags: ['search'],
        summary: `The caller's last ${HISTORY_MAX} distinct queries, newest first`,
        response: { 200: z.object({ history: z.array(historyOut) }) },
      },
    },
    async (req) => ({ history: store.searchHistory.list(authOf(req).user.id) }),
  );

  api.post(
    '/search/history',
    {
      schema: {
        tags: ['search'],
        summary:
          'Record a search the caller ran (the UI does, for each new query); the same query again moves to the top with its latest time range',
        body: historyInput,
        response: { 201: historyOut, 400: errorBody },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      return reply.status(201).send(store.searchHistory.add(a.user.id, req.body, ctx.clock.now()));
    },
  );

  api.delete(
    '/search/history',
    {
      schema: {
        tags: ['search'],
        summary: "Clear the caller's search history",
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      store.searchHistory.clear(authOf(req).user.id);
      return reply.status(204).send(null);
    },
  );
}
