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
import type {
  AnyConnectorType,
  BaseConnectorConfig,
  CollectProgress,
  CollectTuning,
  PartOutcome,
  PartPlan,
  SweepSupport,
} from '../connectors/types.js';
import type { InterflowRecord } from '../core/record.js';
import { applyFilters, compileFilters } from './filter.js';
import type { CommittedGroup, PageSink, RunCounts, StatusPatch, Store } from '../store/index.js';
import { mapBounded } from '../core/concurrency.js';

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
  /** Records stored (new, not duplicates) by the commits so far (of every part). */
  stored: number;
  /** The part this progress is of (a type with parts; absent for part ''). */
  part?: string;
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
  /**
   * The run's failure; with parts, a run is failed when any part failed: this is then the first
   * failed part's code, its message saying how many parts failed (`parts` has each one's). A run
   * of one part (one region) fails with that part's own error, as a type without parts does.
   */
  error?: { code: ErrorCode; message: string; detail?: string };
  /** With parts (a type's `parts`, not the single part ''): how each part ended, in plan order. */
  parts?: PartOutcome[];
}

/** The most parts of one run at once (a type's `PartPlan.concurrency` is refused above it). */
export const MAX_PART_CONCURRENCY = 32;
/** The most parts of one run (a plan with more is refused). */
export const MAX_PARTS = 1000;
/** The longest name of a part. */
const MAX_PART_LENGTH = 200;

/**
 * The type's plan for this config, checked: at least one part, each a distinct non-empty name
 * ('' only as the single part of a type without parts), concurrency 1..MAX_PART_CONCURRENCY.
 */
export function partPlan(type: AnyConnectorType, cfg: BaseConnectorConfig): PartPlan {
  if (!type.parts) return { parts: [''], concurrency: 1 };
  const plan = type.parts(cfg);
  const bad = (why: string) =>
    new CodedError(
      'ERR_CONFIG_INVALID',
      `the parts of connector type ${type.id} for this configuration: ${why}`,
    );
  if (!Array.isArray(plan?.parts) || plan.parts.length === 0) throw bad('there must be at least one part');
  if (plan.parts.length > MAX_PARTS)
    throw bad(`${plan.parts.length} parts, at most ${MAX_PARTS} are allowed`);
  const single = plan.parts.length === 1 && plan.parts[0] === '';
  for (const p of plan.parts) {
    if (typeof p !== 'string' || (!single && p === '') || p.length > MAX_PART_LENGTH) {
      throw bad(`each part must be a name of 1-${MAX_PART_LENGTH} characters ('' only as the single part)`);
    }
  }
  if (new Set(plan.parts).size !== plan.parts.length) throw bad('a part is listed twice');
  if (
    !Number.isInteger(plan.concurrency) ||
    plan.concurrency < 1 ||
    plan.concurrency > MAX_PART_CONCURRENCY
  ) {
    throw bad(`concurrency must be an integer from 1 to ${MAX_PART_CONCURRENCY}`);
  }
  return { parts: [...plan.parts], concurrency: plan.concurrency };
}

/**
 * A checkpoint saved before the type had parts (part '') moves to the type's `legacyPart`
 * once, or is dropped when it names none, in one transaction (not when the plan is part '').
 */
function adoptLegacyCheckpoint(
  store: Store,
  type: AnyConnectorType,
  cfg: BaseConnectorConfig,
  connectorId: string,
  plan: PartPlan,
  log: Logger,
): void {
  if (!type.parts || plan.parts.includes('')) return;
  store.transaction(() => {
    const legacy = store.checkpoints.get(connectorId, '');
    if (legacy === undefined) return;
    const to = type.legacyPart?.(cfg);
    // A checkpoint the part already has is newer than the one saved before parts.
    const moved = to !== undefined && to !== '' && store.checkpoints.get(connectorId, to) === undefined;
    if (moved) store.checkpoints.set(connectorId, legacy, to);
    store.checkpoints.clear(connectorId, '');
    log.info(
      { part: moved ? to : undefined },
      moved ? 'checkpoint moved to its part' : 'checkpoint without a part dropped',
    );
  });
}

