/**
 * The checkpoint of an Amazon Inspector connector with one region: that region's part (the
 * runner keeps a checkpoint per part, `checkpoints.get(id)` alone is part '', which it never
 * writes for a type with parts). A connector with several regions fails here: read each part.
 */
import { awsInspector } from '../../src/connectors/aws-inspector/index.js';
import type { ConnectorConfig } from '../../src/connectors/aws-inspector/config.js';
import type { Store } from '../../src/store/index.js';

const type = awsInspector();

/** The part (region) the connector's single-region config collects. */
export function partOf(store: Store, id: string): string {
  // The stored config, as the runner plans its parts from it.
  const connector = store.connectors.getDecrypted(id);
  if (!connector) throw new Error(`checkpointOf: no connector ${id}`);
  const { parts } = type.parts!(connector.config as unknown as ConnectorConfig);
  if (parts.length !== 1) throw new Error(`checkpointOf: ${id} has ${parts.length} parts; read each one`);
  return parts[0]!;
}

export function checkpointOf<T = unknown>(store: Store, id: string): T {
  return store.checkpoints.get(id, partOf(store, id)) as T;
}
