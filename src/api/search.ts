/** Threat Hunting / Interflow Search over the Syslog index, scoped to the caller's tenants. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseTime } from '../core/time.js';
import { authOf, searchScope, type ApiContext } from './context.js';
import { FieldsError, type FieldError } from '../core/errors.js';
import { errorBody, histogramQuery, searchQuery } from './schemas.js';

/** from/to as epoch ms or an ISO-8601 date; absent = unbounded (all time). */
function times(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const issues: FieldError[] = [];
  const out: { from?: number; to?: number } = {};
  for (const k of ['from', 'to'] as const) {
    const v = q[k];
    if (v === undefined || v === '') continue;
    const n = parseTime(v);
    if (n === undefined)
      issues.push({ field: k, message: `${k} must be epoch milliseconds or an ISO-8601 date/time` });
    else out[k] = n;
  }
  if (issues.length) throw new FieldsError('ERR_VALIDATION', issues);
  return out;
}

export function searchPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Search the Syslog index (Lucene-style q); without from/to: all time',
        querystring: searchQuery,
        response: {
          200: z.object({ total: z.number(), records: z.array(z.record(z.string(), z.unknown())) }),
          400: errorBody,
        },
      },
    },
    async (req) => {
      const a = authOf(req);
      const q = req.query;
      return ctx.search.search({
        ...(q.q !== undefined ? { q: q.q } : {}),
        ...times(q),
        timeField: q.timeField,
        limit: q.limit,
        offset: q.offset,
        ...(q.sort !== undefined ? { sort: q.sort } : {}),
        tenantIds: searchScope(a),
      });
    },
  );

  api.get(
    '/search/histogram',
    {
      schema: {
        tags: ['search'],
        summary: 'Records over time for the same filters',
        querystring: histogramQuery,
        response: {
          200: z.object({
            interval: z.number(),
            buckets: z.array(z.object({ start: z.number(), count: z.number() })),
          }),
          400: errorBody,
        },
      },
    },
    async (req) => {
      const a = authOf(req);
      const q = req.query;
      return ctx.search.histogram({
        ...(q.q !== undefined ? { q: q.q } : {}),
        ...times(q),
        timeField: q.timeField,
        buckets: q.buckets,
        tenantIds: searchScope(a),
      });
    },
  );
}
