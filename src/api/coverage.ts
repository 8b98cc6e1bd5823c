/**
 * GET /connectors/:id/coverage (docs/coverage.md): a connector's scan coverage per account ×
 * region, tenant-authorized like the other connector routes. The last snapshot is kept in memory
 * per connector and served while younger than `maxAgeMinutes` (default 60); an older one, or
 * `refresh=true`, reads AWS again (one refresh at a time per connector, time-limited), stores the
 * changed rows as records and updates the coverage gauges. Rows are paged (`offset`, `limit`).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CodedError } from '../core/errors.js';
import { createCoverageMetrics } from '../core/coverage-metrics.js';
import type { CoverageSnapshot } from '../connectors/coverage-types.js';
import { refreshCoverage } from '../pipeline/coverage.js';
import { requireRole, visibleConnector, type ApiContext } from './context.js';
import { errorBody, idParams } from './schemas.js';

export const COVERAGE_REFRESH_ENV = 'INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES';
const DEFAULT_REFRESH_MINUTES = 60;

/**
 * Minutes between background refreshes of every active connector's coverage (records, gauges):
 * `INSPECTOR_CONNECTOR_COVERAGE_REFRESH_MINUTES`, default 60, 0 = only on request.
 */
export function coverageRefreshMinutesFromEnv(env: NodeJS.ProcessEnv): number {
  const v = env[COVERAGE_REFRESH_ENV]?.trim();
  if (v === undefined || v === '') return DEFAULT_REFRESH_MINUTES;
  if (!/^\d+$/.test(v) || Number(v) > 1440) {
    throw new CodedError(
      'ERR_CONFIG_INVALID',
      `${COVERAGE_REFRESH_ENV} must be a whole number of minutes from 0 (only on request) to 1440, got "${v}"`,
    );
  }
  return Number(v);
}

/** Rows per answer at most (accounts × regions); more are paged with `offset`. */
export const MAX_COVERAGE_ROWS = 1000;
const DEFAULT_ROWS = 200;
/** A refresh reads every region of the config: it gets longer than a Test. */
const REFRESH_TIMEOUT_MS = 120_000;

