/**
 * One run of one connector, whatever its type (src/connectors/types.ts): the type's collect ->
 * its map -> filter -> the store's page sink (records + their states + checkpoint + run counts,
 * grouped into transactions by the store), then the run's outcome in the run history, the
 * connector's status and the metrics. Never throws for a collection failure: the failure is
 * the outcome (coded), recorded where the UI, API and CLI can see it.
 */
import type { Clock } from '../core/clock.js';
import { CodedError, isCodedError, type ErrorCode } from '../core/errors.js';
import { redactSecrets, type Logger } from '../core/logger.js';
import type { CollectorMetrics } from '../core/metrics.js';
import { productionRegistry, type ConnectorRegistry } from '../connectors/registry.js';
import { secretValues } from '../connectors/schema.js';
import type { CollectProgress, CollectTuning, SweepSupport } from '../connectors/types.js';
import type { InterflowRecord } from '../core/record.js';
import { applyFilters, compileFilters } from './filter.js';
import type { CommittedGroup, PageSink, RunCounts, Store } from '../store/index.js';

export interface RunnerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The connector types (default: the production registry). */
  registry?: ConnectorRegistry;
  /** The server's endpoint allow-list, checked by types with endpoint overrides before any request. */
  allowedEndpointHosts?: readonly string[];
  metrics?: CollectorMetrics;
}

/** The contract's `CollectTuning` (page size, retries, client options) is handed to the type. */
export interface RunOptions extends CollectTuning {
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /**
   * Records actually stored (not duplicates, not discarded), commit by commit, as the JSON
   * texts stored (`--output -`). A returned promise is awaited before the next commit: a slow
   * reader slows the run.
   */
  onRecords?: (docs: string[]) => void | Promise<void>;
  /** Group commit: records per transaction (the store's PageSinkOptions.commitRecords). */
  commitRecords?: number;
  /** ...or the longest a buffered page waits, ms (PageSinkOptions.commitDelayMs). */
  commitDelayMs?: number;
}

/** The type's progress, with what the store has committed of the run so far. */
export interface RunProgress extends CollectProgress {
  /** Records stored (new, not duplicates) by the commits so far. */
  stored: number;
}

/** The run's counts (the store's `RunCounts`, as in the run history) and how it ended. */
export interface RunOutcome extends RunCounts {
  connectorId: string;
  runId: number;
  /** `stopped`: aborted (shutdown) between pages; the checkpoint holds the position. */
  status: 'ok' | 'failed' | 'stopped';
  tokenRestarts: number;
  /**
   * Versions that arrived later than the type's window logic allows (pages' `lateBefore`): new
   * to the index although older than that bound. Stored; a lag to raise the overlap for.
   */
  lateVersions: number;
  /** The type's explanation of late versions (`CollectOutcome.lateHint`). */
  lateHint?: string;
  durationMs: number;
  error?: { code: ErrorCode; message: string; detail?: string };
}

