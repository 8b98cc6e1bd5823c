/** What the UI needs to draw forms: fixed General values, regions, the config JSON schema, operators. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connectorConfigSchema } from '../connectors/aws-inspector/config.js';
import { logFilterOperators } from '../core/log-filter.js';
import { REGIONS } from '../connectors/aws-inspector/regions.js';
import { ROLES } from '../auth/users.js';
import { SORT_FIELDS } from '../store/index.js';
import { authOf, type ApiContext } from './context.js';
import { FIXED } from './schemas.js';

export function metaPlugin(app: FastifyInstance, _ctx: ApiContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // Computed once: the schema is static.
  const connectorSchema = z.toJSONSchema(connectorConfigSchema, { io: 'input' });

  api.get(
    '/meta',
    {
      schema: {
        tags: ['meta'],
        summary: 'Fixed values, regions, the connector config JSON schema, log filter operators',
        response: {
          200: z.object({
            categories: z.array(z.string()),
            types: z.array(z.string()),
            functions: z.array(z.string()),
            runOn: z.array(z.string()),
            regions: z.array(z.string()),
            connectorSchema: z.record(z.string(), z.unknown()),
            logFilterOperators: z.array(z.string()),
            roles: z.array(z.string()),
            sortFields: z.array(z.string()),
          }),
        },
      },
    },
    async (req) => {
      authOf(req);
      return {
        categories: [FIXED.category],
        types: [FIXED.type],
        functions: [FIXED.function],
        runOn: [FIXED.runOn],
        regions: [...REGIONS],
        connectorSchema: connectorSchema as Record<string, unknown>,
        logFilterOperators: [...logFilterOperators],
        roles: [...ROLES],
        sortFields: [...SORT_FIELDS],
      };
    },
  );
}
