/**
 * The AWS Inspector connector's configuration: ONE zod schema, the single source of truth for
 * the TypeScript type, validation (field-level messages), the API's OpenAPI schema and the UI
 * form. Fields marked with `.meta({ secret: true })` are encrypted at rest, write-only in the
 * API and redacted from logs; `display: 'text'` beside `secret` shows such a field as typed in the
 * wizard (the Access Key ID: an identifier the user must be able to check, kept write-only and
 * sealed like the secret it belongs to); `.meta({ advanced: true })` puts a field under the
 * wizard's Configuration > Advanced.
 */
import { z } from 'zod';
import { FieldsError, type FieldError } from '../../core/errors.js';
import { logFilter } from '../../core/log-filter.js';
import {
  ENV_REF,
  connectorBaseFields,
  recordVersionsField,
  secretFieldPaths,
  secretValues,
  switchFieldPaths,
} from '../schema.js';
import { PARTITIONS, REGIONS, partitionOf, regionsOf, type PartitionName } from './regions.js';

/** IAM role ARN in any partition, optional path. */
export const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;
/** C0 and C1 control characters and DEL: never part of a key; a pasted newline or tab is a mistake. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001F\u007F-\u009F]/;

const secret = (label: string, max: number) =>
  z
    .string({ error: `${label} is required` })
    .min(1, `${label} is required`)
    .max(max, `${label} must be at most ${max} characters`)
    .refine((v) => !CONTROL_CHARS.test(v), {
      message: `${label} must not contain control characters (newline, tab, ...)`,
    })
    .meta({ secret: true, title: label });

const accessKeyId = z
  .string({ error: 'Access Key is required' })
  .regex(/^(\$\{ENV:[A-Za-z_][A-Za-z0-9_]*\}|[A-Z0-9]{16,128})$/, {
    message: 'Access Key must be 16-128 upper-case letters and digits (e.g. AKIA...), or ${ENV:NAME}',
  })
  .meta({ secret: true, display: 'text', title: 'Access Key' });

export const accessKeyAuth = z
  .object({
    method: z.literal('access_key'),
    accessKeyId,
    secretAccessKey: secret('Secret Key', 256),
  })
  .strict()
  .meta({ title: 'Access Key / Secret Key' });

export const iamRoleAuth = z
  .object({
    method: z.literal('iam_role'),
    accessKeyId: accessKeyId.meta({ secret: true, display: 'text', title: 'Source Account Access Key' }),
    secretAccessKey: secret('Source Account Secret Key', 256),
    roleArn: z
      .string({ error: 'IAM Role ARN is required' })
      .regex(ROLE_ARN, {
        message:
          'IAM Role ARN must look like arn:aws:iam::123456789012:role/RoleName (arn:aws-us-gov:... in GovCloud, arn:aws-cn:... in China)',
      })
      .meta({ title: 'IAM Role ARN' }),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, {
        message: 'External ID must be 2-1224 characters of [A-Za-z0-9+=,.@:/_-]',
      })
      .optional()
      .meta({ title: 'External ID' }),
  })
  .strict()
  .meta({ title: 'IAM Role' });

export const authSchema = z.discriminatedUnion('method', [accessKeyAuth, iamRoleAuth], {
  error: 'auth.method must be one of: access_key, iam_role',
});

const endpointUrl = z
  .url({
    protocol: /^https?$/,
    error: 'must be an http(s) URL, e.g. https://inspector2.us-east-1.amazonaws.com',
  })
  .max(2048);

/** The `regions` entries, the unknown and repeated ones reported as `regions.<i>`. */
const regionList = z
  .array(z.string().meta({ enum: REGIONS }))
  .min(1, 'regions must name at least one region (or be "all")')
  .superRefine((list, ctx) => {
    // The bound first (a check here, not .max(): inside the union zod would only say "invalid").
    if (list.length > REGIONS.length) {
      ctx.addIssue({
        code: 'custom',
        message: `regions may name at most ${REGIONS.length} regions (every known region), not ${list.length}`,
      });
      return;
    }
    const seen = new Map<string, number>();
    list.forEach((r, i) => {
      if (!REGIONS.includes(r)) {
        // The SDK would build a host name for any string and fail only at DNS: refuse it here.
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `regions[${i}]: '${r}' is not an AWS region of the aws, aws-us-gov or aws-cn partition (e.g. us-east-1, us-gov-west-1, cn-north-1)`,
        });
      } else if (seen.has(r)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `regions[${i}]: ${r} is already regions[${seen.get(r)}]: name each region once`,
        });
      } else seen.set(r, i);
    });
    const parts = new Map<string, string>();
    for (const r of list) {
      const p = partitionOf(r);
      if (p && !parts.has(p)) parts.set(p, r);
    }
    if (parts.size > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `regions mixes partitions (${[...parts].map(([p, r]) => `${r} is in ${p}`).join(', ')}): one connector reads one partition, its credentials are that partition's; create one connector per partition`,
      });
    }
  });

