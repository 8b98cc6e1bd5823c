/** Threat Hunting / Interflow Search over the Syslog index, scoped to the caller's tenants. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseTime } from '../core/time.js';
import { authOf, searchScope, type ApiContext } from './context.js';
import { FieldsError, type FieldError } from '../core/errors.js';
import { errorBody, exportQuery, fieldsQuery, histogramQuery, searchQuery } from './schemas.js';
import { csvHeader, csvRow, parseFieldList } from '../search/export-format.js';
import type { SearchFilter, SortCursor } from '../store/index.js';

/**
 * Records per export page: each page is one search on the search threads, with the search
 * time budget; a page is written before the next is asked for.
 */
export const EXPORT_PAGE = 2000;

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
          200: z.object({
            total: z.number(),
            records: z.array(z.record(z.string(), z.unknown())),
            unknownFields: z.array(z.string()).optional(),
          }),
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
            span: z
              .object({ min: z.number(), max: z.number(), before: z.number(), after: z.number() })
              .optional(),
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
        ...(q.robust === 'true' ? { robust: true } : {}),
        tenantIds: searchScope(a),
      });
    },
  );

  api.get(
    '/search/export',
    {
      schema: {
        tags: ['search'],
        summary:
          "The query's records as NDJSON or CSV, streamed (up to 1,000,000), in pages that each have the search time budget",
        querystring: exportQuery,
        response: { 400: errorBody },
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      const q = req.query;
      const fields = q.format === 'csv' ? parseFieldList(q.fields, 'fields') : [];
      const filter: SearchFilter & { sort?: string } = {
        ...(q.q !== undefined ? { q: q.q } : {}),
        ...times(q),
        timeField: q.timeField,
        ...(q.sort !== undefined ? { sort: q.sort } : {}),
        tenantIds: searchScope(a),
      };
      const pageSize = ctx.exportPageSize ?? EXPORT_PAGE;
      // The first page before any byte is sent: a bad query, a busy server or a spent budget
      // is an ordinary error response, not a truncated file.
      const first = await ctx.search.exportPage({ ...filter, limit: Math.min(pageSize, q.limit) });
      const render = (docs: string[]): string =>
        q.format === 'csv'
          ? docs.map((d) => csvRow(JSON.parse(d) as unknown, fields)).join('')
          : docs.map((d) => `${d}\n`).join('');
      async function* body(): AsyncGenerator<string> {
        if (q.format === 'csv') yield csvHeader(fields);
        let page = first;
        let sent = 0;
        for (;;) {
          const docs = page.docs.slice(0, q.limit - sent);
          sent += docs.length;
          if (docs.length) yield render(docs);
          // Readable.from asks for the next page only once the response has taken this one.
          if (page.next === null || sent >= q.limit) return;
          page = await ctx.search.exportPage({
            ...filter,
            limit: Math.min(pageSize, q.limit - sent),
            after: page.next as SortCursor,
            total: page.total,
          });
        }
      }
      const stamp = new Date(ctx.clock.now()).toISOString().replace(/[:.]/g, '-');
      return (
        reply
          .header('content-type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
          .header('content-disposition', `attachment; filename="syslog-${stamp}.${q.format}"`)
          .header('x-total-count', String(Math.min(first.total, q.limit)))
          .header('cache-control', 'no-store')
          // (The typed reply knows only the error body; a stream is sent as it is.)
          .send(Readable.from(body(), { objectMode: false }) as never)
      );
    },
  );

  api.get(
    '/search/fields',
    {
      schema: {
        tags: ['search'],
        summary:
          'Fields of a sample of the matching records (the first `sample` in sort order), with top values',
        querystring: fieldsQuery,
        response: {
          200: z.object({
            total: z.number(),
            sampled: z.number(),
            fields: z.array(
              z.object({
                path: z.string(),
                count: z.number(),
                distinct: z.number(),
                top: z.array(z.object({ value: z.string(), count: z.number() })),
              }),
            ),
          }),
          400: errorBody,
        },
      },
    },
    async (req) => {
      const a = authOf(req);
      const q = req.query;
      return ctx.search.fieldStats({
        ...(q.q !== undefined ? { q: q.q } : {}),
        ...times(q),
        timeField: q.timeField,
        ...(q.sort !== undefined ? { sort: q.sort } : {}),
        sample: q.sample,
        top: q.top,
        tenantIds: searchScope(a),
      });
    },
  );
}