/** How one part's collection ended (its PartOutcome, and what the run adds up). */
interface PartResult extends PartOutcome {
  startedAt: number;
  finishedAt: number;
  tokenRestarts: number;
  lateVersions: number;
  lateHint?: string;
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
  /** The parts planned (undefined while the plan is not known: the run failed before it). */
  let plan: PartPlan | undefined;
  let results: PartResult[] = [];
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
    const partsPlan = partPlan(type, cfg);
    plan = partsPlan;
    adoptLegacyCheckpoint(store, type, cfg, connectorId, partsPlan, log);
    const env: PartEnv = {
      deps,
      opts,
      connectorId,
      connectorName: connector.name,
      runId,
      outcome,
      cfg,
      type,
      tenant,
      match: compileFilters(store.logFilters.forConnector(connectorId)),
      secrets,
      single: partsPlan.parts[0] === '',
    };
    results = await mapBounded(partsPlan.parts, partsPlan.concurrency, (part) =>
      collectPart(env, part, env.single ? log : log.child({ part })),
    );
  } catch (e) {
    const err = codedOf(e);
    outcome.status = 'failed';
    outcome.error = {
      code: err.code,
      message: redactSecrets(err.message, secrets),
      ...(err.detail ? { detail: redactSecrets(err.detail, secrets) } : {}),
    };
    metrics?.errors.inc({ connector: connectorId, code: err.code });
    log.error({ code: err.code, err: outcome.error.message, runId }, 'run failed');
  }
  const single = plan !== undefined && plan.parts[0] === '';
  for (const r of results) {
    outcome.tokenRestarts += r.tokenRestarts;
    outcome.lateVersions += r.lateVersions;
    if (r.lateHint) outcome.lateHint ??= r.lateHint;
  }
  const failed = results.filter((r) => r.status === 'failed');
  const okParts = results.filter((r) => r.status === 'ok').length;
  if (outcome.status !== 'failed') {
    if (failed.length > 0) {
      const f = failed[0]!;
      outcome.status = 'failed';
      // One part (a type without parts, or one region): its own error, as before parts.
      outcome.error =
        results.length === 1
          ? f.error!
          : {
              code: f.error!.code,
              message: `${failed.length} of ${results.length} parts failed; ${f.part}: ${f.error!.message}`,
            };
    } else if (results.some((r) => r.status === 'stopped')) outcome.status = 'stopped';
  }
  if (plan && !single) {
    outcome.parts = results.map(partOutcome);
    for (const r of results) {
      if (r.status !== 'stopped')
        metrics?.partUp.set({ connector: connectorId, part: r.part }, r.status === 'ok' ? 1 : 0);
    }
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
      ...(outcome.parts ? { parts: outcome.parts } : {}),
    });
    // The connector may have been deleted during the run: its status is gone with it.
    if (store.connectors.get(connectorId)) {
      // Each part's own status (none for a type without parts; parts no longer planned go).
      const parts: StatusPatch['parts'] = plan && {
        keep: single ? [] : plan.parts,
        set: single ? [] : results.map(partStatusPatch),
      };
      const withParts = parts ? { parts } : {};
      if (outcome.status === 'ok') {
        store.connectors.setStatus(connectorId, {
          state: 'ok',
          lastError: lagWarning(outcome, store.connectors.get(connectorId)!.status.lastError, finished),
          lastSuccessAt: finished,
          lastRunAt: started,
          ...withParts,
        });
      } else if (outcome.status === 'failed') {
        store.connectors.setStatus(connectorId, {
          // Some parts ok, some failed: partial (the parts say which).
          state: !single && okParts > 0 ? 'partial' : 'failed',
          lastError: { code: outcome.error!.code, message: outcome.error!.message, at: finished },
          lastRunAt: started,
          ...withParts,
        });
      } else {
        store.connectors.setStatus(connectorId, { lastRunAt: started, ...withParts });
      }
    }
  } catch (e) {
    log.error({ err: (e as Error).message }, 'could not record the run outcome');
  }
  if (outcome.lateVersions > 0) log.warn({ runId, lateVersions: outcome.lateVersions }, lateMessage(outcome));
  if (outcome.status !== 'failed' || okParts > 0) {
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
        ...(outcome.parts ? { parts: outcome.parts.length, failedParts: failed.length } : {}),
        ms: outcome.durationMs,
      },
      'run finished',
    );
  }
  return outcome;
}

const codedOf = (e: unknown): CodedError =>
  isCodedError(e)
    ? e
    : new CodedError('ERR_INTERNAL', `unexpected error: ${(e as Error)?.message ?? String(e)}`);

/** A part's outcome as the run history keeps it. */
function partOutcome(r: PartResult): PartOutcome {
  return {
    part: r.part,
    status: r.status,
    received: r.received,
    stored: r.stored,
    vanished: r.vanished,
    durationMs: r.durationMs,
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
  };
}

/** A part's status after this run (a stopped part only notes that it ran). */
function partStatusPatch(r: PartResult): NonNullable<NonNullable<StatusPatch['parts']>['set']>[number] {
  if (r.status === 'ok') {
    return {
      part: r.part,
      state: 'ok',
      lastError: null,
      lastSuccessAt: r.finishedAt,
      lastRunAt: r.startedAt,
    };
  }
  if (r.status === 'failed') {
    return {
      part: r.part,
      state: 'failed',
      lastError: { code: r.error!.code, message: r.error!.message, at: r.finishedAt },
      lastRunAt: r.startedAt,
    };
  }
  return { part: r.part, lastRunAt: r.startedAt };
}

