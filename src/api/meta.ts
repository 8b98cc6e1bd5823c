/**
 * What the UI needs to draw forms: every registered connector type (its id, label, category,
 * config JSON schema, secret fields and metadata such as AWS regions), the fixed General values,
 * log filter operators, roles, sort fields. The top-level `connectorSchema` and `regions` are
 * the aws-inspector type's, kept for clients written before there were types.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { logFilterOperators } from '../core/log-filter.js';
import { DEFAULT_TYPE } from '../connectors/registry.js';
import { ROLES } from '../auth/users.js';
import { PASSWORD_MIN } from '../auth/password.js';
import { SORT_FIELDS } from '../store/index.js';
import { authOf, type ApiContext } from './context.js';
import { FIXED } from './schemas.js';

const connectorTypeOut = z.object({
  id: z.string().meta({ description: 'The `type` of POST /connectors' }),
  label: z.string(),
  category: z.string(),
  schema: z.record(z.string(), z.unknown()).meta({ description: 'JSON schema of the config (input side)' }),
  secretFields: z.array(z.string()).meta({ description: 'Write-only fields, by dotted path' }),
  metadata: z.record(z.string(), z.unknown()),
});

export function metaPlugin(app: FastifyInstance, ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // Computed once: the schemas are static.
  const types = ctx.registry.types.map((t) => ({
    id: t.id,
    label: t.label,
    category: t.category,
    schema: z.toJSONSchema(t.configSchema, { io: 'input' }) as Record<string, unknown>,
    secretFields: [...t.secretFields],
    metadata: { ...t.metadata },
  }));
  const legacy = types.find((t) => t.id === DEFAULT_TYPE);

  api.get(
    '/meta',
    {
      schema: {
        tags: ['meta'],
        summary: 'Connector types (schema, secret fields, metadata), fixed values, log filter operators',
        response: {
          200: z.object({
            connectorTypes: z.array(connectorTypeOut),
            categories: z.array(z.string()),
            types: z.array(z.string()).meta({ description: "The types' labels" }),
            functions: z.array(z.string()),
            runOn: z.array(z.string()),
            regions: z
              .array(z.string())
              .meta({ description: 'aws-inspector: connectorTypes[].metadata.regions' }),
            connectorSchema: z
              .record(z.string(), z.unknown())
              .meta({ description: "aws-inspector's schema: connectorTypes[].schema" }),
            logFilterOperators: z.array(z.string()),
            roles: z.array(z.string()),
            sortFields: z.array(z.string()),
            passwordMinLength: z.number().meta({ description: 'The hard minimum length of a password' }),
          }),
        },
      },
    },
    async (req) => {
      authOf(req);
      return {
        connectorTypes: types,
        categories: [...new Set(types.map((t) => t.category))],
        types: types.map((t) => t.label),
        functions: [FIXED.function],
        runOn: [FIXED.runOn],
        regions: (legacy?.metadata.regions as string[] | undefined) ?? [],
        connectorSchema: legacy?.schema ?? {},
        logFilterOperators: [...logFilterOperators],
        roles: [...ROLES],
        sortFields: [...SORT_FIELDS],
        passwordMinLength: PASSWORD_MIN,
      };
    },
  );
}
