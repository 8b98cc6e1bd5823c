/**
 * Saved searches and the search history of Threat Hunting: ONE zod schema per shape (the type,
 * the store's validation, the API's schema) and their bounds. The store keeps them
 * (`SavedSearchesRepo`, `SearchHistoryRepo` in src/store/types.ts), the API scopes them to
 * their owner and tenant (src/api/saved-searches.ts).
 */
import { z } from 'zod';
import { notBlank } from './schema.js';

/** The longest query a search accepts (GET /search `q`): a saved search or history entry too. */
export const QUERY_MAX = 10_000;
export const SAVED_NAME_MAX = 100;
/** Saved searches one user may own. */
export const SAVED_PER_USER = 200;
/** Columns of one saved search. */
export const SAVED_COLUMNS_MAX = 50;
/** History entries kept per user (the newest; older ones are dropped). */
export const HISTORY_MAX = 50;

/**
 * A relative range ("the last 24 h", moving with the clock: `15m`, `1h`, `24h`, `7d`, `30d`,
 * any `<n>m|h|d`, or `all`) or an absolute one (epoch ms, inclusive).
 */
export const savedTimeRange = z
  .discriminatedUnion(
    'kind',
    [
      z
        .object({
          kind: z.literal('relative'),
          last: z.string().regex(/^(all|[1-9]\d{0,3}[mhd])$/, {
            message: 'last must be "all" or a number of minutes, hours or days such as 15m, 24h, 7d',
          }),
        })
        .strict(),
      z
        .object({
          kind: z.literal('absolute'),
          from: z.number().int().min(0).max(8.64e15),
          to: z.number().int().min(0).max(8.64e15),
        })
        .strict(),
    ],
    { error: 'kind must be "relative" or "absolute"' },
  )
  .meta({
    id: 'SavedTimeRange',
    description:
      '{kind: "relative", last: "24h"} (moves with the clock; "all" = all time) or {kind: "absolute", from, to} (epoch ms)',
  });
export type SavedTimeRange = z.infer<typeof savedTimeRange>;

export const timeFieldName = z.enum(['timestamp', 'write_time'], {
  error: 'timeField must be timestamp or write_time',
});

const fromBeforeTo = (v: { timeRange?: SavedTimeRange | undefined }, ctx: z.RefinementCtx) => {
  const r = v.timeRange;
  if (r?.kind === 'absolute' && r.from > r.to) {
    ctx.addIssue({ code: 'custom', path: ['timeRange', 'to'], message: 'to must not be before from' });
  }
};

const savedSearchShape = {
  name: z
    .string()
    .min(1, 'name is required')
    .max(SAVED_NAME_MAX, `name must be at most ${SAVED_NAME_MAX} characters`)
    .regex(/^\P{Cc}+$/u, { message: 'name must not contain control characters' })
    .refine(notBlank, { message: 'name must not be blank (only spaces)' }),
  query: z.string().max(QUERY_MAX, `query must be at most ${QUERY_MAX} characters`),
  timeRange: savedTimeRange,
  timeField: timeFieldName.optional(),
  columns: z
    .array(
      z
        .string()
        .min(1)
        .max(256)
        .regex(/^[^\s,\p{Cc}]+$/u, {
          message: 'a column is a dotted field path (no spaces or commas)',
        }),
    )
    .min(1, 'columns must name at least one field')
    .max(SAVED_COLUMNS_MAX, `at most ${SAVED_COLUMNS_MAX} columns`),
  sort: z
    .string()
    .max(64)
    .regex(/^[^\s:,]+:(asc|desc)$/, { message: 'sort must be field:asc or field:desc' })
    .optional(),
  timeZone: z.enum(['utc', 'local'], { error: 'timeZone must be utc or local' }).optional(),
  visibility: z
    .enum(['private', 'tenant'], { error: 'visibility must be private or tenant' })
    .optional()
    .meta({ description: 'private (default): the owner only; tenant: every user of the tenant, read-only' }),
};

/** What a user saves (POST /search/saved). */
export const savedSearchInput = z.object(savedSearchShape).strict().superRefine(fromBeforeTo);
export type SavedSearchInput = z.infer<typeof savedSearchInput>;

/** A change (PATCH /search/saved/{id}): any of the fields. */
export const savedSearchPatch = z
  .object(savedSearchShape)
  .partial()
  .strict()
  .superRefine(fromBeforeTo)
  .meta({ description: 'Any subset of the saved search fields' });
export type SavedSearchPatch = z.infer<typeof savedSearchPatch>;

/** One search a user ran (POST /search/history). */
export const historyInput = z
  .object({
    query: savedSearchShape.query,
    timeRange: savedTimeRange,
    timeField: timeFieldName.optional(),
  })
  .strict()
  .superRefine(fromBeforeTo);
export type HistoryInput = z.infer<typeof historyInput>;