/** What every part of one run shares. */
interface PartEnv {
  deps: RunnerDeps;
  opts: RunOptions;
  connectorId: string;
  connectorName: string;
  runId: number;
  /** The run's outcome: each part's commits add their counts to it. */
  outcome: RunOutcome;
  cfg: BaseConnectorConfig;
  type: AnyConnectorType;
  tenant: { id: string; name: string };
  match: ReturnType<typeof compileFilters>;
  secrets: string[];
  /** The type has no parts (the one part ''). */
  single: boolean;
}

/**
 * One part: its own `collect` call, page sink (its checkpoint), sweep and retries. Never
 * throws: a failure is the part's outcome (the pages stored before it are kept).
 */
async function collectPart(env: PartEnv, part: string, log: Logger): Promise<PartResult> {
  const { deps, opts, connectorId, runId, outcome, cfg, type, tenant, match } = env;
  const { store, clock, metrics } = deps;
  const startedAt = clock.now();
  const res: PartResult = {
    part,
    status: 'ok',
    received: 0,
    stored: 0,
    vanished: 0,
    durationMs: 0,
    startedAt,
    finishedAt: startedAt,
    tokenRestarts: 0,
    lateVersions: 0,
  };
  /** Records of this part's pages older than their page's `lateBefore`: late if stored as new. */
  const lateCandidates = new Set<string>();
  let sink: PageSink | undefined;
  if (!env.single && opts.signal?.aborted) {
    // Stopped before this part started: it keeps its checkpoint for the next run.
    res.status = 'stopped';
    return res;
  }
  try {
    // `recordVersions: material`: a version whose state fingerprint (type.state) is the stored
    // one is not a new record; its finding's current state still moves forward.
    const skipUnchanged = cfg.recordVersions === 'material';
    const onRecords = opts.onRecords;
    const onProgress = opts.onProgress;
    const out = (sink = store.pageSink({
      connectorId,
      ...(part ? { part } : {}),
      runId,
      ...(opts.commitRecords !== undefined ? { commitRecords: opts.commitRecords } : {}),
      ...(opts.commitDelayMs !== undefined ? { commitDelayMs: opts.commitDelayMs } : {}),
      docs: onRecords !== undefined,
      onCommitted: async (c) => {
        account(outcome, c, connectorId, metrics);
        res.received += c.received;
        res.stored += c.stored;
        res.vanished += c.vanished;
        if (lateCandidates.size > 0) {
          let late = 0;
          for (const id of c.storedIds) if (lateCandidates.delete(id)) late++;
          res.lateVersions += late;
          if (late > 0) metrics?.lateVersions.inc({ connector: connectorId }, late);
        }
        if (onRecords && c.docs?.length) await onRecords(c.docs);
      },
    }));
    const ctx = {
      connectorId,
      connectorName: env.connectorName,
      tenantId: tenant.id,
      tenantName: tenant.name,
      writeTime: 0,
    };
    /** A sweep's host side (types.ts SweepSupport) on this part's page sink. */
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
    const r = await type.collect({
      config: cfg,
      clock,
      logger: log,
      connectorId,
      part,
      checkpoint: store.checkpoints.get(connectorId, part),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(deps.allowedEndpointHosts ? { allowedEndpointHosts: deps.allowedEndpointHosts } : {}),
      ...(onProgress
        ? {
            onProgress: (p: CollectProgress) =>
              onProgress({ ...p, stored: outcome.stored, ...(part ? { part } : {}) }),
          }
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
                keys: records.flatMap((rec) => {
                  const k = type.state(rec)?.key;
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
    res.tokenRestarts = r.tokenRestarts ?? 0;
    if (r.lateHint) res.lateHint = r.lateHint;
    if (r.tokenRestarts) metrics?.tokenRestarts.inc({ connector: connectorId }, r.tokenRestarts);
    res.status = r.stopped ? 'stopped' : 'ok';
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
    const err = codedOf(e);
    res.status = 'failed';
    res.error = {
      code: err.code,
      message: redactSecrets(err.message, env.secrets),
      ...(err.detail ? { detail: redactSecrets(err.detail, env.secrets) } : {}),
    };
    metrics?.errors.inc({ connector: connectorId, code: err.code });
    log.error({ code: err.code, err: res.error.message, runId }, env.single ? 'run failed' : 'part failed');
  } finally {
    sink?.cancel();
  }
  res.finishedAt = clock.now();
  res.durationMs = Math.max(0, res.finishedAt - startedAt);
  return res;
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