export const connectorConfigSchema = z
  .object({
    name: connectorBaseFields.name,
    tenant: connectorBaseFields.tenant,
    regions: z
      .union([z.literal('all'), regionList], {
        error: 'regions must be a list of AWS regions (e.g. ["us-east-1", "eu-west-1"]) or "all"',
      })
      // Absent = [] here (so a parsed config's type always has it); the check below requires
      // regions or the older region.
      .default(() => [])
      .meta({
        title: 'Regions',
        description:
          'The regions to collect, each with its own checkpoint and status, or "all": every region of the partition where Amazon Inspector is available (new ones picked up without a config change).',
      }),
    partition: z
      .enum(PARTITIONS, { error: `partition must be one of: ${PARTITIONS.join(', ')}` })
      .optional()
      .meta({
        title: 'Partition',
        description:
          'With regions "all": the partition whose regions are read (default aws). With a list: the list\'s own.',
      }),
    /** Older configs: one region; read as `regions: [region]` (and never stored again). */
    region: z
      .string()
      .refine((r) => REGIONS.includes(r), {
        message:
          'region must be an AWS region of the aws, aws-us-gov or aws-cn partition, e.g. us-east-1, us-gov-west-1, cn-north-1',
      })
      .optional()
      .meta({ deprecated: true, description: 'Older single-region form: read as regions: [region].' }),
    regionConcurrency: z.number().int().min(1).max(16).default(4).meta({
      title: 'Regions at a time',
      advanced: true,
      description: 'How many regions are collected (and tested) at once.',
    }),
    auth: authSchema,
    intervalMinutes: connectorBaseFields.intervalMinutes,
    disableSslVerification: z
      .boolean()
      .default(false)
      .meta({ title: 'Disable SSL Certificate Verification' }),
    initialLookbackDays: z.number().int().min(0).max(3650).default(7).meta({
      title: 'Initial lookback (days)',
      advanced: true,
      description: 'First run: CLOSED findings updated within this many days (ACTIVE and SUPPRESSED: all).',
    }),
    overlapMinutes: z.number().int().min(0).max(1440).default(15).meta({
      title: 'Window overlap (min)',
      advanced: true,
      description:
        'Each window re-reads this much before the previous one ended (versions AWS lists late); a band as long below it detects a longer lag (warning ERR_INDEXING_LAG). Dedupe drops repeats.',
    }),
    sweepHours: z.number().int().min(0).max(720).default(24).meta({
      title: 'Sweep interval (hours)',
      advanced: true,
      description:
        'Every this many hours (and after a gap in collection over 24 h), list every open finding and close those Amazon Inspector deleted; 0 = only on demand.',
    }),
    recordVersions: recordVersionsField(
      "something a user acts on (status, severity, inspector score or CVSS, the EPSS score's 0.1 band, fix or exploit availability, vulnerable packages, resources)",
    ),
    endpoints: z
      .object({ inspector2: endpointUrl.optional(), sts: endpointUrl.optional() })
      .strict()
      .default({})
      .meta({
        title: 'Endpoint overrides (VPC endpoints, FIPS, emulator)',
        advanced: true,
        description:
          'A URL may contain {region} (each region gets its own); without it the one URL serves every region, each request signed for its own.',
      }),
    logFilters: z.array(logFilter).max(50).default([]),
  })
  .strict()
  .refine((c) => c.region !== undefined || !Array.isArray(c.regions) || c.regions.length > 0, {
    path: ['regions'],
    message: 'regions is required: a list of AWS regions (e.g. ["us-east-1"]) or "all"',
    // Not when `regions` itself was refused (an explicit [] says so already).
    when: (p) => !p.issues.some((i) => i.path?.[0] === 'regions'),
  })
  .superRefine((c, ctx) => {
    // An older `region` replaces the regions and their partition (see below).
    const regions = c.region !== undefined ? undefined : c.regions;
    if (Array.isArray(regions) && regions.length > 0 && c.partition !== undefined) {
      const p = partitionOf(regions[0]!);
      if (p && p !== c.partition) {
        ctx.addIssue({
          code: 'custom',
          path: ['partition'],
          message: `partition ${c.partition} does not hold ${regions[0]} (partition ${p}): leave partition out with a list of regions, or set it to ${p}`,
        });
      }
    }
  })
  // The older single `region` becomes `regions: [region]` (an older client's PATCH of `region`
  // replaces the list): a parsed config never holds `region`, so nothing stores or shows it.
  .overwrite((c) => {
    if (c.region === undefined) return c;
    const { region, partition: _stale, ...rest } = c;
    return { ...rest, regions: [region] };
  });

/**
 * A role lives in its account's partition: an IAM Role ARN of another partition than the
 * regions' would only be refused by AWS after a round trip. Not a schema refinement (checks that
 * need the whole config stay out of it): the API checks it on write (`apiIssues`) and the client
 * factory before any request. Takes a parsed config or a raw one (an older `region` too).
 */
