/**
 * Connector registries for tests: the production types with an injected AWS client factory
 * (fakes, the emulator), optionally with the test-only types (test/support/connectors/).
 */
import { awsInspector } from '../../src/connectors/aws-inspector/index.js';
import type { ClientFactory } from '../../src/connectors/aws-inspector/client.js';
import { createRegistry, type ConnectorRegistry } from '../../src/connectors/registry.js';

/** The production registry, Amazon Inspector's clients built by `clientFactory`. */
export function awsRegistry(clientFactory: ClientFactory): ConnectorRegistry {
  return createRegistry([awsInspector({ clientFactory })]);
}
