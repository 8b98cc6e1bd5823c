/**
 * Route schemas. Connector bodies derive from connectorConfigSchema (the one source of truth);
 * nothing here re-declares a config field by hand.
 */
import { z } from 'zod';
import {
  AUTH_SECRET_KEYS,
  accessKeyAuth,
  connectorConfigSchema,
  iamRoleAuth,
} from '../connectors/aws-inspector/config.js';
import { logFilter } from '../core/log-filter.js';
import { MASK } from '../store/index.js';
import { ROLES } from '../auth/users.js';

export const FIXED = {
  category: 'Vulnerability Scanner',
  type: 'AWS Inspector',
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

const cfgShape = connectorConfigSchema.shape;
const id = z.string().min(1).max(128);
export const idParams = z.object({ id });

const logFilterIds = z
  .array(id)
  .max(50)
  .meta({ description: 'Log filters attached as exclude filters, in order' });

/** POST /connectors and POST /connectors/test: the CLI file's keys; tenant defaults to the caller's. */
export const connectorCreateBody = connectorConfigSchema.extend({
  tenant: cfgShape.tenant.unwrap().optional(),
  active: z.boolean().optional(),
  logFilterIds: logFilterIds.optional(),
});

export const connectorTestBody = connectorConfigSchema.extend({
  tenant: cfgShape.tenant.unwrap().optional(),
});

/** Blank or "********" keeps the stored secret (write-only fields). */
const keepable = <T extends z.ZodType>(s: T) => z.union([z.literal(''), z.literal(MASK), s]).optional();

const authFields = { ...iamRoleAuth.shape, ...accessKeyAuth.shape } as Record<string, z.ZodType>;
/** PATCH auth: any subset of either method's fields; the merged result is validated in full. */
const authPatch = z
  .object({
    ...iamRoleAuth.partial().shape,
    method: z.enum([accessKeyAuth.shape.method.value, iamRoleAuth.shape.method.value]).optional(),
    // The secret fields (marked in the config schema) are write-only: blank or MASK keeps them.
    ...Object.fromEntries(AUTH_SECRET_KEYS.map((k) => [k, keepable(authFields[k]!)])),
  })
  .strict();

/** Every config field optional WITHOUT its default (an absent field keeps its stored value). */
const optionalShape = Object.fromEntries(
  Object.entries(cfgShape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]),
) as unknown as { [K in keyof typeof cfgShape]: z.ZodOptional<z.ZodType> };

export const connectorPatchBody = z
  .object({
    ...optionalShape,
    auth: authPatch.optional(),
    active: z.boolean().optional(),
    logFilterIds: logFilterIds.optional(),
    // General fields that are fixed: accepted only with their fixed value (else a clear 400).
    category: z.string().optional(),
    type: z.string().optional(),
    function: z.string().optional(),
    runOn: z.string().optional(),
  })
  .strict();

export const connectorStatus = z.object({
  state: z.enum(['never_run', 'ok', 'failed']),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).optional(),
  lastSuccessAt: z.number().optional(),
  lastRunAt: z.number().optional(),
  running: z.boolean(),
});

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
    discarded: z.number().meta({ description: 'Dropped by log filters' }),
    discardedByFilter: z.record(z.string(), z.number()),
    pages: z.number(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    summary: z.string().meta({ description: '"received N, new M, already stored K" (+ ", discarded D")' }),
  })
  .meta({ id: 'Run' });

export const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

export const connectorOut = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.literal(FIXED.category),
    type: z.literal(FIXED.type),
    function: z.literal(FIXED.function),
    tenant: z.string(),
    runOn: z.literal(FIXED.runOn),
    intervalMinutes: z.number(),
    region: z.string(),
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
  })
  .meta({ id: 'TestResult' });

export const profileOut = z
  .object({ id: z.string(), name: z.string(), connectorIds: z.array(z.string()) })
  .meta({ id: 'Profile' });

export const tenantOut = z.object({ id: z.string(), name: z.string() }).meta({ id: 'Tenant' });

export const role = z.enum(ROLES);

export const userOut = z
  .object({ id: z.string(), username: z.string(), role, tenant: z.string(), createdAt: z.number() })
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
export const logFilterOut = logFilter.extend({ id: z.string() }).meta({ id: 'LogFilter' });

const epochOrIso = z.string().max(64).meta({ description: 'epoch milliseconds, or an ISO-8601 date/time' });

export const searchQuery = z
  .object({
    index: z.literal('syslog').default('syslog'),
    q: z.string().max(10_000).optional(),
    from: epochOrIso.optional(),
    to: epochOrIso.optional(),
    timeField: z.enum(['timestamp', 'write_time']).default('timestamp'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
    sort: z.string().max(64).optional(),
  })
  .strict();

export const histogramQuery = searchQuery
  .omit({ limit: true, offset: true, sort: true })
  .extend({ buckets: z.coerce.number().int().min(1).max(1000).default(60) })
  .strict();
