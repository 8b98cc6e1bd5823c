/**
 * Connector types' zod config schemas: the fields every type declares (`connectorBaseFields`),
 * and reading a schema: the secret fields (marked `.meta({ secret: true })`), the discriminator
 * fields of its unions, and the `${ENV:NAME}` references of secrets (zod issues as field errors:
 * `configIssues` in core/schema.ts). Every type's lists are derived here from its own schema, so
 * the schema stays the one source of truth.
 */
import { z } from 'zod';
import type { FieldError } from '../core/errors.js';
import { PRINTABLE_ASCII, notBlank } from '../core/schema.js';

const INTERVAL = 'intervalMinutes must be a positive integer (minutes)';

/**
 * The fields of `BaseConnectorConfig` (types.ts) with the product's rules, the same for every
 * type: a type's schema takes them by name (`name: connectorBaseFields.name`, ...), in the order
 * its form wants them.
 */
export const connectorBaseFields = {
  name: z
    .string({ error: 'name is required' })
    .min(1, 'name is required')
    .max(64, 'name must be at most 64 characters')
    .regex(PRINTABLE_ASCII, { message: 'name must be printable ASCII (no multibyte characters)' })
    .refine(notBlank, { message: 'name must not be blank (only spaces)' })
    .meta({
      title: 'Name',
      description: 'Convention: tenantname-connectortype. Unique in its tenant, ignoring case.',
    }),
  tenant: z.string().min(1).max(64).default('Root Tenant').meta({ title: 'Tenant' }),
  intervalMinutes: z
    .number({ error: INTERVAL })
    .int(INTERVAL)
    .min(1, INTERVAL)
    .max(1440, 'intervalMinutes must be at most 1440 (one day)')
    .default(5)
    .meta({ title: 'Interval (min)' }),
};

/**
 * `recordVersions` (BaseConnectorConfig): offered by a type whose `state` gives fingerprints.
 * Default `material`: at the churn AWS produces (most ACTIVE findings rescanned daily), `all`
 * grows the index by about the number of ACTIVE findings a day for versions that tell nothing
 * new (docs/performance.md "Version churn" has the measurement).
 */
export const recordVersionsField = (material: string) =>
  z
    .enum(['all', 'material'], { error: 'recordVersions must be one of: all, material' })
    .default('material')
    .meta({
      title: 'Record versions',
      advanced: true,
      description:
        'material (default): a new record only when ' +
        material +
        ' changed; other versions (rescans) still update the current state (updatedAt) and count as "unchanged". ' +
        'all: one record per finding version, every rescan included.',
    });

const at = (prefix: string, k: string) => (prefix ? `${prefix}.${k}` : k);

/**
 * Dotted paths a schema's fields yield, each once: `pick` answers for a node (its paths), or
 * undefined to look inside it: objects by key, unions' options (`auth`'s methods),
 * optional/default/nullable wrappers. The walk behind both lists below.
 */
function fieldPaths(
  schema: z.ZodType,
  pick: (schema: z.ZodType, path: string) => string[] | undefined,
  prefix = '',
): string[] {
  const picked = pick(schema, prefix);
  if (picked) return picked;
  let out: string[] = [];
  if (schema instanceof z.ZodObject) {
    out = Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      fieldPaths(v, pick, at(prefix, k)),
    );
  } else if (schema instanceof z.ZodUnion) {
    out = (schema.options as z.ZodType[]).flatMap((o) => fieldPaths(o, pick, prefix));
  } else if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodNullable
  ) {
    out = fieldPaths(schema.unwrap() as z.ZodType, pick, prefix);
  }
  return [...new Set(out)];
}

/** Dotted paths of the fields marked `.meta({ secret: true })` in a schema. */
export function secretFieldPaths(schema: z.ZodType): string[] {
  return fieldPaths(schema, (s, path) => {
    const meta = s.meta() as { secret?: unknown } | undefined;
    if (meta?.secret !== true) return undefined;
    return path ? [path] : [];
  });
}

/** Dotted paths of the discriminators of the schema's discriminated unions (`auth.method`). */
export function switchFieldPaths(schema: z.ZodType): string[] {
  return fieldPaths(schema, (s, path) =>
    s instanceof z.ZodDiscriminatedUnion ? [at(path, String(s.def.discriminator))] : undefined,
  );
}

/** The value at a dotted path of a plain object, if any. */
export function valueAt(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** The values of a config's secret fields (set ones only), for scrubbing them out of text. */
export function secretValues(config: unknown, secretFields: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of secretFields) {
    const v = valueAt(config, f);
    if (typeof v === 'string' && v !== '') out.push(v);
  }
  return out;
}

/** `${ENV:NAME}` lets a CLI config file point at an environment variable instead of a secret. */
export const ENV_REF = /^\$\{ENV:([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** ${ENV:NAME} is for config files on the server's own disk; over the API it would read the server's environment. */
export function secretRefIssues(config: unknown, secretFields: readonly string[]): FieldError[] {
  return secretFields
    .filter((f) => {
      const v = valueAt(config, f);
      return typeof v === 'string' && ENV_REF.test(v);
    })
    .map((field) => ({
      field,
      message: '${ENV:NAME} references are accepted only in CLI config files, not over the API',
    }));
}