const coverageQuery = z
  .object({
    refresh: z
      .enum(['true', 'false'], { error: 'refresh must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
    offset: z.coerce.number().int().min(0, 'offset must be 0 or more').max(1_000_000).default(0),
    limit: z.coerce
      .number()
      .int()
      .min(1, 'limit must be 1 or more')
      .max(MAX_COVERAGE_ROWS, `limit must be at most ${MAX_COVERAGE_ROWS}`)
      .default(DEFAULT_ROWS),
    staleDays: z.coerce
      .number()
      .int()
      .min(1, 'staleDays must be 1-365')
      .max(365, 'staleDays must be 1-365')
      .optional(),
    maxAgeMinutes: z.coerce.number().int().min(0).max(1440).default(60),
    /** Only flagged rows. */
    flagged: z
      .enum(['true', 'false'], { error: 'flagged must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

const flagOut = z.object({ code: z.string(), level: z.enum(['high', 'low']), reason: z.string() });
const rowOut = z.object({
  accountId: z.string(),
  region: z.string(),
  relationship: z.string().optional(),
  state: z.string().optional(),
  scans: z.record(z.string(), z.string()).optional(),
  covered: z.number().optional(),
  notCovered: z.number().optional(),
  byResourceType: z.record(z.string(), z.object({ covered: z.number(), notCovered: z.number() })).optional(),
  notCoveredReasons: z.record(z.string(), z.number()).optional(),
  lastScannedAt: z.number().optional(),
  lastFindingAt: z.number().optional(),
  flags: z.array(flagOut),
});
const coverageOut = z.object({
  connectorId: z.string(),
  generatedAt: z.number(),
  staleDays: z.number(),
  regions: z.array(
    z.object({
      region: z.string(),
      status: z.enum(['ok', 'partial', 'failed']),
      accounts: z.number(),
      covered: z.number(),
      notCovered: z.number(),
      truncated: z.boolean().optional(),
    }),
  ),
  notes: z.array(
    z.object({ region: z.string(), operation: z.string(), code: z.string(), message: z.string() }),
  ),
  accountsLeftOut: z.number().optional(),
  /** Rows in the snapshot (after `flagged`), and how many are flagged. */
  total: z.number(),
  flaggedTotal: z.number(),
  offset: z.number(),
  rows: z.array(rowOut),
});

export function coveragePlugin(
  app: FastifyInstance,
  ctx: ApiContext,
  opts: { refreshMs?: number } = {},
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, registry } = ctx;
  const metrics = createCoverageMetrics(ctx.metrics);
  const last = new Map<string, CoverageSnapshot>();
  const running = new Map<string, Promise<CoverageSnapshot>>();

  const refresh = (id: string, staleDays: number | undefined): Promise<CoverageSnapshot> => {
    const busy = running.get(id);
    if (busy) return busy;
    const work = (async () => {
      const full = store.connectors.getDecrypted(id);
      if (!full) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${id} not found`);
      const { snapshot } = await refreshCoverage({
        store,
        type: registry.get(full.type),
        connector: full,
        logger: ctx.logger,
        clock: ctx.clock,
        allowedEndpointHosts: ctx.allowedEndpointHosts,
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
        metrics,
        ...(staleDays !== undefined ? { options: { staleDays } } : {}),
      });
      last.set(id, snapshot);
      return snapshot;
    })().finally(() => running.delete(id));
    running.set(id, work);
    return work;
  };

  // Background: every active connector whose type reports coverage, one after the other, so the
  // records and gauges follow the organisation without anyone opening the view.
  const every = opts.refreshMs ?? DEFAULT_REFRESH_MINUTES * 60_000;
  if (every > 0) {
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void (async () => {
        for (const c of store.connectors.list()) {
          if (!c.active || !registry.find(c.type)?.coverage) continue;
          await refresh(c.id, undefined).catch((e: unknown) =>
            ctx.logger.warn({ connectorId: c.id, err: (e as Error).message }, 'coverage refresh failed'),
          );
        }
      })().finally(() => {
        sweeping = false;
      });
    }, every);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  api.get(
    '/connectors/:id/coverage',
    {
      schema: {
        tags: ['connectors'],
        summary:
          'Scan coverage per account × region (delegated administrator): Amazon Inspector state per scan type, ' +
          'resources covered / not covered and why, last finding, and flags (disabled, stopped reporting, ...). ' +
          'The last snapshot while younger than maxAgeMinutes, else (or with refresh=true) read again.',
        params: idParams,
        querystring: coverageQuery,
        response: { 200: coverageOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'root_admin', 'tenant_admin');
      const c = visibleConnector(ctx, a, req.params.id);
      if (!registry.get(c.type).coverage) {
        throw new CodedError('ERR_VALIDATION', `connector type ${c.type} reports no scan coverage`);
      }
      const q = req.query;
      let snap = last.get(c.id);
      const old = !snap || ctx.clock.now() - snap.generatedAt > q.maxAgeMinutes * 60_000;
      const otherStale = q.staleDays !== undefined && snap !== undefined && snap.staleDays !== q.staleDays;
      if (q.refresh || old || otherStale) snap = await refresh(c.id, q.staleDays);
      const s = snap!;
      const rows = q.flagged ? s.rows.filter((r) => r.flags.length > 0) : s.rows;
      return {
        connectorId: s.connectorId,
        generatedAt: s.generatedAt,
        staleDays: s.staleDays,
        regions: s.regions,
        notes: s.notes,
        ...(s.accountsLeftOut ? { accountsLeftOut: s.accountsLeftOut } : {}),
        total: rows.length,
        flaggedTotal: s.rows.filter((r) => r.flags.length > 0).length,
        offset: q.offset,
        rows: rows.slice(q.offset, q.offset + q.limit),
      };
    },
  );
}
