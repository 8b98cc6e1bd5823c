/**
 * Amazon Inspector (v2) as a connector type (`src/connectors/types.ts`): the one object the
 * registry lists. Everything AWS is in this folder: the config schema (config.ts), the SDK
 * clients (client.ts), windowed collection with its checkpoint (collect.ts), the Test
 * (check.ts), the mapping (map.ts), reconcile (reconcile.ts) and the endpoint allow-list
 * (endpoints.ts). The client factory is injected (tests use fakes or the emulator).
 */
import type { ConnectorType } from '../types.js';
import { testConnector } from './check.js';
import {
  createInspectorClient,
  type ClientFactory,
  type ClientOptions,
  type InspectorClient,
} from './client.js';
import { collect, regionSweep } from './collect.js';
import { coverageRecords, readCoverage } from './coverage.js';
import {
  SECRET_FIELDS,
  SWITCH_FIELDS,
  connectorConfigSchema,
  partitionIssues,
  rawRegions,
  regionFieldIssues,
  resolveEnvRefs,
  type ConnectorConfig,
} from './config.js';
import { allowEndpoints, endpointIssues } from './endpoints.js';
import { findingState, mapFinding, vanishedRecord } from './map.js';
import { formatReport, reconcile } from './reconcile.js';
import { AWS_REGIONS, NO_INSPECTOR2, REGIONS, configPartition, regionOfPart, regionsOf } from './regions.js';

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
    metadata: { regions: [...REGIONS], partitions: AWS_REGIONS, noInspector2: [...NO_INSPECTOR2] },
    // `regions`: the list, or `all (aws)`; `region` (older clients): the first region collected.
    summary: (cfg) => ({
      regions: cfg.regions === 'all' ? `all (${configPartition(cfg)})` : cfg.regions.join(', '),
      region: regionsOf(cfg)[0]!,
    }),
    apiIssues: (cfg, { allowedEndpointHosts }) => [
      ...endpointIssues(
        (cfg as { endpoints?: unknown } | null)?.endpoints,
        allowedEndpointHosts,
        rawRegions(cfg),
      ),
      ...partitionIssues(cfg),
      ...regionFieldIssues(cfg),
    ],
    // One part per region, decided at each run's start ("all" follows the regions table).
    parts: (cfg) => ({ parts: regionsOf(cfg), concurrency: cfg.regionConcurrency }),
    // A checkpoint from before regions were parts is the older single region's: the first of a
    // list (an older `region: x` reads as `regions: [x]`). With "all" the region it was for is
    // unknown: dropped (that region starts afresh; dedupe drops what it reads again).
    legacyPart: (cfg) => (cfg.regions === 'all' ? undefined : cfg.regions[0]),
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
      // The part is a region ('' from a host without parts: the first region).
      const region = regionOfPart(run.config, run.part);
      // Each checkpoint names its region: one of another region (a host without parts after
      // the list was reordered) is not this region's progress, and would skip its history.
      const own = (cp: unknown) => (cp && typeof cp === 'object' ? { ...cp, region } : cp);
      const storedRegion = (run.checkpoint as { region?: unknown } | null | undefined)?.region;
      const foreign = typeof storedRegion === 'string' && storedRegion !== region;
      if (foreign) {
        run.logger.warn(
          { region, checkpointRegion: storedRegion },
          "the stored checkpoint is another region's: this region starts afresh",
        );
      }
      // Built inside the run: a refused endpoint or bad credentials fail the run, coded.
      const client = factoryFor(run.allowedEndpointHosts)(run.config, {
        logger: run.logger,
        connectorId: run.connectorId,
        ...(t.clientOptions as Partial<ClientOptions> | undefined),
        region,
      });
      try {
        const res = await collect({
          client,
          config: run.config,
          clock: run.clock,
          logger: run.logger,
          checkpoint: foreign ? undefined : run.checkpoint,
          ...(run.signal ? { signal: run.signal } : {}),
          ...(run.onProgress ? { onProgress: run.onProgress } : {}),
          ...(t.maxResults ? { maxResults: t.maxResults } : {}),
          ...(t.pageRetries !== undefined ? { pageRetries: t.pageRetries } : {}),
          ...(t.throttleRetries !== undefined ? { throttleRetries: t.throttleRetries } : {}),
          ...(t.sleep ? { sleep: t.sleep } : {}),
          onPage: ({ findings, checkpoint, seenAt, lateBefore }) =>
            run.onPage({
              items: findings,
              checkpoint: own(checkpoint),
              ...(seenAt !== undefined ? { seenAt } : {}),
              ...(lateBefore !== undefined ? { lateBefore } : {}),
            }),
          // The host's unseen keys are the connector's, of every region: keep this region's.
          ...(run.sweep
            ? {
                sweep: regionSweep(
                  {
                    unseen: (q) => run.sweep!.unseen(q),
                    vanished: (v) => run.sweep!.vanished({ ...v, checkpoint: own(v.checkpoint) }),
                  },
                  region,
                ),
              }
            : {}),
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
          regions: regionsOf(config),
          // One client per region, signed for it (`{region}` in an endpoint override is that region).
          clientFor: (region) =>
            factory(config, { logger: ctx.logger, connectorId: ctx.connectorId, region }),
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
        const factory = factoryFor(o.ctx.allowedEndpointHosts);
        const clients = new Map<string, InspectorClient>();
        try {
          for (const region of regionsOf(o.config)) {
            clients.set(
              region,
              factory(o.config, { logger: o.ctx.logger, connectorId: o.ctx.connectorId, region }),
            );
          }
          const report = await reconcile({
            clients,
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
          for (const c of clients.values()) c.destroy();
        }
      },
    },
  };
}