export async function runConnector(
  deps: RunnerDeps,
  connectorId: string,
  opts: RunOptions = {},
): Promise<RunOutcome> {
  const { store, clock, metrics } = deps;
  const connector = store.connectors.get(connectorId);
  if (!connector) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${connectorId} not found`);
  let secrets: string[] = [];
  const log = deps.logger.child({ connectorId, connector: connector.name });
  const started = clock.now();
  const runId = store.runs.start(connectorId);
  metrics?.running.set({ connector: connectorId }, 1);
  const outcome: RunOutcome = {
    connectorId,
    runId,
    status: 'ok',
    received: 0,
    stored: 0,
    duplicates: 0,
    unchanged: 0,
    discarded: 0,
    discardedByFilter: {},
    pages: 0,
    vanished: 0,
    tokenRestarts: 0,
    lateVersions: 0,
    durationMs: 0,
  };
  /** Records of this run's pages older than their page's `lateBefore`: late if stored as new. */
  const lateCandidates = new Set<string>();
  let sink: PageSink | undefined;
  try {
    // Secrets that no longer decrypt (the key was reset) fail the run with ERR_SECRET_UNREADABLE.
    // Found just above: nothing ran in between (no await), so it still exists.
    const cfg = store.connectors.getDecrypted(connectorId)!.config;
    const type = (deps.registry ?? productionRegistry()).get(connector.type);
    secrets = secretValues(cfg, type.secretFields);
    const tenant = store.tenants.getByName(cfg.tenant);
    if (!tenant) {
      throw new CodedError(
        'ERR_CONFIG_INVALID',
        `tenant "${cfg.tenant}" of connector ${connector.name} does not exist`,
      );
    }
    const match = compileFilters(store.logFilters.forConnector(connectorId));
    // `recordVersions: material`: a version whose state fingerprint (type.state) is the stored
    // one is not a new record; its finding's current state still moves forward.
    const skipUnchanged = cfg.recordVersions === 'material';
    const onRecords = opts.onRecords;
    const onProgress = opts.onProgress;
    const out = (sink = store.pageSink({
      connectorId,
      runId,
      ...(opts.commitRecords !== undefined ? { commitRecords: opts.commitRecords } : {}),
      ...(opts.commitDelayMs !== undefined ? { commitDelayMs: opts.commitDelayMs } : {}),
      docs: onRecords !== undefined,
      onCommitted: async (c) => {
        account(outcome, c, connectorId, metrics);
        if (lateCandidates.size > 0) {
          let late = 0;
          for (const id of c.storedIds) if (lateCandidates.delete(id)) late++;
          outcome.lateVersions += late;
          if (late > 0) metrics?.lateVersions.inc({ connector: connectorId }, late);
        }
        if (onRecords && c.docs?.length) await onRecords(c.docs);
      },
    }));
    const ctx = {
      connectorId,
      connectorName: connector.name,
      tenantId: tenant.id,
      tenantName: tenant.name,
      writeTime: 0,
    };
    /** A sweep's host side (types.ts SweepSupport) on this run's store and page sink. */
    const sweepSupport = (vanish: NonNullable<typeof type.vanish>): SweepSupport => ({
      async unseen(q) {
        // The sweep's pages must be stored (marked seen) before their states are compared.
        await out.finish();
        return store.findings.unseen({ tenantId: tenant.id, connectorId, ...q }).map((f) => f.key);
      },
      async vanished({ keys, at, checkpoint }) {
        ctx.writeTime = clock.now();
        const records: InterflowRecord[] = [];
        for (const key of keys) {
          const st = store.findings.get(tenant.id, key);
          const last = st && store.index.get(st.recordId);
          if (!last) {
            log.warn({ key }, 'vanished finding without a stored record: left as it is');
            continue;
          }
          records.push(vanish(last, at, ctx));
        }
        await out.write({
          records,
          states: records.flatMap((rec) => {
            const st = type.state(rec);
            return st ? [{ ...st, recordId: rec._id }] : [];
          }),
          checkpoint,
          counts: { vanished: records.length },
        });
      },
    });
    const res = await type.collect({
      config: cfg,
      clock,
      logger: log,
      connectorId,
      part: '',
      checkpoint: store.checkpoints.get(connectorId),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(deps.allowedEndpointHosts ? { allowedEndpointHosts: deps.allowedEndpointHosts } : {}),
      ...(onProgress
        ? { onProgress: (p: CollectProgress) => onProgress({ ...p, stored: outcome.stored }) }
        : {}),
      tuning: {
        ...(opts.maxResults ? { maxResults: opts.maxResults } : {}),
        ...(opts.pageRetries !== undefined ? { pageRetries: opts.pageRetries } : {}),
        ...(opts.throttleRetries !== undefined ? { throttleRetries: opts.throttleRetries } : {}),
        ...(opts.sleep ? { sleep: opts.sleep } : {}),
        ...(opts.clientOptions ? { clientOptions: opts.clientOptions } : {}),
        ...(opts.sweep ? { sweep: true } : {}),
      },
      onPage: async ({ items, checkpoint, seenAt, lateBefore }) => {
        ctx.writeTime = clock.now();
        // An item the type cannot map fails the page (ERR_BAD_RESPONSE) before anything of
        // it is buffered; the pages buffered before it are still stored (see catch below).
        const records = items.map((f) => type.map(f, ctx));
        // Seen: every item the source listed, also those a filter discards or already stored.
        const seen =
          seenAt === undefined
            ? undefined
            : {
                tenantId: tenant.id,
                at: seenAt,
                keys: records.flatMap((r) => {
                  const k = type.state(r)?.key;
                  return k === undefined ? [] : [k];
                }),
              };
        const { kept, discarded, discardedByFilter } = applyFilters(match, records);
        // The current state, keyed as the type says what "a finding" is.
        const states = kept.flatMap((rec) => {
          const st = type.state(rec);
          return st ? [{ ...st, recordId: rec._id }] : [];
        });
        if (lateBefore !== undefined) {
          for (const st of states) if (st.updatedAt < lateBefore) lateCandidates.add(st.recordId);
        }
        // Resolves at once, or once the store took the group this page completes (backpressure).
        await out.write({
          records: kept,
          states,
          checkpoint,
          skipUnchanged,
          counts: { received: items.length, discarded, discardedByFilter },
          ...(seen ? { seen } : {}),
        });
      },
      ...(type.vanish ? { sweep: sweepSupport(type.vanish) } : {}),
    });
    await out.finish();
    outcome.tokenRestarts = res.tokenRestarts ?? 0;
    if (res.lateHint) outcome.lateHint = res.lateHint;
    if (res.tokenRestarts) metrics?.tokenRestarts.inc({ connector: connectorId }, res.tokenRestarts);
    outcome.status = res.stopped ? 'stopped' : 'ok';
  } catch (e) {
    // Pages fetched before the failure are whole and their checkpoint is right: keep them.
    try {
      await sink?.finish();
    } catch (flushError) {
      log.error(
        { err: (flushError as Error).message },
        'could not store the pages fetched before the failure',
      );
    }
    const err = isCodedError(e)
      ? e
      : new CodedError('ERR_INTERNAL', `unexpected error: ${(e as Error)?.message ?? String(e)}`);
    outcome.status = 'failed';
    outcome.error = {
      code: err.code,
      message: redactSecrets(err.message, secrets),
      ...(err.detail ? { detail: redactSecrets(err.detail, secrets) } : {}),
    };
    metrics?.errors.inc({ connector: connectorId, code: err.code });
    log.error({ code: err.code, err: outcome.error.message, runId }, 'run failed');
  } finally {
    sink?.cancel();
  }

  const finished = clock.now();
  outcome.durationMs = Math.max(0, finished - started);
  metrics?.running.set({ connector: connectorId }, 0);
  metrics?.runs.inc({ connector: connectorId, status: outcome.status });
  metrics?.runDuration.observe({ connector: connectorId, status: outcome.status }, outcome.durationMs / 1000);
  try {
    store.runs.finish(runId, {
      status: outcome.status === 'failed' ? 'failed' : 'ok',
      ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
    });
    // The connector may have been deleted during the run: its status is gone with it.
    if (store.connectors.get(connectorId)) {
      if (outcome.status === 'ok') {
        store.connectors.setStatus(connectorId, {
          state: 'ok',
          lastError: lagWarning(outcome, store.connectors.get(connectorId)!.status.lastError, finished),
          lastSuccessAt: finished,
          lastRunAt: started,
        });
      } else if (outcome.status === 'failed') {
        store.connectors.setStatus(connectorId, {
          state: 'failed',
          lastError: { code: outcome.error!.code, message: outcome.error!.message, at: finished },
          lastRunAt: started,
        });
      } else {
        store.connectors.setStatus(connectorId, { lastRunAt: started });
      }
    }
  } catch (e) {
    log.error({ err: (e as Error).message }, 'could not record the run outcome');
  }
  if (outcome.lateVersions > 0) log.warn({ runId, lateVersions: outcome.lateVersions }, lateMessage(outcome));
  if (outcome.status !== 'failed') {
    log.info(
      {
        runId,
        status: outcome.status,
        received: outcome.received,
        stored: outcome.stored,
        duplicates: outcome.duplicates,
        unchanged: outcome.unchanged,
        discarded: outcome.discarded,
        pages: outcome.pages,
        vanished: outcome.vanished,
        ...(outcome.lateVersions ? { lateVersions: outcome.lateVersions } : {}),
        ms: outcome.durationMs,
      },
      'run finished',
    );
  }
  return outcome;
}

function lateMessage(o: RunOutcome): string {
  return `${o.lateVersions} finding versions arrived late (stored): ${o.lateHint ?? 'the source listed them later than the window logic allows'}`;
}

/** How long a lag warning stays on an ok connector after the last run that saw late versions. */
export const LAG_WARNING_MS = 86_400_000;

/**
 * The status note of an ok run: the lag warning when this run saw late versions, kept for a day
 * after the last such run (late versions show only when versions are written in the band, so
 * a quiet run proves nothing), else none.
 */
function lagWarning(
  o: RunOutcome,
  current: { code: string; message: string; at: number } | undefined,
  now: number,
): { code: string; message: string; at: number } | null {
  if (o.lateVersions > 0) return { code: 'ERR_INDEXING_LAG', message: lateMessage(o), at: now };
  if (current?.code === 'ERR_INDEXING_LAG' && now - current.at < LAG_WARNING_MS) return current;
  return null;
}

/** A commit's counts into the run's outcome and the metrics. */
function account(
  outcome: RunOutcome,
  c: CommittedGroup,
  connectorId: string,
  metrics?: CollectorMetrics,
): void {
  outcome.received += c.received;
  outcome.discarded += c.discarded;
  for (const [k, v] of Object.entries(c.discardedByFilter)) {
    outcome.discardedByFilter[k] = (outcome.discardedByFilter[k] ?? 0) + v;
    metrics?.discarded.inc({ connector: connectorId, filter: k }, v);
  }
  outcome.stored += c.stored;
  outcome.duplicates += c.duplicates;
  outcome.unchanged += c.unchanged;
  outcome.pages += c.pages;
  outcome.vanished += c.vanished;
  metrics?.received.inc({ connector: connectorId }, c.received);
  metrics?.stored.inc({ connector: connectorId }, c.stored);
  metrics?.duplicates.inc({ connector: connectorId }, c.duplicates);
  metrics?.unchanged.inc({ connector: connectorId }, c.unchanged);
  metrics?.pages.inc({ connector: connectorId }, c.pages);
}
