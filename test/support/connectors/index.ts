/**
 * Connector registries for tests: the production types (Amazon Inspector with an injected client
 * factory: fakes or the emulator) plus the test-only types of this folder, one line each.
 */
import { awsInspector } from '../../../src/connectors/aws-inspector/index.js';
import type { ClientFactory } from '../../../src/connectors/aws-inspector/client.js';
import { createRegistry, type ConnectorRegistry } from '../../../src/connectors/registry.js';
import { ndjson } from './ndjson/index.js';

/** The production registry, Amazon Inspector's clients built by `clientFactory`. */
export function awsRegistry(clientFactory: ClientFactory): ConnectorRegistry {
  return createRegistry([awsInspector({ clientFactory })]);
}

/** Amazon Inspector and the test-only NDJSON type. */
export function testRegistry(clientFactory?: ClientFactory): ConnectorRegistry {
  return createRegistry([
    awsInspector(clientFactory ? { clientFactory } : {}),
    ndjson(), // the one registry line of the NDJSON test type
  ]);
}
