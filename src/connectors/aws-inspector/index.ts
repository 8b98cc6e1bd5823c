/**
 * Amazon Inspector (v2) as a connector type (`src/connectors/types.ts`): the one object the
 * registry lists. Everything AWS is in this folder: the config schema (config.ts), the SDK
 * clients (client.ts), windowed collection with its checkpoint (collect.ts), the Test
 * (check.ts), the mapping (map.ts), reconcile (reconcile.ts) and the endpoint allow-list
 * (endpoints.ts). The client factory is injected (tests use fakes or the emulator).
 */
import type { ConnectorType } from '../types.js';
import { testConnector } from './check.js';
import { createInspectorClient, type ClientFactory, type ClientOptions } from './client.js';
import { collect } from './collect.js';
import { configRegions, coverageRecords, readCoverage } from './coverage.js';
import {
  SECRET_FIELDS,
  SWITCH_FIELDS,
  connectorConfigSchema,
  partitionIssues,
  resolveEnvRefs,
  type ConnectorConfig,
} from './config.js';
import { allowEndpoints, endpointIssues } from './endpoints.js';
import { findingState, mapFinding, vanishedRecord } from './map.js';
import { formatReport, reconcile } from './reconcile.js';
import { REGIONS } from './regions.js';

export const AWS_INSPECTOR_TYPE = 'aws-inspector';

export interface AwsInspectorOptions {
  /** Builds the SDK clients (default: the real ones, `createInspectorClient`). */
  clientFactory?: ClientFactory;
}

export function awsInspector(opts: AwsInspectorOptions = {}): ConnectorType<ConnectorConfig> {
  const baseFactory = opts.clientFactory ?? createInspectorClient;
  // On a server, every client is built behind the endpoint allow-list: a stored override that
  // the allow-list no longer holds fails (ERR_ENDPOINT_NOT_ALLOWED) before any request.
  const factoryFor = (allowed: readonly string[] | undefined): ClientFactory =>
    allowed ? allowEndpoints(baseFactory, allowed) : baseFactory;
  return {
    id: AWS_INSPECTOR_TYPE,
    label: 'AWS Inspector',
    category: 'Vulnerability Scanner',
    configSchema: connectorConfigSchema,
    secretFields: SECRET_FIELDS,
    switchFields: SWITCH_FIELDS,
    metadata: { regions: [...REGIONS] },
    summary: (cfg) => ({ region: cfg.region }),
    apiIssues: (cfg, { allowedEndpointHosts }) => [
      ...endpointIssues((cfg as { endpoints?: unknown } | null)?.endpoints, allowedEndpointHosts),
      ...partitionIssues(cfg),
    ],
    resolveRefs: (cfg, env) => resolveEnvRefs(cfg, env),
    test: (cfg, ctx) =>
      testConnector(cfg, {
        logger: ctx.logger,
        clock: ctx.clock,
        clientFactory: factoryFor(ctx.allowedEndpointHosts),
        connectorId: ctx.connectorId,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.clientOptions ? { clientOptions: ctx.clientOptions as Partial<ClientOptions> } : {}),
      }),
    async collect(run) {
      const t = run.tuning ?? {};
      // Built inside the run: a refused endpoint or bad credentials fail the run, coded.
      const client = factoryFor(run.allowedEndpointHosts)(run.config, {
        logger: run.logger,
        connectorId: run.connectorId,
        ...(t.clientOptions as Partial<ClientOptions> | undefined),
      });
      try {
        const res = await collect({
          client,
          config: run.config,
          clock: run.clock,
          logger: run.logger,
          checkpoint: run.checkpoint,
          ...(run.signal ? { signal: run.signal } : {}),
          ...(run.onProgress ? { onProgress: run.onProgress } : {}),
          ...(t.maxResults ? { maxResults: t.maxResults } : {}),
          ...(t.pageRetries !== undefined ? { pageRetries: t.pageRetries } : {}),
          ...(t.throttleRetries !== undefined ? { throttleRetries: t.throttleRetries } : {}),
          ...(t.sleep ? { sleep: t.sleep } : {}),
          onPage: ({ findings, checkpoint, seenAt, lateBefore }) =>
            run.onPage({
              items: findings,
              checkpoint,
              ...(seenAt !== undefined ? { seenAt } : {}),
              ...(lateBefore !== undefined ? { lateBefore } : {}),
            }),
          ...(run.sweep ? { sweep: run.sweep } : {}),
          ...(t.sweep ? { forceSweep: true } : {}),
        });
        return {
          stopped: res.stopped,
          tokenRestarts: res.tokenRestarts,
          vanished: res.vanished,
          lateHint: `indexing lag exceeded the overlap of ${run.config.overlapMinutes} min (collected by the band below it); raise overlapMinutes`,
        };
      } finally {
        client.destroy();
      }
    },
    coverage: {
      read: ({ config, ctx, newestFindingAt, options }) => {
        const factory = factoryFor(ctx.allowedEndpointHosts);
        const cc = (config as { regionConcurrency?: unknown }).regionConcurrency;
        return readCoverage({
          ...options,
          connectorId: ctx.connectorId,
          regions: configRegions(config),
          // One client per region, signed for it (the endpoint override, if any, serves them all).
          clientFor: (region) =>
            factory({ ...config, region }, { logger: ctx.logger, connectorId: ctx.connectorId }),
          newestFindingAt,
          clock: ctx.clock,
          logger: ctx.logger,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(typeof cc === 'number' ? { concurrency: cc } : {}),
        });
      },
      records: coverageRecords,
    },
    map: mapFinding,
    state: findingState,
    vanish: vanishedRecord,
    reconcile: {
      async run(o) {
        const client = factoryFor(o.ctx.allowedEndpointHosts)(o.config, {
          logger: o.ctx.logger,
          connectorId: o.ctx.connectorId,
        });
        try {
          const report = await reconcile({
            client,
            index: o.index,
            tenantId: o.tenantId,
            ...(o.from !== undefined ? { from: o.from } : {}),
            to: o.to,
            initialLookbackDays: o.config.initialLookbackDays,
            listLimit: o.listLimit,
            ...(o.ctx.signal ? { signal: o.ctx.signal } : {}),
          });
          return { match: report.match, report, text: formatReport(o.config.name, report) };
        } finally {
          client.destroy();
        }
      },
    },
  };
}