export function partitionIssues(cfg: unknown): FieldError[] {
  const c = cfg as {
    region?: unknown;
    regions?: unknown;
    partition?: unknown;
    auth?: { method?: unknown; roleArn?: unknown };
  } | null;
  if (c?.auth?.method !== 'iam_role' || typeof c.auth.roleArn !== 'string') return [];
  const first = typeof c.region === 'string' ? c.region : Array.isArray(c.regions) ? c.regions[0] : undefined;
  const want =
    typeof first === 'string'
      ? partitionOf(first)
      : c.regions === 'all'
        ? typeof c.partition === 'string' && (PARTITIONS as readonly string[]).includes(c.partition)
          ? (c.partition as PartitionName)
          : 'aws'
        : undefined;
  const got = /^arn:([^:]+):/.exec(c.auth.roleArn)?.[1];
  if (!want || !got || got === want) return [];
  const what = typeof first === 'string' ? `region ${first} is` : `regions "all" are`;
  return [
    {
      field: 'auth.roleArn',
      message: `IAM Role ARN is in partition ${got} but ${what} in ${want}: use arn:${want}:iam::<account>:role/<name>`,
    },
  ];
}

/**
 * Parsed, defaults applied: `regions` always set, never empty (an older `region` was read into
 * it, `region` is then absent). Resolve it with `regionsOf` (regions.ts: "all" -> the
 * partition's Inspector2 regions).
 */
export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
/** As written by a user (defaults optional). */
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type AuthConfig = z.infer<typeof authSchema>;

/**
 * The secret fields by dotted path, derived from the schema's marks: the one list behind
 * sealing at rest (store), masking and write-only handling (API, UI via /meta's schema),
 * `${ENV:NAME}` references, and redaction (logger, error texts).
 */
export const SECRET_FIELDS: readonly string[] = secretFieldPaths(connectorConfigSchema);

/** The secret fields' names within `auth` (`accessKeyId`, ...). */
export const AUTH_SECRET_KEYS: readonly string[] = SECRET_FIELDS.filter((f) => f.startsWith('auth.')).map(
  (f) => f.slice('auth.'.length),
);

/** The values of a config's secret fields (set ones only), for scrubbing them out of text. */
export function configSecrets(cfg: ConnectorConfig): string[] {
  return secretValues(cfg, SECRET_FIELDS);
}

/** The discriminators of the config's unions (`auth.method`): switching one drops the other variant's fields. */
export const SWITCH_FIELDS: readonly string[] = switchFieldPaths(connectorConfigSchema);

/**
 * Replace `${ENV:NAME}` references with the environment's values (never logged). An unset or
 * unusable variable throws ERR_CONFIG_INVALID (FieldsError) naming the field.
 */
export function resolveEnvRefs(cfg: ConnectorConfig, env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  const resolve = (field: string, v: string): string => {
    const m = ENV_REF.exec(v);
    if (!m) return v;
    const val = env[m[1]!];
    const invalid = (message: string) => new FieldsError('ERR_CONFIG_INVALID', [{ field, message }]);
    if (val === undefined || val === '') throw invalid(`environment variable ${m[1]} is not set`);
    if (CONTROL_CHARS.test(val)) {
      throw invalid(`environment variable ${m[1]} contains control characters (a trailing newline?)`);
    }
    return val;
  };
  const auth: Record<string, unknown> = { ...cfg.auth };
  for (const k of AUTH_SECRET_KEYS) {
    if (typeof auth[k] === 'string') auth[k] = resolve(`auth.${k}`, auth[k]);
  }
  return { ...cfg, auth: auth as AuthConfig };
}

/**
 * The regions a config as received (raw: an API body, a PATCH) names, best effort, for checks
 * that need them before the schema has read it: `region`, a `regions` list (known regions
 * only) or "all" with its `partition`.
 */
export function rawRegions(cfg: unknown): string[] {
  const c = cfg as { region?: unknown; regions?: unknown; partition?: unknown } | null;
  if (typeof c?.region === 'string') return REGIONS.includes(c.region) ? [c.region] : [];
  if (Array.isArray(c?.regions))
    return c.regions.filter((r): r is string => typeof r === 'string' && REGIONS.includes(r));
  if (c?.regions === 'all') {
    const p = (PARTITIONS as readonly unknown[]).includes(c.partition)
      ? (c.partition as PartitionName)
      : 'aws';
    return regionsOf({ regions: 'all', partition: p });
  }
  return [];
}

/** A request that sends both the older `region` and `regions` (which one meant?). */
export function regionFieldIssues(cfg: unknown): FieldError[] {
  const c = cfg as { region?: unknown; regions?: unknown } | null;
  return c?.region !== undefined && c.regions !== undefined
    ? [
        {
          field: 'region',
          message: 'send regions, or the older region, not both (region is read as regions: [region])',
        },
      ]
    : [];
}
