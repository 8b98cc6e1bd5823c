/**
 * Route schemas. Connector bodies derive from each registered type's config schema (the one
 * source of truth, src/connectors/types.ts); nothing here re-declares a config field by hand.
 */
import { z } from 'zod';
import { logFilter } from '../core/log-filter.js';
import { QUERY_MAX } from '../core/saved-search.js';
import { DEFAULT_TYPE, type ConnectorRegistry } from '../connectors/registry.js';
import type { AnyConnectorType } from '../connectors/types.js';
import { MASK } from '../store/index.js';
import { ROLES } from '../auth/users.js';

/** The General fields that are the same for every type (type and category come from the type). */
export const FIXED = {
  function: 'Collect',
  runOn: 'Data Processor',
} as const;

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

const id = z.string().min(1).max(128);
export const idParams = z.object({ id });

const logFilterIds = z
  .array(id)
  .max(50)
  .meta({ description: 'Log filters attached as exclude filters, in order' });

/** Blank or "********" keeps the stored secret (write-only fields). */
const keepable = (s: z.ZodType) => z.union([z.literal(''), z.literal(MASK), s]).optional();

type Shape = Record<string, z.ZodType>;
const unwrapDefault = (v: z.ZodType): z.ZodType =>
  v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : v;

/** `type`: the type's id (or its label, as a GET answers it); absent = aws-inspector (older clients). */
function typeField(t: AnyConnectorType) {
  const f = z.enum([t.id, t.label]).meta({
    description: `Connector type: "${t.id}" (or its label "${t.label}")`,
  });
  return t.id === DEFAULT_TYPE ? f.optional() : f;
}

function withType(t: AnyConnectorType, extra: Shape) {
  const shape = t.configSchema.shape as Shape;
  const tenant = shape.tenant ? unwrapDefault(shape.tenant).optional() : z.string().optional();
  // safeExtend: a type's schema may hold whole-object checks (AWS: regions or the older region).
  return t.configSchema.safeExtend({ type: typeField(t), tenant, ...extra });
}

function byType(options: z.ZodObject[], registry: ConnectorRegistry) {
  return z.discriminatedUnion('type', options as [z.ZodObject, ...z.ZodObject[]], {
    error: `type must be one of: ${registry.types.map((t) => t.id).join(', ')}`,
  });
}

/** POST /connectors: the CLI file's keys + `type`; tenant defaults to the caller's. */
export function connectorCreateBody(registry: ConnectorRegistry) {
  return byType(
    registry.types.map((t) =>
      withType(t, { active: z.boolean().optional(), logFilterIds: logFilterIds.optional() }),
    ),
    registry,
  );
}

/** POST /connectors/test: an unsaved configuration. */
export function connectorTestBody(registry: ConnectorRegistry) {
  return byType(
    registry.types.map((t) => withType(t, {})),
    registry,
  );
}

/** A PATCH of a nested object: any subset of its fields (any variant's); secrets keepable. */
function partialOf(schema: z.ZodType, secretKeys: readonly string[]): z.ZodType {
  const inner = unwrapDefault(schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema);
  const variants =
    inner instanceof z.ZodDiscriminatedUnion
      ? (inner.options as z.ZodObject[])
      : inner instanceof z.ZodObject
        ? [inner]
        : undefined;
  if (!variants) return inner;
  const fields: Shape = {};
  const values = new Map<string, unknown[]>();
  for (const v of variants) {
    for (const [k, f] of Object.entries(v.shape as Shape)) {
      if (f instanceof z.ZodLiteral) values.set(k, [...(values.get(k) ?? []), ...f.values]);
      else fields[k] ??= f;
    }
  }
  for (const [k, vs] of values) fields[k] = z.enum(vs.map(String) as [string, ...string[]]);
  for (const k of Object.keys(fields)) {
    const f = fields[k]!;
    fields[k] = secretKeys.includes(k) ? keepable(f) : unwrapDefault(f).optional();
  }
  return z.object(fields).strict();
}

/**
 * PATCH /connectors/{id} of a connector of type `t`: every config field optional WITHOUT its
 * default (an absent field keeps its stored value), nested objects partial, secrets write-only
 * (blank or "********" keeps them); plus `active`, `logFilterIds` and the fixed General fields
 * (accepted only with their value, else a clear 400).
 */
