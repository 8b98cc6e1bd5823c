/**
 * A coverage refresh for one saved connector (docs/coverage.md), shared by the API route and the
 * CLI: reads the type's coverage with the last finding times from the current-state store, stores
 * one record per account × region (`aws_inspector_coverage`; an unchanged row has the `_id` already
 * stored and is dropped as a duplicate), and updates the coverage gauges.
 */
import { CodedError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CoverageMetrics } from '../core/coverage-metrics.js';
import type { CoverageOptions, CoverageSnapshot } from '../connectors/coverage-types.js';
import type { AnyConnectorType } from '../connectors/types.js';
import { ROOT_TENANT, type Store, type StoredConnector } from '../store/index.js';

export interface CoverageRefreshOptions {
  /** Absent (CLI without a data directory): no last finding times, no records stored. */
  store?: Store;
  type: AnyConnectorType;
  /** The connector with its secrets (`connectors.getDecrypted`; the CLI: its config file's). */
  connector: Pick<StoredConnector, 'id' | 'name' | 'tenant' | 'config'>;
  logger: Logger;
  clock: Clock;
  allowedEndpointHosts?: readonly string[];
  signal?: AbortSignal;
  options?: CoverageOptions;
  metrics?: CoverageMetrics;
  /** Store the rows as records (default true). */
  storeRecords?: boolean;
}

export interface CoverageRefreshResult {
  snapshot: CoverageSnapshot;
  /** Records stored by this refresh (rows that changed since the last stored one). */
  stored: number;
}

export async function refreshCoverage(o: CoverageRefreshOptions): Promise<CoverageRefreshResult> {
  const support = o.type.coverage;
  if (!support) {
    throw new CodedError('ERR_VALIDATION', `connector type ${o.type.id} reports no scan coverage`);
  }
  const c = o.connector;
  const store = o.store;
  const tenant = store
    ? (store.tenants.getByName(c.tenant) ?? (c.tenant === ROOT_TENANT.name ? ROOT_TENANT : undefined))
    : undefined;
  if (store && !tenant) {
    throw new CodedError('ERR_NOT_FOUND_RESOURCE', `tenant ${c.tenant} of connector ${c.id} not found`);
  }
  const snapshot = await support.read({
    config: c.config,
    ctx: {
      logger: o.logger,
      clock: o.clock,
      connectorId: c.id,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.allowedEndpointHosts ? { allowedEndpointHosts: o.allowedEndpointHosts } : {}),
    },
    newestFindingAt: (keyPrefix) =>
      store && tenant ? store.findings.newestUpdatedAt({ tenantId: tenant.id, keyPrefix }) : undefined,
    ...(o.options ? { options: o.options } : {}),
  });
  let stored = 0;
  if (store && tenant && o.storeRecords !== false && snapshot.rows.length) {
    const records = support.records(snapshot, {
      connectorId: c.id,
      connectorName: c.name,
      tenantId: tenant.id,
      tenantName: tenant.name,
      writeTime: o.clock.now(),
    });
    const sink = store.pageSink({
      connectorId: c.id,
      commitRecords: Infinity,
      commitDelayMs: 0,
      onCommitted: (g) => {
        stored += g.stored;
      },
    });
    await sink.write({ records, states: [] });
    await sink.finish();
  }
  o.metrics?.update(c.id, snapshot);
  return { snapshot, stored };
}
