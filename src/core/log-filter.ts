/**
 * The log-filter definition: conditions on a record's fields (dotted path, operator, values),
 * whatever source the records came from. ONE zod schema: the type, validation, the API's
 * schema; the store keeps definitions, src/pipeline/filter.ts applies them.
 */
import { z } from 'zod';
import { PRINTABLE_ASCII, notBlank } from './schema.js';

export const logFilterOperators = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'in',
  'not_in',
  'exists',
  'not_exists',
  'gt',
  'gte',
  'lt',
  'lte',
] as const;
export type LogFilterOperator = (typeof logFilterOperators)[number];

export const logFilterCondition = z
  .object({
    field: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9_@$:/-]+(\.[A-Za-z0-9_@$:/-]+)*$/, {
        message: 'field must be a dotted path like aws_inspector.severity',
      }),
    operator: z.enum(logFilterOperators, {
      error: `operator must be one of: ${logFilterOperators.join(', ')}`,
    }),
    values: z
      .array(z.union([z.string().max(1024), z.number()]))
      .max(100)
      .default([]),
  })
  .strict();
export type LogFilterCondition = z.infer<typeof logFilterCondition>;

export const logFilter = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(PRINTABLE_ASCII, { message: 'name must be printable ASCII' })
      .refine(notBlank, { message: 'name must not be blank (only spaces)' }),
    /** Tenant name the filter applies to; omitted = all tenants. */
    tenant: z.string().min(1).max(64).optional(),
    /** Optional log source (msg_origin.source), e.g. aws_inspector. */
    logSource: z.string().min(1).max(64).optional(),
    conditions: z
      .array(logFilterCondition)
      .min(1, 'a log filter needs at least 1 condition')
      .max(10, 'a log filter has at most 10 conditions'),
  })
  .strict();
export type LogFilter = z.infer<typeof logFilter>;