export function connectorPatchBody(t: AnyConnectorType) {
  const shape = t.configSchema.shape as Shape;
  const out: Shape = {};
  for (const [k, v] of Object.entries(shape)) {
    const nestedSecrets = t.secretFields
      .filter((f) => f.startsWith(`${k}.`))
      .map((f) => f.slice(k.length + 1));
    const switched = t.switchFields.some((f) => f.startsWith(`${k}.`));
    if (nestedSecrets.length || switched) out[k] = partialOf(v, nestedSecrets).optional();
    else if (t.secretFields.includes(k)) out[k] = keepable(unwrapDefault(v));
    else out[k] = unwrapDefault(v).optional();
  }
  return z
    .object({
      ...out,
      active: z.boolean().optional(),
      logFilterIds: logFilterIds.optional(),
      category: z.string().optional(),
      type: z.string().optional(),
      function: z.string().optional(),
      runOn: z.string().optional(),
    })
    .strict();
}

/** The PATCH route's body as the router sees it: validated per type by the handler (connectorPatchBody). */
export const connectorPatchAny = z.record(z.string(), z.unknown()).meta({
  description:
    'Any subset of the connector type\'s Configuration fields (GET /meta: connectorTypes[].schema), plus active and logFilterIds. A secret sent blank or "********" keeps the stored one.',
});

const statusError = z.object({ code: z.string(), message: z.string(), at: z.number() });

/** One part's status (a type with parts, AWS Inspector: a region; docs/connectors.md "Parts"). */
export const partStatus = z
  .object({
    part: z.string().meta({ description: 'The part (AWS Inspector: a region)' }),
    state: z.enum(['never_run', 'ok', 'failed']),
    lastError: statusError.optional(),
    lastSuccessAt: z.number().optional(),
    lastRunAt: z.number().optional(),
  })
  .meta({ id: 'PartStatus' });

export const connectorStatus = z.object({
  state: z.enum(['never_run', 'ok', 'partial', 'failed']).meta({
    description:
      'The last run: ok; partial = some of its parts failed (`parts` names them, `lastError` is the first failure); failed = the run or every part failed',
  }),
  lastError: statusError.optional(),
  lastSuccessAt: z.number().optional(),
  lastRunAt: z.number().optional(),
  running: z.boolean(),
  parts: z.array(partStatus).optional().meta({
    description:
      "Each part's status, sorted by part, when the connector's type has parts (AWS Inspector: regions)",
  }),
});

