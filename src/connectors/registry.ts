/**
 * The connector types the product runs. Adding a type is one line in `productionRegistry()` (and
 * its folder under `src/connectors/`); tests build registries of their own (`createRegistry`) with
 * test-only types or fakes. The store gets the narrow `ConnectorTypes` view (`storeTypes`), so
 * it validates and seals configs without importing any type.
 */
import { FieldsError } from '../core/errors.js';
import type { ConnectorTypes } from '../store/index.js';
import { awsInspector } from './aws-inspector/index.js';
import { configIssues } from '../core/schema.js';
import type { AnyConnectorType, BaseConnectorConfig } from './types.js';

/** The type of a connector created without one (API and config files from before types existed). */
export const DEFAULT_TYPE = 'aws-inspector';

export interface ConnectorRegistry {
  /** Registration order: the first is the default of the UI's type selector. */
  readonly types: readonly AnyConnectorType[];
  /** The type, or ERR_CONFIG_INVALID naming `type`. */
  get(id: string): AnyConnectorType;
  /** The type whose id or label (`AWS Inspector`) this is, if any. */
  find(idOrLabel: string): AnyConnectorType | undefined;
  /** Parses a config of that type (defaults applied) or throws ERR_CONFIG_INVALID naming every field. */
  parse(type: string, config: unknown): BaseConnectorConfig;
}

export function createRegistry(types: readonly AnyConnectorType[]): ConnectorRegistry {
  const byId = new Map(types.map((t) => [t.id, t]));
  if (byId.size !== types.length) throw new Error('connector type ids must be unique');
  const registry: ConnectorRegistry = {
    types,
    get(id) {
      const t = byId.get(id);
      if (!t) {
        throw new FieldsError('ERR_CONFIG_INVALID', [
          { field: 'type', message: `type must be one of: ${[...byId.keys()].join(', ')}` },
        ]);
      }
      return t;
    },
    find: (v) => byId.get(v) ?? types.find((t) => t.label === v),
    parse(type, config) {
      const parsed = registry.get(type).configSchema.safeParse(config);
      if (!parsed.success) throw new FieldsError('ERR_CONFIG_INVALID', configIssues(parsed.error));
      return parsed.data as BaseConnectorConfig;
    },
  };
  return registry;
}

/** The narrow view the store takes (`ConnectorTypes`, src/store/types.ts): validation and secret fields per type. */
export function storeTypes(registry: ConnectorRegistry): ConnectorTypes {
  return {
    defaultType: DEFAULT_TYPE,
    validate: (type, config) => registry.parse(type, config),
    secretFields: (type) => registry.get(type).secretFields,
    switchFields: (type) => registry.get(type).switchFields,
  };
}

/** Every registered type's secret fields (dotted paths), for the logger's redaction. */
export function secretFieldsOf(registry: ConnectorRegistry): string[] {
  return [...new Set(registry.types.flatMap((t) => t.secretFields))];
}

/** The production registry: the types `serve`, `collect`, `test` and `reconcile` know. */
export function productionRegistry(): ConnectorRegistry {
  return createRegistry([
    awsInspector(),
    // One line per connector type.
  ]);
}

/** The production types as the store takes them (`openStore({ connectorTypes })`). */
export function productionStoreTypes(): ConnectorTypes {
  return storeTypes(productionRegistry());
}