/** How one part of a run ended. */
export const runPartOut = z
  .object({
    part: z.string(),
    status: z.enum(['ok', 'failed', 'stopped']),
    received: z.number(),
    stored: z.number(),
    vanished: z.number(),
    durationMs: z.number(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'RunPart' });

export const runOut = z
  .object({
    id: z.number(),
    status: z.enum(['running', 'ok', 'failed']),
    startedAt: z.number(),
    finishedAt: z.number().optional(),
    received: z.number().meta({ description: 'Findings received from AWS' }),
    new: z.number().meta({ description: 'Records stored by this run (same as `stored`)' }),
    alreadyStored: z.number().meta({
      description: "Versions the tenant's index already held, not stored again (same as `duplicates`)",
    }),
    stored: z.number(),
    duplicates: z.number(),
    unchanged: z.number().meta({
      description:
        'New versions not stored as records because nothing material changed (recordVersions: material); their current state moved forward',
    }),
    discarded: z.number().meta({ description: 'Dropped by log filters' }),
    discardedByFilter: z.record(z.string(), z.number()),
    pages: z.number(),
    vanished: z.number().meta({ description: 'Findings a sweep closed because AWS no longer reports them' }),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    parts: z.array(runPartOut).optional().meta({
      description:
        'With parts: how each part ended, in the order started (a run is failed when any part failed)',
    }),
    summary: z.string().meta({
      description:
        '"received N, new M, already stored K" (+ ", unchanged U", ", discarded D", ", vanished V")',
    }),
  })
  .meta({ id: 'Run' });

export const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

export const connectorOut = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    type: z.string().meta({ description: 'The type\'s label, e.g. "AWS Inspector"' }),
    typeId: z
      .string()
      .meta({ description: 'The type\'s id, e.g. "aws-inspector" (POST /connectors `type`)' }),
    function: z.literal(FIXED.function),
    tenant: z.string(),
    runOn: z.literal(FIXED.runOn),
    intervalMinutes: z.number(),
    region: z
      .string()
      .optional()
      .meta({ description: 'AWS Inspector: the first region collected (older clients; see regions)' }),
    regions: z
      .string()
      .optional()
      .meta({ description: 'AWS Inspector: the regions collected, comma-separated, or "all (<partition>)"' }),
    active: z.boolean(),
    profiles: z.array(z.string()),
    logFilterIds: z.array(z.string()),
    config: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The configuration, secrets masked as "********"' }),
    status: connectorStatus,
    counts: z.object({ stored: z.number(), discarded: z.number() }).optional(),
    lastRun: runOut
      .optional()
      .meta({ description: 'The latest run (the one running, if any): its counts and summary' }),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .meta({ id: 'Connector' });

export const testResultOut = z
  .object({
    ok: z.boolean(),
    httpStatus: z.number(),
    code: z.string(),
    summary: z.string(),
    explanation: z.string(),
    recommendation: z.string(),
    detail: z.string(),
    identity: z.unknown().optional(),
    warnings: z.array(z.string()),
    parts: z
      .array(
        z.object({
          part: z.string(),
          ok: z.boolean(),
          status: z.enum(['ok', 'not_activated', 'not_enabled', 'access_denied', 'failed']),
          httpStatus: z.number(),
          code: z.string(),
          summary: z.string(),
          explanation: z.string(),
          recommendation: z.string(),
        }),
      )
      .optional()
      .meta({
        description:
          "A row per part of a type with parts (AWS Inspector: per region), in the parts' order; ok/code above are the whole Test's",
      }),
  })
  .meta({ id: 'TestResult' });

export const profileOut = z
  .object({ id: z.string(), name: z.string(), connectorIds: z.array(z.string()) })
  .meta({ id: 'Profile' });

export const tenantOut = z.object({ id: z.string(), name: z.string() }).meta({ id: 'Tenant' });

export const role = z.enum(ROLES);

export const userOut = z
  .object({
    id: z.string(),
    username: z.string(),
    role,
    tenant: z.string(),
    disabled: z.boolean().meta({ description: 'Cannot log in until enabled again' }),
    createdAt: z.number(),
  })
  .meta({ id: 'User' });

export const sessionUser = z.object({ username: z.string(), role, tenant: z.string() });

export const username = z
  .string()
  .min(1, 'username is required')
  .max(64, 'username must be at most 64 characters')
  .regex(/^[A-Za-z0-9._@-]+$/, { message: 'username may contain letters, digits and . _ @ - only' });

export const logFilterBody = logFilter;
export const logFilterPatchBody = logFilter
  .partial()
  .extend({
    tenant: logFilter.shape.tenant.unwrap().nullable().optional().meta({ description: 'null = all tenants' }),
  })
  .strict();
/** Records a log filter preview returns at most (whole records: kept small). */
export const MAX_PREVIEW_SAMPLE = 20;
export const logFilterPreviewBody = z
  .object({
    filter: logFilter.extend({
      name: logFilter.shape.name.optional().meta({ description: 'optional here: a draft may have none yet' }),
    }),
    limit: z.number().int().min(1).max(10_000).default(1000),
    sample: z
      .number()
      .int()
      .min(0)
      .max(MAX_PREVIEW_SAMPLE)
      .default(5)
      .meta({ description: `matching records to return, newest first (at most ${MAX_PREVIEW_SAMPLE})` }),
  })
  .strict();
export const logFilterOut = logFilter.extend({ id: z.string() }).meta({ id: 'LogFilter' });

const epochOrIso = z.string().max(64).meta({ description: 'epoch milliseconds, or an ISO-8601 date/time' });

export const searchQuery = z
  .object({
    index: z.literal('syslog').default('syslog'),
    q: z.string().max(QUERY_MAX).optional(),
    from: epochOrIso.optional(),
    to: epochOrIso.optional(),
    timeField: z.enum(['timestamp', 'write_time']).default('timestamp'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
    sort: z.string().max(64).optional(),
  })
  .strict();

/** The most records one export may ask for. */
export const MAX_EXPORT_RECORDS = 1_000_000;

export const exportQuery = searchQuery
  .omit({ limit: true, offset: true })
  .extend({
    format: z.enum(['ndjson', 'csv']).default('ndjson'),
    /** CSV columns, comma-separated dotted paths (default: the Threat Hunting table's). */
    fields: z.string().max(10_000).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EXPORT_RECORDS).default(MAX_EXPORT_RECORDS),
  })
  .strict();

export const fieldsQuery = searchQuery
  .omit({ limit: true, offset: true })
  .extend({
    sample: z.coerce.number().int().min(1).max(1000).default(500),
    top: z.coerce.number().int().min(1).max(20).default(5),
  })
  .strict();

export const histogramQuery = searchQuery
  .omit({ limit: true, offset: true, sort: true })
  .extend({
    buckets: z.coerce.number().int().min(1).max(1000).default(60),
    robust: z.enum(['true', 'false'], { error: 'robust must be true or false' }).optional().meta({
      description:
        'All time only: leave out the earliest and latest 1% of the records when they are outliers (span says how many)',
    }),
  })
  .strict();
